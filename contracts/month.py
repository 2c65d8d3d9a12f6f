"""A calendar month, the period of every statement, bill and usage total: one type for every package.

`Month` is an int, the key `year * 12 + month - 1`, so months sort, hash, count and index numpy arrays as
plain keys do (the SLA engine keeps them in int64 arrays). Its text is `YYYY-MM`; its bounds are Paris
instants (CONTRACTS §1: the months of a contract are Paris calendar months).
"""

from __future__ import annotations

import calendar as _cal
import re
from datetime import date
from functools import lru_cache

from contracts.calendar import from_epoch, local_epoch
from contracts.errors import InputError

_TEXT = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
YEARS = (1900, 2199)


class Month(int):
    """A calendar month as its key `year * 12 + month - 1` (2026-03 is 2026 * 12 + 2)."""

    __slots__ = ()

    @classmethod
    def of(cls, year: int, month: int) -> Month:
        """The month `month` (1–12) of `year`."""
        return cls(year * 12 + month - 1)

    @classmethod
    def containing(cls, day: date) -> Month:
        """The month of a date (a datetime: of its own wall clock)."""
        return cls(day.year * 12 + day.month - 1)

    @classmethod
    def at(cls, epoch_s: int) -> Month:
        """The Paris month of an instant (epoch seconds)."""
        return cls.containing(from_epoch(epoch_s))

    @classmethod
    def parse(cls, text: str, *, file: str = "", line: int | None = None, field: str = "month") -> Month:
        """'2026-03' → the month; anything else is bad input named by file, line and field."""
        m = _TEXT.match(text.strip())
        if not m or not YEARS[0] <= int(m.group(1)) <= YEARS[1]:
            raise InputError(
                f"bad month {text!r}; expected YYYY-MM in {YEARS[0]}–{YEARS[1]}",
                file=file,
                line=line,
                field=field,
            )
        return cls(int(m.group(1)) * 12 + int(m.group(2)) - 1)

    @property
    def year(self) -> int:
        return int(self) // 12

    @property
    def number(self) -> int:
        """1 for January … 12 for December."""
        return int(self) % 12 + 1

    @property
    def text(self) -> str:
        """'YYYY-MM', the form every file and statement writes."""
        return _text(int(self))

    @property
    def first_day(self) -> date:
        return date(self.year, self.number, 1)

    @property
    def last_day(self) -> date:
        return date(self.year, self.number, self.days)

    @property
    def days(self) -> int:
        """Number of days of the month."""
        return _cal.monthrange(self.year, self.number)[1]

    @property
    def first_instant(self) -> int:
        """Epoch seconds of 00:00 Paris on the 1st."""
        return _first_instant(int(self))

    @property
    def end_instant(self) -> int:
        """Epoch seconds of the first instant of the next month (the month is [first, end))."""
        return _first_instant(int(self) + 1)

    @property
    def minutes(self) -> int:
        """Real elapsed minutes of the month in Paris: March 2026 is 44,580 (CONTRACTS §13)."""
        return (self.end_instant - self.first_instant) // 60

    def shift(self, n: int) -> Month:
        """The month `n` months later (earlier when negative)."""
        return Month(int(self) + n)

    def previous(self, n: int) -> tuple[Month, ...]:
        """The `n` months before this one, oldest first (the usage base of a credit, CONTRACTS §13)."""
        return tuple(Month(int(self) - k) for k in range(n, 0, -1))

    def through(self, last: Month) -> range:
        """Keys of every month from this one to `last` included (as a range of ints, for speed)."""
        return range(int(self), int(last) + 1)


@lru_cache(maxsize=4096)
def _text(key: int) -> str:
    return f"{key // 12:04d}-{key % 12 + 1:02d}"


@lru_cache(maxsize=4096)
def _first_instant(key: int) -> int:
    return local_epoch(date(key // 12, key % 12 + 1, 1))


def add_months(day: date, n: int) -> date:
    """`day` plus `n` calendar months, the day clamped to the month's length (31 Jan + 1 → 28/29 Feb)."""
    m = Month.containing(day).shift(n)
    return date(m.year, m.number, min(day.day, m.days))


def months_from(start: date, end: date) -> list[Month]:
    """The month of `start` and each following month that begins before `end`."""
    out, m = [], Month.containing(start)
    while m.first_day < end:
        out.append(m)
        m = m.shift(1)
    return out
