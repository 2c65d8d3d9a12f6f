"""Typed shape of a profile's `sla:` section, checked once at load for every reading of every [choice].

Choice-dependent values (`{choice: k}`, `{choice: k, map: {…}}`, `{choice: k, variants: {…}}`) are
resolved for the choices in force by `Profile.sla_terms` (contracts/terms.py), which every reader uses. A
damaged user profile would then fail only under some `--set`, so here each value is resolved for EVERY
declared value of its choice and validated against the typed models below: a profile that loads can be
computed under any `--set` the choices allow.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, StrictBool, TypeAdapter, ValidationError

from contracts.choices import SLA_KINDS, SlaKind
from contracts.errors import InputError

MAX_HOURS = 100_000  # ~11 years: beyond any restoration time or deadline, far inside int64 seconds
MAX_EUR = Decimal(1_000_000)
TIER_MAX_DENOMINATOR = 10**6  # exact tier comparison in int64 (contracts/sla.py `_tier_index`)


def _number(value: Any) -> Decimal:
    """A finite number written as an int, a float or a decimal string (never a bool)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueError(f"expected a number, got {value!r}")
    try:
        d = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"not a number: {value!r}") from None
    if not d.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return d


def _bounded(lo: Decimal | int, hi: Decimal | int, what: str) -> Callable[[Any], Any]:
    """A validator of a number in [lo, hi]; the original value is kept (the engine converts it itself)."""

    def check(value: Any) -> Any:
        d = _number(value)
        if not lo <= d <= hi:
            raise ValueError(f"{what} must be from {lo} to {hi}, got {value!r}")
        return value

    return check


def _threshold(value: Any) -> Any:
    """A tier threshold in percent: read with `Fraction(str(x))` by the engine, compared in int64."""
    _bounded(0, 100, "a threshold")(value)
    if Fraction(str(value).strip()).denominator > TIER_MAX_DENOMINATOR:
        raise ValueError(f"a threshold has at most 6 decimal places, got {value!r}")
    return value


