"""The test PBX: generate a Kamailio configuration from the inventory and run it on loopback.

Kamailio runs in the foreground (`-DD -E`) in its own session, with its config, its SQLite data
(subscribers with HA1, tenant limits), its control FIFO and its log in one run directory (mode 0700,
files 0600). `pbx.json` records the pid so `pbx status` and `pbx down` find it again.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import jinja2

from contracts import atomic
from contracts.errors import InputError, StateError
from sip.choices import (
    APT_INSTALL,
    DEFAULT_HOST,
    DEFAULT_PORT,
    LIMIT_HEADER,
    LIMIT_REASON,
    InviteChallenge,
)
from sip.inventory import PbxInventory

STATE_FILE = "pbx.json"
INVENTORY_FILE = "inventory.json"
CONFIG_FILE = "kamailio.cfg"
DB_FILE = "pbx.sqlite"
LOG_FILE = "kamailio.log"
FIFO_FILE = "kamailio.fifo"


@dataclass(frozen=True)
class PbxSettings:
    """Knobs of the generated configuration (all have working defaults)."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    children: int = 4
    invite_challenge: InviteChallenge = InviteChallenge.www
    pike_unit_s: int = 2
    # Per source IP and unit: everything here comes from 127.0.0.1, so the flood threshold must sit
    # above the load the harness itself drives (≈ 2 requests per digest REGISTER).
    pike_density: int = 20000
    fr_timer_ms: int = 5000
    fr_inv_timer_ms: int = 30000
    dialog_timeout_s: int = 3600
    shm_mb: int = 64
    pkg_mb: int = 8


def kamailio_binary() -> str:
    """Return the kamailio executable; StateError with the apt-get line when it is not installed.

    CENTREX_KAMAILIO names the binary explicitly (used by tests to simulate a missing install).
    """
    explicit = os.environ.get("CENTREX_KAMAILIO")
    if explicit is not None:
        if not os.access(explicit, os.X_OK):
            raise StateError(
                f"kamailio is not installed ({explicit} not found); install it with: {APT_INSTALL}"
            )
        return explicit
    path = shutil.which("kamailio") or next(
        (p for p in ("/usr/sbin/kamailio", "/usr/local/sbin/kamailio") if os.access(p, os.X_OK)), None
    )
    if path is None:
        raise StateError(f"kamailio is not installed; install it with: {APT_INSTALL}")
    modules = Path("/usr/lib/x86_64-linux-gnu/kamailio/modules")
    candidates = [modules, *Path("/usr/lib").glob("*/kamailio/modules"), Path("/usr/lib/kamailio/modules")]
    if not any((d / "db_sqlite.so").exists() for d in candidates):
        raise StateError(f"kamailio's SQLite module is not installed; install it with: {APT_INSTALL}")
    return path


def free_udp_port(host: str = DEFAULT_HOST) -> int:
    """Return a UDP port that is free on `host` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def check_port_free(host: str, port: int) -> None:
    """InputError when `host:port` (UDP) is already bound by someone else."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.bind((host, port))
        except OSError as exc:
            raise InputError(f"UDP port {port} on {host} is in use ({exc.strerror})", field="port") from exc


def render_config(inventory: PbxInventory, settings: PbxSettings, run_dir: Path) -> str:
    """Return the Kamailio configuration text for `inventory` served from `run_dir`."""
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)  # noqa: S701
    # Read beside this module, not via importlib.resources("sip"): tests/sip can shadow the package name.
    template = env.from_string((Path(__file__).parent / "templates" / "kamailio.cfg.j2").read_text())
    run_dir = run_dir.resolve()
    return template.render(
        host=settings.host,
        port=settings.port,
        children=settings.children,
        run_dir=str(run_dir),
        fifo=str(run_dir / FIFO_FILE),
        db_url=f"sqlite:///{run_dir / DB_FILE}",  # four slashes for an absolute path (SIP-NOTES)
        invite_challenge=int(settings.invite_challenge),
        pike_unit_s=settings.pike_unit_s,
        pike_density=settings.pike_density,
        fr_timer_ms=settings.fr_timer_ms,
        fr_inv_timer_ms=settings.fr_inv_timer_ms,
        dialog_timeout_s=settings.dialog_timeout_s,
        realm_count=max(1, len(inventory.tenants)),
        limit_header=LIMIT_HEADER,
        limit_reason=LIMIT_REASON,
    )


