"""What every part of the generated hospital shares: time in seconds since the epoch (UTC), money in integer
cents, the COPY text format of a field, and draws by weight."""

import bisect
import itertools
import random
import time
from decimal import Decimal

DAY = 86_400
YEARS = 3  # of history, up to the start of `as_of`


def money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def stamp(seconds: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S+00", time.gmtime(seconds))


def day_of(seconds: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(seconds))


COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def text(value: str) -> str:
    """A string as a COPY text field."""
    return value.translate(COPY_ESCAPES)


def cents_of(value: Decimal) -> int:
    return int(Decimal(value) * 100)


class Weighted:
    """Draws from a fixed list by relative weight (bisect over the cumulative weights)."""

    def __init__(self, items, weights):
        self.items = list(items)
        self.cumulative = list(itertools.accumulate(weights))
        self.total = self.cumulative[-1]

    def draw(self, rng: random.Random):
        return self.items[bisect.bisect_right(self.cumulative, rng.random() * self.total)]
