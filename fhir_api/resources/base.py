"""How a FHIR resource type is declared: its sources (the models its resources come from), their search
parameters, includes and permissions. The views, the paging, $everything and the CapabilityStatement all
read these declarations; nothing about a resource type is written twice.

A resource type may draw on several models (a Condition is a problem-list entry or an encounter diagnosis;
an Observation a lab result or one measurement of a vital-signs row). Each is a `Source` with an id prefix
("pl-12", "dx-34"); a source with no prefix has plain numeric ids. One row may give several resources
(`resources()` returns a list): a vitals row is a pulse, a blood pressure, a temperature ...
"""

import datetime as dt
import functools
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import DateTimeField, F, Q, QuerySet, Value
from django.utils import timezone

from fhir_api import search
from fhir_api.search import SearchError

Row = object


@dataclass(frozen=True)
class Param:
    """A search parameter of a source: `apply(queryset, values, modifier, context) -> queryset`, called once
    per occurrence of the parameter (occurrences AND; comma-separated values OR)."""

    type: str  # token | string | date | reference | number | uri
    apply: Callable[..., QuerySet]
    doc: str


@dataclass
class Context:
    """What a search asked that changes how rows become resources (e.g. which vital signs of a row)."""

    wanted: dict = field(default_factory=dict)


class Source:
    prefix = ""  # the id prefix ("" for plain numeric ids)
    permission = ""  # the Django permission that lets a user read these resources
    updated_field = ""  # the field `_lastUpdated` and `_since` compare
    params: dict[str, Param] = {}
    includes: dict[str, str] = {}  # search parameter -> the resource type it points to (for _include)

    def queryset(self) -> QuerySet:
        raise NotImplementedError

    def resources(self, row, context: Context) -> list[dict]:
        """The resources (each with its "id") a row gives, without `meta`."""
        raise NotImplementedError

    def last_updated(self, row) -> dt.datetime:
        return getattr(row, self.updated_field)

    def updated_expression(self):
        """What `_lastUpdated` and `_since` compare, as a database expression."""
        return F(self.updated_field)

    def get(self, pk: int):
        return self.queryset().filter(pk=pk).first()

    def many(self, keys: list[int]) -> list:
        return list(self.queryset().filter(pk__in=keys))

    def filtered(self, criteria: list[tuple[str, list[str], str]], context: Context) -> QuerySet | None:
        """The rows matching every criterion (parameter, values, modifier); None when a parameter does not
        apply to this source's resources, so none of them can match."""
        queryset = self.queryset()
        for parameter, values, modifier in criteria:
            if parameter == "_id":
                queryset = queryset.filter(self.id_q(values))
            elif parameter == "_lastUpdated":
                condition = search.date_q("fhir_updated", parameter, values)
                queryset = queryset.alias(fhir_updated=self.updated_expression()).filter(condition)
            elif parameter in self.params:
                queryset = self.params[parameter].apply(queryset, values, modifier, context)
            else:
                return None
        return queryset

    def count(self, criteria, context: Context) -> int:
        """How many rows match (0 when a parameter does not apply): what an export has to read."""
        queryset = self.filtered(criteria, context)
        return 0 if queryset is None else queryset.count()

    def fetch(self, criteria, context: Context, after: tuple[int, bool] | None, limit: int) -> list:
        """Up to `limit` matching rows in key order, after (or from, when inclusive) a key."""
        queryset = self.filtered(criteria, context)
        if queryset is None:
            return []
        if after is not None:
            key, inclusive = after
            queryset = queryset.filter(pk__gte=key) if inclusive else queryset.filter(pk__gt=key)
        return list(queryset.order_by("pk")[:limit])

    def references(self, row, parameter: str) -> list[tuple[str, str]]:
        """(type, id) the row's `parameter` points to (for _include)."""
        return []

    def parse_id(self, ident: str) -> tuple[int, str] | None:
        """'lab-12' -> (12, ''), 'vs-7-bp' -> (7, 'bp'); None when the id is not of this source."""
        rest = ident
        if self.prefix:
            if not ident.startswith(self.prefix + "-"):
                return None
            rest = ident[len(self.prefix) + 1 :]
        head, _, part = rest.partition("-")
        if not head.isdigit() or len(head) > 18:
            return None
        return int(head), part

    def make_id(self, pk: int, part: str = "") -> str:
        return "-".join(filter(None, (self.prefix, str(pk), part)))

    def part_of(self, resource: dict) -> str:
        """The part of a row a resource is (for ids like 'vs-7-bp')."""
        return ""

    def id_q(self, texts: list[str]) -> Q:
        keys = [found for t in texts if (found := self.parse_id(t))]
        return Q(pk__in=[pk for pk, _ in keys]) if keys else Q(pk__in=[])


