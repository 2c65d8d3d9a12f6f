"""The run-directory schema: every file `centrex run` writes, one row type per file, written once.

The writer (`sim.outputs`, `sim.tables`) builds its columns from these tables, and the report's
reader (`centrex.report.rundir`) parses the files with them. A table is written as `NAME.csv` (the
default) or as a Parquet dataset `NAME/replication=K/part-0.parquet` (`--outputs parquet`), where the
replication is the Hive partition key and not a column of the files.

Which replications a table holds depends on `--detail`: `default` writes the per-replication tables for
every replication and the others for replication 0; `all` writes every table for every replication;
`none` writes no table (only the summary, the scenario and the report).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """How a column's values are written (CSV text / Parquet type)."""

    int = "int"  # decimal integer / int64
    text = "text"  # as is / string
    minutes = "minutes"  # float minutes, 2 decimals in CSV / float64
    money = "money"  # euros with 2 decimals / decimal128(12, 2)
    instant = "instant"  # ISO 8601 with the Paris offset / timestamp[s, Europe/Paris]
    date = "date"  # ISO date / date32
    flag = "flag"  # 0 or 1 / bool
    cause = "cause"  # a cause code of contracts.choices (CONTRACTS §2) / string


class Detail(StrEnum):
    """`--detail`: which replications the tables hold."""

    default = "default"
    all = "all"
    none = "none"


class Outputs(StrEnum):
    """`--outputs`: the tables' file format."""

    csv = "csv"
    parquet = "parquet"


@dataclass(frozen=True)
class Column:
    """One column: `optional` values may be empty (CSV) or null (Parquet); a reader refuses a file
    without a `required` column; a column that is not `written` is only accepted on reading."""

    name: str
    kind: Kind
    optional: bool = False
    required: bool = True
    written: bool = True


@dataclass(frozen=True)
class Table:
    """The row type of one file of the run directory."""

    name: str
    columns: tuple[Column, ...]
    every_replication: bool  # under --detail default: True for every replication, False for replication 0

    @property
    def csv_name(self) -> str:
        """The CSV file's name."""
        return f"{self.name}.csv"

    @property
    def written(self) -> tuple[Column, ...]:
        """The columns the writer writes, in file order, the replication column excluded."""
        return tuple(c for c in self.columns if c.written and c.name != REPLICATION)

    def header(self, with_replication: bool) -> str:
        """The CSV header line (no end of line)."""
        names = [c.name for c in self.written]
        return ",".join([REPLICATION, *names] if with_replication else names)

    def csv_has_replication(self, detail: Detail) -> bool:
        """The CSV file starts with a replication column: the per-replication tables always, the others
        when they hold every replication (--detail all)."""
        return self.every_replication or detail is Detail.all


REPLICATION = "replication"
_REP = Column(REPLICATION, Kind.int)
_REP_READ = Column(REPLICATION, Kind.int, required=False)


def _c(name: str, kind: Kind, optional: bool = False, required: bool = True) -> Column:
    return Column(name, kind, optional, required)


