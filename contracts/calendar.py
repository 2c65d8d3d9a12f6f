"""Business calendars: weekly windows, French public holidays, Europe/Paris with DST.

Business time is computed in closed form from per-day tables (window start/end as UTC epoch seconds and a
prefix sum of business seconds over days), never minute by minute, so one interval costs O(1) — scalar or
numpy-vectorised. A business minute is a real elapsed minute inside the local wall-clock window (CONTRACTS
§1), so a window crossing a DST change is 60 minutes shorter or longer that day.
"""

from __future__ import annotations

import calendar as _cal
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays as _holidays
import numpy as np

PARIS = ZoneInfo("Europe/Paris")
_EPOCH_DAY = date(1970, 1, 1).toordinal()

#: Alsace-Moselle départements (CONTRACTS §1): Good Friday and 26 December are also off there.
ALSACE_MOSELLE_DEPARTEMENTS = frozenset({"57", "67", "68"})

Window = tuple[int, int] | None


@lru_cache(maxsize=8192)  # a statement asks for the same few month ends thousands of times
def local_epoch(d: date, minute: int = 0) -> int:
    """Return the UTC epoch second of local Paris wall-clock `minute` after midnight of `d`.

    The repeated autumn hour is read as its first occurrence; a skipped spring time maps forward (§13).
    """
    naive = datetime.combine(d, time()) + timedelta(minutes=minute)
    return int(naive.replace(tzinfo=PARIS).timestamp())


def _last_sunday(year: int, month: int) -> date:
    d = date(year, month, _cal.monthrange(year, month)[1])
    return d - timedelta(days=(d.weekday() + 1) % 7)


#: EU summer time (Europe/Paris since 1996): local-naive epoch seconds of 02:00 on the change days.
DST_YEARS = (1996, 2100)
_SPRING = np.array(
    [
        (_last_sunday(y, 3).toordinal() - _EPOCH_DAY) * 86400 + 7200
        for y in range(DST_YEARS[0], DST_YEARS[1] + 1)
    ],
    dtype=np.int64,
)
_AUTUMN = np.array(
    [
        (_last_sunday(y, 10).toordinal() - _EPOCH_DAY) * 86400 + 7200
        for y in range(DST_YEARS[0], DST_YEARS[1] + 1)
    ],
    dtype=np.int64,
)


def _year_of(local: np.ndarray) -> np.ndarray:
    return local.astype("datetime64[s]").astype("datetime64[Y]").astype(np.int64) + 1970


def in_spring_gap(local: np.ndarray) -> np.ndarray:
    """True where a local-naive epoch second falls in the skipped spring hour (it does not exist)."""
    year = _year_of(local)
    yi = np.clip(year - DST_YEARS[0], 0, len(_SPRING) - 1)
    inside = (year >= DST_YEARS[0]) & (year <= DST_YEARS[1])
    return inside & (local >= _SPRING[yi]) & (local < _SPRING[yi] + 3600)


def local_to_epoch(local: np.ndarray) -> np.ndarray:
    """Paris local-naive epoch seconds → UTC epoch seconds, vectorised (§13 readings: the repeated autumn
    hour is its first occurrence; a skipped spring time maps forward, as zoneinfo does with fold=0)."""
    local = np.asarray(local, dtype=np.int64)
    year = _year_of(local)
    yi = np.clip(year - DST_YEARS[0], 0, len(_SPRING) - 1)
    summer = (local >= _SPRING[yi] + 3600) & (local < _AUTUMN[yi] + 3600)
    out = local - 3600 - 3600 * summer
    outside = np.flatnonzero((year < DST_YEARS[0]) | (year > DST_YEARS[1]))
    for i in outside:  # rare: before 1996 or after 2100, ask zoneinfo
        naive = datetime(1970, 1, 1) + timedelta(seconds=int(local[i]))
        out[i] = int(naive.replace(tzinfo=PARIS).timestamp())
    return out


