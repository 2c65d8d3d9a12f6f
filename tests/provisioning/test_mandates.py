"""Portability mandates: state machine, ARCEP dates, service start, expiry, OBL answers, audit trail."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from contracts.errors import InputError, StateError
from provisioning import db
from provisioning.check import check
from provisioning.mandates import act, correct_mandate, create_mandate, expire_due, history, read_numbers_file
from provisioning.obl import answer, load_records
from provisioning.rio import parse_rio

N1, N2, N3 = 33140000001, 33140000002, 33140000003
OBL_CSV = """number,ndi,holder,address,line_type,access_available
+33140000001,+33140000001,Acme SA,"1 rue de Rivoli, 75001 Paris",permanent,true
+33140000002,+33140000001,Acme SA,"1 rue de Rivoli, 75001 Paris",permanent,true
+33140000003,+33140000003,Acme SA,"1 rue de Rivoli, 75001 Paris",temporary,true
+33388000001,+33388000001,Bretz,"3 quai Kléber, 67000 Strasbourg",permanent,false
"""


def new(s, site="paris-hq", numbers=(N1, N2), holder="ACME sa", address="1, rue de Rivoli 75001 PARIS", **kw):
    kw.setdefault("expires", date(2026, 12, 31))
    kw.setdefault("today", date(2026, 5, 4))
    return create_mandate(
        s, site=site, holder=holder, address=address, numbers=list(numbers), actor="ops", **kw
    )


@pytest.fixture
def obl(inventory, tmp_path):
    path = tmp_path / "obl.csv"
    path.write_text(OBL_CSV, encoding="utf-8")
    with db.session_scope(inventory) as s:
        assert load_records(s, path) == 4
    return inventory


def test_full_path_to_ported_with_audit(obl):
    with db.session_scope(obl) as s:
        m = new(s, rio="01 P 123456 ABC")
        assert m.rio == "01P123456ABC"
        act(s, m.id, "submit", actor="ops", today=date(2026, 5, 5))
        answer(s, m.id, today=date(2026, 5, 7))  # Thursday
        assert m.state == "accepted" and m.accepted_on == date(2026, 5, 7)
        # ARCEP: ≥ 1 jour ouvrable (Mon–Sat) after acceptance; Fri 8 May 2026 is a holiday → Sat 9 May
        with pytest.raises(InputError, match="earliest 2026-05-09"):
            act(s, m.id, "schedule", actor="ops", port_date=date(2026, 5, 8), today=date(2026, 5, 7))
    with db.session_scope(obl) as s:
        act(s, m.id, "schedule", actor="ops", port_date=date(2026, 5, 11), today=date(2026, 5, 7))
        with pytest.raises(StateError, match="not reached"):
            act(s, m.id, "complete", actor="ops", today=date(2026, 5, 10))
    with db.session_scope(obl) as s:
        act(s, m.id, "complete", actor="ops", today=date(2026, 5, 11))
        trail = [(e.action, e.from_state, e.to_state, e.actor) for e in history(s, m.id)]
        assert trail == [
            ("create", None, "draft", "ops"),
            ("submit", "draft", "submitted", "ops"),
            ("accept", "submitted", "accepted", "obl-sim"),
            ("schedule", "accepted", "scheduled", "ops"),
            ("complete", "scheduled", "ported", "ops"),
        ]
        assert all(e.at.tzinfo is not None for e in history(s, m.id))
        with pytest.raises(StateError, match="already ported"):
            act(s, m.id, "cancel", actor="ops", today=date(2026, 5, 12))
        assert all(r.ok for r in check(s))


@pytest.mark.parametrize(
    ("kw", "action", "reason"),
    [
        ({"holder": "Someone Else"}, "reject", "wrong_holder"),
        ({"address": "9 rue de la Paix, 75002 Paris"}, "reject", "wrong_address"),
        ({"numbers": (N3,)}, "reject", "temporary_subscription"),
        ({"numbers": (N1,)}, "reject", "non_exhaustive_list"),  # N2 hangs on the same main line
        ({"numbers": (N1, N2, 33140000009)}, "study", None),  # unknown to the OBL
        (
            {
                "site": "strasbourg",
                "numbers": (33388000001,),
                "holder": "Bretz",
                "address": "3 quai Kleber 67000 Strasbourg",
            },
            "postpone",
            None,
        ),
    ],
)
def test_obl_answers_as_the_contract_says(obl, kw, action, reason):
    with db.session_scope(obl) as s:
        m = new(s, **kw)
        act(s, m.id, "submit", actor="ops", today=date(2026, 5, 5))
        answer(s, m.id, today=date(2026, 5, 6))
        expected = {"reject": "rejected", "study": "study", "postpone": "postponed"}[action]
        assert (m.state, m.reason) == (expected, reason)


def test_rejected_mandate_is_corrected_and_resubmitted(obl):
    with db.session_scope(obl) as s:
        m = new(s, holder="Wrong Name")
        act(s, m.id, "submit", actor="ops", today=date(2026, 5, 5))
        answer(s, m.id, today=date(2026, 5, 6))
        assert m.reason == "wrong_holder"
        with pytest.raises(StateError, match="cannot submit|cannot accept"):
            act(s, m.id, "accept", actor="ops", today=date(2026, 5, 6))
        correct_mandate(s, m.id, holder="Acme SA", actor="ops", today=date(2026, 5, 6))
        act(s, m.id, "submit", actor="ops", today=date(2026, 5, 6))
        answer(s, m.id, today=date(2026, 5, 6))
        assert (m.state, m.reason) == ("accepted", None)
        assert [e.action for e in history(s, m.id)][-3:] == ["correct", "submit", "accept"]


def test_cancelled_and_expired_mandates_are_final(obl):
    with db.session_scope(obl) as s:
        a = new(s)
        act(s, a.id, "cancel", actor="ops", note="customer changed its mind", today=date(2026, 5, 5))
        with pytest.raises(StateError, match="new mandate must be signed"):
            act(s, a.id, "submit", actor="ops", today=date(2026, 5, 5))
        with pytest.raises(StateError):
            correct_mandate(s, a.id, holder="x", actor="ops", today=date(2026, 5, 5))
        b = new(s, expires=date(2026, 6, 1))
        with pytest.raises(StateError, match="expired on 2026-06-01"):
            act(s, b.id, "submit", actor="ops", today=date(2026, 6, 2))
        assert [m.id for m in expire_due(s, today=date(2026, 6, 2))] == [b.id]
        assert b.state == "expired"
        with pytest.raises(StateError, match="it expired: a new mandate"):
            act(s, b.id, "submit", actor="ops", today=date(2026, 6, 2))
        assert all(r.ok for r in check(s))


def test_port_only_after_service_start(obl):
    with db.session_scope(obl) as s:
        lyon = new(s, site="lyon")  # no service start yet
        for m in (lyon,):
            act(s, m.id, "submit", actor="ops", today=date(2026, 5, 5))
            act(s, m.id, "accept", actor="ops", today=date(2026, 5, 5))
        with pytest.raises(StateError, match="no service-start date"):
            act(s, lyon.id, "schedule", actor="ops", port_date=date(2026, 5, 20), today=date(2026, 5, 5))
        sx = new(s, site="strasbourg", today=date(2026, 2, 1))  # service start 2026-03-02
        act(s, sx.id, "submit", actor="ops", today=date(2026, 2, 2))
        act(s, sx.id, "accept", actor="ops", today=date(2026, 2, 20))
        for day in (date(2026, 2, 27), date(2026, 3, 2)):
            with pytest.raises(InputError, match="not after the service start"):
                act(s, sx.id, "schedule", actor="ops", port_date=day, today=date(2026, 2, 20))
        act(s, sx.id, "schedule", actor="ops", port_date=date(2026, 3, 3), today=date(2026, 2, 20))
        with pytest.raises(InputError, match="after the expiry"):
            act(s, sx.id, "schedule", actor="ops", port_date=date(2027, 1, 4), today=date(2026, 2, 20))


def test_jour_ouvrable_follows_the_site_calendar(obl):
    """ARCEP « jour ouvrable » = Monday to Saturday, public holidays off (`jour_ouvrable: mon_sat`).
    Good Friday is off in Alsace-Moselle only: accepted Thu 2 Apr 2026 → Fri 3 Apr in Paris, Sat 4 Apr
    in Strasbourg; accepted Sat 4 Apr → Tue 7 Apr (Sunday, then Easter Monday off)."""
    with db.session_scope(obl) as s:
        from provisioning.mandates import earliest_port_date

        paris, stras = new(s), new(s, site="strasbourg", today=date(2026, 3, 1))
        for m in (paris, stras):
            act(s, m.id, "submit", actor="ops", today=date(2026, 4, 1))
            act(s, m.id, "accept", actor="ops", today=date(2026, 4, 2))
        assert earliest_port_date(paris) == date(2026, 4, 3)
        assert earliest_port_date(stras) == date(2026, 4, 4)
        paris.accepted_on = date(2026, 4, 4)
        assert earliest_port_date(paris) == date(2026, 4, 7)


def test_jour_ouvrable_business_days_choice_skips_saturday(obl):
    """`jour_ouvrable: business_days` counts the profile's jours ouvrés (ALLEO Mon–Fri): accepted Fri
    10 Apr 2026 → Mon 13 Apr, where the default gives Sat 11 Apr; `act` honours the profile given."""
    from contracts.profile import load_profile
    from provisioning.mandates import earliest_port_date

    business = load_profile("alleo", {"jour_ouvrable": "business_days"})
    with db.session_scope(obl) as s:
        m = new(s)
        act(s, m.id, "submit", actor="ops", today=date(2026, 4, 9))
        act(s, m.id, "accept", actor="ops", today=date(2026, 4, 10))
        assert earliest_port_date(m) == date(2026, 4, 11)
        assert earliest_port_date(m, business) == date(2026, 4, 13)
        with pytest.raises(InputError, match=r"1 jour ouvrable .* \(earliest 2026-04-13, ARCEP 2013-0830\)"):
            act(
                s,
                m.id,
                "schedule",
                actor="ops",
                port_date=date(2026, 4, 11),
                today=date(2026, 4, 10),
                profile=business,
            )
        act(s, m.id, "schedule", actor="ops", port_date=date(2026, 4, 11), today=date(2026, 4, 10))
        assert m.port_date == date(2026, 4, 11)


@pytest.mark.parametrize(
    ("start", "action", "error"),
    [
        ("draft", "accept", "cannot accept a draft"),
        ("draft", "schedule", "cannot schedule a draft"),
        ("submitted", "complete", "cannot complete a submitted"),
        ("submitted", "submit", "cannot submit a submitted"),
    ],
)
def test_invalid_transitions_are_refused_and_change_nothing(obl, start, action, error):
    with db.session_scope(obl) as s:
        m = new(s)
        if start == "submitted":
            act(s, m.id, "submit", actor="ops", today=date(2026, 5, 5))
        mid = m.id
    with pytest.raises(StateError, match=error):
        with db.session_scope(obl) as s:
            act(s, mid, action, actor="ops", port_date=date(2026, 6, 1), today=date(2026, 5, 5))
    with db.session_scope(obl) as s:
        assert len(history(s, mid)) == (1 if start == "draft" else 2)


def test_reject_needs_a_known_reason(obl):
    with db.session_scope(obl) as s:
        m = new(s)
        act(s, m.id, "submit", actor="ops", today=date(2026, 5, 5))
        with pytest.raises(InputError, match="wrong_address, wrong_holder"):
            act(s, m.id, "reject", actor="ops", reason="because", today=date(2026, 5, 5))
        act(
            s,
            m.id,
            "reject",
            actor="ops",
            reason="non_exhaustive_list",
            note="NDI +33140000001",
            today=date(2026, 5, 5),
        )
        assert history(s, m.id)[-1].detail == "non_exhaustive_list: NDI +33140000001"


@pytest.mark.parametrize("rio", ["01P12345ABC", "01X123456ABC", "01P123456AB!", "01P1234567ABC"])
def test_bad_rio(rio):
    with pytest.raises(InputError, match="RIO"):
        parse_rio(rio)


def test_numbers_file(tmp_path):
    path = tmp_path / "n.txt"
    path.write_text("number\n+33140000001\n# comment\n\n01 40 00 00 02\n", encoding="utf-8")
    assert read_numbers_file(path) == [N1, N2]
    path.write_text("+33140000001\n0140000001\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"n.txt:2: number: \+33140000001 already listed on line 1"):
        read_numbers_file(path)
    path.write_text("+33140000001\nabc\n", encoding="utf-8")
    with pytest.raises(InputError, match="n.txt:2"):
        read_numbers_file(Path(path))


def test_create_refuses_past_expiry_and_unknown_site(obl):
    with db.session_scope(obl) as s:
        with pytest.raises(InputError, match="already past"):
            new(s, expires=date(2026, 5, 1))
        with pytest.raises(InputError, match="unknown site"):
            new(s, site="nowhere")
