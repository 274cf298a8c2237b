"""CSV downloads: streamed (a 100k-row export never sits in memory) and safe to open in a spreadsheet.

A text cell that starts like a formula (=, +, -, @, tab, carriage return) is prefixed with an apostrophe so
spreadsheets show it as text instead of running it: a patient or payer named `=HYPERLINK(...)` must not
become a link, nor `+cmd|...` a command (OWASP "CSV injection"). Numbers, negative ones included, are
written as they are.
"""

import csv
import re
from collections.abc import Iterable

from django.http import StreamingHttpResponse
from django.utils import timezone

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


def safe_cell(value) -> object:
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not NUMBER.match(value):
        return "'" + value
    return value


class _Echo:
    def write(self, value):
        return value


def csv_download(name: str, header: list[str], rows: Iterable[list]) -> StreamingHttpResponse:
    """`name`-<local time>.csv with the header and rows, every cell made safe."""
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow([safe_cell(h) for h in header])
        for row in rows:
            yield writer.writerow([safe_cell(value) for value in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
    return response
