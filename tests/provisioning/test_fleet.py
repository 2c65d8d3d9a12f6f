"""The bulk fleet API (`provisioning.fleet`): what `centrex run` provisions, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from provisioning import db, fleet
from provisioning.accounts import ha1
from provisioning.check import check
from provisioning.inventory import import_sites
from provisioning.models import Equipment, MandateEvent, Number, NumberBlock, SipAccount, Site, Tenant
from provisioning.numbers import extension_blocks, find_block

AT = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
DAY = date(2026, 3, 2)


def failing(url) -> dict[str, list[str]]:
    with db.session_scope(url) as s:
        return {r.name: r.violations for r in check(s) if not r.ok}


def order(i: int, *, profile="alleo", postcode="75011") -> fleet.SiteOrder:
    return fleet.SiteOrder(
        f"site-{i}",
        f"Cust {i // 2}",
        f"{i} rue Oberkampf",
        postcode,
        "Paris",
        profile,
        (fleet.EquipmentItem("handset", f"SN-{i}", DAY),),
    )


@pytest.fixture
def fleet_db(db_url) -> str:
    with db.session_scope(db_url) as s:
        fleet.declare_ranges(s, [("+33170000000", 10_000), ("+33470000000", 100)], at=AT, actor="sim")
        fleet.order_sites(s, [order(i) for i in range(6)], at=AT, actor="sim")
    return db_url


def test_extension_blocks_give_exactly_one_number_per_extension():
    assert extension_blocks(1234) == [1000, 100, 100, 10, 10, 10, 1, 1, 1, 1]
    assert extension_blocks(0) == []
    assert all(sum(extension_blocks(n)) == n for n in range(0, 3000, 7))


def test_order_records_sites_equipment_and_the_simulated_instant(fleet_db):
    with db.session_scope(fleet_db) as s:
        site = s.scalar(select(Site).where(Site.name == "site-3"))
        assert (site.state, site.state_at, site.state_by, site.departement) == ("ordered", AT, "sim", "75")
        item = s.scalar(select(Equipment).where(Equipment.serial == "SN-3"))
        assert item.warranty_end > DAY  # 000 §2.6: from the profile's warranty months
        assert site.customer.name == "Cust 1"


def test_bulk_allocation_is_exact_aligned_and_carries_the_address(fleet_db):
    with db.session_scope(fleet_db) as s:
        got = fleet.allocate_extensions(s, [(f"site-{i}", 7 + 11 * i) for i in range(6)], at=AT, actor="sim")
    assert got.exhausted == []
    for i in range(6):
        blocks = got.blocks[f"site-{i}"]
        assert sum(b.size for b in blocks) == 7 + 11 * i  # 000 §1
        assert all(b.start % b.size == 0 for b in blocks)
        assert {b.emergency_address for b in blocks} == {f"{i} rue Oberkampf, 75011 Paris"}
    with db.session_scope(fleet_db) as s:
        rows = s.scalars(select(NumberBlock)).all()
        assert {(b.allocated_at, b.allocated_by) for b in rows} == {(AT, "sim")}
        allocated = s.scalars(select(Number.e164).where(Number.state == "allocated")).all()
        assert len(allocated) == sum(7 + 11 * i for i in range(6)) == len(set(allocated))
    assert failing(fleet_db) == {}


def test_exhausted_zone_is_a_typed_outcome(fleet_db):
    with db.session_scope(fleet_db) as s:
        fleet.order_sites(s, [order(10 + i, postcode="69002") for i in range(3)], at=AT, actor="sim")
    with db.session_scope(fleet_db) as s:  # zone 04 holds 100 numbers
        got = fleet.allocate_extensions(
            s, [("site-10", 60), ("site-11", 50), ("site-12", 40)], at=AT, actor="sim", strict=False
        )
    assert [(e.site, e.zone, e.reason) for e in got.exhausted] == [("site-11", "04", "numbers_exhausted")]
    assert sorted(got.blocks) == ["site-10", "site-12"]  # site-11 left out whole, site-12 still served
    with pytest.raises(fleet.NumbersExhausted) as caught:
        with db.session_scope(fleet_db) as s:
            fleet.allocate_extensions(s, [("site-11", 50)], at=AT, actor="sim")
    assert caught.value.site == "site-11"
    assert failing(fleet_db) == {}


def accounts_for(site: int, tenant: str, domain: str, n: int) -> list[fleet.AccountSpec]:
    return [
        fleet.AccountSpec(tenant, f"site-{site}", f"{site}{k:02d}", ha1(f"{site}{k:02d}", domain, "pw"))
        for k in range(n)
    ]


def test_tenant_limits_come_from_the_contract(fleet_db):
    with db.session_scope(fleet_db) as s:
        fleet.add_tenants(
            s,
            [
                fleet.TenantSpec("cloud", "cloud.pbx.test", "Cust 0", "allocloud"),
                fleet.TenantSpec("onprem", "onprem.pbx.test", "Cust 1", "alleo", contract_channels=6),
            ],
            at=AT,
            actor="sim",
        )
        fleet.add_accounts(s, accounts_for(0, "cloud", "cloud.pbx.test", 6), at=AT, actor="sim")
        fleet.add_accounts(s, accounts_for(2, "onprem", "onprem.pbx.test", 3), at=AT, actor="sim")
    with db.session_scope(fleet_db) as s:
        limits = {t.name: t.channel_limit for t in s.scalars(select(Tenant))}
        assert s.scalar(select(SipAccount.site_id).where(SipAccount.username == "000")) is not None
    assert limits == {"cloud": 7, "onprem": 6}  # 004 §11.d: 6 users → 7.5, floored
    with db.session_scope(fleet_db) as s:
        fleet.start_service(s, ["site-0"], DAY, at=AT, actor="sim")
        fleet.terminate_site(s, "site-0", at=AT, actor="sim")
    with db.session_scope(fleet_db) as s:
        assert s.scalar(select(Tenant.channel_limit).where(Tenant.name == "cloud")) == 0
        on_site_0 = select(SipAccount.enabled).join(Site).where(Site.name == "site-0")
        assert set(s.scalars(on_site_0)) == {False}
    assert failing(fleet_db) == {}


def test_move_and_terminate_follow_the_site(fleet_db):
    with db.session_scope(fleet_db) as s:
        fleet.allocate_extensions(s, [("site-1", 12), ("site-2", 3)], at=AT, actor="sim")
    later = datetime(2026, 6, 1, 7, tzinfo=UTC)
    with db.session_scope(fleet_db) as s:
        fleet.move_site(
            s, "site-1", address="5 rue Neuve", postcode="75002", city="Paris", at=later, actor="sim"
        )
        moved = fleet.move_site(
            s,
            "site-2",
            address="8 rue Haute",
            postcode="75003",
            city="Paris",
            at=later,
            actor="sim",
            new_numbers=True,
        )
    assert sum(b.size for b in moved) == 3 and {b.emergency_address for b in moved} == {
        "8 rue Haute, 75003 Paris"
    }
    with db.session_scope(fleet_db) as s:
        addresses = {(b.site.name, b.state): b.emergency_address for b in s.scalars(select(NumberBlock))}
        assert addresses[("site-1", "allocated")] == "5 rue Neuve, 75002 Paris"
        assert ("site-2", "released") in addresses  # the old numbers went to quarantine
        assert s.scalar(select(Site.state).where(Site.name == "site-1")) == "moved"
        fleet.terminate_site(s, "site-1", at=later, actor="sim", quarantine_days=30)
    with db.session_scope(fleet_db) as s:
        states = set(s.scalars(select(NumberBlock.state).join(Site).where(Site.name == "site-1")))
        assert states == {"released"}
        assert set(s.scalars(select(Number.quarantine_until).where(Number.state == "quarantined"))) >= {
            date(2026, 7, 1)
        }
    assert failing(fleet_db) == {}


def test_port_through_the_state_machine_becomes_site_blocks(fleet_db):
    with db.session_scope(fleet_db) as s:
        fleet.start_service(s, ["site-4"], date(2026, 3, 9), at=AT, actor="sim")
        fleet.load_obl_lines(
            s,
            [
                fleet.OblRecord(33142000010 + k, 33142000010, "Cust 2", "4 rue Oberkampf, 75011 Paris")
                for k in range(3)
            ]
            + [fleet.OblRecord(33142000020, 33142000020, "Cust 2", "4 rue Oberkampf, 75011 Paris")],
        )
        wrong = fleet.PortRequest(
            "site-4",
            "Cust 2",
            "4 rue Oberkampf, 75011 Paris",
            [33142000010, 33142000011],
            date(2026, 9, 1),
            "02E123456ABC",
        )
        mid = fleet.create_port(s, wrong, at=AT, actor="sim")
        first = fleet.submit_port(s, mid, at=AT, actor="sim")
        fleet.correct_port(
            s, mid, at=AT, actor="sim", numbers=[33142000010, 33142000011, 33142000012, 33142000020]
        )
        second = fleet.submit_port(s, mid, at=AT, actor="sim")
        fleet.schedule_port(s, mid, date(2026, 3, 12), at=AT, actor="sim")
        done = datetime(2026, 3, 12, 9, tzinfo=UTC)
        blocks = fleet.complete_port(s, mid, at=done, actor="sim")
    # the OBL's own decision: the list leaves out a number of the NDI (000 §2.3)
    assert first.state == "rejected" and first.reason == "non_exhaustive_list"
    assert second.state == "accepted"
    assert [(b.start, b.size, b.ported) for b in blocks] == [(33142000010, 3, True), (33142000020, 1, True)]
    with db.session_scope(fleet_db) as s:
        assert find_block(s, "+33142000011").site.name == "site-4"
        ats = [(e.actor, e.at) for e in s.scalars(select(MandateEvent).order_by(MandateEvent.id))]
        assert ats[0] == ("sim", AT) and ats[-1] == ("sim", done)
    assert failing(fleet_db) == {}
    with db.session_scope(fleet_db) as s:
        fleet.terminate_site(s, "site-4", at=done, actor="sim")
    with db.session_scope(fleet_db) as s:  # ported numbers go back to their donor, never reallocated
        assert set(
            s.scalars(select(Number.state).where(Number.e164 >= 33142000010, Number.e164 < 33142000030))
        ) == {"returned"}
    assert failing(fleet_db) == {}


def test_site_import_moves_emergency_addresses(inventory, sites_csv):
    with db.session_scope(inventory) as s:
        fleet.allocate_extensions(s, [("paris-hq", 21)], at=AT, actor="sim")
    sites_csv.write_text(sites_csv.read_text().replace("1 rue de Rivoli,75001", "9 rue du Bac,75007"))
    with db.session_scope(inventory) as s:
        import_sites(s, sites_csv)
    with db.session_scope(inventory) as s:
        addresses = set(s.scalars(select(NumberBlock.emergency_address)))
    assert addresses == {"9 rue du Bac, 75007 Paris"}  # 004 §7, §14
    assert failing(inventory) == {}


def test_non_geographic_numbers_by_request(fleet_db):
    with db.session_scope(fleet_db) as s:
        fleet.declare_ranges(s, [("+33970000000", 1000)], at=AT, actor="sim")
        got = fleet.allocate_extensions(s, [("site-0", 12, "09"), ("site-1", 3, None)], at=AT, actor="sim")
    assert {b.zone for b in got.blocks["site-0"]} == {"09"} and {b.zone for b in got.blocks["site-1"]} == {
        "01"
    }
    assert failing(fleet_db) == {}
