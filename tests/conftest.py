"""Session-wide set-up: the Hypothesis profiles, the test order, the robustness suite's input counts.

Two Hypothesis profiles, chosen by `CENTREX_HYPOTHESIS_PROFILE` (tox.ini sets it; `ci` when unset):
- `ci`, the README's test command: derandomized (the same examples on every run), no example database,
  no deadline, and a failure prints its `@reproduce_failure` blob;
- `fuzz` (`tox -e fuzz`): a random seed, printed in the header and replayed by `--hypothesis-seed=N`.
Budgets are multiplied by `CENTREX_HYPOTHESIS_BUDGET` (`rb_harness.budget`), which `tox -e fuzz` sets.

`CENTREX_TEST_ORDER=reversed|random` runs the tests in reverse or in a random order (modules shuffled,
then the tests inside each module, so module fixtures are set up once); the random order follows the
same seed, so `--hypothesis-seed=N` replays the order too.

Hypothesis keeps a directory of caches even without a database; it goes to a temporary directory,
removed at the end, so a run writes no `.hypothesis/` into the working tree.

The robustness hooks live here (not in tests/robustness/) so that pytest-xdist's controller, which
collects nothing, still aggregates the workers' counts and prints the total.
"""

from __future__ import annotations

import os
import random
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

_OWN_STORAGE = "HYPOTHESIS_STORAGE_DIRECTORY" not in os.environ
if _OWN_STORAGE:  # before hypothesis is imported; xdist workers inherit it (and do not remove it)
    os.environ["HYPOTHESIS_STORAGE_DIRECTORY"] = tempfile.mkdtemp(prefix="centrex-hypothesis-")

sys.path.insert(0, str(Path(__file__).parent / "robustness"))

from hypothesis import settings  # noqa: E402
from rb_counts import pytest_configure as _counts_configure  # noqa: E402
from rb_counts import pytest_sessionfinish  # noqa: E402
from rb_counts import pytest_terminal_summary as _counts_summary  # noqa: E402
from rb_harness import budget  # noqa: E402

__all__ = ["pytest_sessionfinish"]

PROFILE = os.environ.get("CENTREX_HYPOTHESIS_PROFILE", "ci")
ORDER = os.environ.get("CENTREX_TEST_ORDER", "")
_ORDERS = ("", "reversed", "random")

_COMMON = {"database": None, "deadline": None, "print_blob": True}
settings.register_profile("ci", derandomize=True, max_examples=budget(100), **_COMMON)
settings.register_profile("fuzz", derandomize=False, max_examples=budget(100), **_COMMON)
settings.load_profile(PROFILE)


def _profile(config: pytest.Config) -> str:
    return config.getoption("hypothesis_profile") or PROFILE


@pytest.hookimpl(tryfirst=True)  # before Hypothesis' own hook reads --hypothesis-seed
def pytest_configure(config: pytest.Config) -> None:
    if ORDER not in _ORDERS:
        raise pytest.UsageError(f"CENTREX_TEST_ORDER={ORDER!r}: expected one of reversed, random")
    random_run = _profile(config) == "fuzz" or ORDER == "random"
    if random_run and config.getoption("hypothesis_seed") is None and not hasattr(config, "workerinput"):
        # xdist hands the controller's options to its workers: every worker gets this seed
        config.option.hypothesis_seed = str(random.SystemRandom().randrange(2**32))
    _counts_configure(config)


def pytest_unconfigure(config: pytest.Config) -> None:
    if _OWN_STORAGE and not hasattr(config, "workerinput"):
        shutil.rmtree(os.environ["HYPOTHESIS_STORAGE_DIRECTORY"], ignore_errors=True)


def _hashseed() -> str:
    return f"PYTHONHASHSEED={os.environ.get('PYTHONHASHSEED', 'random')}"  # set orders; tox --hashseed H


def pytest_report_header(config: pytest.Config) -> list[str]:
    seed = config.getoption("hypothesis_seed")
    name = _profile(config)
    if name == "ci":
        how = "derandomized: the same examples on every run"
    elif seed is not None:
        how = f"seed {seed}; replay with --hypothesis-seed={seed} (and the same budget)"
    else:
        how = "random seed"
    lines = [f"hypothesis profile {name!r} ({how}), budget x{budget(1)}, {_hashseed()}"]
    if ORDER:
        lines.append(f"test order: {ORDER}" + (f" (seed {seed})" if ORDER == "random" else ""))
    return lines


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    _counts_summary(terminalreporter, config)
    seed = config.getoption("hypothesis_seed")
    if seed is not None and _profile(config) != "ci":  # beside the failures, where it is needed
        tr = terminalreporter
        tr.section("hypothesis seed")
        order = ORDER or "file"
        tr.write_line(
            f"  replay this run: --hypothesis-seed={seed} (budget x{budget(1)}, order {order}, {_hashseed()})"
        )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Reverse or shuffle the tests (CENTREX_TEST_ORDER) to show that none depends on another's run."""
    if ORDER == "reversed":
        items.reverse()
    elif ORDER == "random":
        rng = random.Random(str(config.getoption("hypothesis_seed")))  # str seeds hash the same everywhere
        modules: dict[str, list[pytest.Item]] = {}
        for item in items:
            modules.setdefault(item.nodeid.split("::", 1)[0], []).append(item)
        groups = list(modules.values())
        rng.shuffle(groups)
        for group in groups:
            rng.shuffle(group)
        items[:] = [item for group in groups for item in group]
