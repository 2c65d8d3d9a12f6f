"""Robustness suite hooks: count every generated input, print the total at the end of the session.

Loaded by tests/conftest.py so that the xdist controller sees them.

Works with and without pytest-xdist: each worker sends its counts to the controller (`workeroutput`).
"""

from __future__ import annotations

from collections import Counter

import pytest
import rb_harness

_TOTALS: Counter[str] = Counter()


def pytest_configure(config: pytest.Config) -> None:
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(_XdistCounts(), "robustness-counts")


class _XdistCounts:
    """Collects the per-worker counts on the controller."""

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node, error) -> None:  # noqa: ARG002 - xdist's signature
        counts = getattr(node, "workeroutput", {}).get("robustness_counts", {})
        _TOTALS.update(counts)


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: hand the counts to the controller
        workeroutput["robustness_counts"] = dict(rb_harness.COUNTS)


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    totals = Counter(_TOTALS)
    if getattr(config, "workeroutput", None) is None:
        totals.update(rb_harness.COUNTS)
    if not totals:
        return
    tr = terminalreporter
    inputs = {k: n for k, n in totals.items() if not k.startswith("figure: ")}
    figures = {k[len("figure: ") :]: n for k, n in totals.items() if k.startswith("figure: ")}
    if inputs:
        tr.section("robustness: generated inputs tried")
        for name, n in sorted(inputs.items()):
            tr.write_line(f"  {name:<50} {n:>7,}")
        tr.write_line(f"  {'TOTAL':<50} {sum(inputs.values()):>7,}")
    if figures:
        tr.section("robustness: figures")
        for name, n in sorted(figures.items()):
            tr.write_line(f"  {name:<60} {n:>9,}")
