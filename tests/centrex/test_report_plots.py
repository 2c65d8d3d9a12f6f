"""Inline SVG charts: marks carry the data, reference lines are labelled, text is escaped, axes are round."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from hypothesis import given, settings
from hypothesis import strategies as st
from rb_harness import budget

from centrex import plots

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    """Every chart is well-formed XML (an SVG a browser renders without a parser error)."""
    return ET.fromstring(svg)


def marks(root: ET.Element) -> list[ET.Element]:
    return [e for e in root.iter() if "mark" in (e.get("class") or "").split()]


def test_histogram_counts_every_value_once():
    values = [0.5, 1.5, 1.7, 2.2, 9.9, 10.0, 3.3]
    root = parse(plots.histogram("h", values, title="t", markers=[(2.0, "P50")]))
    assert sum(int(m.get("data-value")) for m in marks(root)) == len(values)
    assert root.get("data-points") == str(len(marks(root)))
    (marker,) = [e for e in root.iter() if e.get("class") == "marker"]
    assert marker.get("data-label") == "P50" and float(marker.get("data-value")) == 2.0


def test_discrete_histogram_has_one_bin_per_integer_and_integer_ticks():
    svg = plots.histogram("d", [18, 18, 19, 21, 25], title="t", discrete=True, markers=[(20.0, "threshold")])
    root = parse(svg)
    assert sorted(int(m.get("data-value")) for m in marks(root)) == [1, 1, 1, 2]
    ticks = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "tick"]
    assert ticks and all(re.fullmatch(r"\d+", t) for t in ticks if t != "count")


def test_stacked_bars_stack_and_skip_zeros():
    root = parse(
        plots.bar_chart(
            "b",
            ["2026-01", "2026-02"],
            {"network": [10, 0], "router": [5, 2]},
            title="t",
            stacked=True,
            legend=True,
        )
    )
    assert [float(m.get("data-value")) for m in marks(root)] == [10.0, 5.0, 2.0]
    assert len([e for e in root.iter() if e.get("class") == "legend"]) == 2


def test_fixed_colours_follow_the_series_name():
    colours = {"router": "#123456"}
    svg = plots.bar_chart("b", ["a"], {"network": [1], "router": [2]}, title="t", colours=colours)
    (router,) = [m for m in marks(parse(svg)) if m.get("data-value") == "2.0"]
    assert router.get("fill") == "#123456"


def test_labels_are_escaped():
    svg = plots.hbar_chart("x", ["<site & co>"], [3.0], title='a "title" <b>')
    root = parse(svg)
    assert "<site & co>" in "".join(root.itertext())


def test_empty_chart_says_so_with_zero_points():
    root = parse(plots.histogram("e", [], title="nothing"))
    assert root.get("data-points") == "0" and not marks(root)


def test_line_chart_counts_points_per_series():
    series = {"allowance": [(1, 1), (2, 1), (3, 2)], "needed": [(1, 1), (2, 2), (3, 2)]}
    root = parse(plots.line_chart("l", series, title="t", step=True))
    assert root.get("data-points") == "6"
    assert [m.get("data-points") for m in marks(root)] == ["3", "3"]


def test_interval_chart_marks_targets():
    svg = plots.interval_chart(
        "a", ["alleo", "allset"], [99.8, 99.1], [(99.7, 99.9), None], targets=[99.75, 99.0], title="t"
    )
    root = parse(svg)
    targets = [float(e.get("data-value")) for e in root.iter() if e.get("class") == "marker"]
    assert targets == [99.75, 99.0]


def test_tick_format_uses_the_step_decimals():
    assert [plots.tick_format([0, 0.5, 1.0])(v) for v in (0, 0.5, 1.0)] == ["0.0", "0.5", "1.0"]
    assert plots.tick_format([0, 1000, 2000])(2000) == "2,000"


@settings(max_examples=budget(60), deadline=None)
@given(st.floats(-1e6, 1e6), st.just(0.0) | st.floats(1e-6, 1e6))
def test_nice_ticks_cover_the_range(lo, span):
    hi = lo + span
    ticks = plots.nice_ticks(lo, hi)
    step = ticks[1] - ticks[0]
    assert ticks[0] <= lo + 1e-6 * step and ticks[-1] >= hi - 1e-6 * step  # within a millionth of a step
    assert ticks == sorted(ticks) and 2 <= len(ticks) <= 50
