"""Security review, each point backed by a test (issue 10 §4): no plain SIP password stored anywhere
(database, generated PBX files, logs, command output, --debug tracebacks); generated PBX files 0600 in a
0700 directory, the inventory database 0600; the PBX listens on loopback only; SQL only through bound
parameters; YAML only through a safe loader."""

from __future__ import annotations

import ast
import asyncio
import os
import secrets
import stat
import sys
from pathlib import Path

import pytest
from rb_harness import run_cli

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ["contracts", "sim", "provisioning", "sip", "centrex", "bench", "scripts"]
SQL_WORDS = ("select ", "insert ", "update ", "delete ", "create ", "drop ", "alter ", "pragma ", "where ")
SQL_CALLS = {"execute", "executemany", "executescript", "exec_driver_sql", "text", "raw_connection"}


def _sources() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py") if ".venv" not in p.parts)


def _calls(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
            yield name, node


def _constant_only(node: ast.JoinedStr) -> bool:
    """An f-string interpolating only UPPER_CASE module constants (e.g. a PRAGMA timeout) is not user data."""
    for v in node.values:
        if isinstance(v, ast.FormattedValue):
            for n in ast.walk(v.value):
                if isinstance(n, ast.Call | ast.Attribute | ast.Subscript):
                    return False
                if isinstance(n, ast.Name) and not n.id.isupper():
                    return False
    return True


def _built_sql(node: ast.AST) -> bool:
    """A string built at run time (f-string, %, +, .format) that looks like SQL."""
    if isinstance(node, ast.JoinedStr):
        text = "".join(v.value for v in node.values if isinstance(v, ast.Constant)).lower()
        return any(w in text for w in SQL_WORDS) and not _constant_only(node)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod | ast.Add):
        text = ast.unparse(node).lower()
        return any(w in text for w in SQL_WORDS)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return any(w in ast.unparse(node.func.value).lower() for w in SQL_WORDS)
    return False


def test_sql_only_through_bound_parameters():
    """No SQL statement is built from values with f-strings, % or + (grep over the source, AST-based)."""
    offenders = []
    for path in _sources():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for name, call in _calls(tree):
            if name in SQL_CALLS and call.args and _built_sql(call.args[0]):
                offenders.append(f"{path.relative_to(ROOT)}:{call.lineno}: {ast.unparse(call)[:100]}")
        for node in ast.walk(tree):  # a SQL string built into a variable, executed later
            if isinstance(node, ast.Assign) and _built_sql(node.value):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)[:100]}")
    assert not offenders, "SQL built from values:\n" + "\n".join(offenders)


def _safe_loader_names(tree: ast.AST) -> set[str]:
    names = {"SafeLoader", "CSafeLoader", "yaml.SafeLoader", "yaml.CSafeLoader"}
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and any(ast.unparse(b) in names for b in node.bases):
            names.add(node.name)
    return names


