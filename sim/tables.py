"""The columns of a replication's run-directory tables (`sim.rundir` row types), rows in a total order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import numpy as np

from contracts.calendar import to_epoch
from contracts.month import Month
from contracts.records import NAT
from sim.billing import Bills
from sim.choices import LifeEvent
from sim.context import Context
from sim.installs import Install
from sim.model import RawRun
from sim.outages import Sweep, Tickets
from sim.porting import Port
from sim.ticketing import first_after

if TYPE_CHECKING:
    from sim.metrics import Restorations  # metrics reads these tables' row types


@dataclass(frozen=True)
class LifeRow:
    """One row of lifecycle.csv: a cancellation, move or termination with what it bills and why."""

    site: int  # fleet site index
    profile: str
    event: LifeEvent
    on: date
    appointment_at: datetime | None
    billed: bool
    fee_eur: Decimal | None
    clause: str
    new_departement: str | None = None
    keeps_numbers: bool | None = None
    happened: bool = True  # False: a listed move the site could not make (said, not counted)


def lifecycle_columns(ctx: Context, rows: list[LifeRow]) -> dict[str, Any]:
    """lifecycle.csv: cancellations, moves and terminations of the replication, by site then day."""
    sites = ctx.fleet.sites
    return {
        "site": [sites[r.site] for r in rows],
        "profile": [r.profile for r in rows],
        "event": [r.event.value for r in rows],
        "on": [r.on for r in rows],
        "appointment_at": np.array(
            [to_epoch(r.appointment_at) if r.appointment_at else NAT for r in rows], dtype=np.int64
        ),
        "billed": np.array([r.billed for r in rows], dtype=np.int8),
        "fee_eur": np.array(
            [NAT if r.fee_eur is None else int(r.fee_eur.scaleb(2)) for r in rows], dtype=np.int64
        ),
        "clause": [r.clause for r in rows],
        "new_departement": [r.new_departement or "" for r in rows],
        "keeps_numbers": np.array(
            [-1 if r.keeps_numbers is None else r.keeps_numbers for r in rows], np.int8
        ),
    }


def epochs(ctx: Context, minutes) -> np.ndarray:
    """Whole epoch seconds of simulation minutes (rounded to the nearest second)."""
    return ctx.origin + np.rint(np.asarray(minutes, dtype=float) * 60.0).astype(np.int64)


def events_columns(ctx: Context, raw: RawRun, sw: Sweep) -> dict[str, Any]:
    """events.csv: platform and component down intervals, by down time (then component, then order)."""
    fleet = ctx.fleet
    n_p, n_c = len(raw.platform), len(raw.intervals)
    p_down, p_up, p_cause = (list(x) for x in zip(*raw.platform, strict=True)) if n_p else ([], [], [])
    cid, c_down, c_up, c_cause = (
        (list(x) for x in zip(*raw.intervals, strict=True)) if n_c else ([], [], [], [])
    )
    cid_a = np.array(cid, dtype=np.int64)
    down = np.array(p_down + c_down, dtype=float)
    order = np.lexsort(
        (
            np.concatenate([np.arange(n_p), np.arange(n_c)]),
            np.concatenate([np.full(n_p, -1, dtype=np.int64), cid_a]),
            down,
        )
    )
    site = fleet.comp_site[cid_a]
    lookup = ctx.lookups()

    def pick(platform: str, per_comp: np.ndarray) -> list[str]:
        return np.concatenate([np.full(n_p, platform, dtype=object), per_comp]).astype(object)[order].tolist()

    return {
        "component": pick("platform", lookup.component[cid_a]),
        "kind": pick("platform", lookup.kind[fleet.comp_kind[cid_a]]),
        "site": pick("", lookup.site[site]),
        "profile": pick("", lookup.profile[site]),
        "down_at": epochs(ctx, down)[order],
        "up_at": epochs(ctx, p_up + c_up)[order],
        "cause": np.array(p_cause + c_cause, dtype=object)[order].tolist(),
        "total_outage": np.concatenate([sw.platform_total, sw.comp_total]).astype(np.int8)[order],
    }


@dataclass
class TicketTimes:
    """Epoch seconds of what every ticket records (NAT: none), as incidents.csv and the engine read it."""

    notified: np.ndarray
    restored: np.ndarray  # NAT: open
    pending_since: np.ndarray  # 002 §4: a request awaiting the customer's reply
    answered_at: np.ndarray
    diagnosed_at: np.ndarray  # the replaced equipment's diagnosis (001 §4, 002 §4)
    replaced_at: np.ndarray
    under_warranty: np.ndarray  # int8 1/0, -1: nothing replaced


def epochs_or_nat(ctx: Context, minutes: np.ndarray) -> np.ndarray:
    """`epochs`, NaN minutes as NAT."""
    none = np.isnan(minutes)
    out = epochs(ctx, np.where(none, 0.0, minutes))
    out[none] = NAT
    return out


def ticket_times(ctx: Context, tks: Tickets) -> TicketTimes:
    """The tickets' times in whole epoch seconds, for the engine and the tables.

    A replacement is on the ticket once diagnosed and done by the end of the scenario. The repair runs on
    its own notification draw (common random numbers), so a diagnosis may come before the ticket opened:
    the record dates it at the ticket's opening (a ticket cannot record a diagnosis before it exists), and
    the replacement no earlier.
    """
    n = epochs(ctx, tks.notified)
    horizon = ctx.horizon
    diag = np.where(tks.diagnosed > horizon, np.nan, tks.diagnosed)
    repl = np.where(np.isnan(diag) | (tks.replaced > horizon), np.nan, tks.replaced)
    d = first_after(epochs_or_nat(ctx, diag), n)
    return TicketTimes(
        n,
        epochs_or_nat(ctx, tks.restored),
        epochs_or_nat(ctx, tks.pending_since),
        epochs_or_nat(ctx, tks.answered_at),
        d,
        first_after(epochs_or_nat(ctx, repl), d),
        np.where(np.isnan(repl), -1, tks.under_warranty).astype(np.int8),
    )


def restorations_columns(ctx: Context, tks: Tickets, tt: TicketTimes, rest: Restorations):
    """restorations.csv: the restored tickets in ticket order, with their times and objective."""
    ks = np.flatnonzero(rest.restored)
    site = tks.site[ks]
    lookup = ctx.lookups()
    return {
        "ticket": [tks.ticket[k] for k in ks.tolist()],
        "site": lookup.site[site].tolist(),
        "profile": lookup.profile[site].tolist(),
        "cause": tks.cause[ks].tolist(),
        "kind": tks.kind[ks].tolist(),
        "notified_at": tt.notified[ks],
        "restored_at": tt.restored[ks],
        "business_minutes": rest.business[ks],
        "wallclock_minutes": rest.wallclock[ks],
        "objective_minutes": rest.objective[ks],
        "within_objective": rest.within[ks],
    }


def incidents_columns(ctx: Context, tks: Tickets, tt: TicketTimes) -> dict[str, Any]:
    """incidents.csv: every ticket, in the SLA engine's input format."""
    site = tks.site
    lookup = ctx.lookups()
    return {
        "ticket": tks.ticket,
        "site": lookup.site[site].tolist(),
        "notified_at": tt.notified,
        "restored_at": tt.restored,
        "cause": tks.cause.tolist(),
        "profile": lookup.profile[site].tolist(),
        "departement": lookup.departement[site].tolist(),
        "detected_by": np.where(tks.provider, "provider", "customer").astype(object).tolist(),
        "pending_since": tt.pending_since,
        "answered_at": tt.answered_at,
        "diagnosed_at": tt.diagnosed_at,
        "replaced_at": tt.replaced_at,
        "under_warranty": tt.under_warranty,
    }


