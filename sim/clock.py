"""Business time on the simulation's clock (float minutes since the scenario start).

Crews work only inside a profile's business window. Asking the calendar for every repair would cost a
datetime round trip per event, so the window is read once per (calendar, horizon) from
`contracts.calendar` into sorted opening/closing lists, and `add` is two bisections.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from datetime import date, timedelta
from itertools import accumulate

import numpy as np

from contracts.calendar import BusinessCalendar, from_epoch, local_epoch, to_epoch


class BusinessClock:
    """Business windows as [open, close) minute intervals from the scenario start, one per business day."""

    def __init__(self, calendar: BusinessCalendar | None, start: date, days: int) -> None:
        """Read `days` days from `start` (None = round the clock: every minute is a working minute)."""
        self.always = calendar is None
        self.origin = local_epoch(start)
        self.opens: list[float] = []
        self.closes: list[float] = []
        if self.always:
            return
        mids = np.array([local_epoch(start + timedelta(days=k)) for k in range(days + 1)], dtype=np.int64)
        secs = calendar.business_seconds_array(mids[:-1], mids[1:])
        for k in np.nonzero(secs)[0]:
            first = to_epoch(calendar.next_business_instant(from_epoch(float(mids[k]))))
            if not mids[k] <= first < mids[k + 1]:  # pragma: no cover - windows never cross midnight
                raise ValueError("a business window must start and end on the same day")
            self.opens.append((first - self.origin) / 60.0)
            self.closes.append((first + float(secs[k]) - self.origin) / 60.0)
        widths = [c - o for o, c in zip(self.opens, self.closes, strict=True)]
        self.before = [0.0, *accumulate(widths)]  # business minutes before interval i

    def add(self, t: float, minutes: float) -> float:
        """Return the instant at which `minutes` of business time have elapsed after `t`."""
        if self.always:
            return t + minutes
        i = bisect_right(self.closes, t)
        if i >= len(self.opens):
            return t + minutes  # past the tables (after the horizon): round the clock
        o = self.opens[i]
        start = t if t > o else o
        if start + minutes <= self.closes[i]:  # done the same day
            return start + minutes
        target = self.before[i] + (start - o) + minutes
        j = bisect_left(self.before, target, lo=i + 1) - 1
        if j >= len(self.opens):
            return self.closes[-1] + (target - self.before[-1])
        return self.opens[j] + (target - self.before[j])

    def minutes_between(self, a: float, b: float) -> float:
        """Business minutes in [a, b)."""
        if self.always:
            return max(0.0, b - a)
        return max(0.0, self._cum(b) - self._cum(a))

    def _cum(self, t: float) -> float:
        i = bisect_right(self.opens, t) - 1
        if i < 0:
            return 0.0
        return self.before[i] + min(t, self.closes[i]) - self.opens[i]