def test_yaml_only_through_a_safe_loader():
    """Every yaml.load/load_all names a SafeLoader (or a subclass); no unsafe_load/full_load at all."""
    offenders = []
    for path in _sources() + sorted((ROOT / "tests").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        safe = _safe_loader_names(tree)
        for name, call in _calls(tree):
            where = f"{path.relative_to(ROOT)}:{call.lineno}"
            if name in ("unsafe_load", "full_load", "unsafe_load_all", "full_load_all"):
                offenders.append(f"{where}: {name}")
            elif name in ("load", "load_all") and ast.unparse(call.func).startswith("yaml."):
                loader = next((k.value for k in call.keywords if k.arg == "Loader"), None)
                loader = loader or (call.args[1] if len(call.args) > 1 else None)
                if loader is None or ast.unparse(loader) not in safe:
                    offenders.append(f"{where}: {ast.unparse(call)[:80]}")
    assert not offenders, "YAML loaded without a safe loader:\n" + "\n".join(offenders)


def test_no_shell_or_eval_on_inputs():
    """No eval/exec, no subprocess with shell=True, no pickle loads in the shipped packages."""
    offenders = []
    for path in _sources():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for name, call in _calls(tree):
            where = f"{path.relative_to(ROOT)}:{call.lineno}"
            if name in ("eval", "exec") and isinstance(call.func, ast.Name):
                offenders.append(f"{where}: {name}")
            if any(k.arg == "shell" and ast.unparse(k.value) == "True" for k in call.keywords):
                offenders.append(f"{where}: shell=True")
            if ast.unparse(call.func) in ("pickle.loads", "pickle.load", "marshal.loads"):
                offenders.append(f"{where}: {ast.unparse(call.func)}")
    assert not offenders, "\n".join(offenders)


# ----- a real inventory, a real PBX -----------------------------------------------------------------------
PASSWORD = "Pw-" + secrets.token_urlsafe(12)


@pytest.fixture(scope="module")
def inventory_db(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("security")
    db = d / "centrex.db"
    assert run_cli(["db", "upgrade", "--db", str(db)]).code == 0
    r = run_cli(
        ["inventory", "add-tenant", "acme", "--domain", "acme.sec.test", "--channels", "2", "--db", str(db)]
    )
    assert r.code == 0, r.err
    for user in ("1001", "1002"):
        r = run_cli(
            [
                "inventory",
                "add-account",
                "--tenant",
                "acme",
                "--username",
                user,
                "--password-stdin",
                "--db",
                str(db),
            ],
            stdin=PASSWORD + user + "\n",
        )
        assert r.code == 0, r.err
        assert PASSWORD not in r.out + r.err
    return db


def _files(directory: Path) -> list[Path]:
    return [p for p in directory.rglob("*")]


def test_no_plain_password_in_database_or_listings(inventory_db):
    for p in _files(inventory_db.parent):
        if p.is_file():
            assert PASSWORD.encode() not in p.read_bytes(), f"plain password stored in {p}"
    for fmt in ("json", "csv", "table"):
        r = run_cli(["inventory", "accounts", "--db", str(inventory_db), "--format", fmt])
        assert r.code == 0 and "1001" in r.out
        assert PASSWORD not in r.out + r.err


def test_debug_traceback_never_prints_the_password(inventory_db):
    """--debug prints the traceback of an error; the password given on stdin must not appear in it."""
    r = run_cli(
        [
            "--debug",
            "inventory",
            "add-account",
            "--tenant",
            "acme",
            "--username",
            "1001",
            "--password-stdin",
            "--db",
            str(inventory_db),
        ],
        stdin=PASSWORD + "again\n",
    )
    assert r.code == 2, r.err
    assert PASSWORD not in r.out + r.err
    r = run_cli(
        [
            "--debug",
            "inventory",
            "add-account",
            "--tenant",
            "nope",
            "--username",
            "9",
            "--password-stdin",
            "--db",
            str(inventory_db),
        ],
        stdin=PASSWORD + "x\n",
    )
    assert r.code == 2 and PASSWORD not in r.out + r.err


def test_inventory_database_is_private(inventory_db):
    """The SQLite inventory holds HA1s (enough to register as the account): owner-only, like the PBX files."""
    for p in inventory_db.parent.glob("centrex.db*"):
        assert stat.S_IMODE(p.stat().st_mode) & 0o077 == 0, f"{p}: mode {oct(p.stat().st_mode)}"


def _socket_inodes(pids: list[int]) -> set[str]:
    out = set()
    for pid in pids:
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
                if target.startswith("socket:["):
                    out.add(target[8:-1])
        except (FileNotFoundError, PermissionError, ProcessLookupError):
            continue
    return out


def _children(pid: int) -> list[int]:
    kids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                fields = Path(f"/proc/{d}/stat").read_text().rsplit(")", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError):
                continue
            if int(fields[1]) == pid:
                kids.append(int(d))
    return kids


def _bound_addresses(inodes: set[str]) -> list[str]:
    found = []
    for proto in ("udp", "tcp", "udp6", "tcp6", "sctp"):
        path = Path(f"/proc/net/{proto}")
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            cols = line.split()
            if len(cols) > 9 and cols[9] in inodes:
                found.append(f"{proto} {cols[1]}")
    return found


def test_pbx_files_private_loopback_only_no_password(inventory_db, tmp_path):
    """Start Kamailio from the inventory, register once: every socket on 127.0.0.1; run dir 0700, its files
    0600; the password in no generated file, log or state."""
    from contracts.errors import StateError
    from sip.checks import Target
    from sip.inventory import load_inventory
    from sip.pbx import PbxSettings, kamailio_binary, start_pbx
    from sip.ua import Identity, UserAgent

    try:
        kamailio_binary()
    except StateError as exc:
        pytest.fail(f"{exc} (or run scripts/test.sh as root)", pytrace=False)
    inv = load_inventory(str(inventory_db))
    run = tmp_path / "pbx"
    with start_pbx(inv, run, PbxSettings(port=0)) as pbx:
        target = Target.of(pbx)
        ident = Identity.of(inv, inv.accounts[0])

        async def register():
            async with await UserAgent.open(target.address, target.host) as ua:
                return (await ua.register(ident)).code

        assert asyncio.run(register()) == 200
        pids = [pbx.pid, *_children(pbx.pid)]
        addresses = _bound_addresses(_socket_inodes(pids))
        assert addresses, f"no socket found for kamailio pids {pids}"
        loopback = ("0100007F:", "00000000000000000000000001000000:")
        assert all(a.split()[1].startswith(loopback) for a in addresses), addresses
        assert stat.S_IMODE(run.stat().st_mode) == 0o700, oct(run.stat().st_mode)
        for p in _files(run):
            mode = stat.S_IMODE(p.stat().st_mode)
            if p.is_dir():
                assert mode & 0o077 == 0, f"{p}: {oct(mode)}"
            else:
                assert mode & 0o077 == 0, f"{p}: {oct(mode)}"
                if p.is_file():
                    assert PASSWORD.encode() not in p.read_bytes(), f"plain password in {p}"
        assert "127.0.0.1" in (run / "kamailio.cfg").read_text()
    assert sys.platform.startswith("linux")
