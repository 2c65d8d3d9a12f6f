"""The French numbering plan: parse and validate numbers, and map a postcode to its département and zone.

Zones are the first digit of the national number: 01 Île-de-France, 02 North-West, 03 North-East,
04 South-East, 05 South-West (geographic), 09 non-geographic (ARCEP numbering plan).
"""

from __future__ import annotations

import phonenumbers

from contracts.errors import InputError
from contracts.zones import ZONE_OF_DEPARTEMENT
from provisioning.choices import ALLOWED_ZONES


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