def billing_columns(ctx: Context, bills: Bills) -> dict[str, Any]:
    lookup = ctx.lookups()
    texts = {m: Month(m).text for m in np.unique(bills.month).tolist()}
    return {
        "site": lookup.site[bills.site].tolist(),
        "month": [texts[m] for m in bills.month.tolist()],
        "recurring_fees": bills.recurring_cents,
        "usage_charges": bills.usage_cents,
        "departement": lookup.departement[bills.site].tolist(),
        "profile": lookup.profile[bills.site].tolist(),
    }


def installs_columns(installs: dict[int, Install]) -> dict[str, Any]:
    xs = [x for _, x in sorted(installs.items())]
    return {
        "site": [x.site for x in xs],
        "handsets": [x.handsets for x in xs],
        "indicative_date": [x.indicative_date for x in xs],
        "service_start": [x.service_start for x in xs],
        "customer_caused": np.array([x.customer_caused for x in xs], dtype=np.int8),
        "appointments": [x.appointments for x in xs],
        "profile": [x.profile for x in xs],
        "outcome": [x.outcome.value for x in xs],
        "reservations": np.array([x.reservations for x in xs], dtype=np.int8),
        "signed_at": [x.signed for x in xs],
    }


def porting_columns(ports: list[Port]) -> dict[str, Any]:
    return {
        "site": [p.site for p in ports],
        "mandate": [p.mandate for p in ports],
        "submitted_at": [p.submitted_at for p in ports],
        "outcome": [p.outcome.value for p in ports],
        "reason": [p.reason for p in ports],
        "ported_at": [p.ported_at for p in ports],
    }
