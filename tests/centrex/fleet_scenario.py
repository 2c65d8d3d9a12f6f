"""A small fleet scenario for the run→inventory→PBX tests: every profile, a porting group, a 09 group."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

SMALL = """
name: small-fleet
start: 2026-01-01
duration_days: 120
seed: 11
replications: 2
site_groups:
  - {name: alleo-paris, profile: alleo, count: 4, departement: "75", region: idf, handsets: 3,
     recurring_eur: 300.00, install: true, customer: Lutèce Conseil, city: Paris,
     porting: {numbers: 2}, channels: 3, lease_months: 36}
  - {name: allset-lyon, profile: allset, count: 3, departement: "69", region: sud, handsets: 2,
     recurring_eur: 200.00, city: Lyon, channels: 2, porting: false}
  - {name: progetcom-lille, profile: progetcom, count: 2, departement: "59", region: nord, handsets: 2,
     recurring_eur: 200.00, channels: 2}
  - {name: allocloud-bordeaux, profile: allocloud, count: 3, departement: "33", region: sud, handsets: 4,
     recurring_eur: 150.00, city: Bordeaux, porting: {numbers: 3}}
  - {name: allocloud-nantes, profile: allocloud, count: 2, departement: "44", region: sud, handsets: 2,
     recurring_eur: 150.00, numbers: non_geographic, porting: false}
failures:
  access_link: {mtbf_hours: 3000}
  router: {mtbf_hours: 20000}
  handset: {mtbf_hours: 30000}
repair:
  crews: {idf: 1, sud: 1, nord: 1}
installs: {wave_days: 20, indicative_business_days: 10, link_delivery_business_days: 5}
porting: {reject: 0.5, resubmit: 0.6, expire: 0.1, valid_days: 200}
numbering:
  ranges:
    - {start: "+33170000000", size: 100}
    - {start: "+33270000000", size: 100}
    - {start: "+33370000000", size: 100}
    - {start: "+33470000000", size: 100}
    - {start: "+33570000000", size: 100}
    - {start: "+33970000000", size: 100}
"""


def write(tmp: Path, text: str = SMALL, name: str = "small.yaml") -> Path:
    path = tmp / name
    path.write_text(text, encoding="utf-8")
    return path


def cli(*args: str, env: dict[str, str] | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    """Run `centrex …` in a subprocess with this tree on the path."""
    full = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "200", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "centrex.cli", *map(str, args)],
        capture_output=True,
        text=True,
        env=full,
        cwd=REPO,
        timeout=timeout,
    )
