"""Moves (000 §3.5) and terminations (000 §6, 001 §5, 002 §5, 003 §3) in the simulation."""

from __future__ import annotations

import copy
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pytest
from sim_helpers import write

from contracts.billing import early_termination_fee
from contracts.errors import InputError
from contracts.fees import fees_of
from contracts.month import Month
from contracts.profile import load_profile
from sim.changes import MOVE_MINUTE, _keeps_numbers
from sim.choices import LifeEvent, MoveNumbers
from sim.context import context, replication_rngs
from sim.lifecycle import fleet_lifecycle
from sim.replication import _life_charges, lifecycle, run_replication
from sim.scenario import NumberZone, load_scenario


def _scenario(tmp_path, d, **extra):
    d = copy.deepcopy(d)
    d.update(extra)
    return load_scenario(write(tmp_path, d))


def _rows(s, seed=3):
    ctx = context(s)
    life = lifecycle(s, seed)
    return {
        (ctx.fleet.sites[r.site], r.event.value): r
        for r in _life_charges(ctx, life.installs, life.changes, life.service_start)
    }


def test_alleo_termination_fee_is_bill_etf_s_with_handsets_and_link_fees(tmp_path, scenario_dict):
    # Worked case: an ALLEO site of group b in service from 2026-01-01 (no install here), 400 €/month,
    # 4 handsets, terminated on 2026-06-15. Initial period 36 months, to 2029-01-01: 30.5 months left,
    # counted up (partial_month: up) = 31 × 400 = 12,400 € (000 §6.2) + 4 × 90 = 360 € (000 §6.3) +
    # link fees 300 € (placeholder, 000 §6.4) = 13,060 €.
    scenario_dict["site_groups"][1]["install"] = False
    s = _scenario(
        tmp_path, scenario_dict, terminations={"events": [{"site": "b-00002", "day": "2026-06-15"}]}
    )
    r = _rows(s)[("b-00002", "termination")]
    assert r.fee_eur == Decimal("13060.00") and r.billed
    p = load_profile("alleo")
    fee = early_termination_fee(
        p,
        service_start=date(2026, 1, 1),
        terminate_on=date(2026, 6, 15),
        monthly_fees="400.00",
        handsets=4,
        link_fees=fees_of(p).link_fees.amount,
    )
    assert r.fee_eur == fee.fee_eur
    assert "000 §6.3" in r.clause and "000 §6.4" in r.clause


def test_termination_before_service_start(tmp_path, scenario_dict):
    # ALLEO b-00001 (install) terminated the day after its signature, weeks before its service start:
    # 000 §6.4 — the link fees only, nothing for the months. ALLSET's clause is silent before service
    # start (a-00001 is in service from the scenario's start, terminated that day): no amount, the reason
    # in the clause column.
    ins = lifecycle(_scenario(tmp_path, scenario_dict), 3).installs[6]  # b-00001: fleet site 6
    assert ins.site == "b-00001" and ins.service_start > ins.signed + timedelta(days=1)
    day = (ins.signed + timedelta(days=1)).isoformat()
    s = _scenario(
        tmp_path,
        scenario_dict,
        terminations={"events": [{"site": "b-00001", "day": day}, {"site": "a-00001", "day": "2026-01-01"}]},
    )
    rows = _rows(s)
    b = rows[("b-00001", "termination")]
    assert b.fee_eur == fees_of(load_profile("alleo")).link_fees.amount == Decimal("300.00")
    a = rows[("a-00001", "termination")]
    assert not a.billed and a.fee_eur is None and "001 §5" in a.clause
    life = lifecycle(s, 3)
    i = context(s).fleet.sites.index("b-00001")
    assert life.service_start[i] is None and life.installs[i].outcome.value == "cancelled"


