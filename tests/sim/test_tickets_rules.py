"""Tickets as providers record them, rule by rule on hand-made numbers: who opens the ticket (001 §4 (i),
002 §4), the request awaiting the customer (002 §4), the warranty of the replaced piece (000 §2.6–2.7,
001 §3, 002 §3), and the `tickets:` scenario keys."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from sim_helpers import BASE

from contracts.choices import Cause
from contracts.errors import InputError
from sim.outages import PendingDraws, Sweep, tickets, wait_for_customer
from sim.scenario import WarrantyOfReplacement, parse_scenario
from sim.warranty import add_months, day_index, midnights, under_warranty


def _sweep(starts, ends, causes) -> Sweep:
    n = len(starts)
    return Sweep(
        np.arange(n, dtype=np.int64),
        np.array(starts, dtype=float),
        np.array(ends, dtype=float),
        np.array(causes, dtype=object),
        np.array(["router"] * n, dtype=object),
        np.zeros(0, np.int8),
        np.zeros(0, np.int8),
        np.arange(n, dtype=np.int64),
    )


# ----- who opens the ticket ----------------------------------------------------------------------------
def test_the_ticket_opens_at_the_detection_or_the_call_whichever_comes_first():
    net, mnt = Cause.network.value, Cause.maintenance.value
    # outages: [100, 200) caught after 5 min, called after 30 → opens 105 by the provider;
    # [300, 400) caught after 50, called after 30 → the customer's call at 330;
    # [500, 520) called after 30 (back first: no ticket without supervision), caught after 5 → 505;
    # [600, 700) planned works: opened by the provider at their start, no delay drawn
    sw = _sweep([100, 300, 500, 600], [200, 400, 520, 700], [net, net, net, mnt])
    calls = [30.0, 30.0, 30.0]
    plain = tickets(sw, calls, horizon=1000.0, replication=0)
    assert plain.notified.tolist() == [130.0, 330.0, 600.0]
    assert plain.provider.tolist() == [False, False, True]
    seen = tickets(sw, calls, horizon=1000.0, replication=0, detected=np.array([5.0, 50.0, 5.0]))
    assert seen.notified.tolist() == [105.0, 330.0, 505.0, 600.0]
    assert seen.provider.tolist() == [True, False, True, True]
    assert seen.ticket == ["R000-000001", "R000-000002", "R000-000003", "R000-000004"]
    # not caught (NaN): the customer's call, as without supervision
    none = tickets(sw, calls, horizon=1000.0, replication=0, detected=np.full(3, np.nan))
    assert none.notified.tolist() == plain.notified.tolist()
    assert not none.provider[:2].any()


# ----- 002 §4: requests awaiting the customer -------------------------------------------------------------
def _draws(share, never, u_wait, after, answer, u_never) -> PendingDraws:
    return PendingDraws(share, never, *(np.array(x, dtype=float) for x in (u_wait, after, answer, u_never)))


def test_requests_awaiting_the_customer_and_their_answers():
    net = Cause.network.value
    sw = _sweep([0, 0, 0, 0, 0], [5000, 5000, 5000, 30, 9000], [net] * 5)
    tks = tickets(sw, [10.0] * 5, horizon=6000.0, replication=0)
    eligible = np.array([True, True, True, True, False])
    d = _draws(
        0.5,
        0.25,
        u_wait=[0.1, 0.2, 0.3, 0.1, 0.1],  # all under the share
        after=[60, 60, 60, 60, 60],
        answer=[600, 3000, 9000, 10, 10],
        u_never=[0.9, 0.1, 0.9, 0.9, 0.9],  # ticket 2 never answers
    )
    since, answered = wait_for_customer(tks, eligible, d, horizon=6000.0)
    # ticket 1: request at 10 + 60 = 70, answered 600 min later (within 48 h: the engine keeps restored_at)
    # ticket 2: never answers; ticket 3: would answer at 9070, after the end of the scenario (6000): not yet
    # on the ticket; ticket 4: restored at 30, before the request would go out; ticket 5: not eligible
    assert np.isnan(since).tolist() == [False, False, False, True, True]
    assert since[:3].tolist() == [70.0, 70.0, 70.0]
    assert answered[0] == 670.0 and np.isnan(answered[1:]).all()


def test_no_request_when_the_share_is_zero():
    sw = _sweep([0], [5000], [Cause.network.value])
    tks = tickets(sw, [10.0], horizon=6000.0, replication=0)
    since, answered = wait_for_customer(tks, np.array([True]), _draws(0.0, 0.0, [], [], [], []), 6000.0)
    assert np.isnan(since).all() and np.isnan(answered).all()


# ----- warranty ---------------------------------------------------------------------------------------------
START = date(2026, 1, 1)


def test_warranty_months_from_delivery_clamped_to_the_month_end():
    # 12 months from 2026-01-01 (day 0) is 2027-01-01 = day 365; 1 month from 31 Jan is 28 Feb (day 58)
    assert add_months(START, np.array([0, 30, 30]), np.array([12, 1, 13])).tolist() == [365, 58, 423]
    # 24 months (000 §2.6) from 2026-03-15 (day 73) → 2028-03-15 = day 804
    assert add_months(START, np.array([73]), np.array([24])).tolist() == [804]


def test_under_warranty_until_the_day_before_the_end():
    comp = np.array([1, 2, 3])
    failed = np.array([364, 365, 365])
    months = np.array([12, 12, 36])  # the third: ALLEO leased for 36 months (000 §2.7)
    got = under_warranty(
        START, comp, failed, failed + 2, np.zeros(3, np.int64), months, WarrantyOfReplacement.new
    )
    assert got.tolist() == [1, 0, 1]


def test_a_replacement_piece_carries_its_own_warranty_under_new():
    # component 7 fails on day 200 (replaced day 203), again on day 400; component 8 fails on day 400
    comp, failed, replaced = np.array([7, 8, 7]), np.array([200, 400, 400]), np.array([203, 402, 402])
    months = np.full(3, 12)
    new = under_warranty(
        START, comp, failed, replaced, np.zeros(3, np.int64), months, WarrantyOfReplacement.new
    )
    # the second failure of 7 hits the piece delivered on day 203: under warranty to day 203 + 12 months
    assert new.tolist() == [1, 0, 1]
    kept = under_warranty(
        START, comp, failed, replaced, np.zeros(3, np.int64), months, WarrantyOfReplacement.original
    )
    assert kept.tolist() == [1, 0, 0]


def test_day_index_follows_paris_midnights_across_dst():
    m = midnights(date(2026, 3, 28), 3)  # 28, 29 (spring change), 30 March
    assert (m[1] - m[0], m[2] - m[1]) == (24 * 3600, 23 * 3600)  # 29 March lasts 23 hours
    # 23:30 on the 29th is 22 h 30 after its midnight: still the 29th (a fixed 24-hour day would say so
    # too); 00:30 on the 30th is 23 h 30 after it: the 30th, which a 24-hour day would miss
    assert day_index(
        m, np.array([m[1] - 1, m[1], m[1] + 22 * 3600 + 1800, m[1] + 23 * 3600 + 1800])
    ).tolist() == [
        0,
        1,
        1,
        2,
    ]


# ----- scenario keys -------------------------------------------------------------------------------------
def _yaml(extra: str, groups=None) -> str:
    import yaml

    data = {**BASE}
    if groups is not None:
        data["site_groups"] = groups
    return yaml.safe_dump(data, sort_keys=False) + extra


def test_tickets_keys_are_read():
    s = parse_scenario(
        _yaml(
            "tickets:\n  provider_detected: 0.3\n  detection: {mean_minutes: 2}\n"
            "  pending: {share: 0.2, never_answers: 0.1, answer: {mean_minutes: 120}}\n"
            "  replacement_warranty: original\n"
        )
    )
    t = s.tickets
    assert (t.provider_detected, t.detection.mean_minutes) == (0.3, 2)
    assert (t.pending.share, t.pending.never_answers, t.pending.answer.mean_minutes) == (0.2, 0.1, 120)
    assert t.replacement_warranty is WarrantyOfReplacement.original
    default = parse_scenario(_yaml("")).tickets
    assert (default.provider_detected, default.pending.share) == (0.0, 0.0)


@pytest.mark.parametrize(
    ("extra", "field", "reason"),
    [
        ("tickets:\n  provider_detected: 1.5\n", "tickets.provider_detected", "less than or equal to 1"),
        ("tickets:\n  pending: {share: 0.2, wait: 3}\n", "tickets.pending.wait", "unknown key"),
        ("tickets:\n  replacement_warranty: later\n", "tickets.replacement_warranty", "'new' or 'original'"),
        ("tickets:\n  detection: {mean_minutes: -1}\n", "tickets.detection.mean_minutes", "greater than"),
    ],
)
def test_bad_tickets_keys_are_located(extra, field, reason):
    with pytest.raises(InputError) as e:
        parse_scenario(_yaml(extra), source="s.yaml")
    assert e.value.field == field and reason in e.value.reason and e.value.file == "s.yaml"
    assert e.value.line is not None and e.value.line > 1


def test_pending_needs_a_profile_with_the_non_response_rule():
    groups = [g for g in BASE["site_groups"] if g["profile"] != "progetcom"]
    with pytest.raises(InputError) as e:
        parse_scenario(_yaml("tickets:\n  pending: {share: 0.2}\n", groups), source="s.yaml")
    assert e.value.field == "tickets.pending.share" and "002 §4" in e.value.reason
    text = _yaml("tickets:\n  pending: {share: 0.2}\n", groups)
    assert e.value.line == text.splitlines().index("  pending: {share: 0.2}") + 1
