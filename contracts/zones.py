"""The geographic numbering zones of the French plan per département (ARCEP numbering plan).

Here because both the inventory (`provisioning.plan`: which zone a block comes from) and the simulation
(`sim.changes`: whether a moved site stays in its zone, 000 §2.3) need it, and neither imports the other.
Zones are the first digit of the national number: 01 Île-de-France, 02 North-West, 03 North-East,
04 South-East, 05 South-West.
"""

from __future__ import annotations

_ZONE_DEPARTEMENTS = {
    "01": "75 77 78 91 92 93 94 95",
    "02": "14 50 61 27 76 22 29 35 56 44 49 53 72 85 18 28 36 37 41 45 974 976",
    "03": "59 62 02 60 80 08 10 51 52 54 55 57 88 67 68 25 39 70 90 21 58 71 89",
    "04": "01 07 26 38 42 69 73 74 03 15 43 63 04 05 06 13 83 84 11 30 34 48 66 2A 2B",
    "05": "24 33 40 47 64 09 12 31 32 46 65 81 82 19 23 87 16 17 79 86 971 972 973 975",
}
ZONE_OF_DEPARTEMENT = {d: zone for zone, deps in _ZONE_DEPARTEMENTS.items() for d in deps.split()}
