"""Readings taken from the French seeds where CONTRACTS.md was silent or looser (French text prevails)."""

from __future__ import annotations

from pathlib import Path

from contracts.profile import load_profile
from contracts.sla import compute_files

DATA = Path(__file__).parent / "data" / "calendar_edges"


def total(rows):
    return round(sum(r["credit_eur"] for r in rows), 2)


def test_progetcom_credits_need_a_subscribed_gtr():
    """002 §4: without a GTR the restoration objective carries no penalty."""
    with_gtr = compute_files(load_profile("progetcom"), DATA / "incidents.csv", DATA / "billing.csv")
    without = compute_files(
        load_profile("progetcom", ["gtr_subscribed=false"]), DATA / "incidents.csv", DATA / "billing.csv"
    )
    assert total(with_gtr) == 150.0
    assert total(without) == 0.0


def test_access_link_excused_when_the_customer_brings_its_own_access(tmp_path):
    """001 §2 / §4 (i): an equipment or service not supplied by the provider is an excused event."""
    inc = tmp_path / "i.csv"
    inc.write_text(
        "ticket,site,notified_at,restored_at,cause\nT1,S,2026-06-10T09:00:00,2026-06-12T09:00:00,access_link\n"
    )
    bill = tmp_path / "b.csv"
    bill.write_text("site,month,recurring_fees,usage_charges\nS,2026-06,1000.00,0\n")
    counted = compute_files(load_profile("allset"), inc, bill)
    excused = compute_files(load_profile("allset", ["access_supplied_by_provider=false"]), inc, bill)
    assert counted[0]["credit_eur"] > 0
    assert excused[0]["credit_eur"] == 0.0
    assert excused[0]["availability"] == 100.0


def test_allocloud_information_only_excludes_the_customer_access():
    """004 §2: the customer's network and access are outside the ALLOcloud service."""
    profile = load_profile("allocloud")
    assert profile.counts("network")
    assert not profile.counts("access_link")
    assert not profile.counts("third_party")
