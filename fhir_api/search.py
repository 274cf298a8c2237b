"""FHIR search parameter values: dates with prefixes, tokens, strings and references, turned into ORM filters.

Semantics follow the FHIR R4 search page (http://hl7.org/fhir/R4/search.html):
- several values of one parameter separated by commas are alternatives (OR); the same parameter given
  twice must hold both times (AND);
- a date value stands for the whole period of its precision ("2026" is the year, "2026-03-01" the day, a
  time to the second that second); dates and times without an offset are the hospital's time zone. The
  prefixes compare that period with the resource's value: eq (inside it), ne (outside), lt / le (before
  its start / its end), gt / ge (after its end / its start), sa / eb (starts after / ends before: the same
  as gt / lt for a single instant), ap (within a tenth of the distance from now, at least a day);
- a string matches when the element starts with it, ignoring case (`:exact` for the whole value as given,
  `:contains` anywhere);
- a token is `code`, `system|code`, `|code` (a code with no system) or `system|` (any code of the system);
- a reference is `123`, `Patient/123` or the resource's full URL.
"""

import datetime as dt
import re
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap")
_DATE = re.compile(
    r"^(?P<prefix>[a-z]{2})?(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
    r"(?:T(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.(?P<fraction>\d{1,6})\d*)?)?(?P<tz>Z|[+-]\d{2}:\d{2})?)?)?)?$"
)


class SearchError(Exception):
    """A search the server cannot run as asked: 400 with an OperationOutcome naming the parameter."""

    def __init__(self, parameter: str, message: str):
        super().__init__(message)
        self.parameter = parameter
        self.message = message


@dataclass(frozen=True)
class Period:
    prefix: str
    start: dt.datetime  # aware
    end: dt.datetime  # aware, exclusive


def period(parameter: str, text: str) -> Period:
    found = _DATE.match(text.strip())
    if not found:
        raise SearchError(parameter, f"{text!r} is not a FHIR date (YYYY, YYYY-MM, YYYY-MM-DD or a date and time).")
    parts = found.groupdict()
    prefix = parts["prefix"] or "eq"
    if prefix not in PREFIXES:
        raise SearchError(parameter, f"Unknown prefix {prefix!r}: use one of {', '.join(PREFIXES)}.")
    year, month, day = int(parts["year"]), int(parts["month"] or 1), int(parts["day"] or 1)
    zone = _zone(parts["tz"])
    try:
        start = dt.datetime(
            year,
            month,
            day,
            int(parts["hour"] or 0),
            int(parts["minute"] or 0),
            int(parts["second"] or 0),
            int((parts["fraction"] or "0").ljust(6, "0")),
            tzinfo=zone,
        )
    except ValueError as exc:
        raise SearchError(parameter, f"{text!r} is not a valid date: {exc}.") from exc
    if parts["fraction"]:  # an instant to the microsecond (what _since and meta.lastUpdated carry)
        end = start + dt.timedelta(microseconds=10 ** (6 - len(parts["fraction"])))
    elif parts["second"]:
        end = start + dt.timedelta(seconds=1)
    elif parts["minute"]:
        end = start + dt.timedelta(minutes=1)
    elif parts["day"]:
        end = _next_day(start)
    elif parts["month"]:
        end = _add_months(start, 1)
    else:
        end = _add_months(start, 12)
    return Period(prefix, start, end)


def _zone(text: str | None) -> dt.tzinfo:
    """The value's offset; none given: the hospital's time zone."""
    if not text:
        return timezone.get_current_timezone()
    return dt.UTC if text == "Z" else _offset(text)


def _offset(text: str) -> dt.timezone:
    sign = -1 if text[0] == "-" else 1
    hours, minutes = int(text[1:3]), int(text[4:6])
    return dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))


def _next_day(start: dt.datetime) -> dt.datetime:
    # The next local midnight (a day is not always 24 hours where clocks change).
    return dt.datetime.combine(start.date() + dt.timedelta(days=1), dt.time(), tzinfo=start.tzinfo)


def _add_months(start: dt.datetime, months: int) -> dt.datetime:
    month = start.month - 1 + months
    return start.replace(year=start.year + month // 12, month=month % 12 + 1, day=1)


def date_q(field: str, parameter: str, values: list[str], *, date_only: bool = False) -> Q:
    """One parameter's comma-separated values (OR) against a datetime field (or a date field)."""
    combined = Q()
    for text in values:
        combined |= _period_q(field, period(parameter, text), date_only)
    return combined


def _period_q(field: str, found: Period, date_only: bool) -> Q:
    start, end = found.start, found.end
    if found.prefix == "ap":
        margin = max(dt.timedelta(days=1), abs(timezone.now() - start) / 10)
        start, end = start - margin, end + margin
    if date_only:  # compare calendar days: the period's days in the hospital's zone
        start_value, end_value = timezone.localtime(start).date(), timezone.localtime(end).date()
        if timezone.localtime(end).time() != dt.time():
            end_value += dt.timedelta(days=1)
    else:
        start_value, end_value = start, end
    inside = Q(**{f"{field}__gte": start_value, f"{field}__lt": end_value})
    return {
        "eq": inside,
        "ap": inside,
        "ne": ~inside,
        "lt": Q(**{f"{field}__lt": start_value}),
        "eb": Q(**{f"{field}__lt": start_value}),
        "le": Q(**{f"{field}__lt": end_value}),
        "gt": Q(**{f"{field}__gte": end_value}),
        "sa": Q(**{f"{field}__gte": end_value}),
        "ge": Q(**{f"{field}__gte": start_value}),
    }[found.prefix]


@dataclass(frozen=True)
class Token:
    system: str | None  # None: any system; "": no system
    code: str | None  # None: any code of the system


def token(text: str) -> Token:
    if "|" not in text:
        return Token(None, text)
    system, _, code = text.partition("|")
    return Token(system, code or None)


def string_q(fields: tuple[str, ...], values: list[str], modifier: str, parameter: str) -> Q:
    lookup = {"": "istartswith", "exact": "exact", "contains": "icontains"}.get(modifier)
    if lookup is None:
        raise SearchError(parameter, f"The modifier :{modifier} is not supported here (use :exact or :contains).")
    combined = Q()
    for text in values:
        for field in fields:
            combined |= Q(**{f"{field}__{lookup}": text})
    return combined


def reference_id(parameter: str, text: str, resource_type: str) -> str:
    """'123', 'Patient/123' or 'https://…/Patient/123' -> '123'."""
    text = text.strip().rstrip("/")
    if "/" in text:
        kind, _, ident = text.rpartition("/")
        if kind.rsplit("/", 1)[-1] != resource_type:
            raise SearchError(parameter, f"{parameter} refers to {resource_type} resources, not {text!r}.")
        text = ident
    if not text:
        raise SearchError(parameter, f"Give a {resource_type} id.")
    return text


def integer_ids(parameter: str, texts: list[str]) -> list[int]:
    try:
        return [int(t) for t in texts]
    except ValueError as exc:
        raise SearchError(parameter, f"Not an id of ours: {', '.join(texts)}.") from exc
