"""The Redis side of the projections: written whole (absolute values, one MULTI/EXEC), read cheaply."""

import logging

from django_redis import get_redis_connection

from reports.projections.base import key

log = logging.getLogger("hmis.projections")

META = "meta"


def redis():
    return get_redis_connection("default")


def write(projection: str, parts: dict[str, dict], meta: dict) -> None:
    """Replace every key of the projection in one transaction. Sorted sets are parts named 'top'."""
    pipe = redis().pipeline(transaction=True)
    for part, values in parts.items():
        name = key(projection, part)
        pipe.delete(name)
        if not values:
            continue
        if part == "top":
            pipe.zadd(name, dict(values))
        else:
            pipe.hset(name, mapping={field: str(value) for field, value in values.items()})
    pipe.delete(key(projection, META))
    pipe.hset(key(projection, META), mapping={field: str(value) for field, value in meta.items()})
    pipe.execute()


def confirm_fresh(projection: str, fresh_as_of: str) -> None:
    redis().hset(key(projection, META), "fresh_as_of", fresh_as_of)


def read_hash(projection: str, part: str) -> dict[str, str]:
    return {k.decode(): v.decode() for k, v in redis().hgetall(key(projection, part)).items()}


def read_meta(projection: str) -> dict[str, str]:
    return read_hash(projection, META)


def read_top(projection: str, limit: int) -> list[tuple[str, int]]:
    return [(m.decode(), int(s)) for m, s in redis().zrevrange(key(projection, "top"), 0, limit - 1, withscores=True)]
