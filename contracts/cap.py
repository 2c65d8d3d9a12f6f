"""The cap on credits over any 30 consecutive days (CONTRACTS §6 and §13), applied in date order."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from contracts.money import ZERO, money


@dataclass
class Credit:
    """One credit before and after the cap. `cap_base` = recurring fees + usage charges of its month."""

    site: str
    day: date  # the date the credit is issued (cap in days)
    instant: int  # epoch seconds of that issue (cap in hours)
    ticket: str  # "" for monthly credits; ties sort by ticket then month
    month: int
    kind: str  # availability | gtr | install
    amount: Decimal
    cap_base: Decimal
    granted: Decimal = ZERO
    lost: Decimal = ZERO
    cap_eur: Decimal = ZERO
    window_before: Decimal = ZERO  # credits already granted in the window when this one was added
    window_from: str = ""
    notes: list[str] = field(default_factory=list)


def apply_cap(credits: list[Credit], pct: Decimal, mode: str = "days", days: int = 30) -> list[Credit]:
    """Cap the credits of ONE site in date order; set `granted` and `lost` on each; return them sorted.

    `mode="days"`: the window is the calendar days d-(days-1) … d of the credit being added (§13);
    `mode="hours"`: a rolling window of days × 24 hours ending at its instant.
    """
    if mode == "days":
        ordered = sorted(credits, key=lambda c: (c.day, c.ticket, c.month, c.kind))
    else:
        ordered = sorted(credits, key=lambda c: (c.instant, c.ticket, c.month, c.kind))
    window: deque[Credit] = deque()
    total = ZERO
    span = days * 86400
    for c in ordered:
        while window and (
            (c.day - window[0].day).days >= days if mode == "days" else c.instant - window[0].instant >= span
        ):
            total -= window.popleft().granted
        # 000 §5.6, 001 §4, 002 §4 a): capped at 20 % of the month's recurring fees + usage charges
        c.cap_eur = money(c.cap_base * pct / 100)
        c.window_before = total
        c.window_from = str(window[0].day) if window else str(c.day)
        room = max(ZERO, c.cap_eur - total)
        c.granted = min(c.amount, room)
        c.lost = c.amount - c.granted
        window.append(c)
        total += c.granted
    return ordered