EVENTS = Table(
    "events",
    (
        _REP,
        _c("component", Kind.text),
        _c("kind", Kind.text),
        _c("site", Kind.text),
        _c("profile", Kind.text),
        _c("down_at", Kind.instant),
        _c("up_at", Kind.instant, optional=True),
        _c("cause", Kind.text),
        _c("total_outage", Kind.flag),
    ),
    every_replication=True,
)
INCIDENTS = Table(
    "incidents",
    (
        _REP_READ,
        _c("ticket", Kind.text),
        _c("site", Kind.text),
        _c("notified_at", Kind.instant),
        _c("restored_at", Kind.instant, optional=True),
        _c("cause", Kind.cause),
        _c("profile", Kind.text, required=False),
        _c("departement", Kind.text, required=False),
        # who opened the ticket and what the provider recorded on it (001 §4, 002 §4; engine columns)
        _c("detected_by", Kind.text, required=False),
        _c("pending_since", Kind.instant, optional=True, required=False),
        _c("answered_at", Kind.instant, optional=True, required=False),
        _c("diagnosed_at", Kind.instant, optional=True, required=False),
        _c("replaced_at", Kind.instant, optional=True, required=False),
        _c("under_warranty", Kind.flag, optional=True, required=False),
    ),
    every_replication=False,
)
BILLING = Table(
    "billing",
    (
        _REP_READ,
        _c("site", Kind.text),
        _c("month", Kind.text),
        _c("recurring_fees", Kind.money),
        _c("usage_charges", Kind.money),
        _c("departement", Kind.text),
        _c("profile", Kind.text, required=False),
    ),
    every_replication=False,
)
INSTALLS = Table(
    "installs",
    (
        _REP_READ,
        _c("site", Kind.text),
        _c("handsets", Kind.int),
        _c("indicative_date", Kind.date),
        _c("service_start", Kind.date, optional=True),
        _c("customer_caused", Kind.flag),
        _c("appointments", Kind.int, optional=True, required=False),
        _c("profile", Kind.text, required=False),
        _c("outcome", Kind.text, required=False),
        _c("reservations", Kind.flag, required=False),
        _c("signed_at", Kind.date, required=False),
    ),
    every_replication=False,
)
PORTING = Table(
    "porting",
    (
        _REP_READ,
        _c("site", Kind.text),
        _c("mandate", Kind.text),
        _c("submitted_at", Kind.date),
        _c("outcome", Kind.text),
        _c("reason", Kind.text),
        _c("ported_at", Kind.date, optional=True),
    ),
    every_replication=False,
)
RESTORATIONS = Table(
    "restorations",
    (
        _REP,
        _c("ticket", Kind.text),
        _c("site", Kind.text),
        _c("profile", Kind.text),
        _c("cause", Kind.cause),
        _c("kind", Kind.text),
        _c("notified_at", Kind.instant),
        _c("restored_at", Kind.instant, optional=True),
        _c("business_minutes", Kind.minutes),
        _c("wallclock_minutes", Kind.minutes),
        _c("objective_minutes", Kind.minutes, optional=True),
        _c("within_objective", Kind.flag, optional=True),
        # read when present (a hand-made run directory may say which clock the objective runs on)
        Column("clock", Kind.text, optional=True, required=False, written=False),
    ),
    every_replication=True,
)

LIFECYCLE = Table(
    "lifecycle",
    (
        _REP_READ,
        _c("site", Kind.text),
        _c("profile", Kind.text),
        _c("event", Kind.text),  # cancellation | move | termination (sim.choices.LifeEvent)
        _c("on", Kind.date),  # the day of the cancellation, of the move, or the termination's effect
        _c("appointment_at", Kind.instant, optional=True),  # the cancelled appointment
        _c("billed", Kind.flag),
        _c("fee_eur", Kind.money, optional=True),  # empty: nothing computed (the clause says why)
        _c("clause", Kind.text),
        _c("new_departement", Kind.text, optional=True),  # a move's destination
        _c("keeps_numbers", Kind.flag, optional=True),  # a move: the site keeps its numbers (000 §2.3)
    ),
    every_replication=False,
)

#: The tables in the order they are written and read.
TABLES: tuple[Table, ...] = (EVENTS, INCIDENTS, BILLING, INSTALLS, PORTING, RESTORATIONS, LIFECYCLE)
BY_NAME = {t.name: t for t in TABLES}

SUMMARY = "summary.json"
SLA = "sla.json"
SCENARIO = "scenario.yaml"
RESOLVED = "scenario.resolved.json"
REPORT = "report.html"
#: With --detail all, replication K's statements (K >= 1) go to `sla/replication=K.json`.
SLA_DIR = "sla"


def partition(table: str, replication: int) -> str:
    """Relative path of a replication's Parquet file: deterministic, so any worker writes the same name."""
    return f"{table}/{REPLICATION}={replication}/part-0.parquet"


def sla_partition(replication: int) -> str:
    """Relative path of the statements of replication `replication` >= 1 under --detail all."""
    return f"{SLA_DIR}/{REPLICATION}={replication}.json"


def tables_of(detail: Detail, replication: int) -> tuple[Table, ...]:
    """The tables a replication contributes to under `detail`."""
    if detail is Detail.none:
        return ()
    if detail is Detail.all or replication == 0:
        return TABLES
    return tuple(t for t in TABLES if t.every_replication)
