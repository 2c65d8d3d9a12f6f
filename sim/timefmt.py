"""Format many epoch seconds as ISO 8601 Paris times at once (the run files hold hundreds of thousands).

Europe/Paris follows the EU rule since 1996: UTC+2 from 01:00 UTC on the last Sunday of March to 01:00 UTC
on the last Sunday of October, UTC+1 otherwise. The offset is found by a search over those instants and
the text built by numpy, instead of one zoneinfo conversion per timestamp; a test checks it against
zoneinfo.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import numpy as np

from contracts.month import Month


def _last_sunday_1h_utc(year: int, month: int) -> int:
    d = datetime.combine(Month.of(year, month).last_day, time(), UTC)
    d -= timedelta(days=(d.weekday() + 1) % 7)
    return int((d + timedelta(hours=1)).timestamp())


_YEARS = range(1996, 2101)
_EDGES = np.array(
    [e for y in _YEARS for e in (_last_sunday_1h_utc(y, 3), _last_sunday_1h_utc(y, 10))], dtype=np.int64
)


def paris_offsets(epoch_s: np.ndarray) -> np.ndarray:
    """UTC offset in seconds (3600 or 7200) of each epoch second in Europe/Paris."""
    summer = np.searchsorted(_EDGES, epoch_s, side="right") % 2 == 1
    return np.where(summer, 7200, 3600)


def iso_paris(epoch_s) -> list[str]:
    """ISO 8601 texts with the Paris offset, whole seconds ('2026-03-29T03:00:00+02:00')."""
    s = np.asarray(epoch_s, dtype=np.int64)
    if s.size == 0:
        return []
    off = paris_offsets(s)
    text = np.datetime_as_string((s + off).astype("datetime64[s]"), unit="s").tolist()
    return [t + ("+02:00" if o == 7200 else "+01:00") for t, o in zip(text, off.tolist(), strict=True)]