def _decimal_text(value: Any) -> str:
    """An amount in euros kept as text (`Decimal(text)` in the engine); a plain YAML number is accepted."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise ValueError(f'expected an amount such as "15", got {value!r}')
    _bounded(0, MAX_EUR, "an amount")(value)
    return value.strip()


Pct = Annotated[Any, BeforeValidator(_bounded(0, 100, "a percentage"))]
Hours = Annotated[Any, BeforeValidator(_bounded(0, MAX_HOURS, "a number of hours"))]
Threshold = Annotated[Any, BeforeValidator(_threshold)]
Euros = Annotated[str, BeforeValidator(_decimal_text)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TierRow(_Strict):
    """Availability tier: `A ≥ min` (or `A > min` when not inclusive) gives `pct`; no `min` = catch-all."""

    min: Threshold | None = None
    inclusive: StrictBool = True
    pct: Pct


class GtrRow(_Strict):
    """GTR tier (002 §4): a restoration of at least `min_hours` gives `pct`; no `min_hours` = catch-all."""

    min_hours: Hours | None = None
    inclusive: StrictBool = True
    pct: Pct


class _SlaBase(_Strict):
    """Keys every kind may have. A key without `| None` refuses an explicit null (a default stands only
    for an absent key)."""

    clause: str = ""
    clock: Literal["business", "wallclock"] = "business"
    start: Literal["notification", "first_business_minute"] = "notification"
    start_clause: str = ""
    credited: StrictBool = False
    tiers_clause: str = ""
    base: str = ""
    base_clause: str = ""


class NoSla(_SlaBase):
    """No service level at all."""

    kind: Literal["none"]


class AvailabilitySla(_SlaBase):
    """Monthly availability → tier → credit on recurring fees + mean usage (000 §5.3, 001 §4, 004 §8)."""

    kind: Literal["availability"]
    denominator: Literal["calendar_month", "business_window"] = "calendar_month"
    denominator_clause: str = ""
    objective_pct: Pct | None = None
    tiers: Annotated[list[TierRow], BeforeValidator(lambda v: _non_empty(v, "tier"))] = [TierRow(pct=0)]


class PerIncidentSla(_SlaBase):
    """Per-incident GTR credit on the recurring fees of the month of restoration (002 §4)."""

    kind: Literal["per_incident"]
    gtr_tiers: Annotated[list[GtrRow], BeforeValidator(lambda v: _non_empty(v, "GTR tier"))]
    gtr_max_pct: Pct | None = None
    non_response_hours: Hours = None
    non_response_clause: str = ""


def _non_empty(value: Any, what: str) -> Any:
    if isinstance(value, list) and not value:
        raise ValueError(f"at least one {what} row is needed")
    return value


MODELS: dict[str, type[_SlaBase]] = {
    SlaKind.none: NoSla,
    SlaKind.availability: AvailabilitySla,
    SlaKind.per_incident: PerIncidentSla,
}
# The keys the engine passes through `Profile.resolve`: only these may depend on a choice.
RESOLVED = ("clock", "credited", "denominator", "objective_pct", "tiers", "gtr_tiers")
_REF_KEYS = {"choice", "map", "variants"}


def _norm(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v).strip().lower()


def _field_path(loc: tuple) -> str:
    """('tiers', 1, 'pct') → 'tiers[1].pct' (the address a user finds in the YAML)."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def readings(ref: Mapping, specs: Mapping[str, Any], where: str, file: str) -> Iterator[tuple[str, str, Any]]:
    """Every value a `{choice: …}` reference can resolve to: (choice=value, YAML path, resolved value).

    Mirrors `Profile.resolve`: `map` then `variants`, the first entry whose key matches the choice value.
    """
    extra = sorted(str(k) for k in ref if k not in _REF_KEYS)
    if extra:
        raise InputError(f"unknown key(s) {', '.join(extra)} in a choice reference", file=file, field=where)
    key = ref["choice"]
    if not isinstance(key, str) or key not in specs:
        declared = ", ".join(sorted(specs)) or "none"
        raise InputError(f"refers to undeclared choice {key!r}; declared: {declared}", file=file, field=where)
    spec = specs[key]
    tables = [t for t in ("map", "variants") if t in ref]
    if len(tables) > 1:
        raise InputError(
            "a choice reference has either `map` or `variants`, not both", file=file, field=where
        )
    if spec.values is None:
        if tables:
            raise InputError(
                f"choice {key!r} is a numeric range; it cannot select a {tables[0]} entry",
                file=file,
                field=where,
            )
        for v in dict.fromkeys((spec.default, *spec.range)):
            yield f"{key}={_norm(v)}", where, float(v)
        return
    if not tables:
        for v in spec.values:
            yield f"{key}={_norm(v)}", where, v
        return
    table = ref[tables[0]]
    tpath = f"{where}.{tables[0]}"
    if not isinstance(table, Mapping):
        raise InputError(f"expected a mapping of {key} values, got {table!r}", file=file, field=tpath)
    for v in spec.values:
        hit = next((k for k in table if _norm(k) == _norm(v)), _MISSING)
        if hit is _MISSING:
            raise InputError(f"no {tables[0]} entry for {key}={_norm(v)}", file=file, field=tpath)
        yield f"{key}={_norm(v)}", f"{tpath}.{hit}", table[hit]


_MISSING = object()


def check_resolvable(value: Any, specs: Mapping[str, Any], where: str, file: str, check: Callable) -> None:
    """Validate `value` with `check` as is, or under every reading when it is a choice reference."""
    if isinstance(value, Mapping) and "choice" in value:
        for reading, path, resolved in readings(value, specs, where, file):
            _run(check, resolved, path, file, f" (with {reading})")
    else:
        _run(check, value, where, file, "")


def _run(check: Callable, value: Any, where: str, file: str, note: str) -> None:
    try:
        check(value)
    except ValidationError as exc:
        err = exc.errors()[0]
        sub = _field_path(tuple(err["loc"]))
        field = f"{where}{'' if not sub else ('' if sub.startswith('[') else '.') + sub}"
        msg = err["msg"].removeprefix("Value error, ")
        raise InputError(f"{msg}{note}", file=file, field=field) from None


