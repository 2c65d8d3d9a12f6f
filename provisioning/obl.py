"""A simulated local-loop operator (OBL): its line records, and its answer to a submitted mandate.

It answers as 000 §2.3 says the OBL may: reject when the holder's name or the customer's address is
wrong, when the lines are a temporary subscription, or when the list of numbers is not exhaustive
(ARCEP 2009-0637: a business port lists every SDA number of each main line, NDI, it touches — a subset
of main lines may be ported); open further technical studies when it does not know a number; postpone
when the access is not available (ARCEP 2013-0830); otherwise accept.

OBL records CSV columns: number, ndi, holder, address, line_type (permanent|temporary),
access_available (optional, true|false, default true).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from contracts.choices import RejectionReason
from contracts.errors import InputError
from contracts.tables import ColumnMap, open_table
from provisioning.choices import LineType, MandateState
from provisioning.mandates import act, get_mandate
from provisioning.models import Mandate, OblLine
from provisioning.plan import format_e164, parse_number

OBL_ACTOR = "obl-sim"
OBL_COLUMNS = ("number", "ndi", "holder", "address", "line_type")


def _norm(text: str) -> str:
    """Compare names and addresses as a clerk would: case, accents, punctuation and spacing ignored."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", " ", plain).strip()


def load_records(session: Session, path: Path, columns: ColumnMap | None = None) -> int:
    """Create or replace the OBL's records of the numbers listed in a CSV file; return how many."""
    file = str(path)
    count = 0
    names = (*OBL_COLUMNS, "access_available")
    with open_table(path, OBL_COLUMNS, optional=names[-1:], name="obl", columns=columns) as table:
        for lineno, row in table.rows(names):
            try:
                e164 = parse_number(row["number"], field="number")
                ndi = parse_number(row["ndi"], field="ndi")
            except InputError as exc:
                raise InputError(exc.reason, file=file, line=lineno, field=exc.field) from None
            line_type = row["line_type"]
            if line_type not in {t.value for t in LineType}:
                raise InputError(
                    f"line_type must be permanent or temporary, got {line_type!r}",
                    file=file,
                    line=lineno,
                    field="line_type",
                )
            available = (row.get("access_available") or "true").lower()
            if available not in {"true", "false", "1", "0", "yes", "no"}:
                raise InputError(
                    f"expected true or false, got {available!r}",
                    file=file,
                    line=lineno,
                    field="access_available",
                )
            for field in ("holder", "address"):
                if not row[field]:
                    raise InputError("empty value", file=file, line=lineno, field=field)
            session.merge(
                OblLine(
                    e164=e164,
                    ndi=ndi,
                    holder=row["holder"],
                    address=row["address"],
                    line_type=line_type,
                    access_available=available in {"true", "1", "yes"},
                )
            )
            count += 1
    session.flush()
    return count


def assess(session: Session, m: Mandate) -> tuple[str, str | None, str]:
    """Return the OBL's (action, reason, detail) for a mandate, checking it against its own records."""
    numbers = [n.e164 for n in m.numbers]
    lines = {line.e164: line for line in session.scalars(select(OblLine).where(OblLine.e164.in_(numbers)))}
    unknown = [n for n in numbers if n not in lines]
    problems: list[tuple[RejectionReason, str]] = []
    known = list(lines.values())
    if any(_norm(line.holder) != _norm(m.holder) for line in known):
        problems.append((RejectionReason.wrong_holder, f"holder on record: {known[0].holder}"))
    if any(_norm(line.address) != _norm(m.address) for line in known):
        problems.append((RejectionReason.wrong_address, f"address on record: {known[0].address}"))
    temporary = [line.e164 for line in known if line.line_type == LineType.temporary.value]
    if temporary:
        problems.append((RejectionReason.temporary_subscription, "temporary: " + _fmt(temporary)))
    ndis = {line.ndi for line in known}
    if ndis:
        tied = set(session.scalars(select(OblLine.e164).where(OblLine.ndi.in_(ndis))))
        left_out = sorted(tied - set(numbers))
        if left_out:
            problems.append((RejectionReason.non_exhaustive_list, "not listed: " + _fmt(left_out)))
    if problems:
        reason = problems[0][0].value
        return "reject", reason, "; ".join(f"{r.value} ({why})" for r, why in problems)
    if unknown:
        return "study", None, "numbers unknown to the OBL: " + _fmt(unknown)
    if any(not line.access_available for line in known):
        return "postpone", None, "access not available yet (ARCEP 2013-0830)"
    return "accept", None, "eligible"


def _fmt(numbers: list[int], limit: int = 5) -> str:
    shown = ", ".join(format_e164(n) for n in numbers[:limit])
    return shown + (f" … (+{len(numbers) - limit})" if len(numbers) > limit else "")


def answer(
    session: Session, mandate_id: int, *, today: date | None = None, at: datetime | None = None
) -> Mandate:
    """Let the simulated OBL answer a submitted mandate (or one under study) and record its answer."""
    m = get_mandate(session, mandate_id)
    if m.state not in {MandateState.submitted.value, MandateState.study.value}:
        # raises the state error
        return act(session, mandate_id, "accept", actor=OBL_ACTOR, today=today, at=at)
    action, reason, detail = assess(session, m)
    return act(session, mandate_id, action, actor=OBL_ACTOR, reason=reason, note=detail, today=today, at=at)