def test_a_terminated_site_has_no_failure_ticket_or_bill_after_its_day(tmp_path, scenario_dict):
    on = "2026-04-10"
    base = _scenario(tmp_path, scenario_dict)
    s = _scenario(tmp_path, scenario_dict, terminations={"events": [{"site": "a-00003", "day": on}]})
    ctx = context(s)
    i = ctx.fleet.sites.index("a-00003")
    r0, r1 = run_replication(base, 0, 3), run_replication(s, 0, 3)
    gone = np.datetime64(on).astype("datetime64[s]").astype(np.int64) - 2 * 3600  # Paris midnight, UTC+2
    inc = r1.parts["incidents"]
    mine = [k for k, x in enumerate(inc["site"]) if x == "a-00003"]
    assert all(inc["notified_at"][k] < gone for k in mine)
    assert all(inc["restored_at"][k] <= gone for k in mine)
    bill = r1.parts["billing"]
    months = [m for x, m in zip(bill["site"], bill["month"], strict=True) if x == "a-00003"]
    assert months == [Month(2026 * 12 + k).text for k in range(4)]  # January … April (pro rata)
    k = next(
        j
        for j, (x, m) in enumerate(zip(bill["site"], bill["month"], strict=True))
        if (x, m) == ("a-00003", "2026-04")
    )
    assert bill["recurring_fees"][k] == 9000  # 300 € × 9/30 (1–9 April in service, 000 §7.1)
    # common random numbers: the other sites' failures are those of the run without the termination
    ev0, ev1 = r0.parts["events"], r1.parts["events"]
    other0 = [row for row in zip(*ev0.values(), strict=True) if row[2] != "a-00003"]
    other1 = [row for row in zip(*ev1.values(), strict=True) if row[2] != "a-00003"]
    assert [(r[0], r[4], r[5]) for r in other0] == [(r[0], r[4], r[5]) for r in other1]
    assert r1.metrics["terminations"]["allset"] == 1 and r0.metrics["terminations"]["allset"] == 0
    assert i >= 0


def test_alleo_move_is_an_excluded_ticket_with_new_initial_fees(tmp_path, scenario_dict):
    # Worked case: ALLEO b-00003 (installed) moves on 2026-09-14 from 67 (zone 03) to 68 (zone 03): a
    # ticket of cause move 08:00–16:00 (8 h, not counted, 000 §3.5), 250 € new initial fees (placeholder),
    # numbers kept (keep_in_zone, 000 §2.3).
    s = _scenario(
        tmp_path,
        scenario_dict,
        moves={
            "events": [{"site": "b-00003", "day": "2026-09-14", "departement": "68"}],
            "interruption": {"law": "fixed", "mean_minutes": 480},
        },
    )
    r = _rows(s)[("b-00003", "move")]
    assert (r.billed, r.fee_eur, r.new_departement, r.keeps_numbers) == (True, Decimal("250.00"), "68", True)
    res = run_replication(s, 0, 3)
    inc = res.parts["incidents"]
    k = [j for j, c in enumerate(inc["cause"]) if c == "move"]
    assert len(k) == 1 and inc["site"][k[0]] == "b-00003"
    assert inc["restored_at"][k[0]] - inc["notified_at"][k[0]] == 8 * 3600
    assert MOVE_MINUTE == 8 * 60
    assert res.metrics["moves"]["alleo"] == 1 and res.metrics["move_fees_eur"]["alleo"] == 250.0
    # the move's window is not counted: b-00003's September statement is that of the run without the move
    base = run_replication(_scenario(tmp_path, scenario_dict), 0, 3)

    def september(r):
        return [x for x in r.statements["alleo"] if x["site"] == "b-00003" and x["month"] == "2026-09"]

    assert september(res) and september(res) == september(base)
    life = fleet_lifecycle(s, 3)
    site = next(x for x in life.sites if x.site == "b-00003")
    assert site.moves[0].on == date(2026, 9, 14) and site.moves[0].address.postcode.startswith("68")
    assert site.moves[0].keeps_numbers and site.terminated_on is None


def test_move_of_another_profile_is_a_termination_and_a_new_order(tmp_path, scenario_dict):
    s = _scenario(
        tmp_path,
        scenario_dict,
        moves={"events": [{"site": "c-00002", "day": "2026-05-04", "departement": "35"}]},
    )
    rows = _rows(s)
    t, m = rows[("c-00002", "termination")], rows[("c-00002", "move")]
    # Worked case: ProgetCom, in service from 2026-01-01 at 250 €/month, initial period 36 months to
    # 2029-01-01; on 2026-05-04, 31 months and 28 days left, counted up: 32 × 95 % × 250 € = 7,600 €
    assert t.billed and t.fee_eur == Decimal("7600.00") and t.clause == "002 §5.3 a)"
    assert not m.billed and m.fee_eur is None and "no move clause" in m.clause and m.keeps_numbers is False
    life = fleet_lifecycle(s, 3)
    old = next(x for x in life.sites if x.site == "c-00002")
    new = next(x for x in life.sites if x.site == "c-00002-m1")
    assert old.terminated_on == date(2026, 5, 4) and not old.moves
    assert (new.ordered, new.service_start, new.departement) == (date(2026, 5, 4), date(2026, 5, 4), "35")
    assert new.address.postcode.startswith("35")


