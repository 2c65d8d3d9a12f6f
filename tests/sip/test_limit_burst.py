"""A tenant limit of 82 channels with long tenant domains (the demo's ALLOcloud Bordeaux account): the
82 answers arrive at once; with the default UDP receive buffer one was dropped and the check timed out."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from sip.checks import Target, check_channel_limit
from sip.inventory import build_inventory
from sip.pbx import PbxSettings, start_pbx


@pytest.mark.sip
def test_long_domains_and_a_large_limit_hold(tmp_path: Path):
    names = [f"allocloud-bordeaux-{i:05d}-{j:03d}" for i in range(1, 4) for j in range(1, 11)]
    inv = build_inventory({"allocloud-bordeaux-customer-account": (82, names)}, suffix="sim.test")
    with start_pbx(inv, tmp_path / "pbx", PbxSettings(port=0)) as pbx:
        passed, evidence = asyncio.run(check_channel_limit(Target.of(pbx), inv.tenants[0].name))
    assert passed, evidence
    assert "82 calls → [200]" in evidence and "503" in evidence
