"""Fixtures: a real Kamailio on a free loopback port (FAILS, never skips, when Kamailio is missing)."""

from __future__ import annotations

import pytest

from contracts.errors import StateError
from sip.checks import Target
from sip.inventory import PbxInventory, build_inventory, demo_inventory
from sip.pbx import Pbx, PbxSettings, kamailio_binary, start_pbx


def require_kamailio() -> None:
    """Fail the test with the install command when Kamailio is not installed."""
    try:
        kamailio_binary()
    except StateError as exc:
        pytest.fail(f"{exc} (or run scripts/test.sh as root)", pytrace=False)


def start(tmp_path_factory: pytest.TempPathFactory, inventory: PbxInventory, **settings: object) -> Pbx:
    """Start a throwaway PBX for `inventory` on a free port."""
    require_kamailio()
    run = tmp_path_factory.mktemp("pbx") / "run"
    return start_pbx(inventory, run, PbxSettings(port=0, **settings))  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def pbx_factory(tmp_path_factory: pytest.TempPathFactory):
    """Start throwaway PBXs: `pbx_factory(inventory, **settings)`; all are stopped at the end."""
    started: list[Pbx] = []

    def make(inventory: PbxInventory, **settings: object) -> Pbx:
        pbx = start(tmp_path_factory, inventory, **settings)
        started.append(pbx)
        return pbx

    yield make
    for pbx in started:
        pbx.stop()


@pytest.fixture
def kamailio() -> None:
    """Fail (never skip) when Kamailio is missing."""
    require_kamailio()


@pytest.fixture(scope="session")
def demo_pbx(tmp_path_factory: pytest.TempPathFactory):
    """The demo inventory's PBX (tenants acme limit 2, globex limit 5), shared by a test session."""
    pbx = start(tmp_path_factory, demo_inventory())
    yield pbx
    pbx.stop()


@pytest.fixture(scope="session")
def demo_target(demo_pbx: Pbx) -> Target:
    """The demo PBX as a check target."""
    return Target.of(demo_pbx)


@pytest.fixture(scope="session")
def bench_inventory() -> PbxInventory:
    """Three tenants with limits 1, 3, 4 and a username unique to each tenant."""
    return build_inventory({"one": (1, ["o1", "o2"]), "three": (3, ["t1", "t2"]), "four": (4, ["f1", "f2"])})
