"""Render the report (and the capacity page) to one self-contained HTML file: inline CSS and SVG, no CDN."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from centrex import plots
from centrex.report.rundir import Run, load_run
from centrex.report.sections import SECTIONS, Section, Table, build_sections
from contracts import atomic
from contracts.errors import InputError
from sim.rundir import Detail

REPORT_FILE = "report.html"
REPORT_STEPS = len(SECTIONS) + 2  # read, each section, write
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

_env = Environment(
    # next to this file, not through the `centrex` package spec: tests/centrex can shadow it as a namespace
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html", "j2"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def render_page(template: str, **context: Any) -> str:
    """Render one of the page templates (they extend `_layout.html.j2`: same look, offline)."""
    return _env.get_template(template).render(**context)


def _facts(run: Run) -> list[tuple[str, str]]:
    s = run.summary
    sites = " · ".join(f"{p} {n}" for p, n in s["sites"].items())
    return [
        ("scenario", str(s["scenario"])),
        ("seed", str(s["seed"])),
        ("replications", str(s["replications"])),
        ("sites", f"{sum(int(n) for n in s['sites'].values())}"),
        ("sites per profile", sites),
        ("component events", f"{sum(run.event_kinds.values()):,}"),
        ("tickets (rep. 0)", f"{sum(1 for i in run.incidents if i.get('replication', 0) == 0):,}"),
    ] + (
        [("tables", "not written (--detail none): summary figures only")] if run.detail is Detail.none else []
    )


def render_report(run: Run, on_step: Callable[[str], None] | None = None) -> str:
    """Return the report's HTML for a loaded run (`on_step(name)` after each section)."""
    sections = build_sections(run, on_step)
    return _env.get_template("report.html.j2").render(
        title=f"centrex run report — {run.summary['scenario']}",
        facts=_facts(run),
        sections=sections,
    )


def write_report(
    run_dir: Path, out: Path | None = None, *, on_step: Callable[[str], None] | None = None
) -> Path:
    """Build the report of `run_dir` and write it atomically to `out` (default RUN_DIR/report.html).

    Raises InputError naming the missing or malformed file when the run directory is incomplete.
    `on_step(name)` is called after each of the REPORT_STEPS steps (reading, each section, writing).
    """
    target = Path(out) if out is not None else Path(run_dir) / REPORT_FILE
    if target.is_dir():
        raise InputError(
            "is a directory; give the path of the HTML file to write", file=str(target), field="--out"
        )
    step = on_step or (lambda _name: None)
    run = load_run(Path(run_dir))
    step("read the run directory")
    html = render_report(run, on_step)
    atomic.write_text(target, html)
    step(f"wrote {target.name}")
    return target


def _cell(value: Any) -> str:
    """A table cell: floats to 6 significant digits (a blocking probability needs no more)."""
    if value is None:
        return ""
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def render_capacity_html(
    rows: Sequence[Mapping[str, Any]],
    *,
    x: str = "users",
    ys: Sequence[str] = ("allowance_channels", "channels_needed"),
    labels: Mapping[str, str] | None = None,
    columns: Sequence[str] | None = None,
    title: str = "Capacity curve",
    subtitle: str = "",
    x_label: str = "billable users",
    step: bool = True,
) -> str:
    """Return a self-contained HTML page drawing the capacity curve (`ys` against `x`) like the run report.

    `rows` are the rows `centrex capacity table` prints; `labels` names the curves in the legend
    (default: the column names); `columns` picks the table's columns (default: every scalar key);
    `subtitle` is printed above the chart (e.g. the provenance line).
    """
    labels = labels or {}
    series = {
        labels.get(y, y.replace("_", " ")): [(float(r[x]), float(r[y])) for r in rows if r.get(y) is not None]
        for y in ys
    }
    chart = plots.line_chart(
        "plot-capacity",
        series,
        title="Channels allowed vs channels needed",
        x_label=x_label,
        y_label="channels",
        step=step,
    )
    if columns is None:
        columns = [c for c, v in (rows[0].items() if rows else []) if not isinstance(v, dict | list)]
    table = Table(
        "table-capacity",
        "Capacity table",
        list(columns),
        [[_cell(r.get(c)) for c in columns] for r in rows],
        set(range(len(columns))),
    )
    section = Section("capacity", "Capacity curve", subtitle, [chart], [table])
    return _env.get_template("capacity.html.j2").render(title=title, sections=[section], facts=[])


def write_capacity_html(rows: Sequence[Mapping[str, Any]], out: Path, **kwargs: Any) -> Path:
    """Write `render_capacity_html(rows, **kwargs)` atomically to `out`; return `out`."""
    atomic.write_text(out, render_capacity_html(rows, **kwargs))
    return Path(out)
