"""The root command: help, and errors as one line with exit code 2."""

import subprocess
import sys


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "centrex.cli", *args], capture_output=True, text=True)


def test_help_lists_command_groups():
    r = run("--help")
    assert r.returncode == 0
    assert "Usage" in r.stdout


def test_unknown_command_is_an_error():
    r = run("no-such-command")
    assert r.returncode == 2
