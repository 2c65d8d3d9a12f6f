"""The RIO (Relevé d'Identité Opérateur), the portability identity code of a fixed line (ARCEP)."""

from __future__ import annotations

import re

from contracts.errors import InputError

# ARCEP: 12 characters `OO Q RRRRRR CCC` — operator, contract type (P personal / E business),
# reference, check key. Only the format is checked: the fixed-line key algorithm is the operator's.
_RIO = re.compile(r"^[0-9A-Z]{2}[PE][0-9A-Z+]{6}[0-9A-Z+]{3}$")


def parse_rio(text: str) -> str:
    """Return the 12-character RIO of `text` (spaces ignored, case folded) or raise InputError."""
    rio = re.sub(r"\s+", "", text).upper()
    if len(rio) != 12:
        raise InputError(
            f"RIO {text!r} must have 12 characters (OO Q RRRRRR CCC), got {len(rio)}", field="rio"
        )
    if not _RIO.match(rio):
        raise InputError(
            f"RIO {text!r} is not OO Q RRRRRR CCC (operator, P|E, 6-character reference, 3-character key)",
            field="rio",
        )
    return rio
