"""The French numbering plan: parse and validate numbers, and map a postcode to its département and zone.

Zones are the first digit of the national number: 01 Île-de-France, 02 North-West, 03 North-East,
04 South-East, 05 South-West (geographic), 09 non-geographic (ARCEP numbering plan).
"""

from __future__ import annotations

import phonenumbers

from contracts.errors import InputError
from provisioning.choices import ALLOWED_ZONES

_ZONE_DEPARTEMENTS = {
    "01": "75 77 78 91 92 93 94 95",
    "02": "14 50 61 27 76 22 29 35 56 44 49 53 72 85 18 28 36 37 41 45 974 976",
    "03": "59 62 02 60 80 08 10 51 52 54 55 57 88 67 68 25 39 70 90 21 58 71 89",
    "04": "01 07 26 38 42 69 73 74 03 15 43 63 04 05 06 13 83 84 11 30 34 48 66 2A 2B",
    "05": "24 33 40 47 64 09 12 31 32 46 65 81 82 19 23 87 16 17 79 86 971 972 973 975",
}
ZONE_OF_DEPARTEMENT = {d: zone for zone, deps in _ZONE_DEPARTEMENTS.items() for d in deps.split()}


def parse_number(text: str, *, field: str = "number") -> int:
    """Return the E.164 digits of a valid French fixed number (zones 01–05, 09) as an integer."""
    raw = text.strip()
    try:
        parsed = phonenumbers.parse(raw, "FR")
    except phonenumbers.NumberParseException as exc:
        raise InputError(f"{raw!r} is not a phone number ({exc})", field=field) from None
    if parsed.country_code != 33 or not phonenumbers.is_valid_number(parsed):
        raise InputError(f"{raw!r} is not a valid French number", field=field)
    national = str(parsed.national_number)
    if len(national) != 9 or f"0{national[0]}" not in ALLOWED_ZONES:
        raise InputError(f"{raw!r} is not a geographic (01–05) or 09 number", field=field)
    return int(f"33{national}")


def zone_of(e164: int) -> str:
    """Return the zone ("01"…"05", "09") of an E.164 integer of France."""
    return f"0{str(e164)[2]}"


def format_e164(e164: int) -> str:
    """Return the "+33…" text of an E.164 integer."""
    return f"+{e164}"


def format_national(e164: int) -> str:
    """Return the national "01 70 00 00 00" form."""
    national = "0" + str(e164)[2:]
    return " ".join(national[i : i + 2] for i in range(0, 10, 2))


def departement_of(postcode: str, *, field: str = "postcode") -> str:
    """Return the département of a French postcode (Corsica 2A/2B, overseas 971–976)."""
    code = postcode.strip()
    if len(code) != 5 or not code.isdigit():
        raise InputError(f"{postcode!r} is not a 5-digit French postcode", field=field)
    if code.startswith("20"):
        dep = "2A" if int(code) < 20200 else "2B"
    elif code.startswith("97"):
        dep = code[:3]
    else:
        dep = code[:2]
    if dep not in ZONE_OF_DEPARTEMENT:
        raise InputError(f"postcode {postcode!r} is in no département served (got {dep})", field=field)
    return dep


def zone_of_departement(departement: str) -> str:
    """Return the geographic zone ("01"…"05") of a département."""
    return ZONE_OF_DEPARTEMENT[departement]
