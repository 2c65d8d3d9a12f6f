"""Portability mandates (000 §2.3): a state machine with expiry, ARCEP dates and an audit trail.

draft → submitted → accepted | rejected(reason) | postponed | study → scheduled → ported;
cancelled and expired are final. A rejected or postponed mandate can be corrected and resubmitted;
a cancelled or expired one cannot: a new mandate must be signed.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from contracts.choices import RejectionReason
from contracts.errors import InputError, StateError
from contracts.profile import Profile, load_profile
from contracts.tables import first_cells
from provisioning.choices import FINAL_MANDATE_STATES, MandateState
from provisioning.clock import paris_day
from provisioning.inventory import get_site
from provisioning.models import Mandate, MandateEvent, MandateNumber, utcnow
from provisioning.numbers import port_in
from provisioning.plan import format_e164, parse_number
from provisioning.rio import parse_rio

S = MandateState
OPEN_STATES = frozenset(s for s in MandateState if s not in FINAL_MANDATE_STATES)
CORRECTABLE = frozenset({S.draft, S.rejected, S.postponed})

# action → (states it may start from, state it leads to)
TRANSITIONS: dict[str, tuple[frozenset[MandateState], MandateState]] = {
    "submit": (CORRECTABLE, S.submitted),  # 000 §2.3: a new request after fixing the cause
    "accept": (frozenset({S.submitted, S.study}), S.accepted),
    "reject": (frozenset({S.submitted, S.study}), S.rejected),
    "postpone": (frozenset({S.submitted, S.study}), S.postponed),
    "study": (frozenset({S.submitted}), S.study),
    "schedule": (frozenset({S.accepted, S.scheduled}), S.scheduled),
    "complete": (frozenset({S.scheduled}), S.ported),
    "cancel": (OPEN_STATES, S.cancelled),
    "expire": (OPEN_STATES, S.expired),
}


def read_numbers_file(path: Path) -> list[int]:
    """Return the numbers of a file: one per line (or first CSV column); `#` comments and a header allowed.

    Unlike a CSV table, this file is written by hand and no number starts with `#`, so `#` lines are notes.
    """
    file = str(path)
    numbers: dict[int, int] = {}
    for lineno, cell in first_cells(path):
        if (
            not cell
            or cell.startswith("#")
            or (lineno == 1 and cell.lower() in {"number", "numero", "numéro"})
        ):
            continue
        try:
            e164 = parse_number(cell)
        except InputError as exc:
            raise InputError(exc.reason, file=file, line=lineno, field="number") from None
        if e164 in numbers:
            raise InputError(
                f"{format_e164(e164)} already listed on line {numbers[e164]}",
                file=file,
                line=lineno,
                field="number",
            )
        numbers[e164] = lineno
    if not numbers:
        raise InputError("no number listed", file=file)
    return sorted(numbers)


def _record(
    session: Session,
    m: Mandate,
    action: str,
    to: MandateState,
    actor: str,
    detail: str | None,
    at: datetime | None = None,
) -> None:
    """Audit one transition: when (`at`, default now), by whom, why."""
    event = MandateEvent(
        mandate=m,
        at=at or utcnow(),
        actor=actor,
        action=action,
        from_state=m.state,
        to_state=to.value,
        detail=detail,
    )
    session.add(event)
    m.state = to.value


def _check_transition(m: Mandate, action: str, today: date) -> MandateState:
    """Return the state `action` leads `m` to, if the state machine allows it from where `m` stands."""
    sources, target = TRANSITIONS[action]
    state = MandateState(m.state)
    if state in FINAL_MANDATE_STATES:
        why = {
            S.cancelled: "it was cancelled",
            S.expired: "it expired",
            S.ported: "its numbers are already ported",
        }[state]
        hint = "" if state is S.ported else ": a new mandate must be signed (000 §2.3)"
        raise StateError(f"mandate {m.id}: cannot {action}, {why}{hint}")
    if action != "expire" and today > m.expires:
        # 000 §2.3: past its expiry date ("date de caducité") a mandate cannot be used any more.
        raise StateError(
            f"mandate {m.id} expired on {m.expires.isoformat()}: a new mandate must be signed (000 §2.3)"
        )
    if state not in sources:
        allowed = ", ".join(
            sorted(a for a, (src, _) in TRANSITIONS.items() if state in src and a != "expire")
        )
        raise StateError(f"mandate {m.id}: cannot {action} a {state.value} mandate (allowed: {allowed})")
    return target


def _transition(
    session: Session,
    m: Mandate,
    action: str,
    actor: str,
    detail: str | None,
    today: date,
    at: datetime | None = None,
) -> None:
    """Apply `action` to `m` if the state machine allows it (StateError otherwise), audited."""
    _record(session, m, action, _check_transition(m, action, today), actor, detail, at)
    session.flush()


def get_mandate(session: Session, mandate_id: int) -> Mandate:
    """Return mandate `mandate_id` with its numbers and events (InputError when unknown)."""
    m = session.scalar(
        select(Mandate)
        .where(Mandate.id == mandate_id)
        .options(selectinload(Mandate.numbers), selectinload(Mandate.events))
    )
    if m is None:
        raise InputError(f"unknown mandate {mandate_id}", field="id")
    return m


def create_mandate(
    session: Session,
    *,
    site: str,
    holder: str,
    address: str,
    numbers: list[int],
    expires: date,
    rio: str | None = None,
    actor: str,
    today: date | None = None,
    at: datetime | None = None,
) -> Mandate:
    """Record a signed mandate (draft) for porting `numbers` to `site` before `expires`.

    `at` is the instant recorded (default now); `today` defaults to its Paris date.
    """
    day = today or paris_day(at)
    owner = get_site(session, site)
    if not holder.strip():
        raise InputError("holder is empty", field="holder")
    if not address.strip():
        raise InputError("address is empty", field="address")
    if not numbers:
        raise InputError("no number to port", field="numbers")
    if expires < day:
        raise InputError(f"expiry date {expires.isoformat()} is already past", field="expires")
    m = Mandate(
        site=owner,
        holder=holder.strip(),
        address=address.strip(),
        rio=parse_rio(rio) if rio else None,
        expires=expires,
        state=S.draft.value,
        created_at=at or utcnow(),
    )
    m.numbers = [MandateNumber(e164=n) for n in sorted(set(numbers))]
    session.add(m)
    session.flush()
    event = MandateEvent(
        mandate=m,
        at=at or utcnow(),
        actor=actor,
        action="create",
        from_state=None,
        to_state=S.draft.value,
        detail=f"{len(m.numbers)} number(s), expires {expires.isoformat()}",
    )
    session.add(event)
    session.flush()
    return m


def correct_mandate(
    session: Session,
    mandate_id: int,
    *,
    holder: str | None = None,
    address: str | None = None,
    numbers: list[int] | None = None,
    rio: str | None = None,
    actor: str,
    today: date | None = None,
    at: datetime | None = None,
) -> Mandate:
    """Fix a draft, rejected or postponed mandate before (re)submitting it (000 §2.3)."""
    m = get_mandate(session, mandate_id)
    day = today or paris_day(at)
    state = MandateState(m.state)
    if state in FINAL_MANDATE_STATES or state not in CORRECTABLE:
        raise StateError(
            f"mandate {m.id}: cannot correct a {state.value} mandate (only draft, rejected, postponed)"
        )
    if day > m.expires:
        raise StateError(
            f"mandate {m.id} expired on {m.expires.isoformat()}: a new mandate must be signed (000 §2.3)"
        )
    changed = []
    if holder is not None:
        if not holder.strip():
            raise InputError("holder is empty", field="holder")
        m.holder, _ = holder.strip(), changed.append("holder")
    if address is not None:
        if not address.strip():
            raise InputError("address is empty", field="address")
        m.address, _ = address.strip(), changed.append("address")
    if rio is not None:
        m.rio, _ = parse_rio(rio), changed.append("rio")
    if numbers is not None:
        if not numbers:
            raise InputError("no number to port", field="numbers")
        m.numbers = [MandateNumber(e164=n) for n in sorted(set(numbers))]
        changed.append("numbers")
    if not changed:
        raise InputError("nothing to correct (give --holder, --address, --numbers or --rio)")
    _record(session, m, "correct", state, actor, "corrected " + ", ".join(changed), at)
    session.flush()
    return m


def act(
    session: Session,
    mandate_id: int,
    action: str,
    *,
    actor: str,
    reason: str | None = None,
    note: str | None = None,
    port_date: date | None = None,
    today: date | None = None,
    at: datetime | None = None,
    profile: Profile | None = None,
) -> Mandate:
    """Apply one action: submit, accept, reject, postpone, study, schedule, complete or cancel.

    Completing a port makes its numbers blocks of the mandate's site (`numbers.port_in`). `profile`:
    the site's profile with the caller's choices (a scenario's), for the « jour ouvrable » of a
    schedule; default the site's profile as shipped.
    """
    if action not in TRANSITIONS or action == "expire":
        raise InputError(f"unknown action {action!r}", field="action")
    day = today or paris_day(at)
    m = get_mandate(session, mandate_id)
    _check_transition(m, action, day)
    detail = note
    if action == "reject":
        if reason not in {r.value for r in RejectionReason}:
            known = ", ".join(r.value for r in RejectionReason)
            raise InputError(f"a rejection needs --reason, one of {known}", field="reason")
        detail = reason + (f": {note}" if note else "")
    if action == "schedule":
        detail = _check_port_date(m, port_date, day, profile) + (f"; {note}" if note else "")
    if action == "complete":
        if m.port_date is None or day < m.port_date:
            raise StateError(f"mandate {m.id}: port date {m.port_date} not reached on {day.isoformat()}")
        _check_service_start(m, m.port_date)
    _transition(session, m, action, actor, detail, day, at)
    if action == "complete":
        port_in(session, m.site, [n.e164 for n in m.numbers], donor=donor_of(m), actor=actor, at=at)
    if action == "reject":
        m.reason = reason
    elif action in {"submit", "accept"}:
        m.reason = None
    if action == "accept":
        m.accepted_on = day
    if action == "schedule":
        m.port_date = port_date
    session.flush()
    return m


def _check_service_start(m: Mandate, port_date: date) -> None:
    start = m.site.service_start
    if start is None:
        raise StateError(
            f"site {m.site.name!r} has no service-start date yet: porting waits for it (000 §2.3)"
        )
    if port_date <= start:
        # 000 §2.3: "La Portabilité ne sera effective que postérieurement à la Date de Mise en Service".
        raise InputError(
            f"port date {port_date.isoformat()} is not after the service start of site {m.site.name!r} "
            f"({start.isoformat()}) (000 §2.3)",
            field="date",
        )


def earliest_port_date(m: Mandate, profile: Profile | None = None) -> date:
    """Return the first date ARCEP allows: 1 « jour ouvrable » after the OBL's acceptance, on the one
    calendar of porting days (`Profile.jours_ouvrables`, the profile's `jour_ouvrable` choice: Monday to
    Saturday by default). `profile` carries the caller's choices; default the site's profile."""
    if m.accepted_on is None:
        raise StateError(f"mandate {m.id} has not been accepted")
    calendar = (profile or load_profile(m.site.profile)).jours_ouvrables(m.site.departement)
    return calendar.add_business_days(m.accepted_on, 1)


def _check_port_date(m: Mandate, port_date: date | None, today: date, profile: Profile | None) -> str:
    if port_date is None:
        raise InputError("scheduling needs --date YYYY-MM-DD", field="date")
    if port_date < today:
        raise InputError(f"port date {port_date.isoformat()} is in the past", field="date")
    earliest = earliest_port_date(m, profile)
    if port_date < earliest:
        # ARCEP 2013-0830: a fixed port takes effect within 1 jour ouvrable of the eligibility confirmation.
        raise InputError(
            f"port date {port_date.isoformat()} is earlier than 1 jour ouvrable after acceptance on "
            f"{m.accepted_on.isoformat()} (earliest {earliest.isoformat()}, ARCEP 2013-0830)",
            field="date",
        )
    _check_service_start(m, port_date)
    if port_date > m.expires:
        raise InputError(
            f"port date {port_date.isoformat()} is after the expiry {m.expires.isoformat()} (000 §2.3)",
            field="date",
        )
    return f"port on {port_date.isoformat()}"


def donor_of(m: Mandate) -> str:
    """Return the donor operator of a mandate's numbers: the operator code of its RIO (ARCEP `OO`)."""
    return f"RIO operator {m.rio[:2]}" if m.rio else "unknown donor (no RIO)"


def expire_due(
    session: Session, *, today: date | None = None, actor: str = "system", at: datetime | None = None
) -> list[Mandate]:
    """Move every open mandate past its expiry date to `expired` (000 §2.3); return them."""
    day = today or paris_day(at)
    due = list(
        session.scalars(
            select(Mandate)
            .where(Mandate.expires < day, Mandate.state.in_([s.value for s in OPEN_STATES]))
            .order_by(Mandate.id)
        )
    )
    for m in due:
        _transition(
            session, m, "expire", actor, f"not ported by its expiry date {m.expires.isoformat()}", day, at
        )
    return due


def list_mandates(session: Session, site: str | None = None, state: str | None = None) -> list[Mandate]:
    """Return mandates (of one site, in one state, or all) by id, numbers loaded."""
    query = select(Mandate).options(selectinload(Mandate.numbers), selectinload(Mandate.site))
    if site is not None:
        query = query.where(Mandate.site_id == get_site(session, site).id)
    if state is not None:
        if state not in {s.value for s in MandateState}:
            raise InputError(f"unknown mandate state {state!r}", field="state")
        query = query.where(Mandate.state == state)
    return list(session.scalars(query.order_by(Mandate.id)))


def history(session: Session, mandate_id: int) -> list[MandateEvent]:
    """Return the audit trail of a mandate, oldest first."""
    return list(get_mandate(session, mandate_id).events)
