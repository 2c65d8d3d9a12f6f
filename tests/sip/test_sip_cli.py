"""`centrex pbx …` and `centrex sip …` end to end, as a user runs them."""

import json
import os
import socket
import subprocess
import sys
from xml.etree import ElementTree as ET

import pytest

pytestmark = pytest.mark.sip


def centrex(*args: str, cwd=None, env=None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "centrex.cli", "--quiet", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        timeout=300,
    )


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    """`centrex pbx up --demo --port 0` in a run dir; `pbx down` at the end."""
    run = tmp_path_factory.mktemp("cli") / "pbx"
    r = centrex("pbx", "up", "--demo", "--port", "0", "--run-dir", str(run), "--format", "json")
    assert r.returncode == 0, r.stderr
    yield run, json.loads(r.stdout)
    centrex("pbx", "down", "--run-dir", str(run))


def test_up_reports_a_running_pbx(running):
    run, status = running
    assert status["running"] is True and status["options"] == 200 and status["accounts"] == 7
    r = centrex("pbx", "status", "--run-dir", str(run), "--format", "json")
    assert r.returncode == 0 and json.loads(r.stdout)["pid"] == status["pid"]


def test_up_listens_on_loopback_unless_asked(running, tmp_path):
    _, status = running
    assert status["address"].startswith("127.0.0.1:")
    run = tmp_path / "pbx2"
    r = centrex(
        "pbx", "up", "--demo", "--port", "0", "--host", "127.0.0.2", "--run-dir", str(run), "--format", "json"
    )
    try:
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["address"].startswith("127.0.0.2:")
    finally:
        centrex("pbx", "down", "--run-dir", str(run))


def test_check_writes_junit_and_passes(running, tmp_path):
    run, _ = running
    out = tmp_path / "sip-check.xml"
    r = centrex("sip", "check", "--run-dir", str(run), "--format", "junit", "--out", str(out))
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout == ""
    suite = ET.parse(out).getroot().find("testsuite")
    assert suite is not None and suite.get("failures") == "0" and int(suite.get("tests")) >= 13


def test_check_json_for_one_tenant(running):
    run, _ = running
    r = centrex(
        "sip", "check", "--run-dir", str(run), "--format", "json", "--tenant", "acme", "--sample", "2"
    )
    data = json.loads(r.stdout)
    assert r.returncode == 0 and data["passed"] is True
    names = [c["name"] for c in data["checks"]]
    assert "channel_limit:acme" in names and "channel_limit:globex" not in names
    assert sum(n.startswith("registration:") for n in names) == 2


def test_load_prints_what_the_pbx_sustained(running):
    run, _ = running
    r = centrex(
        "sip", "load", "--run-dir", str(run), "--registrations", "200", "--calls", "7", "--format", "json"
    )
    data = json.loads(r.stdout)
    assert r.returncode == 0, r.stderr
    assert data["registrations_ok"] == 200 and data["calls_accepted"] == 7 and data["wrongly_refused"] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("sip", "check", "--tenant", "ghost", "--format", "json"), "unknown tenant 'ghost'"),
        (("sip", "load", "--tenant", "ghost", "--calls", "1"), "unknown tenant 'ghost'"),
        (("sip", "check", "--sample", "0"), "--sample must be at least 1"),
    ],
)
def test_bad_input_against_the_running_pbx(running, args, message):
    run, _ = running
    r = centrex(*args, "--run-dir", str(run))
    assert r.returncode == 2 and message in r.stderr and r.stdout == ""


def test_port_in_use_exit_2(tmp_path):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        r = centrex("pbx", "up", "--demo", "--port", str(port), "--run-dir", str(tmp_path / "pbx"))
    assert r.returncode == 2 and f"UDP port {port} on 127.0.0.1 is in use" in r.stderr
    assert r.stdout == "" and not (tmp_path / "pbx" / "pbx.json").exists()


