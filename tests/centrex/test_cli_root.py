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


# What every command may import at start: the CLI itself, the error type and the enumerations its options
# offer. Anything else (the SLA engine, the inventory, the simulation, numpy, SQLAlchemy…) is imported by
# the command that runs, so `centrex --help` stays lean (issue 14 §7; timings are in bench/startup_bench.py).
LIGHT = {"contracts.errors", "contracts.choices", "provisioning.choices", "sip.choices", "sim.choices"}
LIGHT |= {"sim.rundir"}  # the run directory's schema: `run --outputs/--detail` offer its enums
HEAVY = (
    "numpy",
    "scipy",
    "sqlalchemy",
    "networkx",
    "simpy",
    "pydantic",
    "yaml",
    "jinja2",
    "holidays",
    "dask",
)


def test_start_imports_no_domain_package():
    code = (
        "import sys, centrex.cli\n"
        "print('\\n'.join(sorted(m for m in sys.modules if m.split('.')[0] in "
        f"{{'contracts', 'sim', 'sip', 'provisioning', *{HEAVY!r}}})))"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = {m for m in r.stdout.split() if "." in m or m in HEAVY}
    assert loaded <= LIGHT, sorted(loaded - LIGHT)