def _utc_offset(epoch: np.ndarray) -> np.ndarray:
    """Paris UTC offset in seconds (3600 or 7200) of UTC epoch seconds, vectorised (EU rule, 1996-2100)."""
    epoch = np.asarray(epoch, dtype=np.int64)
    year = _year_of(epoch + 3600)
    yi = np.clip(year - DST_YEARS[0], 0, len(_SPRING) - 1)
    # the changes happen at 01:00 UTC: local 02:00 CET in spring, local 03:00 CEST in autumn
    summer = (epoch >= _SPRING[yi] - 3600) & (epoch < _AUTUMN[yi] - 3600)
    out = 3600 + 3600 * summer
    for i in np.flatnonzero((year < DST_YEARS[0]) | (year > DST_YEARS[1])):
        out[i] = int(from_epoch(int(epoch[i])).utcoffset().total_seconds())
    return out


def epoch_to_iso(epoch: np.ndarray) -> list[str]:
    """ISO 8601 Paris local times with their offset ("2026-03-09T10:00:00+01:00"), vectorised."""
    epoch = np.asarray(epoch, dtype=np.int64)
    off = _utc_offset(epoch)
    local = np.datetime_as_string((epoch + off).astype("datetime64[s]"), unit="s").tolist()
    return [t + ("+02:00" if o == 7200 else "+01:00") for t, o in zip(local, off.tolist(), strict=True)]


def epoch_to_local_date(epoch: np.ndarray) -> list[date]:
    """Paris calendar dates of UTC epoch seconds, vectorised."""
    epoch = np.asarray(epoch, dtype=np.int64)
    days = (epoch + _utc_offset(epoch)) // 86400
    return (days.astype("datetime64[D]")).astype(object)


def to_epoch(t: datetime) -> float:
    """Return epoch seconds of an aware datetime (a naive one is read as Paris wall clock)."""
    if t.tzinfo is None:
        t = t.replace(tzinfo=PARIS)
    return t.timestamp()


def from_epoch(s: float) -> datetime:
    """Return the Paris-aware datetime of epoch seconds."""
    return datetime.fromtimestamp(s, tz=UTC).astimezone(PARIS)


@lru_cache(maxsize=64)
def french_holidays(year: int, alsace_moselle: bool) -> frozenset[date]:
    """Return the French metropolitan public holidays of a year (plus Good Friday and 26 Dec in 57/67/68)."""
    # The `holidays` package has a Moselle subdivision ("57") with exactly those two extra days.
    days = _holidays.France(years=year, subdiv="57" if alsace_moselle else None)
    return frozenset(days.keys())


@dataclass(frozen=True)
class _Tables:
    """Per-day tables from `first` (inclusive) for `n` days."""

    first: date
    midnight: np.ndarray  # epoch s of local midnight of each day, plus one extra (end of the last day)
    ws: np.ndarray  # window start (epoch s); equals `we` on a non-business day
    we: np.ndarray  # window end
    prefix: np.ndarray  # business seconds of all days before day i (len n + 1)
    business: np.ndarray  # bool: the day is a business day