_SCHEMA = """
CREATE TABLE version (table_name TEXT PRIMARY KEY, table_version INTEGER NOT NULL);
CREATE TABLE subscriber (id INTEGER PRIMARY KEY, username TEXT NOT NULL, domain TEXT NOT NULL,
  ha1 TEXT NOT NULL, ha1b TEXT NOT NULL DEFAULT '', tenant TEXT NOT NULL, UNIQUE (username, domain));
"""
_HTABLE = """CREATE TABLE {name} (id INTEGER PRIMARY KEY, key_name TEXT NOT NULL,
  key_type INTEGER NOT NULL DEFAULT 0, value_type INTEGER NOT NULL DEFAULT 0, key_value TEXT NOT NULL,
  expires INTEGER NOT NULL DEFAULT 0)"""


def write_database(inventory: PbxInventory, path: Path) -> None:
    """Write the PBX's SQLite data (subscribers with HA1, htables) to `path`, atomically, mode 0600."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    os.chmod(tmp, 0o600)
    try:
        con = sqlite3.connect(tmp)
        with con:
            con.executescript(_SCHEMA)
            con.execute("INSERT INTO version VALUES ('subscriber', 7)")
            for table in ("htable_domains", "htable_limits", "htable_userrealm", "htable_realms"):
                con.execute(_HTABLE.format(name=table))
                con.execute("INSERT INTO version VALUES (?, 2)", (table,))
            domain = {t.name: t.domain for t in inventory.tenants}
            con.executemany(
                "INSERT INTO subscriber (username, domain, ha1, tenant) VALUES (?, ?, ?, ?)",
                [(a.username, domain[a.tenant], a.ha1, a.tenant) for a in inventory.accounts],
            )
            con.executemany(
                "INSERT INTO htable_domains (key_name, key_value) VALUES (?, ?)",
                [(t.domain, t.name) for t in inventory.tenants],
            )
            con.executemany(
                "INSERT INTO htable_limits (key_name, value_type, key_value) VALUES (?, 1, ?)",
                [(t.name, str(t.channel_limit)) for t in inventory.tenants],
            )
            con.executemany(
                "INSERT INTO htable_realms (key_name, key_value) VALUES (?, ?)",
                [(str(i), t.domain) for i, t in enumerate(sorted(inventory.tenants, key=lambda t: t.name))],
            )
            names: dict[str, list[str]] = {}
            for a in inventory.accounts:
                names.setdefault(a.username, []).append(domain[a.tenant])
            # Only usernames unique across tenants can be resolved without a tenant domain.
            con.executemany(
                "INSERT INTO htable_userrealm (key_name, key_value) VALUES (?, ?)",
                [(u, d[0]) for u, d in sorted(names.items()) if len(d) == 1],
            )
        con.close()
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def options_ping(host: str, port: int, timeout: float = 0.5) -> int | None:
    """Send one OPTIONS to the PBX and return the response code (None when nothing answers)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((host, 0))
        s.settimeout(timeout)
        lport = s.getsockname()[1]
        call_id = uuid.uuid4().hex
        msg = (
            f"OPTIONS sip:{host}:{port} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {host}:{lport};branch=z9hG4bK{call_id[:16]};rport\r\n"
            f"Max-Forwards: 70\r\nFrom: <sip:ping@{host}>;tag={call_id[:8]}\r\nTo: <sip:{host}:{port}>\r\n"
            f"Call-ID: {call_id}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
        )
        try:
            s.sendto(msg.encode(), (host, port))
            while True:
                data = s.recv(65535)
                if call_id.encode() in data:
                    return int(data.split(b" ", 2)[1])
        except (TimeoutError, OSError, ValueError, IndexError):
            return None


@dataclass
class PbxState:
    """What `pbx.json` records about a started PBX."""

    pid: int
    host: str
    port: int
    run_dir: str
    started_at: str
    tenants: int
    accounts: int
    invite_challenge: int


