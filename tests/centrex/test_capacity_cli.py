"""`centrex capacity`: the sizing answer, the table and its files, bad input -> exit 2."""

import csv
import json
import subprocess
import sys

import pytest


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "centrex.cli", "capacity", *args], capture_output=True, text=True
    )


def test_json_answer_has_the_issue_keys():
    r = run(
        "--contract",
        "allocloud",
        "--users",
        "20",
        "--busy-hour-calls-per-user",
        "2",
        "--mean-holding-s",
        "180",
        "--gos",
        "0.01",
        "--format",
        "json",
    )
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["users"] == 20 and out["allowance_channels"] == 12
    assert out["offered_erlangs"] == pytest.approx(2.0)
    assert out["channels_needed"] == 7  # 2 E at 1 %: B(2,6)=1.2 %, B(2,7)=0.34 %
    assert out["blocking_at_allowance"] < 1e-5
    assert out["verdict"] == "fits" and out["extra_channels"] == 0


def test_traffic_pack_verdict_and_exact_rounding_choice():
    r = run(
        "--users", "11", "--erlangs-per-user", "0.5", "--set", "channels_rounding=exact", "--format", "json"
    )
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["allowance_channels"] == 9.75 and out["channels_rounding"] == "exact"
    assert out["channels_needed"] == 12 and out["extra_channels"] == 3
    assert out["verdict"] == "traffic pack: +3 channels"


def test_devices_file_counts_billable_users(tmp_path):
    devices = tmp_path / "devices.csv"
    devices.write_text(
        "device,kind,user,room\nd1,desk_phone,Ann,\ns1,softphone,Ann,\nd2,desk_phone,Bob,\nfax,fax,,\n"
        "w1,common_room_phone,,workshop\nmr,meeting_room_phone,,meeting\n,no_service_admin,Root,\n"
    )
    r = run("--devices", str(devices), "--erlangs-per-user", "0.1", "--format", "json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["users"] == 3 and out["allowance_channels"] == 5
    assert out["counting"]["persons"] == 2 and out["counting"]["no_service_users"] == 1


def test_table_writes_csv_and_html(tmp_path):
    csv_file, html_file = tmp_path / "curve.csv", tmp_path / "curve.html"
    r = run(
        "table",
        "--users",
        "1..200",
        "--erlangs-per-user",
        "0.1",
        "--csv",
        str(csv_file),
        "--html",
        str(html_file),
    )
    assert r.returncode == 0, r.stderr
    lines = csv_file.read_text().splitlines()
    assert lines[0].startswith("# profile=allocloud")
    rows = list(csv.DictReader(lines[1:]))
    assert len(rows) == 200 and rows[0]["users"] == "1" and rows[-1]["users"] == "200"
    assert rows[99]["allowance_channels"] == "32"
    page = html_file.read_text()
    assert "<svg" in page and page.count("<tr>") == 201


def test_table_csv_on_stdout():
    r = run("table", "--users", "5..6", "--erlangs-per-user", "0.5", "--format", "csv")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[1:] == [
        "users,allowance_channels,offered_erlangs,channels_needed,blocking_at_allowance,extra_channels,verdict",
        "5,7,2.5,7,0.009983011310671953,0,fits",
        "6,7,3.0,8,0.02186431527802771,1,traffic pack: +1 channel",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--users", "-3", "--erlangs-per-user", "0.1"], "users"),
        (["--users", "3", "--erlangs-per-user", "0.1", "--gos", "1.5"], "--gos"),
        (["--users", "3", "--erlangs-per-user", "0.1", "--gos", "0"], "--gos"),
        (["--users", "3"], "--erlangs-per-user"),
        (["--users", "3", "--erlangs-per-user", "0.1", "--contract", "alleo"], "no channel allowance"),
        (
            ["--users", "3", "--erlangs-per-user", "0.1", "--set", "channels_rounding=ceil"],
            "channels_rounding",
        ),
        (["table", "--users", "10..1", "--erlangs-per-user", "0.1"], "--users"),
    ],
)
def test_bad_input_is_one_line_exit_2_nothing_on_stdout(args, message):
    r = run(*args)
    assert r.returncode == 2
    assert r.stdout == ""
    assert r.stderr.startswith("error: ") and message in r.stderr and r.stderr.count("\n") == 1


def test_unknown_device_kind_names_file_line_field(tmp_path):
    devices = tmp_path / "devices.csv"
    devices.write_text("device,kind,user,room\nd1,desk_phone,Ann,\nx,robot,,\n")
    r = run("--devices", str(devices), "--erlangs-per-user", "0.1")
    assert r.returncode == 2 and r.stdout == ""
    assert f"{devices}:3: kind: unknown device kind 'robot'" in r.stderr


def test_bad_table_leaves_no_file(tmp_path):
    out = tmp_path / "curve.csv"
    r = run("table", "--users", "1..5", "--erlangs-per-user", "-1", "--csv", str(out))
    assert r.returncode == 2 and not out.exists()


def test_kinds_lists_every_device_kind():
    r = run("kinds", "--format", "json")
    assert r.returncode == 0
    kinds = {row["kind"]: row["counts_as"] for row in json.loads(r.stdout)}
    assert kinds["door_phone"] == "none" and kinds["common_room_phone"] == "per_phone"


def test_reduce_plans_quarters_and_refuses_the_impossible():
    r = run("reduce", "--users", "100", "--to", "80", "--format", "json")
    assert r.returncode == 0, r.stderr
    assert [row["users"] for row in json.loads(r.stdout)] == [100, 90, 81, 80]
    r = run("reduce", "--users", "9", "--to", "5")
    assert r.returncode == 2 and r.stdout == "" and "cannot be reduced" in r.stderr


@pytest.mark.sip
@pytest.mark.parametrize(("users", "limit"), [(20, 12), (0, 0)])
def test_verify_on_the_test_pbx_accepts_the_allowance_and_refuses_one_more(users, limit):
    r = run("verify", "--users", str(users), "--format", "json")
    assert r.returncode == 0, r.stderr  # a missing Kamailio fails here with its apt-get line
    out = json.loads(r.stdout)
    assert out["allowance_channels"] == limit and out["attempted"] == limit + 1
    assert (out["accepted"], out["refused"], out["verdict"]) == (limit, 1, "pass")
    assert out["active_at_peak"] == limit
