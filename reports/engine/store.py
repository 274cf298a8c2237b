"""The Redis side of the projections: written whole (absolute values, one MULTI/EXEC), read cheaply."""

import logging
import secrets

from django_redis import get_redis_connection

from core.keys import projection as key

log = logging.getLogger("hmis.projections")

META = "meta"


def redis():
    return get_redis_connection("default")


def write(projection: str, parts: dict[str, dict], meta: dict) -> None:
    """Replace every key of the projection in one transaction. Sorted sets are parts named 'top'. The meta
    gets a new "version": readers that keep what they built from the parts know when it is out of date."""
    meta = {**meta, "version": secrets.token_hex(8)}
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


def _decoded(found: dict[bytes, bytes]) -> dict[str, str]:
    return {k.decode(): v.decode() for k, v in found.items()}


def _ranked(found: list[tuple[bytes, float]]) -> list[tuple[str, int]]:
    return [(member.decode(), int(score)) for member, score in found]


def read_hash(projection: str, part: str) -> dict[str, str]:
    return _decoded(redis().hgetall(key(projection, part)))


def read(projection: str, *parts: str, top: int = 0) -> dict:
    """The projection's meta and the named hash parts (and the first `top` of its sorted set, as "top")
    in one round trip, all from the same write: {"meta": {...}, part: {...}, "top": [(member, score)]}."""
    pipe = redis().pipeline(transaction=True)
    for part in (META, *parts):
        pipe.hgetall(key(projection, part))
    if top:
        pipe.zrevrange(key(projection, "top"), 0, top - 1, withscores=True)
    found = pipe.execute()
    out = {part: _decoded(values) for part, values in zip((META, *parts), found, strict=False)}
    if top:
        out["top"] = _ranked(found[-1])
    return out


def read_meta(projection: str) -> dict[str, str]:
    return read_hash(projection, META)


def read_top(projection: str, limit: int) -> list[tuple[str, int]]:
    return _ranked(redis().zrevrange(key(projection, "top"), 0, limit - 1, withscores=True))