class Pbx:
    """A running test PBX (context manager: stops it on exit when this process started it)."""

    def __init__(
        self,
        run_dir: Path,
        settings: PbxSettings,
        inventory: PbxInventory,
        process: subprocess.Popen[bytes] | None,
        pid: int,
    ) -> None:
        self.run_dir = run_dir
        self.settings = settings
        self.inventory = inventory
        self.process = process
        self.pid = pid
        self.stopped = False

    @property
    def address(self) -> tuple[str, int]:
        """(host, port) the PBX listens on."""
        return (self.settings.host, self.settings.port)

    @property
    def fifo(self) -> Path:
        """The jsonrpcs control FIFO."""
        return self.run_dir / FIFO_FILE

    def log_text(self) -> str:
        """Return Kamailio's log so far."""
        try:
            return (self.run_dir / LOG_FILE).read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def stop(self, grace: float = 5.0) -> None:
        """SIGTERM the PBX's process group, SIGKILL after `grace` seconds; no stray process remains."""
        if self.stopped:
            return
        self.stopped = True
        stop_pid(self.pid, grace, self.process)
        with contextlib.suppress(FileNotFoundError):
            (self.run_dir / STATE_FILE).unlink()

    def __enter__(self) -> Pbx:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _prepare_run_dir(run_dir: Path) -> None:
    run_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(run_dir, 0o700)
    for name in (FIFO_FILE, "kamailio.pid", STATE_FILE):
        with contextlib.suppress(FileNotFoundError):
            (run_dir / name).unlink()


def start_pbx(
    inventory: PbxInventory,
    run_dir: str | os.PathLike[str],
    settings: PbxSettings | None = None,
    *,
    ready_timeout: float = 15.0,
) -> Pbx:
    """Generate the configuration into `run_dir`, start Kamailio, wait until it answers OPTIONS.

    Raises StateError when Kamailio is missing or a PBX already runs from `run_dir`, InputError when the
    inventory has no accounts or the port is taken. With port 0 a free port is picked (and picked again
    if another process took it before Kamailio could bind it).
    """
    settings = settings or PbxSettings()
    if settings.port != 0:
        return _start_pbx(inventory, run_dir, settings, ready_timeout)
    for attempt in range(3):
        try:
            return _start_pbx(inventory, run_dir, settings, ready_timeout)
        except StateError as exc:
            if attempt == 2 or "did not come up" not in str(exc):
                raise
    raise AssertionError("unreachable")


def _start_pbx(
    inventory: PbxInventory, run_dir: str | os.PathLike[str], settings: PbxSettings, ready_timeout: float
) -> Pbx:
    binary = kamailio_binary()
    inventory.require_accounts()
    if settings.port == 0:
        settings = PbxSettings(**{**asdict(settings), "port": free_udp_port(settings.host)})
    run = Path(run_dir).resolve()
    if any(c in str(run) for c in '"\n\\'):
        raise InputError(
            f"run directory {run!s:.80} may not contain quotes, backslashes or newlines", field="run_dir"
        )
    existing = read_state(run)
    if existing is not None and pid_alive(existing.pid, run):
        raise StateError(
            f"a PBX already runs from {run} (pid {existing.pid}); stop it with `centrex pbx down`"
        )
    check_port_free(settings.host, settings.port)
    _prepare_run_dir(run)
    atomic.write_text(run / INVENTORY_FILE, inventory.to_json(), mode=0o600)
    write_database(inventory, run / DB_FILE)
    config = render_config(inventory, settings, run)
    atomic.write_text(run / CONFIG_FILE, config, mode=0o600)
    args = [
        binary,
        "-DD",
        "-E",
        "-f",
        str(run / CONFIG_FILE),
        "-w",
        str(run),
        "-Y",
        str(run),
        "-P",
        str(run / "kamailio.pid"),
        "-m",
        str(settings.shm_mb),
        "-M",
        str(settings.pkg_mb),
    ]
    check = subprocess.run([binary, "-c", "-f", str(run / CONFIG_FILE)], capture_output=True, text=True)
    if check.returncode != 0:
        tail = " | ".join(line for line in check.stderr.splitlines() if "ERROR" in line)[-600:]
        raise StateError(f"generated Kamailio configuration rejected: {tail}")
    fd = os.open(run / LOG_FILE, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        process = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=fd,
            stderr=fd,
            cwd=run,
            start_new_session=True,
            umask=0o077,  # what Kamailio creates in the run dir (its pid file) stays private too
        )
    finally:
        os.close(fd)
    pbx = Pbx(run, settings, inventory, process, process.pid)
    deadline = time.monotonic() + ready_timeout
    while options_ping(settings.host, settings.port, 0.2) != 200:
        if process.poll() is not None or time.monotonic() > deadline:
            pbx.stop()
            tail = " | ".join(pbx.log_text().splitlines()[-5:])[-600:]
            raise StateError(f"Kamailio did not come up on {settings.host}:{settings.port}: {tail}")
    state = PbxState(
        process.pid,
        settings.host,
        settings.port,
        str(run),
        datetime.now(UTC).isoformat(),
        len(inventory.tenants),
        len(inventory.accounts),
        int(settings.invite_challenge),
    )
    atomic.write_text(run / STATE_FILE, json.dumps(asdict(state), indent=1), mode=0o600)
    return pbx


