"""Session-wide hooks: the robustness suite's count of generated inputs, printed at the end of a run.

Loaded here (not in tests/robustness/) so that pytest-xdist's controller, which collects nothing, still
aggregates the workers' counts and prints the total.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "robustness"))

from rb_counts import pytest_configure, pytest_sessionfinish, pytest_terminal_summary  # noqa: E402

__all__ = ["pytest_configure", "pytest_sessionfinish", "pytest_terminal_summary"]
