import datetime
from decimal import Decimal

from django import template
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def get_item(mapping, key):
    """{{ row|get_item:"outstanding" }}: a dict value by a key held in a variable."""
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.filter
def value_in(column, row):
    """{{ column|value_in:row }}: the column's value in a row or the totals (reports.catalog.base.Column.of)."""
    return column.of(row) if hasattr(row, "get") else None


@register.filter
def cell(value):
    """A table cell: ISO dates (as typed in the filters), money as is, yes/no, empty for none."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime.datetime):  # the hospital's time zone, never UTC as stored
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date | Decimal):
        return value.isoformat() if isinstance(value, datetime.date) else value
    return value


@register.filter
def as_of(iso: str) -> str:
    """'2026-11-23T14:02:07+00:00' -> '14:02:07' today, else '2026-11-22 14:02'."""
    moment = parse_datetime(iso or "")
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    return local.strftime("%H:%M:%S") if local.date() == timezone.localdate() else local.strftime("%Y-%m-%d %H:%M")


@register.filter
def ago(seconds) -> str:
    """Seconds -> 'just now', '5 s ago', '3 min ago', '2 h ago', '4 days ago' (plain words)."""
    if seconds is None:
        return ""
    seconds = max(0, int(float(seconds)))
    if seconds < 1:
        return _("just now")
    if seconds < 60:
        return _("%(n)d s ago") % {"n": seconds}
    if seconds < 3600:
        return _("%(n)d min ago") % {"n": seconds // 60}
    if seconds < 86400:
        return _("%(n)d h ago") % {"n": seconds // 3600}
    return _("%(n)d days ago") % {"n": seconds // 86400}


@register.filter
def freshness_details(answer) -> str:
    """The technical side of the freshness line, for its title: the moment the figures describe (in the
    hospital's time zone), when they were refreshed, and where they were read."""
    if not hasattr(answer, "get"):
        return ""
    zone = timezone.get_current_timezone_name()
    parts = []
    for key, words in (("fresh_as_of", _("Figures as of")), ("refreshed_at", _("refreshed"))):
        moment = parse_datetime(str(answer.get(key) or ""))
        if moment is not None:
            parts.append(f"{words} {timezone.localtime(moment):%Y-%m-%d %H:%M:%S} ({zone})")
    source = _("the summary cache") if answer.get("source") == "redis" else _("the materialized view")
    if answer.get("database"):
        source = _("%(source)s on %(database)s") % {"source": source, "database": answer["database"]}
    parts.append(_("read from %(source)s") % {"source": source})
    return "; ".join(parts) + "."
