"""Read and search over the declared resource types: permissions per source, keyset paging, _include.

Paging is keyset, never OFFSET: a page ends at a position (source, row key, resource within the row) and
the next page starts there. Rows are read in key order, so rows added or removed while a client pages
neither repeat nor hide the matches it has not reached yet; each match is returned once.
"""

from dataclasses import dataclass

from fhir_api.resources import TYPES
from fhir_api.resources.base import Context, ResourceType, Source, with_meta
from fhir_api.search import SearchError

DEFAULT_COUNT = 50
MAX_COUNT = 500
CONTROL = {"_count", "_cursor", "_include", "_format", "_total", "_sort", "_elements", "_summary", "_pretty"}


class Forbidden(Exception):
    """The user may not read this kind of resource (403)."""


@dataclass(frozen=True)
class Position:
    source: int
    key: int
    index: int

    def __str__(self) -> str:
        return f"{self.source}.{self.key}.{self.index}"

    @classmethod
    def parse(cls, text: str) -> "Position":
        try:
            source, key, index = (int(p) for p in text.split("."))
        except ValueError as exc:
            raise SearchError("_cursor", "This page link is not one of ours: start the search again.") from exc
        return cls(source, key, index)


@dataclass
class Match:
    position: Position
    source: Source
    row: object
    resource: dict  # with meta


@dataclass
class Page:
    matches: list[Match]
    included: list[dict]
    next: Position | None


def readable(resource_type: ResourceType, user) -> list[tuple[int, Source]]:
    return [(i, s) for i, s in enumerate(resource_type.sources) if user.has_perm(s.permission)]


def read(type_name: str, ident: str, user) -> dict | None:
    """The resource with this id (with meta), None when there is none; Forbidden when the user may not
    read resources of its kind."""
    resource_type = TYPES[type_name]
    if not readable(resource_type, user):
        raise Forbidden(f"read {type_name} resources")
    found = resource_type.source_of(ident)
    if found is None:
        return None
    source, key, _part = found
    if not user.has_perm(source.permission):
        raise Forbidden(f"read {type_name} resources")
    row = source.get(key)
    if row is None:
        return None
    for resource in source.resources(row, Context()):
        if resource["id"] == ident:
            return with_meta(resource, source.last_updated(row))
    return None


def search(type_name: str, criteria: list[tuple[str, list[str], str]], user, *, count: int, cursor: str = "",
           include: list[str] = ()) -> Page:  # fmt: skip
    resource_type = TYPES[type_name]
    sources = readable(resource_type, user)
    if not sources:
        raise Forbidden(f"read {type_name} resources")
    _check(resource_type, criteria, include)
    start = Position.parse(cursor) if cursor else None
    context = Context()
    # `_id` names resources, and a row may give several (vs-7-hr, vs-7-bp): keep only those named.
    named = [set(values) for parameter, values, _ in criteria if parameter == "_id"]
    wanted_ids = set.intersection(*named) if named else None
    matches: list[Match] = []
    for number, source in sources:
        if start is not None and number < start.source:
            continue
        from_here = start is not None and number == start.source
        after = (start.key, True) if from_here else None
        while len(matches) <= count:
            limit = count + 1 - len(matches)
            rows = source.fetch(criteria, context, after, limit)
            for row in rows:
                skip = start.index if from_here and row.pk == start.key else 0
                for index, resource in enumerate(source.resources(row, context)):
                    if index >= skip and (wanted_ids is None or resource["id"] in wanted_ids):
                        stamped = with_meta(resource, source.last_updated(row))
                        matches.append(Match(Position(number, row.pk, index), source, row, stamped))
            if len(rows) < limit:
                break
            after = (rows[-1].pk, False)
        if len(matches) > count:
            break
    following = matches[count].position if len(matches) > count else None
    matches = matches[:count]
    return Page(matches, _included(resource_type, matches, include, user), following)


def _check(resource_type: ResourceType, criteria, include) -> None:
    for parameter, _values, _modifier in criteria:
        if parameter not in resource_type.params and parameter not in ("_id", "_lastUpdated"):
            raise SearchError(parameter, f"{resource_type.name} has no search parameter {parameter!r}.")
    for text in include:
        parameter = _include_parameter(resource_type, text)
        if parameter not in resource_type.includes:
            supported = ", ".join(f"{resource_type.name}:{p}" for p in resource_type.includes) or "none"
            raise SearchError("_include", f"Cannot include {text!r}; supported: {supported}.")


def _include_parameter(resource_type: ResourceType, text: str) -> str:
    source_type, _, rest = text.partition(":")
    if source_type != resource_type.name or not rest:
        raise SearchError("_include", f"_include names {resource_type.name}:<parameter>, not {text!r}.")
    return rest.split(":", 1)[0]


def _included(resource_type: ResourceType, matches: list[Match], include, user) -> list[dict]:
    """The resources the page's matches point to through the asked parameters, each once, those the user
    may read (a reference the user may not follow is left out, as FHIR allows)."""
    wanted: dict[tuple[str, str], None] = {}
    for text in include:
        parameter = _include_parameter(resource_type, text)
        for match in matches:
            for target in match.source.references(match.row, parameter):
                wanted.setdefault(target, None)
    seen = {(m.resource["resourceType"], m.resource["id"]) for m in matches}
    by_source: dict[int, tuple[Source, dict[int, set[str]]]] = {}
    allowed: dict[str, bool] = {}  # permission -> held (asked once: has_perm walks the backends each time)
    for type_name, ident in wanted:
        located = TYPES[type_name].source_of(ident)
        if (type_name, ident) in seen or located is None:
            continue
        permission = located[0].permission
        if permission not in allowed:
            allowed[permission] = user.has_perm(permission)
        if not allowed[permission]:
            continue
        source, key, _part = located
        by_source.setdefault(id(source), (source, {}))[1].setdefault(key, set()).add(ident)
    found = []
    for source, keys in by_source.values():  # one query per source, whatever the page's size
        for row in source.many(list(keys)):
            for resource in source.resources(row, Context()):
                if resource["id"] in keys[row.pk]:
                    found.append(with_meta(resource, source.last_updated(row)))
    return found