def read_state(run_dir: str | os.PathLike[str]) -> PbxState | None:
    """Return the recorded state of the PBX of `run_dir`, or None when none was recorded."""
    try:
        return PbxState(**json.loads((Path(run_dir) / STATE_FILE).read_text()))
    except FileNotFoundError:
        return None
    except (ValueError, TypeError) as exc:
        raise StateError(f"{Path(run_dir) / STATE_FILE}: unreadable PBX state ({exc})") from exc


def pid_alive(pid: int, run_dir: Path | None = None) -> bool:
    """True when `pid` runs and (when `run_dir` is given) is the Kamailio of that run directory."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return False
    if not cmdline or b"kamailio" not in Path(cmdline[0].decode(errors="replace")).name.encode():
        return False
    return run_dir is None or str(Path(run_dir).resolve() / CONFIG_FILE).encode() in cmdline


def stop_pid(pid: int, grace: float = 5.0, process: subprocess.Popen[bytes] | None = None) -> None:
    """SIGTERM the process group of `pid`, then SIGKILL after `grace` seconds."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 2.0)):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            break
        if process is not None:
            try:
                process.wait(wait)
                break
            except subprocess.TimeoutExpired:
                continue
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and pid_alive(pid):
            time.sleep(0.05)
        if not pid_alive(pid):
            break
    if process is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(1.0)


def attach(run_dir: str | os.PathLike[str]) -> Pbx:
    """Return the PBX running from `run_dir`; StateError when none runs."""
    run = Path(run_dir).resolve()
    state = read_state(run)
    if state is None or not pid_alive(state.pid, run):
        raise StateError(f"no PBX is running from {run}; start one with `centrex pbx up`")
    inventory = PbxInventory.from_json((run / INVENTORY_FILE).read_text())
    settings = PbxSettings(
        host=state.host, port=state.port, invite_challenge=InviteChallenge(state.invite_challenge)
    )
    return Pbx(run, settings, inventory, None, state.pid)


def status(run_dir: str | os.PathLike[str]) -> dict[str, object]:
    """Return what `pbx status` prints: running or not, pid, address, OPTIONS answer."""
    run = Path(run_dir).resolve()
    state = read_state(run)
    if state is None:
        return {"running": False, "run_dir": str(run), "pid": None, "address": None, "options": None}
    alive = pid_alive(state.pid, run)
    code = options_ping(state.host, state.port) if alive else None
    return {
        "running": alive,
        "run_dir": str(run),
        "pid": state.pid,
        "address": f"{state.host}:{state.port}",
        "options": code,
        "tenants": state.tenants,
        "accounts": state.accounts,
        "started_at": state.started_at,
        "log": str(run / LOG_FILE),
    }


def down(run_dir: str | os.PathLike[str]) -> dict[str, object]:
    """Stop the PBX of `run_dir`; StateError when none runs."""
    pbx = attach(run_dir)
    pbx.stop()
    return {"stopped": True, "pid": pbx.pid, "run_dir": str(pbx.run_dir)}