@pytest.mark.parametrize(
    ("choice", "numbers", "old", "new", "keeps"),
    [
        (MoveNumbers.keep_in_zone, NumberZone.geographic, "75", "92", True),  # both zone 01
        (MoveNumbers.keep_in_zone, NumberZone.geographic, "75", "69", False),  # 01 → 04
        (MoveNumbers.keep_in_zone, NumberZone.non_geographic, "75", "69", True),  # 09 has no zone
        (MoveNumbers.new_block, NumberZone.geographic, "75", "75", False),
    ],
)
def test_numbers_kept_within_their_zone_by_default(choice, numbers, old, new, keeps):
    assert _keeps_numbers(choice, numbers, old, new) is keeps


def test_drawn_rates_give_moves_and_terminations_and_keep_other_streams(tmp_path, scenario_dict):
    s0 = _scenario(tmp_path, scenario_dict)
    s = _scenario(
        tmp_path,
        scenario_dict,
        moves={"rate_per_year": {"alleo": 2.0}},
        terminations={"rate_per_year": {"allset": 1.0, "allocloud": 1.0}},
    )
    life = lifecycle(s, 3)
    kinds = {(context(s).fleet.profile(c.site), c.event) for c in life.changes}
    assert ("alleo", LifeEvent.move) in kinds and ("allset", LifeEvent.termination) in kinds
    assert all(context(s).fleet.profile(c.site) in ("alleo", "allset", "allocloud") for c in life.changes)
    # the install draws are those of the scenario without changes
    a, b = lifecycle(s0, 3).installs, life.installs
    assert {i: x.signed for i, x in a.items()} == {i: x.signed for i, x in b.items()}
    assert set(replication_rngs(3, 0)) >= {"changes", "appointments"}


@pytest.mark.parametrize(
    ("key", "value", "field", "reason"),
    [
        (
            "terminations",
            {"events": [{"site": "zz-00001", "day": "2026-02-01"}]},
            "terminations.events.0.site",
            "no site",
        ),
        (
            "terminations",
            {"events": [{"site": "a-00001", "day": "2027-02-01"}]},
            "terminations.events.0.day",
            "outside",
        ),
        ("terminations", {"rate_per_year": {"nope": 1}}, "terminations.rate_per_year.nope", "no site group"),
        ("moves", {"departements": ["7A"]}, "moves.departements", "département"),
        ("moves", {"numbers": "sometimes"}, "moves.numbers", "keep_in_zone"),
        ("moves", {"rate_per_year": {"alleo": -1}}, "moves.rate_per_year.alleo", "greater than or equal"),
        ("installs", {"appointment_days": "weekends"}, "installs.appointment_days", "business"),
        ("installs", {"cancel": 1.5}, "installs.cancel", "less than or equal"),
        (
            "profiles",
            {"alleo": {"fees": {"cancellation_eur": "abc"}}},
            "profiles.alleo.fees.cancellation_eur",
            "amount",
        ),
        (
            "profiles",
            {"allset": {"fees": {"cancellation_eur": "10"}}},
            "profiles.allset.fees.cancellation_eur",
            "no such fee",
        ),
    ],
)
def test_new_keys_are_validated_with_their_location(tmp_path, scenario_dict, key, value, field, reason):
    scenario_dict[key] = value
    with pytest.raises(InputError) as e:
        load_scenario(write(tmp_path, scenario_dict))
    assert e.value.field == field, e.value
    assert reason in e.value.reason
    assert e.value.line is not None and e.value.file.endswith("t.yaml")


def test_a_listed_move_of_a_site_not_in_service_is_said_not_dropped(tmp_path, scenario_dict):
    # b-00004 is an install site: on 2026-01-02 it is not in service yet; a-00002 is terminated before
    s = _scenario(
        tmp_path,
        scenario_dict,
        moves={
            "events": [
                {"site": "b-00004", "day": "2026-01-02", "departement": "75"},
                {"site": "a-00002", "day": "2026-08-03", "departement": "75"},
            ]
        },
        terminations={"events": [{"site": "a-00002", "day": "2026-07-01"}]},
    )
    rows = _rows(s)
    for site in ("b-00004", "a-00002"):
        m = rows[(site, "move")]
        assert not m.billed and m.fee_eur is None and "not in service" in m.clause
    assert rows[("a-00002", "termination")].billed
    res = run_replication(s, 0, 3)
    assert "move" not in res.parts["incidents"]["cause"]
    assert res.metrics["moves"] == {"alleo": 0, "allocloud": 0, "allset": 0, "progetcom": 0}
    life = fleet_lifecycle(s, 3)
    assert not next(x for x in life.sites if x.site == "b-00004").moves
    assert not any(x.site.endswith("-m1") for x in life.sites)


