"""The command-line experience (issue 9 §3): every help has an example, `--quiet` silences status lines,
errors are one line without a traceback unless `--debug`, and typer's shell completion is offered."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import typer
from typer.testing import CliRunner

from centrex.cli import app


def centrex(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "centrex.cli", *args], capture_output=True, text=True)


def all_commands() -> list[tuple[str, ...]]:
    """The path of every group and command under the root, e.g. ('sla', 'compute')."""
    root = typer.main.get_command(app)
    paths: list[tuple[str, ...]] = []

    def walk(cmd, path: tuple[str, ...]) -> None:
        paths.append(path)
        if hasattr(cmd, "commands"):  # a group (typer vendors its own click)
            for name, sub in sorted(cmd.commands.items()):
                if not sub.hidden:
                    walk(sub, (*path, name))

    walk(root, ())
    return paths


COMMANDS = all_commands()


def help_text(path: tuple[str, ...]) -> str:
    result = CliRunner().invoke(
        app, [*path, "--help"], env={"COLUMNS": "200", "TERM": "dumb"}, terminal_width=200
    )
    assert result.exit_code == 0, result.output
    return result.output


def test_the_tree_has_commands():
    assert ("report",) in COMMANDS
    assert len(COMMANDS) > 5


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "centrex")
def test_every_help_shows_an_example(path):
    """Every help (the root's, each group's, each command's) has an example calling it: `centrex <path> …`."""
    text = help_text(path)
    body = "\n".join(line for line in text.splitlines() if "Usage:" not in line)
    invocation = " ".join(("centrex", *path))
    assert re.search(r"\bexamples?\b", body, re.I), f"`{invocation} --help` has no example"
    pattern = rf"{re.escape(invocation)}(\s|$)" if path else r"centrex [a-z]"
    assert re.search(pattern, body), f"`{invocation} --help` shows no `{invocation} …` call"


def test_root_help_offers_shell_completion():
    text = help_text(())
    assert "--install-completion" in text and "--show-completion" in text


def test_root_help_offers_quiet_and_debug():
    text = help_text(())
    assert "--quiet" in text and "--debug" in text


def test_error_is_one_line_without_traceback(tmp_path):
    r = centrex("report", str(tmp_path / "missing-run"))
    assert r.returncode == 2
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "Traceback" not in r.stderr


def test_debug_shows_the_traceback(tmp_path):
    r = centrex("--debug", "report", str(tmp_path / "missing-run"))
    assert r.returncode == 2
    assert "Traceback (most recent call last)" in r.stderr
    assert r.stderr.strip().splitlines()[-1].startswith("error: ")


def test_quiet_silences_status_lines(run_dir, tmp_path):
    loud = centrex("report", str(run_dir), "--out", str(tmp_path / "a.html"))
    quiet = centrex("--quiet", "report", str(run_dir), "--out", str(tmp_path / "b.html"))
    assert loud.returncode == quiet.returncode == 0
    assert "wrote" in loud.stderr
    assert quiet.stderr == "" and quiet.stdout == ""
    assert (tmp_path / "b.html").read_bytes() == (tmp_path / "a.html").read_bytes()


def test_bad_option_is_exit_2_without_traceback():
    r = centrex("report", "--no-such-option")
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
