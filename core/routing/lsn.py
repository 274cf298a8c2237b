"""PostgreSQL WAL positions (LSNs) as integers, and the primary's current one."""

from django.db import connections


def parse(text: str | None) -> int | None:
    """'16/B374D848' -> 0x16B374D848. None or garbage -> None."""
    if not text:
        return None
    high, sep, low = text.partition("/")
    if not sep:
        return None
    try:
        return (int(high, 16) << 32) | int(low, 16)
    except ValueError:
        return None


def format_lsn(value: int) -> str:
    return f"{value >> 32:X}/{value & 0xFFFFFFFF:X}"


def primary_lsn() -> int:
    """The primary's current WAL write position: everything committed so far is at or before it."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        return parse(cursor.fetchone()[0])
