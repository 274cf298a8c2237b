import datetime
from decimal import Decimal

from django import template
from django.utils import timezone
from django.utils.dateparse import parse_datetime

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