class ResourceType:
    name = ""
    sources: tuple[Source, ...] = ()
    profile = ""  # the base definition's URL (CapabilityStatement)
    doc = ""

    def source_of(self, ident: str) -> tuple[Source, int, str] | None:
        for source in self._by_prefix():
            found = source.parse_id(ident)
            if found:
                return source, *found
        return None

    @functools.cache  # noqa: B019 (one instance per type, for the process's life)
    def _by_prefix(self) -> tuple[Source, ...]:
        return tuple(sorted(self.sources, key=lambda s: -len(s.prefix)))  # longest prefix first

    @property
    def params(self) -> dict[str, Param]:
        found: dict[str, Param] = {}
        for source in self.sources:
            for name, param in source.params.items():
                found.setdefault(name, param)
        return found

    @property
    def includes(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for source in self.sources:
            found.update(source.includes)
        return found

    @property
    def permissions(self) -> set[str]:
        return {s.permission for s in self.sources}


def with_meta(resource: dict, last_updated: dt.datetime) -> dict:
    """`meta.versionId` is a digest of the resource's content: it changes exactly when the resource does, so
    ETag / If-None-Match work for every resource, including those whose rows keep no version counter."""
    resource = dict(resource)
    profile = resource.pop("meta_profile", None)  # a profile the resource claims (vital signs)
    # The mapping functions build each kind of resource in one fixed key order: no need to sort.
    body = json.dumps(resource, separators=(",", ":"), ensure_ascii=False)
    version = hashlib.blake2b(body.encode(), digest_size=8).hexdigest()
    meta = {"versionId": version, "lastUpdated": instant(last_updated)}
    if profile:
        meta["profile"] = [profile]
    return {"resourceType": resource["resourceType"], "id": resource["id"], "meta": meta, **resource}


def instant(value: dt.datetime | None) -> str | None:
    """An aware datetime in the hospital's zone, with its offset (FHIR `instant` / `dateTime`)."""
    if value is None:
        return None
    return timezone.localtime(value).isoformat()


def day(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def reference(resource_type: str, ident, display: str = "") -> dict:
    found = {"reference": f"{resource_type}/{ident}"}
    if display:
        found["display"] = display
    return found


def person_name(user) -> str:
    return user.get_full_name() or user.get_username()


def practitioner(user) -> dict | None:
    return reference("Practitioner", user.pk, person_name(user)) if user is not None else None


def compact(resource: dict) -> dict:
    """Drop empty elements: FHIR has no nulls and no empty arrays or objects."""
    cleaned = {}
    for key, value in resource.items():
        if value is None or value == "":
            continue
        if type(value) is dict:
            value = compact(value)
        elif type(value) is list:
            value = [compact(v) if type(v) is dict else v for v in value if v is not None and v != ""]
            value = [v for v in value if v != {} and v != []]
        if value != {} and value != []:
            cleaned[key] = value
    return cleaned


# Parameters most sources share.


def patient_param(lookup: str) -> Param:
    def apply(queryset, values, modifier, context):
        ids = search.integer_ids("patient", [search.reference_id("patient", v, "Patient") for v in values])
        return queryset.filter(**{f"{lookup}__in": ids})

    return Param("reference", apply, "The patient the resource is about: 123, Patient/123.")


def encounter_param(lookup: str) -> Param:
    def apply(queryset, values, modifier, context):
        ids = search.integer_ids("encounter", [search.reference_id("encounter", v, "Encounter") for v in values])
        return queryset.filter(**{f"{lookup}__in": ids})

    return Param("reference", apply, "The encounter the resource belongs to.")


def date_param(name: str, lookup: str, doc: str, *, date_only: bool = False) -> Param:
    def apply(queryset, values, modifier, context):
        return queryset.filter(search.date_q(lookup, name, values, date_only=date_only))

    return Param("date", apply, doc)


def choice_param(name: str, lookup: str, mapping: dict[str, str], doc: str, system: str = "") -> Param:
    """A token whose FHIR codes map onto a field's values (several FHIR codes may map to one value)."""

    def apply(queryset, values, modifier, context):
        chosen = []
        for text in values:
            found = search.token(text)
            if found.system not in (None, system) and system:
                continue
            if found.code is None:
                chosen.extend(mapping.values())
            elif found.code in mapping:
                chosen.append(mapping[found.code])
            else:
                raise SearchError(name, f"Unknown {name} {found.code!r}: use one of {', '.join(mapping)}.")
        query = Q(**{f"{lookup}__in": chosen})
        return queryset.exclude(query) if modifier == "not" else queryset.filter(query)

    return Param("token", apply, doc)


def fixed_token(value: str, name: str, choices: tuple[str, ...], doc: str = "") -> Param:
    """A token every resource of the source has the same value of (a category, a status): the source's
    rows all match, or none do."""

    def apply(queryset, values, modifier, context):
        wanted = {search.token(v).code for v in values}
        unknown = wanted - set(choices)
        if unknown:
            raise SearchError(name, f"Unknown {name} {unknown.pop()!r}: use one of {', '.join(choices)}.")
        return queryset if (value in wanted) != (modifier == "not") else queryset.none()

    return Param("token", apply, doc or " | ".join(choices) + ".")


def fixed_time(value: dt.datetime):
    """`updated_expression` of reference data that keeps no change time."""
    return Value(value, output_field=DateTimeField())


def nothing(name: str, doc: str, type_: str = "token") -> Param:
    """A parameter this source's resources never match (e.g. `encounter` on problem-list entries)."""
    return Param(type_, lambda queryset, values, modifier, context: queryset.none(), doc)
