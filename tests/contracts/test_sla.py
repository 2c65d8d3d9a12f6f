"""SLA engine: the worked examples, hand-computed boundaries, caps, exclusions and properties."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rb_harness import budget

from contracts.calendar import PARIS
from contracts.cap import Credit, apply_cap
from contracts.choices import CAUSES
from contracts.profile import load_profile
from contracts.records import read_billing, read_incidents, read_installs
from contracts.sla import compute, compute_files

DATA = Path(__file__).parent / "data" / "calendar_edges"


@pytest.mark.parametrize("name", ["alleo", "allset", "progetcom"])
def test_worked_examples(name):
    rows = compute_files(load_profile(name), DATA / "incidents.csv", DATA / "billing.csv")
    want = json.loads((DATA / f"expected_{name}.json").read_text(encoding="utf-8"))
    assert [(r["site"], r["month"]) for r in rows] == [(w["site"], w["month"]) for w in want]
    for r, w in zip(rows, want, strict=True):
        assert r["credit_eur"] == pytest.approx(w["credit_eur"], abs=0.005), r
        assert r["credit_pct"] == w["credit_pct"], r
        if w.get("availability") is not None:
            assert r["availability"] == pytest.approx(w["availability"], abs=1e-9), r


def run(tmp_path, profile, incidents, billing, sets=(), installs=None, as_of=None):
    """Compute from rows: incidents (ticket, site, notified, restored, cause[, extra...]), billing rows."""
    cols = ["ticket", "site", "notified_at", "restored_at", "cause"]
    extra = sorted({k for r in incidents if isinstance(r, dict) for k in r} - set(cols))
    ip = tmp_path / "i.csv"
    lines = [",".join(cols + extra)]
    for r in incidents:
        lines.append(",".join([r[c] for c in cols] + [r.get(c, "") for c in extra]))
    ip.write_text("\n".join(lines) + "\n", encoding="utf-8")
    bp = tmp_path / "b.csv"
    bp.write_text("site,month,recurring_fees,usage_charges\n" + "\n".join(billing) + "\n", encoding="utf-8")
    ins = None
    if installs:
        p = tmp_path / "n.csv"
        p.write_text(
            "site,handsets,indicative_date,service_start,customer_caused\n" + "\n".join(installs) + "\n"
        )
        ins = read_installs(p)
    return compute(load_profile(profile, list(sets)), read_incidents(ip), read_billing(bp), ins, as_of)


def inc(ticket, notified, restored, cause="network", site="S", **kw):
    return {
        "ticket": ticket,
        "site": site,
        "notified_at": notified,
        "restored_at": restored,
        "cause": cause,
        **kw,
    }


FEB = ["S,2026-02,1000,100"]  # February 2026: 20 business days, ALLEO period 12,000 min


def test_alleo_exactly_99_2_and_98(tmp_path):
    r = run(tmp_path, "alleo", [inc("A", "2026-02-03T08:00", "2026-02-03T09:36")], FEB).rows[0]
    assert r["availability"] == 99.2 and r["credit_pct"] == 5.0 and r["credit_eur"] == 50.0
    r = run(
        tmp_path, "alleo", [inc("A", "2026-02-03T08:00", "2026-02-03T09:36")], FEB, ["tier_at_99_2=8"]
    ).rows[0]
    assert r["credit_pct"] == 8.0
    r = run(tmp_path, "alleo", [inc("A", "2026-02-03T08:00", "2026-02-03T12:00")], FEB).rows[0]
    assert r["availability"] == 98.0 and r["credit_pct"] == 8.0  # "moins de 98 %" is strict
    r = run(tmp_path, "alleo", [inc("A", "2026-02-03T08:00", "2026-02-03T12:01")], FEB).rows[0]
    assert r["credit_pct"] == 15.0
    r = run(tmp_path, "alleo", [inc("A", "2026-02-03T08:00", "2026-02-03T08:30")], FEB).rows[0]
    assert r["availability"] == 99.75 and r["credit_pct"] == 0.0


def test_progetcom_exactly_4h_and_12h(tmp_path):
    rows = run(
        tmp_path,
        "progetcom",
        [inc("A", "2026-02-03T09:00", "2026-02-03T12:59"), inc("B", "2026-02-04T09:00", "2026-02-04T13:00")],
        FEB,
    ).rows
    items = {i["ticket"]: i for i in rows[0]["incidents"]}
    assert items["A"]["credit_pct"] == 0 and items["B"]["credit_pct"] == 5
    assert rows[0]["credit_eur"] == 50.0 and rows[0]["downtime_minutes"] == 479
    r = run(tmp_path, "progetcom", [inc("A", "2026-02-02T09:00", "2026-02-03T12:00")], FEB).rows[0]
    assert r["credit_pct"] == 10.0  # 9 h + 3 h = 12 business hours
    r = run(
        tmp_path,
        "progetcom",
        [inc("A", "2026-02-02T09:00", "2026-02-03T12:00")],
        FEB,
        ["gtr_boundaries=strictly_above"],
    )
    assert r.rows[0]["credit_pct"] == 5.0  # the letter: « supérieur à 12h » is strict


@pytest.mark.parametrize("profile", ["alleo", "allset", "progetcom"])
@pytest.mark.parametrize("cause", CAUSES)
def test_every_excluded_cause_gives_nothing(tmp_path, profile, cause):
    p = load_profile(profile)
    r = run(tmp_path, profile, [inc("A", "2026-02-03T09:00", "2026-02-05T09:00", cause)], FEB).rows[0]
    assert (r["credit_eur"] > 0) == p.counts(cause)


def test_allset_boundaries(tmp_path):
    # February 2026: 40,320 min; 1% = 403.2 min; 2% = 806.4 min → use seconds: 806 min 24 s
    rows = run(tmp_path, "allset", [inc("A", "2026-02-03T00:00:00", "2026-02-03T13:26:24")], FEB).rows
    assert rows[0]["availability"] == 98.0 and rows[0]["credit_pct"] == 5.0
    rows = run(
        tmp_path,
        "allset",
        [inc("A", "2026-02-03T00:00:00", "2026-02-03T13:26:24")],
        FEB,
        ["allset_boundaries=upper_inclusive"],
    ).rows
    assert rows[0]["credit_pct"] == 10.0


def test_binding_cap_and_lost(tmp_path):
    billing = ["S,2026-01,1000,100", "S,2026-02,1000,100"]
    res = run(
        tmp_path,
        "allset",
        [inc("A", "2026-01-05T00:00", "2026-01-07T00:00"), inc("B", "2026-02-02T00:00", "2026-02-04T00:00")],
        billing,
    )
    jan, feb = res.rows
    assert jan["credit_eur"] == 200.0 and feb["credit_pct"] == 20.0
    assert feb["credit_eur"] == 20.0 and feb["lost_to_cap_eur"] == 200.0
    res = run(
        tmp_path,
        "allset",
        [inc("A", "2026-01-05T00:00", "2026-01-07T00:00"), inc("B", "2026-02-02T00:00", "2026-02-04T00:00")],
        billing,
        ["cap_window=hours"],
    )
    assert res.rows[1]["credit_eur"] == 20.0  # 31 Jan → 28 Feb is 672 h < 720 h


def test_overlap_merge_and_sum(tmp_path):
    incs = [
        inc("A", "2026-02-03T08:00", "2026-02-03T10:00"),
        inc("B", "2026-02-03T09:00", "2026-02-03T11:00"),
    ]
    assert run(tmp_path, "alleo", incs, FEB).rows[0]["downtime_minutes"] == 180
    assert run(tmp_path, "alleo", incs, FEB, ["overlap=sum"]).rows[0]["downtime_minutes"] == 240


def test_open_incident_counts_to_as_of_and_missing_month_warns(tmp_path):
    res = run(tmp_path, "alleo", [inc("A", "2026-02-27T17:00", "")], FEB)
    r = res.rows[0]
    assert r["open"] and r["downtime_minutes"] == 60  # up to the end of February (last billed month)
    res = run(
        tmp_path,
        "alleo",
        [inc("A", "2026-02-27T17:00", "")],
        FEB,
        as_of=datetime(2026, 3, 2, 9, 0, tzinfo=PARIS),
    )
    assert res.rows[0]["downtime_minutes"] == 60
    assert len(res.warnings) == 1 and "2026-03" in res.warnings[0] and "60" in res.warnings[0]


def test_non_response_48h(tmp_path):
    base = dict(pending_since="2026-02-03T10:00", answered_at="")
    r = run(tmp_path, "progetcom", [inc("A", "2026-02-03T09:00", "2026-02-06T09:00", **base)], FEB).rows[0]
    assert r["incidents"][0]["restoration_minutes"] == 60
    r = run(
        tmp_path,
        "progetcom",
        [inc("A", "2026-02-03T09:00", "2026-02-06T09:00", **base)],
        FEB,
        ["non_response_restores_at=deadline"],
    ).rows[0]
    assert r["incidents"][0]["restoration_minutes"] == 19 * 60  # to Thu 5 Feb 10:00: 540 + 540 + 60
    answered = dict(pending_since="2026-02-03T10:00", answered_at="2026-02-04T10:00")
    r = run(tmp_path, "progetcom", [inc("A", "2026-02-03T09:00", "2026-02-06T09:00", **answered)], FEB).rows[
        0
    ]
    assert r["incidents"][0]["restoration_minutes"] == 27 * 60


def test_install_delay_credit_shares_the_cap(tmp_path):
    billing = ["S,2026-03,500,0"]
    # indicative 2 Feb 2026; 20 business days later is 2 March; 3 March is the 21st → late
    res = run(tmp_path, "alleo", [], billing, installs=["S,4,2026-02-02,2026-03-03,false"])
    assert res.rows[0]["install_credit_eur"] == 60.0 and res.rows[0]["credit_eur"] == 60.0
    res = run(tmp_path, "alleo", [], billing, installs=["S,4,2026-02-02,2026-03-02,false"])
    assert res.rows[0]["credit_eur"] == 0.0
    res = run(tmp_path, "alleo", [], billing, installs=["S,4,2026-02-02,2026-03-03,true"])
    assert res.rows[0]["credit_eur"] == 0.0
    res = run(
        tmp_path,
        "alleo",
        [inc("A", "2026-03-03T08:00", "2026-03-06T18:00")],
        billing,
        installs=["S,4,2026-02-02,2026-03-03,false"],
    )
    r = res.rows[0]  # cap 100 €: install 60 € (3 Mar) first, then 15 % × 500 = 75 € reduced to 40 €
    assert r["credit_eur"] == 100.0 and r["lost_to_cap_eur"] == 35.0


def test_allocloud_shows_availability_never_credits(tmp_path):
    r = run(tmp_path, "allocloud", [inc("A", "2026-02-03T00:00", "2026-02-10T00:00")], FEB).rows[0]
    assert r["availability"] < 90 and r["credit_eur"] == 0.0 and r["credit_pct"] == 0.0


def test_credit_base_mean_of_previous_months(tmp_path):
    billing = ["S,2026-01,1000,90", "S,2026-03,1000,300", "S,2026-04,1000,0"]
    r = run(tmp_path, "alleo", [inc("A", "2026-04-01T08:00", "2026-04-03T18:00")], billing).rows[-1]
    assert r["credit_pct"] == 15.0 and r["credit_eur"] == pytest.approx(0.15 * (1000 + 195))
    r = run(
        tmp_path, "alleo", [inc("A", "2026-04-01T08:00", "2026-04-03T18:00")], billing, ["usage_mean=three"]
    ).rows[-1]
    assert r["credit_eur"] == pytest.approx(0.15 * 1130)


@settings(max_examples=budget(30), deadline=None)
@given(st.sampled_from(["alleo", "allset", "progetcom"]), st.integers(0, 3000), st.integers(0, 3000))
def test_credit_never_decreases_with_downtime(tmp_path_factory, name, a, b):
    lo, hi = sorted((a, b))
    tmp = tmp_path_factory.mktemp("mono")
    prof = load_profile(name)

    def credit(minutes):
        start = datetime(2026, 2, 2, 9, 0, tzinfo=PARIS)
        end = prof.clock_calendar().add_business_minutes(start, minutes)
        return run(tmp, name, [inc("A", start.isoformat(), end.isoformat())], FEB).rows[0]["credit_eur"]

    assert credit(lo) <= credit(hi)


@settings(max_examples=budget(40), deadline=None)
@given(st.lists(st.tuples(st.integers(0, 120), st.integers(0, 400_00)), min_size=1, max_size=25))
def test_no_30_day_window_exceeds_the_cap(items):
    start = date(2026, 1, 1)
    credits = [
        Credit("S", start + timedelta(days=d), 0, f"T{i:03d}", 0, "gtr", Decimal(c) / 100, Decimal("1000"))
        for i, (d, c) in enumerate(items)
    ]
    apply_cap(credits, Decimal(20))
    for c in credits:
        window = [x.granted for x in credits if 0 <= (c.day - x.day).days < 30]
        assert sum(window) <= Decimal("200.00")
        assert c.granted + c.lost == c.amount and c.granted >= 0


def test_alsace_moselle_from_billing_departement(tmp_path):
    incs = [inc("A", "2026-04-03T16:00", "2026-04-07T09:30")]  # Good Friday 3 April 2026
    (tmp_path / "b57").mkdir()
    b = tmp_path / "b57" / "b.csv"
    b.write_text(
        "site,month,recurring_fees,usage_charges,departement\nS,2026-04,1000,0,57\n", encoding="utf-8"
    )
    i = tmp_path / "i.csv"
    i.write_text("ticket,site,notified_at,restored_at,cause\nA,S,2026-04-03T16:00,2026-04-07T09:30,network\n")
    rows = compute(load_profile("alleo"), read_incidents(i), read_billing(b)).rows
    assert rows[0]["downtime_minutes"] == 90  # Good Friday off in Moselle
    rows = compute(load_profile("alleo", ["alsace_moselle=off"]), read_incidents(i), read_billing(b)).rows
    assert rows[0]["downtime_minutes"] == 210
    assert run(tmp_path, "alleo", incs, ["S,2026-04,1000,0"]).rows[0]["downtime_minutes"] == 210


def test_fast_and_csv_readers_agree(tmp_path):
    text = (DATA / "incidents.csv").read_text(encoding="utf-8")
    plain = read_incidents(DATA / "incidents.csv")
    variants = {
        "crlf.csv": text.replace("\n", "\r\n"),
        "quoted.csv": text.replace("E-01,", '"E-01",'),
        "semicolon.csv": text.replace(",", ";"),
        "spaces.csv": text.replace(",network", ", network"),
    }
    for name, body in variants.items():
        p = tmp_path / name
        p.write_bytes(body.encode("utf-8"))
        other = read_incidents(p)
        assert other.ticket == plain.ticket, name
        assert (other.notified == plain.notified).all() and (other.restored == plain.restored).all(), name
        assert (other.cause == plain.cause).all(), name


@pytest.mark.parametrize("counts,down,pct,eur", [("true", 1080, 10, 10.0), ("false", 600, 5, 5.0)])
def test_allset_provider_detected_counts(tmp_path, counts, down, pct, eur):
    """001 §4: a customer's 10 h notification and an 8 h provider-detected ticket in March (44,640 min).
    true: 1 − 1,080/44,640 = 97.58 % → 10 %; false: only the customer's, 1 − 600/44,640 = 98.66 % → 5 %."""
    rows = [
        inc("C1", "2026-03-02T08:00", "2026-03-02T18:00", detected_by="customer"),
        inc("P1", "2026-03-10T08:00", "2026-03-10T16:00", detected_by="provider"),
    ]
    res = run(tmp_path, "allset", rows, ["S,2026-03,100,0"], [f"provider_detected_counts={counts}"])
    r = res.rows[0]
    assert r["downtime_minutes"] == down and r["credit_pct"] == pct and r["credit_eur"] == eur
    # the other profiles have no such choice: a provider-detected ticket counts like the customer's
    assert (
        run(tmp_path, "progetcom", rows, ["S,2026-03,100,0"]).rows[0]["downtime_minutes"] == 540 + 420
    )  # 09-18, 09-16
