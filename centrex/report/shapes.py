"""The expected shape of a run's JSON files (`summary.json`, `sla.json`), so that a malformed file is an
InputError naming the file and the field, never a crash halfway through the report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from contracts.errors import InputError

_LOOSE = ConfigDict(extra="allow", coerce_numbers_to_str=True)


class Stats(BaseModel):
    """An aggregate over replications: mean, percentiles, confidence interval (any may be absent)."""

    model_config = _LOOSE
    mean: float | None = None
    p50: float | None = None
    p95: float | None = None
    ci95: tuple[float, float] | None = None


class Replication(BaseModel):
    """One replication's figures per profile."""

    model_config = _LOOSE
    availability: dict[str, float | None]
    credits_owed_eur: dict[str, float]
    credits_claimed_eur: dict[str, float] = Field(default_factory=dict)
    install_credits_eur: float | None = None
    # issue 16, per profile: lifecycle counts and euros, tickets opened on detection, 48-hour non-responses
    terminations: dict[str, float] | None = None
    termination_fees_eur: dict[str, float] | None = None
    moves: dict[str, float] | None = None
    move_fees_eur: dict[str, float] | None = None
    cancellations: dict[str, float] | None = None
    cancellations_billed: dict[str, float] | None = None
    cancellation_fees_eur: dict[str, float] | None = None
    tickets_provider_detected: dict[str, float] | None = None
    non_responses: dict[str, float] | None = None


class Aggregate(BaseModel):
    """Figures aggregated over the replications."""

    model_config = _LOOSE
    availability: dict[str, Stats | None]
    credits_owed_eur: dict[str, Stats | None]
    credits_claimed_eur: dict[str, Stats | None] = Field(default_factory=dict)
    install_credits_eur: Stats | None = None
    terminations: dict[str, Stats | None] | None = None
    termination_fees_eur: dict[str, Stats | None] | None = None
    moves: dict[str, Stats | None] | None = None
    move_fees_eur: dict[str, Stats | None] | None = None
    cancellations: dict[str, Stats | None] | None = None
    cancellations_billed: dict[str, Stats | None] | None = None
    cancellation_fees_eur: dict[str, Stats | None] | None = None
    tickets_provider_detected: dict[str, Stats | None] | None = None
    non_responses: dict[str, Stats | None] | None = None
    restoration_within_objective: dict[str, Stats | None] | None = None
    replacement_within_objective: dict[str, Stats | None] | None = None


class Summary(BaseModel):
    """summary.json."""

    model_config = _LOOSE
    scenario: str
    seed: int
    replications: Annotated[int, Field(ge=1)]
    sites: Annotated[dict[str, Annotated[int, Field(ge=0)]], Field(min_length=1)]
    per_replication: Annotated[list[Replication], Field(min_length=1)]
    aggregate: Aggregate
    choices: dict[str, dict[str, Any]] = Field(default_factory=dict)


class IncidentLine(BaseModel):
    """One ticket of a per-incident statement (ProgetCom)."""

    model_config = _LOOSE
    ticket: str
    credit_eur: float | None = None


class Statement(BaseModel):
    """One statement row (site, month) as `centrex sla compute --format json` prints it."""

    model_config = _LOOSE
    site: str
    month: Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]
    downtime_minutes: float | None = None
    availability: float | None = None
    credit_eur: float | None = None
    lost_to_cap_eur: float | None = None
    install_credit_eur: float | None = None
    incidents: list[IncidentLine] | None = None


class Provenance(BaseModel):
    """Which profile file and which choices produced the statements."""

    model_config = _LOOSE
    profile: str | None = None
    sha256: str | None = None
    choices: dict[str, Any] = Field(default_factory=dict)


class Sla(BaseModel):
    """sla.json."""

    model_config = _LOOSE
    provenance: dict[str, Provenance]
    statements: dict[str, list[Statement]]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="allow")


class RangeUse(_Strict):
    start: str
    size: int
    zone: str
    kind: str
    allocated: int
    free: int


class ZoneUse(_Strict):
    allocated: int
    free: int


class BlockCount(_Strict):
    size: int
    kind: str
    blocks: int


class Rejection(_Strict):
    outcome: str
    reason: str
    mandates: int


class Exhausted(_Strict):
    site: str
    reason: str


class MoveFigures(_Strict):
    kept_numbers: int
    new_numbers: int
    refused: list[Exhausted]


class Provisioning(_Strict):
    """provisioning.json: the run's inventory figures (`sites`, `moves`: issue 16 on)."""

    ranges: list[RangeUse]
    zones: dict[str, ZoneUse]
    blocks: list[BlockCount]
    mandates: dict[str, int]
    rejections: list[Rejection]
    ports_completed: int
    exhausted: list[Exhausted]
    sites: dict[str, int] | None = None
    moves: MoveFigures | None = None


class TenantCheck(_Strict):
    tenant: str
    channel_limit: int
    accounts: int
    limit: str
    evidence: str


class SecurityCheck(_Strict):
    check: str
    passed: bool


class InterTenantCheck(_Strict):
    check: str
    passed: bool
    evidence: str


class SipFigures(_Strict):
    """sip.json: the PBX checks of the run's fleet (`inter_tenant`: issue 16 on)."""

    accounts: int
    registered: int
    refused: int
    tenants: list[TenantCheck]
    security: list[SecurityCheck]
    inter_tenant: InterTenantCheck | None = None


def checked(model: type[BaseModel], data: Any, path: Path) -> dict[str, Any]:
    """Validate `data` against `model`; return it as plain dicts with absent (None) values left out."""
    try:
        return model.model_validate(data).model_dump(exclude_none=True)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"]).lstrip(".")
        raise InputError(err["msg"], file=str(path), field=where or None) from None