def test_pbx_not_running_exit_2(tmp_path):
    for args in (("sip", "check"), ("sip", "load"), ("pbx", "down")):
        r = centrex(*args, "--run-dir", str(tmp_path / "none"))
        assert r.returncode == 2 and "no PBX is running" in r.stderr and r.stdout == "", args


def test_missing_kamailio_exit_2_with_the_apt_line(tmp_path):
    r = centrex(
        "pbx",
        "up",
        "--demo",
        "--run-dir",
        str(tmp_path / "pbx"),
        env={"CENTREX_KAMAILIO": str(tmp_path / "absent")},
    )
    assert r.returncode == 2
    assert "apt-get install -y kamailio kamailio-sqlite-modules" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_inventory_without_accounts_exit_2(tmp_path):
    from provisioning import db

    url = f"sqlite:///{tmp_path / 'empty.db'}"
    db.upgrade(url)
    r = centrex("pbx", "up", "--port", "0", "--db", url, "--run-dir", str(tmp_path / "pbx"))
    assert r.returncode == 2 and "no SIP accounts" in r.stderr


def test_failed_up_leaves_no_database_behind(tmp_path):
    """The default database (./centrex.db) is not created by a `pbx up` that cannot serve it."""
    r = centrex(
        "pbx", "up", "--port", "0", "--run-dir", str(tmp_path / "pbx"), cwd=tmp_path, env={"CENTREX_DB": ""}
    )
    assert r.returncode == 2 and "no inventory database at" in r.stderr and "centrex.db" in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("centrex")) == []


def test_check_can_start_its_own_pbx_from_the_database(tmp_path):
    from provisioning import accounts, db

    url = f"sqlite:///{tmp_path / 'inv.db'}"
    with db.session_scope(url) as s:
        accounts.add_tenant(s, "solo", "solo.example", 1)
        accounts.add_sip_account(s, "solo", "sam", "pw-1")
        accounts.add_sip_account(s, "solo", "sue", "pw-2")
    r = centrex("sip", "check", "--start", "--db", url, "--format", "json")
    data = json.loads(r.stdout)
    assert r.returncode == 0, r.stderr
    assert data["passed"] is True and "channel_limit:solo" in [c["name"] for c in data["checks"]]


def _up_without_quiet(run, env=None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "centrex.cli",
            "pbx",
            "up",
            "--demo",
            "--run-dir",
            str(run),
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=300,
    )


def test_default_port_taken_picks_a_free_one_records_it_and_pbxs_run_side_by_side(tmp_path):
    holder = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        holder.bind(("127.0.0.1", 5070))
    except OSError:
        pass  # taken by someone else already: just as good
    runs = [tmp_path / "a", tmp_path / "b"]
    try:
        ports = []
        for run in runs:
            r = _up_without_quiet(run)
            assert r.returncode == 0, r.stderr
            assert (
                "UDP port 5070 on 127.0.0.1 is in use" in r.stderr and "using a free port instead" in r.stderr
            )
            status = json.loads(r.stdout)
            ports.append(int(status["address"].split(":")[1]))
            recorded = json.loads((run / "pbx.json").read_text())
            assert recorded["port"] == ports[-1] and recorded["tls_port"] == int(status["tls"].split(":")[1])
        assert 5070 not in ports and len(set(ports)) == 2
        for run in runs:  # sip check finds each PBX through its run directory
            r = centrex(
                "sip", "check", "--run-dir", str(run), "--sample", "1", "--tenant", "acme", "--format", "json"
            )
            assert r.returncode == 0 and json.loads(r.stdout)["passed"] is True, r.stdout + r.stderr
    finally:
        holder.close()
        for run in runs:
            centrex("pbx", "down", "--run-dir", str(run))
    assert all(not (run / "pbx.json").exists() for run in runs)


