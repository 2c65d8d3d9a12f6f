"""SIPp, an independent client, against the test PBX: digest REGISTER over UDP and TCP, and a call
from a SIPp caller to a registered SIPp callee (sip/sipp/*.xml, the README's examples)."""

import shutil
import subprocess
import time
from pathlib import Path

import pytest

from sip import control
from sip.digest import ha1
from sip.inventory import Account, PbxInventory, Tenant
from sip.pbx import free_port

pytestmark = pytest.mark.sip

SCENARIOS = Path(__file__).resolve().parents[2] / "sip" / "sipp"
DOMAIN = "sipp.example"
PASSWORDS = {"alice": "pw-alice-1", "bob": "pw-bob-2", "carol": "pw-carol-3"}


def sipp() -> str:
    path = shutil.which("sipp")
    if path is None:
        pytest.fail("sipp is not installed; install it with: apt-get install -y sip-tester", pytrace=False)
    return path


@pytest.fixture(scope="module")
def sipp_pbx(pbx_factory):
    inventory = PbxInventory(
        (Tenant("sippco", DOMAIN, 1),),
        tuple(Account(u, "sippco", ha1(u, DOMAIN, p)) for u, p in PASSWORDS.items()),
    )
    pbx = pbx_factory(inventory)
    yield pbx
    pbx.stop()


def accounts_csv(tmp_path: Path, users: list[str], callee: str | None = None) -> Path:
    csv = tmp_path / "accounts.csv"
    rows = [f"{u};{DOMAIN};[authentication username={u} password={PASSWORDS[u]}]" for u in users]
    csv.write_text("SEQUENTIAL\n" + "".join(r + (f";{callee}" if callee else "") + "\n" for r in rows))
    return csv


def run_sipp(scenario: str, pbx, csv: Path | None, *extra: str, port: int | None = None, bg: bool = False):
    args = [sipp(), "-sf", str(SCENARIOS / scenario), "-i", "127.0.0.1", "-p", str(port or free_port())]
    if csv is not None:
        args += ["-inf", str(csv)]
    args += ["-nostdin", "-auth_uri", DOMAIN, "-recv_timeout", "10000", "-timeout", "60s", *extra]
    args.append(f"127.0.0.1:{pbx.settings.port}")
    if bg:
        return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    return subprocess.run(args, capture_output=True, text=True, timeout=90)


@pytest.mark.parametrize("transport", [("-t", "u1"), ("-t", "t1")], ids=["udp", "tcp"])
def test_sipp_registers_every_account(sipp_pbx, tmp_path, transport):
    csv = accounts_csv(tmp_path, list(PASSWORDS))
    r = run_sipp("register.xml", sipp_pbx, csv, *transport, "-m", "30", "-r", "30")
    assert r.returncode == 0, r.stdout[-1500:] + r.stderr[-1500:]
    assert "Successful call" in r.stdout and "30" in r.stdout.split("Successful call")[1].split("\n")[0]


def test_sipp_register_with_a_wrong_password_fails(sipp_pbx, tmp_path):
    csv = tmp_path / "wrong.csv"
    csv.write_text(f"SEQUENTIAL\nalice;{DOMAIN};[authentication username=alice password=not-hers]\n")
    r = run_sipp("register.xml", sipp_pbx, csv, "-m", "1", "-recv_timeout", "3000")
    assert r.returncode != 0  # SIPp expected 200 and got 401 again


def test_sipp_call_reaches_a_registered_sipp_callee_and_frees_the_channel(sipp_pbx, tmp_path):
    callee_port = free_port()
    reg = run_sipp("register.xml", sipp_pbx, accounts_csv(tmp_path, ["bob"]), "-m", "1", port=callee_port)
    assert reg.returncode == 0, reg.stdout[-1500:]
    uas = run_sipp("uas.xml", sipp_pbx, None, "-m", "1", port=callee_port, bg=True)
    try:
        time.sleep(0.5)  # the callee's socket is bound
        csv = tmp_path / "call.csv"
        csv.write_text(
            f"SEQUENTIAL\nalice;{DOMAIN};[authentication username=alice password={PASSWORDS['alice']}];bob\n"
        )
        call = run_sipp("invite.xml", sipp_pbx, csv, "-m", "1")
        assert call.returncode == 0, call.stdout[-2000:] + call.stderr[-1000:]
        assert uas.wait(30) == 0, uas.stderr.read()[-1000:]
    finally:
        if uas.poll() is None:
            uas.kill()
            uas.wait()
    deadline = time.monotonic() + 5
    while control.tenant_calls(sipp_pbx.fifo, "sippco") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert control.tenant_calls(sipp_pbx.fifo, "sippco") == 0