def test_last_month_billed_pro_rata_of_the_days_in_service():
    from sim.billing import fleet_bills
    from sim.changes import stop_bills

    # site 0: in service from 2026-03-11, terminated on 2026-03-21 (10 days of March's 31): 300 € × 10/31
    # = 96.77 €; site 1: from 2026-01-01, terminated on 2026-03-01: January and February, whole.
    rng = np.random.default_rng(0)
    starts = [date(2026, 3, 11), date(2026, 1, 1)]
    b = fleet_bills(rng, [0, 1], starts, [Decimal("300.00")] * 2, [Decimal("0")] * 2, date(2027, 1, 1))
    out = stop_bills(b, [date(2026, 3, 21), date(2026, 3, 1)], starts, [Decimal("300.00")] * 2)
    rows = list(zip(out.site.tolist(), out.month.tolist(), out.recurring_cents.tolist(), strict=True))
    m = Month.containing
    assert rows == [
        (0, m(date(2026, 3, 1)), 9677),
        (1, m(date(2026, 1, 1)), 30000),
        (1, m(date(2026, 2, 1)), 30000),
    ]


def test_a_listed_termination_before_the_order_is_said_and_drawn_ones_start_at_the_order(
    tmp_path, scenario_dict
):
    # b-00005 (install, signed on 2026-01-24) is listed terminated on the scenario's first day, before
    # its signature: said, not counted, the install goes on
    scenario_dict["installs"] = {"wave_days": 60}
    s = _scenario(
        tmp_path, scenario_dict, terminations={"events": [{"site": "b-00005", "day": "2026-01-01"}]}
    )
    life = lifecycle(s, 3)
    i = context(s).fleet.sites.index("b-00005")
    assert life.installs[i].signed == date(2026, 1, 24)  # seed 3's signature of b-00005
    r = _rows(s)[("b-00005", "termination")]
    assert not r.billed and r.fee_eur is None and "not yet ordered" in r.clause
    assert life.until[i] is None and life.installs[i].service_start is not None
    assert run_replication(s, 0, 3).metrics["terminations"]["alleo"] == 0
    # drawn terminations of install sites never fall before their signature
    s = _scenario(tmp_path, scenario_dict, terminations={"rate_per_year": {"alleo": 20.0}})
    life = lifecycle(s, 3)
    terms = [c for c in life.changes if c.event is LifeEvent.termination]
    assert terms and all(c.on >= life.installs[c.site].signed for c in terms if c.site in life.installs)


def test_leaving_service_keeps_per_interval_columns_whatever_their_length():
    """Sweep.platform_total is per platform interval: with as many platform intervals as outages it must
    not be cut like an outage column (it once was, by length alone)."""
    from types import SimpleNamespace

    from sim.changes import leave_service
    from sim.model import RawRun
    from sim.outages import Sweep, Tickets

    fleet = SimpleNamespace(comp_site=np.zeros(0, dtype=np.int64))
    raw = RawRun(platform=[(10.0, 20.0, "network"), (100.0, 110.0, "network")])
    sw = Sweep(
        site=np.array([0, 1]),
        start=np.array([10.0, 100.0]),
        end=np.array([20.0, 110.0]),
        cause=np.array(["network", "network"], dtype=object),
        kind=np.array(["platform", "platform"], dtype=object),
        comp_total=np.zeros(0, dtype=np.int8),
        platform_total=np.array([1, 1], dtype=np.int8),
        interval=np.array([-1, -1]),
    )
    none = np.zeros(0)
    tks = Tickets(
        [],
        np.zeros(0, dtype=np.int64),
        none,
        none,
        *(np.zeros(0, dtype=object),) * 2,
        np.zeros(0, dtype=bool),
        none,
        none,
        none,
        none,
        np.zeros(0, dtype=np.int8),
    )
    gone = np.array([np.inf, 50.0])  # site 1 leaves service before its outage
    _, out, _ = leave_service(fleet, raw, sw, tks, gone)
    assert out.site.tolist() == [0] and out.interval.tolist() == [-1]
    assert out.platform_total.tolist() == [1, 1]
