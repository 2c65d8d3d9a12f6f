"""The test PBX: generate a Kamailio configuration from the inventory and run it on loopback.

Kamailio runs in the foreground (`-DD -E`) in its own session, with its config, its SQLite data
(subscribers with HA1, tenant limits), its TLS material, its control FIFO and its log in one run
directory (mode 0700, files 0600). `pbx.json` records the pid, the ports and the inventory database
so `pbx status`, `pbx reload`, `sip check` and `pbx down` find it again; every started PBX is also
listed in the registry (`sip.registry`) so inventory changes can reach it.
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
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import jinja2

from contracts import atomic
from contracts.errors import InputError, StateError
from sip import registry, tls
from sip.choices import (
    APT_INSTALL,
    DEFAULT_HOST,
    DEFAULT_PIKE_DENSITY,
    DEFAULT_PIKE_UNIT_S,
    DEFAULT_PORT,
    LIMIT_HEADER,
    LIMIT_REASON,
    REALM_BUCKETS,
    InterTenant,
    InviteChallenge,
    InviteDigestUri,
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
    port: int = DEFAULT_PORT  # UDP and TCP; 0: any free port
    tls_port: int | None = 0  # 0: any free port; None: no TLS listener
    children: int = 4
    invite_challenge: InviteChallenge = InviteChallenge.www
    invite_digest_uri: InviteDigestUri = InviteDigestUri.host
    inter_tenant: InterTenant = InterTenant.both  # whose channels a call between tenants takes
    pike_unit_s: int = DEFAULT_PIKE_UNIT_S
    # Requests per source IP and unit before pike blocks the IP; None: pike off (load tests on
    # loopback, where every client is 127.0.0.1).
    pike_density: int | None = DEFAULT_PIKE_DENSITY
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
    for module, package in (("db_sqlite.so", "SQLite"), ("tls.so", "TLS")):
        if not any((d / module).exists() for d in candidates):
            raise StateError(f"kamailio's {package} module is not installed; install it with: {APT_INSTALL}")
    return path


def free_udp_port(host: str = DEFAULT_HOST) -> int:
    """Return a UDP port that is free on `host` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _bound_by_others(host: str, port: int, kind: int) -> str | None:
    """The OS's reason when `host:port` cannot be bound for `kind` (UDP/TCP), else None."""
    with socket.socket(socket.AF_INET, kind) as s:
        if kind == socket.SOCK_STREAM:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Kamailio does
        try:
            s.bind((host, port))
        except OSError as exc:
            return exc.strerror or str(exc)
    return None


def port_in_use(host: str, port: int, *, udp: bool = True) -> str | None:
    """Describe why `port` is unusable for a SIP listener (UDP+TCP, or TCP only), or None when free."""
    for kind, name in ((socket.SOCK_DGRAM, "UDP"), (socket.SOCK_STREAM, "TCP")):
        if kind == socket.SOCK_DGRAM and not udp:
            continue
        why = _bound_by_others(host, port, kind)
        if why is not None:
            return f"{name} port {port} on {host} is in use ({why})"
    return None


def free_port(host: str = DEFAULT_HOST, *, udp: bool = True, avoid: tuple[int, ...] = ()) -> int:
    """Return a port free on `host` right now for TCP (and UDP when `udp`)."""
    for _ in range(50):
        port = free_udp_port(host)
        if port not in avoid and port_in_use(host, port, udp=udp) is None:
            return port
    raise StateError(f"no free port found on {host}")


def check_port_free(host: str, port: int, *, udp: bool = True) -> None:
    """InputError when `host:port` is already bound by someone else (UDP and TCP, or TCP only)."""
    why = port_in_use(host, port, udp=udp)
    if why is not None:
        raise InputError(f"{why}; choose another with --port N, or --port 0 for any free port", field="port")


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
        invite_digest_uri=settings.invite_digest_uri.value,
        inter_tenant=settings.inter_tenant.value,
        tls_port=settings.tls_port or 0,
        tls_config=str(tls.files_in(run_dir).config),
        pike_unit_s=settings.pike_unit_s,
        pike_density=settings.pike_density or 0,
        fr_timer_ms=settings.fr_timer_ms,
        fr_inv_timer_ms=settings.fr_inv_timer_ms,
        dialog_timeout_s=settings.dialog_timeout_s,
        realm_buckets=REALM_BUCKETS,
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


_TABLES = ("subscriber", "htable_domains", "htable_limits", "htable_userrealm", "htable_realms")
HTABLES = ("domains", "limits", "userrealm", "realms")
_CLEAR = (
    "DELETE FROM subscriber",
    "DELETE FROM htable_domains",
    "DELETE FROM htable_limits",
    "DELETE FROM htable_userrealm",
    "DELETE FROM htable_realms",
)


