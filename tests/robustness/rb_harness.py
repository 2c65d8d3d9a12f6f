"""Shared tools of the robustness suite: the input counter, an in-process CLI runner, oracles.

The CLI runs in-process (`centrex.cli.main` with `sys.argv` patched, `SystemExit` caught), so thousands
of generated inputs go through the real entry point in seconds.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contracts.errors import InputError

COUNTS: Counter[str] = Counter()
_QUIET_WARNINGS = (DeprecationWarning, PendingDeprecationWarning, ResourceWarning, ImportWarning)


def tick(reader: str) -> None:
    """Count one generated input fed to `reader` (printed at the end of the session)."""
    COUNTS[reader] += 1


@dataclass
class CliResult:
    """What one `centrex …` invocation did."""

    code: int
    out: str
    err: str
    warnings: list[str]


class _CachedApp:
    """The root typer app with its click command built once (typer rebuilds it on every call, which is
    most of an in-process call's time); `centrex.cli.main` still does all the error handling."""

    def __init__(self, app: Any) -> None:
        import typer.main

        self.command = typer.main.get_command(app)

    def __call__(self) -> Any:
        return self.command.main(args=sys.argv[1:], prog_name="centrex")


_CACHE: dict[str, Any] = {}


def run_cli(args: list[str], stdin: str = "") -> CliResult:
    """Run `centrex ARGS` in-process through the real entry point; capture exit code, stdout, stderr."""
    import centrex.cli

    real_app = centrex.cli.app
    if _CACHE.get("app") is not real_app:
        _CACHE.update(app=real_app, cached=_CachedApp(real_app))
    out, err = io.StringIO(), io.StringIO()
    old, old_in = sys.argv, sys.stdin
    sys.argv, sys.stdin = ["centrex", *args], io.StringIO(stdin)
    centrex.cli.app = _CACHE["cached"]  # restored below: other test modules see the real app
    try:
        with (
            warnings.catch_warnings(record=True) as seen,
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
        ):
            warnings.simplefilter("always")
            try:
                centrex.cli.main()
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.argv, sys.stdin = old, old_in
        centrex.cli.app = real_app
    shown = [
        f"{w.category.__name__}: {w.message}" for w in seen if not issubclass(w.category, _QUIET_WARNINGS)
    ]
    return CliResult(code, out.getvalue(), err.getvalue(), shown)


def assert_clean_error(
    res: CliResult, file: Path | str | None = None, *, line: int | None = None, field: str | None = None
) -> str:
    """Exit 2, nothing on stdout, exactly one `error: …` line on stderr naming file (and line, field)."""
    assert res.code == 2, f"exit {res.code}, stderr: {res.err!r}"
    assert res.out == "", f"stdout not empty on error: {res.out[:300]!r}"
    assert "Traceback" not in res.err, res.err
    assert not res.warnings, res.warnings
    lines = res.err.rstrip("\n").split("\n")
    assert len(lines) == 1, f"expected one stderr line, got {res.err!r}"
    msg = lines[0]
    assert msg.startswith("error: "), msg
    if file is not None:
        assert str(file) in msg, f"{msg!r} does not name {file}"
    if line is not None:
        assert f"{file}:{line}:" in msg, f"{msg!r} does not name line {line}"
    if field is not None:
        assert f" {field}: " in msg, f"{msg!r} does not name field {field}"
    return msg


def assert_ok_or_clean_error(res: CliResult, file: Path | str) -> None:
    """Either success (exit 0, no warning) or a clean exit-2 error naming the file."""
    if res.code == 0:
        assert "Traceback" not in res.err and not res.warnings, (res.err, res.warnings)
    else:
        assert_clean_error(res, file)


def read_or_error(reader: Any, path: Path | str, *args: Any) -> Any:
    """Call a reader; return its result or the InputError, after checking the error names the file.

    Any other exception propagates: that is a crash the fuzzer found.
    """
    try:
        return reader(path, *args)
    except InputError as exc:
        assert exc.file is not None and str(path) in str(exc.file), f"error does not name the file: {exc}"
        assert "\n" not in str(exc), f"multi-line error: {exc!r}"
        return exc


def budget(max_examples: int) -> int:
    """A test's example budget times `CENTREX_HYPOTHESIS_BUDGET` (1 in CI; `tox -e fuzz` sets 5).

    Explicit `@settings(max_examples=...)` override the profile, so every budget goes through here.
    """
    raw = os.environ.get("CENTREX_HYPOTHESIS_BUDGET", "1")
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"CENTREX_HYPOTHESIS_BUDGET={raw!r}: expected a whole number >= 1")
    return max_examples * int(raw)


def fuzz(max_examples: int):
    """Hypothesis settings of the suite: an example budget (times the multiplier), no deadline."""
    from hypothesis import HealthCheck, settings

    return settings(
        max_examples=budget(max_examples),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
    )
