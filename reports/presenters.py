"""Report answers as JSON: money as strings (never a float), dates as ISO strings."""

import datetime
from decimal import Decimal


def plain(value):
    """Decimals become strings (money is never a float), dates ISO strings; recursively."""
    kind = type(value)  # the common cases first, by exact type (an answer has hundreds of values)
    if kind is str or kind is int or value is None:
        return value
    if kind is dict:
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value