def fill_tables(con: sqlite3.Connection, inventory: PbxInventory) -> None:
    """Replace every row Kamailio serves (subscribers with HA1, tenant htables) by `inventory`'s.

    Called inside one transaction, on the live file too (`sip.reload`): Kamailio's open connection
    then reads the new rows; a file replaced by rename would stay invisible to it."""
    for statement in _CLEAR:
        con.execute(statement)
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
    # Unknown usernames are challenged with the realm of a tenant picked by hash (route[REALM]): a
    # fixed number of buckets, spread over the tenants, so the configuration never changes with them.
    ordered = sorted(t.domain for t in inventory.tenants) or ["no-tenant.invalid"]
    con.executemany(
        "INSERT INTO htable_realms (key_name, key_value) VALUES (?, ?)",
        [(str(i), ordered[i % len(ordered)]) for i in range(REALM_BUCKETS)],
    )
    names: dict[str, list[str]] = {}
    for a in inventory.accounts:
        names.setdefault(a.username, []).append(domain[a.tenant])
    # Only usernames unique across tenants can be resolved without a tenant domain.
    con.executemany(
        "INSERT INTO htable_userrealm (key_name, key_value) VALUES (?, ?)",
        [(u, d[0]) for u, d in sorted(names.items()) if len(d) == 1],
    )


def write_database(inventory: PbxInventory, path: Path) -> None:
    """Write the PBX's SQLite data (subscribers with HA1, htables) to `path`, atomically, mode 0600.

    WAL journal: a reload writes while Kamailio's workers keep reading, and neither waits."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    os.chmod(tmp, 0o600)
    try:
        con = sqlite3.connect(tmp)
        con.execute("PRAGMA journal_mode = WAL")
        with con:
            con.executescript(_SCHEMA)
            con.execute("INSERT INTO version VALUES ('subscriber', 7)")
            for table in _TABLES[1:]:
                con.execute(_HTABLE.format(name=table))
                con.execute("INSERT INTO version VALUES (?, 2)", (table,))
            fill_tables(con, inventory)
        con.close()
        os.replace(tmp, path)
    except BaseException:
        for leftover in (tmp, tmp + "-wal", tmp + "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(leftover)
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
    """What `pbx.json` records about a started PBX (and, after a reload, what it now serves)."""

    pid: int
    host: str
    port: int
    run_dir: str
    started_at: str
    tenants: int
    accounts: int
    invite_challenge: int
    tls_port: int | None = None
    pike: str = "off"
    inventory_db: str | None = None  # the provisioning database it serves (None: a given inventory)
    loaded_at: str | None = None
    invite_digest_uri: str = InviteDigestUri.host.value
    pike_density: int | None = None
    pike_unit_s: int = DEFAULT_PIKE_UNIT_S
    inter_tenant: str = InterTenant.both.value

    def settings(self) -> PbxSettings:
        """The settings this PBX was started with (as far as the checks need them)."""
        return PbxSettings(
            host=self.host,
            port=self.port,
            tls_port=self.tls_port,
            invite_challenge=InviteChallenge(self.invite_challenge),
            invite_digest_uri=InviteDigestUri(self.invite_digest_uri),
            pike_density=self.pike_density,
            pike_unit_s=self.pike_unit_s,
            inter_tenant=InterTenant(self.inter_tenant),
        )


def pike_text(settings: PbxSettings) -> str:
    """`DENSITY/SECONDS`, or `off`."""
    return f"{settings.pike_density}/{settings.pike_unit_s}" if settings.pike_density else "off"


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
        """(host, port) the PBX listens on (UDP and TCP)."""
        return (self.settings.host, self.settings.port)

    @property
    def fifo(self) -> Path:
        """The jsonrpcs control FIFO."""
        return self.run_dir / FIFO_FILE

    @property
    def ca_file(self) -> Path | None:
        """The throwaway CA that signed this run's TLS certificate (None without TLS)."""
        return tls.files_in(self.run_dir).ca if self.settings.tls_port else None

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
        registry.forget(self.run_dir)

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
    inventory_db: str | None = None,
) -> Pbx:
    """Generate the configuration into `run_dir`, start Kamailio, wait until it answers OPTIONS.

    `inventory_db` records which provisioning database `inventory` came from, so a reload (and every
    inventory command) can refresh this PBX from it. Raises StateError when Kamailio is missing or a
    PBX already runs from `run_dir`, InputError when the inventory has no accounts or a port is taken.
    Ports 0 are picked free (and picked again if another process took one before Kamailio bound it).
    """
    settings = settings or PbxSettings()
    if settings.port != 0 and settings.tls_port != 0:
        return _start_pbx(inventory, run_dir, settings, ready_timeout, inventory_db)
    for attempt in range(3):
        try:
            return _start_pbx(inventory, run_dir, settings, ready_timeout, inventory_db)
        except StateError as exc:
            if attempt == 2 or "did not come up" not in str(exc):
                raise
    raise AssertionError("unreachable")