@dataclass(frozen=True, eq=False)
class BusinessCalendar:
    """A weekly window (0 = Monday … 6 = Sunday → (start_minute, end_minute) local, or None) with holidays.

    `holidays_off`: French public holidays are not business days. `alsace_moselle`: Good Friday and 26 Dec
    are holidays too (CONTRACTS §1).
    """

    window: tuple[Window, ...]
    holidays_off: bool = True
    alsace_moselle: bool = False
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.window) != 7:
            raise ValueError("a weekly window needs 7 entries (Monday … Sunday)")
        object.__setattr__(
            self, "window", tuple(None if w is None else (int(w[0]), int(w[1])) for w in self.window)
        )
        for w in self.window:
            if w is not None and not 0 <= w[0] < w[1] <= 1440:
                raise ValueError(f"bad window {w}: need 0 <= start < end <= 1440 minutes")

    @classmethod
    def from_mapping(cls, window: Mapping[int, Window] | Sequence[Window], **kw: bool) -> BusinessCalendar:
        """Build from {weekday: (start, end)} or a 7-sequence."""
        if isinstance(window, Mapping):
            window = tuple(window.get(i) for i in range(7))
        return cls(tuple(window), **kw)

    @classmethod
    def wallclock(cls) -> BusinessCalendar:
        """Every minute of every day: business minutes = real elapsed minutes."""
        return cls(((0, 1440),) * 7, holidays_off=False)

    # ----- day tables -------------------------------------------------------------------------------
    def _tables(self, lo_year: int, hi_year: int) -> _Tables:
        """Return tables covering at least [lo_year, hi_year], rebuilt wider when asked outside."""
        t = self._cache.get("t")
        if t is not None:
            last = (t.first + timedelta(days=len(t.ws) - 1)).year
            if t.first.year <= lo_year and last >= hi_year:
                return t
            lo_year, hi_year = min(lo_year, t.first.year), max(hi_year, last)
        first = date(lo_year, 1, 1)
        n = (date(hi_year + 1, 1, 1) - first).days
        day0 = (first.toordinal() - _EPOCH_DAY) * 86400
        local_midnight = day0 + np.arange(n + 1, dtype=np.int64) * 86400
        midnight = local_to_epoch(local_midnight)
        weekday = (np.arange(n) + first.weekday()) % 7
        starts = np.array([w[0] if w else 0 for w in self.window], dtype=np.int64)[weekday]
        ends = np.array([w[1] if w else 0 for w in self.window], dtype=np.int64)[weekday]
        business = np.array([w is not None for w in self.window], dtype=bool)[weekday]
        if self.holidays_off:
            for y in range(lo_year, hi_year + 1):
                for h in french_holidays(y, self.alsace_moselle):
                    business[(h - first).days] = False
        ws = local_to_epoch(local_midnight[:-1] + starts * 60)
        we = local_to_epoch(local_midnight[:-1] + ends * 60)
        ws = np.where(business, ws, midnight[:-1])
        we = np.where(business, we, midnight[:-1])
        prefix = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(we - ws, out=prefix[1:])
        t = _Tables(first, midnight, ws, we, prefix, business)
        self._cache["t"] = t
        return t

    def _tables_for(self, lo_s: float, hi_s: float) -> _Tables:
        lo = datetime.fromtimestamp(lo_s, tz=UTC).year - 1
        hi = datetime.fromtimestamp(hi_s, tz=UTC).year + 1
        return self._tables(lo, hi)

    @staticmethod
    def _day_index(t: _Tables, s: np.ndarray) -> np.ndarray:
        """Local day index of epoch seconds `s` in O(1): Paris is UTC+1 or +2, so guess then correct."""
        guess = (s + 7200) // 86400 - (t.first.toordinal() - _EPOCH_DAY)
        guess = np.clip(guess, 0, len(t.ws) - 1)
        return guess - (s < t.midnight[guess])

    def _cumulative(self, t: _Tables, s: np.ndarray) -> np.ndarray:
        """Business seconds from the table start up to epoch second `s` (monotone in `s`)."""
        d = self._day_index(t, s)
        return t.prefix[d] + np.clip(s - t.ws[d], 0, t.we[d] - t.ws[d])

    # ----- business time ----------------------------------------------------------------------------
    def business_seconds_array(self, start_s: np.ndarray, end_s: np.ndarray) -> np.ndarray:
        """Business seconds of each interval [start_s, end_s) (int64 epoch seconds; 0 when end <= start)."""
        start_s = np.asarray(start_s, dtype=np.int64)
        end_s = np.asarray(end_s, dtype=np.int64)
        if start_s.size == 0:
            return np.zeros(0, dtype=np.int64)
        t = self._tables_for(int(start_s.min()), int(end_s.max()))
        out = self._cumulative(t, end_s) - self._cumulative(t, start_s)
        return np.maximum(out, 0)

    def business_minutes_array(self, start_s: np.ndarray, end_s: np.ndarray) -> np.ndarray:
        """Business minutes (float) of each interval given as epoch seconds."""
        return self.business_seconds_array(start_s, end_s) / 60.0

    def business_seconds(self, start: datetime, end: datetime) -> int:
        """Business seconds between two instants (whole seconds)."""
        a, b = int(to_epoch(start)), int(to_epoch(end))
        return int(self.business_seconds_array(np.array([a]), np.array([b]))[0])

    def business_minutes(self, start: datetime, end: datetime) -> float:
        """Business minutes between two aware instants (0 when end <= start)."""
        a, b = to_epoch(start), to_epoch(end)
        if b <= a:
            return 0.0
        t = self._tables_for(a, b)
        ca = self._cumulative_scalar(t, a)
        cb = self._cumulative_scalar(t, b)
        return (cb - ca) / 60.0

    def _cumulative_scalar(self, t: _Tables, s: float) -> float:
        d = int(self._day_index(t, np.array([int(s // 1)]))[0])
        return float(t.prefix[d]) + min(max(s - float(t.ws[d]), 0.0), float(t.we[d] - t.ws[d]))

    def next_business_instant(self, when: datetime) -> datetime:
        """Return the first business instant at or after `when` (`when` itself inside the window)."""
        s = to_epoch(when)
        t = self._tables_for(s, s + 400 * 86400)
        d = int(self._day_index(t, np.array([int(s // 1)]))[0])
        while d < len(t.ws):
            if t.business[d] and t.ws[d] < t.we[d]:
                if s < t.ws[d]:
                    return from_epoch(float(t.ws[d]))
                if s < t.we[d]:
                    return when if when.tzinfo else when.replace(tzinfo=PARIS)
            d += 1
        raise ValueError("no business day ahead of the calendar tables")  # pragma: no cover

    def add_business_minutes(self, when: datetime, minutes: float) -> datetime:
        """Return the instant at which `minutes` of business time have elapsed from `when`."""
        if minutes <= 0:
            return when if when.tzinfo else when.replace(tzinfo=PARIS)
        s = to_epoch(when)
        horizon = s + (minutes / 60 / 4 + 400) * 86400  # generous: at least 4 business hours a week
        t = self._tables_for(s, horizon)
        target = self._cumulative_scalar(t, s) + minutes * 60.0
        cum_end = t.prefix[1:]
        i = int(np.searchsorted(cum_end, target, side="left"))
        if i >= len(t.ws):
            t = self._tables(t.first.year, t.first.year + (len(t.ws) // 365) * 2)
            return self.add_business_minutes(when, minutes)
        # A minute count too small for float resolution must not land at the end of the previous window.
        while i + 1 < len(t.ws) and (
            float(t.ws[i]) + (target - float(t.prefix[i])) < s or t.prefix[i + 1] == t.prefix[i]
        ):
            i += 1
        return from_epoch(float(t.ws[i]) + (target - float(t.prefix[i])))

    # ----- business days ----------------------------------------------------------------------------
    def is_business_day(self, d: date) -> bool:
        """True when `d` has a window and is not a holiday that is off."""
        if self.window[d.weekday()] is None:
            return False
        return not (self.holidays_off and d in french_holidays(d.year, self.alsace_moselle))

    def business_days_in_month(self, year: int, month: int) -> int:
        """Number of business days in a calendar month (May 2026 = 17 for ALLEO; §13)."""
        n = _cal.monthrange(year, month)[1]
        return sum(self.is_business_day(date(year, month, k)) for k in range(1, n + 1))

    def add_business_days(self, d: date, n: int) -> date:
        """Return the n-th business day after `d` (`d` itself not counted; n < 0 goes back)."""
        step = 1 if n >= 0 else -1
        left = abs(n)
        while left:
            d += timedelta(days=step)
            if self.is_business_day(d):
                left -= 1
        return d

    def business_days_between(self, d1: date, d2: date) -> int:
        """Business days in (d1, d2] — so `add_business_days(d1, k) == d2` gives k; negative if d2 < d1."""
        if d2 < d1:
            return -self.business_days_between(d2, d1)
        return sum(self.is_business_day(d1 + timedelta(days=k)) for k in range(1, (d2 - d1).days + 1))


def weekly_window(spec: Mapping[str, str | None]) -> tuple[Window, ...]:
    """Parse {"mon": "08:00-18:00", …} (missing day = closed) into a 7-tuple of minute windows."""
    names = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    unknown = set(spec) - set(names)
    if unknown:
        raise ValueError(f"unknown weekday(s) {sorted(unknown)}; use {names}")
    out: list[Window] = []
    for n in names:
        v = spec.get(n)
        if not v:
            out.append(None)
            continue
        a, b = str(v).split("-")
        out.append((_hm(a), _hm(b)))
    return tuple(out)


def _hm(s: str) -> int:
    h, m = s.strip().split(":")
    return int(h) * 60 + int(m)