def check_sla(sla: Mapping[str, Any], specs: Mapping[str, Any], file: str) -> None:
    """Refuse an `sla:` section the engine could not compute with, naming `sla.<path>` in the profile file."""
    kind = sla.get("kind")
    if not isinstance(kind, str) or kind not in MODELS:
        raise InputError(f"must be one of {', '.join(SLA_KINDS)}, got {kind!r}", file=file, field="sla.kind")
    model = MODELS[kind]
    fields = model.model_fields
    unknown = sorted(str(k) for k in sla if k not in fields)
    if unknown:
        allowed = ", ".join(fields)
        raise InputError(
            f"unknown key for kind {kind}; allowed: {allowed}", file=file, field=f"sla.{unknown[0]}"
        )
    for name in fields:
        if name not in sla:
            if fields[name].is_required():
                raise InputError(f"missing (needed by kind {kind})", file=file, field=f"sla.{name}")
            continue
        adapter = _adapter(model, name)
        value = sla[name]
        if name in RESOLVED:
            check_resolvable(value, specs, f"sla.{name}", file, adapter.validate_python)
        else:
            _run(adapter.validate_python, value, f"sla.{name}", file, "")


def _adapter(model: type[BaseModel], name: str) -> TypeAdapter:
    key = (model, name)
    if key not in _ADAPTERS:
        info = model.model_fields[name]
        tp = Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
        _ADAPTERS[key] = TypeAdapter(tp)
    return _ADAPTERS[key]


_ADAPTERS: dict[tuple[type[BaseModel], str], TypeAdapter] = {}


# ----- objectives (000 §5.4, 001 §4, 002 §4): hours under every reading ------------------------------------

OBJECTIVE_KEYS = ("restoration_business_hours", "restoration_hours", "equipment_replacement_hours")
_HOURS = TypeAdapter(Hours).validate_python
_STRICT_BOOL = TypeAdapter(StrictBool).validate_python


class WarrantySplit(_Strict):
    """001 §4 `warranty_split`: hours under warranty, and otherwise."""

    under_warranty: Hours
    otherwise: Hours


class ObjectiveSpec(_Strict):
    """`{value: h | choice: k, clause, [warranty_split: {…}], [under_warranty_only: bool | {choice: k}]}`."""

    value: Any = None
    choice: str | None = None
    clause: str = ""
    warranty_split: WarrantySplit | None = None
    under_warranty_only: Any = False


def check_objectives(objectives: Any, specs: Mapping[str, Any], file: str) -> None:
    """Refuse an `objectives:` section `contracts/terms.py` could not read, under every reading."""
    if not isinstance(objectives, Mapping):
        raise InputError(f"expected a mapping, got {objectives!r}", file=file, field="objectives")
    for key, raw in objectives.items():
        where = f"objectives.{key}"
        if key not in OBJECTIVE_KEYS:
            raise InputError(f"unknown objective; one of {', '.join(OBJECTIVE_KEYS)}", file=file, field=where)
        try:
            spec = ObjectiveSpec.model_validate(raw)
        except ValidationError as exc:
            err = exc.errors()[0]
            sub = _field_path(tuple(err["loc"]))
            msg = err["msg"].removeprefix("Value error, ")
            raise InputError(msg, file=file, field=f"{where}.{sub}" if sub else where) from None
        if (spec.value is None) == (spec.choice is None):
            raise InputError("needs exactly one of `value` or `choice`", file=file, field=where)

        def hours(v: Any, split: WarrantySplit | None = spec.warranty_split, k: str = key) -> Any:
            if k == "equipment_replacement_hours" and v == "warranty_split":
                if split is None:
                    raise ValueError(
                        "`warranty_split` needs a `warranty_split: {under_warranty, otherwise}` entry"
                    )
                return v
            return _HOURS(v)

        ref = {"choice": spec.choice} if spec.choice is not None else spec.value
        check_resolvable(
            ref, specs, f"{where}.{'choice' if spec.choice else 'value'}", file, _plain_check(hours)
        )
        check_resolvable(spec.under_warranty_only, specs, f"{where}.under_warranty_only", file, _STRICT_BOOL)


def _plain_check(check: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A ValueError of `check` as the ValidationError `_run` words (file, field, reason)."""

    def run(value: Any) -> Any:
        try:
            return check(value)
        except ValueError as exc:
            if isinstance(exc, ValidationError):
                raise
            raise ValidationError.from_exception_data(
                "objective", [{"type": "value_error", "loc": (), "input": value, "ctx": {"error": str(exc)}}]
            ) from None

    return run
