"""The terminal's lifecycle table (`sim.summary.lifecycle_rows`): shown only when something happened."""

from __future__ import annotations

from sim.summary import LIFECYCLE_COLUMNS, lifecycle_rows


def _summary(value: float) -> dict:
    keys = {key for _, key, _ in LIFECYCLE_COLUMNS}
    stats = {"mean": value, "p50": value, "p95": value}
    return {
        "sites": {"alleo": 3, "allset": 2},
        "aggregate": {k: {"alleo": dict(stats), "allset": {"mean": 0, "p50": 0, "p95": 0}} for k in keys},
    }


def test_nothing_happened_no_table():
    assert lifecycle_rows(_summary(0)) == []


def test_one_profile_with_events_gives_a_row_per_profile_with_every_column():
    rows = lifecycle_rows(_summary(2))
    assert [r["profile"] for r in rows] == ["alleo", "allset"]
    assert list(rows[0])[1:] == [label for label, _, _ in LIFECYCLE_COLUMNS]
    assert rows[0]["etf_p95_€"] == 2 and rows[1]["etf_p95_€"] == 0


def test_an_older_summary_without_the_keys_gives_no_table():
    assert lifecycle_rows({"sites": {"alleo": 1}, "aggregate": {}}) == []