def _resolve_ports(settings: PbxSettings) -> PbxSettings:
    port = settings.port or free_port(settings.host)
    tls_port = settings.tls_port
    if tls_port == 0:
        tls_port = free_port(settings.host, udp=False, avoid=(port,))
    return replace(settings, port=port, tls_port=tls_port)


def _start_pbx(
    inventory: PbxInventory,
    run_dir: str | os.PathLike[str],
    settings: PbxSettings,
    ready_timeout: float,
    inventory_db: str | None,
) -> Pbx:
    binary = kamailio_binary()
    inventory.require_accounts()
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
    if settings.port:
        check_port_free(settings.host, settings.port)
    if settings.tls_port:
        check_port_free(settings.host, settings.tls_port, udp=False)
    settings = _resolve_ports(settings)
    _prepare_run_dir(run)
    atomic.write_text(run / INVENTORY_FILE, inventory.to_json(), mode=0o600)
    write_database(inventory, run / DB_FILE)
    if settings.tls_port:
        tls.generate(run, settings.host)
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
    now = datetime.now(UTC).isoformat()
    state = PbxState(
        process.pid,
        settings.host,
        settings.port,
        str(run),
        now,
        len(inventory.tenants),
        len(inventory.accounts),
        int(settings.invite_challenge),
        settings.tls_port,
        pike_text(settings),
        inventory_db,
        now,
        settings.invite_digest_uri.value,
        settings.pike_density,
        settings.pike_unit_s,
        settings.inter_tenant.value,
    )
    write_state(run, state)
    registry.remember(run)
    return pbx


def write_state(run_dir: Path, state: PbxState) -> None:
    """Record `state` in the run directory's pbx.json (atomically, 0600)."""
    atomic.write_text(run_dir / STATE_FILE, json.dumps(asdict(state), indent=1), mode=0o600)


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
    return Pbx(run, state.settings(), inventory, None, state.pid)


def loaded_counts(run_dir: Path) -> dict[str, int]:
    """What Kamailio serves right now, read from its own tables: accounts (subscriber rows), tenants."""
    con = sqlite3.connect(f"file:{run_dir / DB_FILE}?mode=ro", uri=True)
    try:
        accounts = con.execute("SELECT count(*) FROM subscriber").fetchone()[0]
        tenants = con.execute("SELECT count(*) FROM htable_limits").fetchone()[0]
    finally:
        con.close()
    return {"tenants": int(tenants), "accounts": int(accounts)}


def status(run_dir: str | os.PathLike[str]) -> dict[str, object]:
    """Return what `pbx status` prints: running or not, pid, addresses, OPTIONS answer, what is loaded."""
    run = Path(run_dir).resolve()
    state = read_state(run)
    if state is None:
        return {"running": False, "run_dir": str(run), "pid": None, "address": None, "options": None}
    alive = pid_alive(state.pid, run)
    code = options_ping(state.host, state.port) if alive else None
    loaded = loaded_counts(run) if alive else {"tenants": state.tenants, "accounts": state.accounts}
    registered = None
    if alive:
        from sip import control

        with contextlib.suppress(StateError):
            registered = control.registered_contacts(run / FIFO_FILE)
    return {
        "running": alive,
        "run_dir": str(run),
        "pid": state.pid,
        "address": f"{state.host}:{state.port}",  # UDP and TCP
        "tls": f"{state.host}:{state.tls_port}" if state.tls_port else None,
        "options": code,
        "tenants": loaded["tenants"],
        "accounts": loaded["accounts"],
        "registered": registered,
        "inventory_db": state.inventory_db,
        "loaded_at": state.loaded_at,
        "pike": state.pike,
        "inter_tenant": state.inter_tenant,
        "started_at": state.started_at,
        "log": str(run / LOG_FILE),
    }


def down(run_dir: str | os.PathLike[str]) -> dict[str, object]:
    """Stop the PBX of `run_dir`; StateError when none runs."""
    pbx = attach(run_dir)
    pbx.stop()
    return {"stopped": True, "pid": pbx.pid, "run_dir": str(pbx.run_dir)}
