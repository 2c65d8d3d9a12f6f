"""Load (heavy, CI runs it): `centrex sip load` for 60 s at a sustainable rate with 0 unexpected failures
and the PBX still answering; 16 allocator processes for 30 s with 0 numbers given twice."""

from __future__ import annotations

import json

import pytest
from rb_harness import COUNTS, run_cli
from test_crash_safety import _db_check, make_inventory, pg_cluster, spawn_allocator  # noqa: F401

from provisioning import db

SIP_SECONDS, SIP_RATE = 60, 50  # REGISTER/s offered: a tenth of the harness benchmark target (500/s), held
# even while the 16 allocators of the other heavy test load both cores
ALLOCATORS, ALLOC_SECONDS = 16, 30


@pytest.mark.heavy
@pytest.mark.sip
def test_sip_load_60s_no_unexpected_failure(tmp_path):
    from contracts.errors import StateError
    from sip.inventory import demo_inventory
    from sip.pbx import PbxSettings, kamailio_binary, options_ping, start_pbx

    try:
        kamailio_binary()
    except StateError as exc:
        pytest.fail(f"{exc} (or run scripts/test.sh as root)", pytrace=False)
    inv = demo_inventory()
    calls = sum(t.channel_limit for t in inv.tenants)  # every tenant exactly at its limit: none refused
    with start_pbx(inv, tmp_path / "pbx", PbxSettings(port=0)) as pbx:
        res = run_cli(
            [
                "sip",
                "load",
                "--run-dir",
                str(tmp_path / "pbx"),
                "--registrations",
                str(SIP_SECONDS * SIP_RATE),
                "--rate",
                str(SIP_RATE),
                "--calls",
                str(calls),
                "--hold",
                "1",
                "--format",
                "json",
            ]
        )
        assert res.code == 0, res.err
        out = json.loads(res.out)
        assert out["registrations_ok"] == SIP_SECONDS * SIP_RATE and out["registrations_failed"] == 0, out
        assert out["failed"] == 0 and out["wrongly_refused"] == 0 and out["over_admitted"] == 0, out
        assert out["calls_accepted"] == calls, out
        assert options_ping(*pbx.address) == 200, "PBX no longer answers OPTIONS after the load"
    COUNTS[f"figure: sip load REGISTERs accepted (60 s at {SIP_RATE}/s), 0 failed"] += out["registrations_ok"]
    print(f"sip load: {json.dumps({k: v for k, v in out.items() if k != 'tenants'})}")


@pytest.mark.heavy
@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_16_allocators_30s_no_duplicate(request, tmp_path, kind):
    url = make_inventory(kind, request, tmp_path, 400_000)
    procs = [spawn_allocator(url, 1000 + i, ALLOC_SECONDS) for i in range(ALLOCATORS)]
    blocks: list[tuple[int, int]] = []
    for p in procs:
        out, err = p.communicate(timeout=ALLOC_SECONDS + 120)
        assert p.returncode == 0, err[-2000:]
        blocks += [(int(a[2]), int(a[3])) for a in (ln.split() for ln in out.splitlines()) if a[0] == "A"]
    given = [n for start, size in blocks for n in range(start, start + size)]
    assert blocks and len(given) == len(set(given)), "a number was given twice"
    assert all(start % size == 0 for start, size in blocks)
    _db_check(url)
    db.dispose_all()
    COUNTS[f"figure: blocks allocated by 16 processes in 30 s ({kind}), 0 duplicates"] += len(blocks)
    print(f"{ALLOCATORS} allocators x {ALLOC_SECONDS} s on {kind}: {len(blocks)} blocks, 0 duplicates")
