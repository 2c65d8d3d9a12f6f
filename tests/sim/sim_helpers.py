"""Small scenarios for the simulation tests, written as YAML like a user would."""

from __future__ import annotations

from pathlib import Path

import yaml

BASE = {
    "name": "t",
    "start": "2026-01-01",
    "duration_days": 365,
    "seed": 11,
    "replications": 3,
    "site_groups": [
        {
            "name": "a",
            "profile": "allset",
            "count": 6,
            "departement": "69",
            "region": "r1",
            "handsets": 3,
            "recurring_eur": "300.00",
            "usage_eur": "60.00",
        },
        {
            "name": "b",
            "profile": "alleo",
            "count": 6,
            "departement": "67",
            "region": "r1",
            "backup_link": True,
            "handsets": 4,
            "recurring_eur": "400.00",
            "usage_eur": "80.00",
            "install": True,
        },
        {
            "name": "c",
            "profile": "progetcom",
            "count": 4,
            "departement": "29",
            "region": "r2",
            "handsets": 2,
            "recurring_eur": "250.00",
            "usage_eur": "40.00",
        },
        {
            "name": "d",
            "profile": "allocloud",
            "count": 4,
            "departement": "33",
            "region": "r2",
            "backup_link": True,
            "handsets": 5,
            "recurring_eur": "150.00",
            "usage_eur": "20.00",
        },
    ],
    "failures": {
        "access_link": {"mtbf_hours": 2000, "causes": {"access_link": 0.8, "third_party": 0.2}},
        "backup_link": {"mtbf_hours": 3000},
        "router": {"distribution": "weibull", "shape": 1.5, "mtbf_hours": 20000},
        "handset": {"mtbf_hours": 30000},
    },
    "platform_outage": {"rate_per_year": 4, "duration": {"mean_minutes": 120}},
    "storms": [{"name": "s", "rate_per_year": 2, "regions": ["r2"], "share_of_sites": 0.5}],
    "maintenance": {"first": "2026-01-06T23:00:00", "every_days": 30, "duration_minutes": 30},
    "notification": {"mean_minutes": 20},
    "repair": {
        "crews": {"r1": 1, "r2": 1},
        "remote_share": {"access_link": 0.3, "router": 0.5},
        "on_site": {"access_link": {"mean_minutes": 240}},
        "spare_part_hours": {"router": 24, "handset": 48},
    },
    # the run provisions its fleet (issue 15): one operator range per zone used
    "numbering": {"ranges": [{"start": f"+33{z}70000000", "size": 1000} for z in "12345"]},
}


def write(tmp: Path, data: dict, name: str = "t.yaml") -> Path:
    """Write a scenario dict as YAML and return its path."""
    p = tmp / name
    p.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return p