def test_explicit_port_taken_suggests_port_0(tmp_path):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = centrex("pbx", "up", "--demo", "--port", str(port), "--run-dir", str(tmp_path / "pbx"))
    assert r.returncode == 2 and f"TCP port {port} on 127.0.0.1 is in use" in r.stderr
    assert "--port 0 for any free port" in r.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--pike", "lots"), "--pike 'lots': expected DENSITY/SECONDS"),
        (("--pike", "0/2"), "expected DENSITY/SECONDS with positive integers"),
        (("--pike", "30/2", "--no-pike"), "give --pike or --no-pike, not both"),
    ],
)
def test_bad_pike_setting_exit_2(tmp_path, args, message):
    r = centrex("pbx", "up", "--demo", "--port", "0", "--run-dir", str(tmp_path / "pbx"), *args)
    assert r.returncode == 2 and message in r.stderr and not (tmp_path / "pbx" / "pbx.json").exists()


def test_pike_setting_reaches_the_config_and_status(tmp_path):
    for args, expected in ((("--pike", "300/3"), "300/3"), (("--no-pike",), "off")):
        run = tmp_path / expected.replace("/", "-")
        r = centrex("pbx", "up", "--demo", "--port", "0", "--run-dir", str(run), "--format", "json", *args)
        try:
            assert r.returncode == 0, r.stderr
            assert json.loads(r.stdout)["pike"] == expected
            config = (run / "kamailio.cfg").read_text()
            if expected == "off":
                assert "pike" not in config.split("request_route")[1] and 'loadmodule "pike.so"' not in config
            else:
                assert '"reqs_density_per_unit", 300' in config and '"sampling_time_unit", 3' in config
        finally:
            centrex("pbx", "down", "--run-dir", str(run))


def test_one_db_help_text_everywhere():
    """Every --db option of every command says the same: a path or a URL, and the default."""
    import click
    import typer.main

    from centrex.cli import app
    from centrex.options import DB_HELP

    helps: dict[str, str] = {}

    def walk(command: click.Command, path: str) -> None:
        for param in command.params:
            if "--db" in getattr(param, "opts", ()):
                helps[path] = param.help
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, f"{path} {name}")

    walk(typer.main.get_command(app), "centrex")
    assert {
        "centrex pbx up",
        "centrex sip check",
        "centrex inventory add-account",
        "centrex db check",
    } <= set(helps)
    # `run --db` names a new inventory to provision, with its own default: same words, its own default
    run_help = helps.pop("centrex run")
    assert set(helps.values()) == {DB_HELP}
    assert "a file path or a URL" in DB_HELP
    assert "a file path or a URL" in run_help


def test_check_out_dir_writes_sip_json_and_junit(running, tmp_path):
    run, _ = running
    r = centrex(
        "sip",
        "check",
        "--run-dir",
        str(run),
        "--tenant",
        "globex",
        "--out-dir",
        str(tmp_path),
        "--format",
        "json",
    )
    assert r.returncode == 0, r.stderr
    data = json.loads((tmp_path / "sip.json").read_text())
    assert (
        data["summary"]["udp"]["accounts_registered"] == 4
        and data["summary"]["udp"]["tenant_limits_held"] == 1
    )
    assert ET.parse(tmp_path / "sip-junit.xml").getroot().find("testsuite").get("failures") == "0"


def test_load_exits_1_and_names_pike_when_the_pbx_blocks_it(tmp_path):
    run = tmp_path / "pbx"
    up = centrex("pbx", "up", "--demo", "--port", "0", "--pike", "40/2", "--run-dir", str(run))
    assert up.returncode == 0, up.stderr
    try:
        args = ["sip", "load", "--run-dir", str(run), "--registrations", "300", "--timeout", "2"]
        r = subprocess.run(
            [sys.executable, "-m", "centrex.cli", *args, "--format", "json"],
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        centrex("pbx", "down", "--run-dir", str(run))
    assert r.returncode == 1, r.stderr
    data = json.loads(r.stdout)
    assert data["passed"] is False and data["register_codes"]["timeout"] > 0
    assert data["pike_engaged"] is True and data["pike_blocks"] >= 1
    assert "flood limit (pike) engaged" in r.stderr and "sip load FAILED" in r.stderr
