"""Today's date and the acting user, with the Europe/Paris clock the contracts are written in."""

from __future__ import annotations

import getpass
import os
from datetime import date, datetime
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


def today() -> date:
    """Return today's date in Paris."""
    return datetime.now(PARIS).date()


def default_actor() -> str:
    """Return who is acting when nobody says: $CENTREX_USER, else the login name."""
    try:
        return os.environ.get("CENTREX_USER") or getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def paris_day(at: datetime | None) -> date:
    """Return the Paris date of the instant `at` (today when None): the day every dated rule uses."""
    return today() if at is None else at.astimezone(PARIS).date()
