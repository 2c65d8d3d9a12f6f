"""Database URLs, engines, transactions and schema upgrades (SQLite by default, PostgreSQL by URL).

SQLite transactions start with `BEGIN IMMEDIATE`, so a writer holds the write lock from its first read:
two allocators can never both read a number as free (they queue on the busy timeout instead).
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, inspect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from contracts.errors import InputError, StateError

DEFAULT_URL = "sqlite:///centrex.db"
SQLITE_BUSY_TIMEOUT_S = 60
T = TypeVar("T")


class Driver(NamedTuple):
    """A DBAPI connection inside a transaction and its dialect: the hot path without SQLAlchemy."""

    dbapi: Any
    dialect: str


class RetryableConflict(Exception):
    """A concurrent writer changed what the transaction read; the whole transaction may simply be rerun."""


_engines: dict[tuple[str, int], Engine] = {}
_ready: set[tuple[str, int]] = set()


def resolve_url(url: str | None = None) -> str:
    """Return the SQLAlchemy URL for `url` (None: $CENTREX_DB or centrex.db; bare path: SQLite)."""
    url = url or os.environ.get("CENTREX_DB") or DEFAULT_URL
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if url.startswith(("postgresql+", "sqlite:")):
        return url
    if "://" in url:
        raise InputError(
            f"unsupported database URL {url!r} (use a file path, sqlite:///…, or postgresql://…)",
            field="--db",
        )
    return f"sqlite:///{url}"


def is_sqlite(engine: Engine) -> bool:
    """Return True when `engine` is a SQLite database."""
    return engine.dialect.name == "sqlite"


def _sqlite_hooks(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:
        dbapi_conn.isolation_level = None  # let SQLAlchemy's "begin" hook emit BEGIN itself
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_S * 1000}")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def engine_for(url: str | None = None) -> Engine:
    """Return the (per-process cached) engine for `url`; see `resolve_url` for the default."""
    full = resolve_url(url)
    key = (full, os.getpid())
    engine = _engines.get(key)
    if engine is None:
        if full.startswith("sqlite"):
            path = full.split("///", 1)[1] if "///" in full else ""
            if path and path != ":memory:" and not Path(path).parent.exists():
                raise InputError(f"directory of database file {path!r} does not exist", field="--db")
            if path and path != ":memory:" and not Path(path).exists():
                os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))  # HA1s inside: owner only
            engine = create_engine(full, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})
            _sqlite_hooks(engine)
        else:
            engine = create_engine(full, pool_pre_ping=True)
        _engines[key] = engine
    return engine


def dispose_all() -> None:
    """Close every engine of this process (tests, forked workers)."""
    _fast.clear()
    for key, raw in list(_raw.items()):
        if key[1] == os.getpid():
            raw.close()
        del _raw[key]
    for key, engine in list(_engines.items()):
        engine.dispose()
        del _engines[key]
        _ready.discard(key)


def _alembic_config(connection):
    from alembic.config import Config

    here = Path(__file__).parent
    cfg = Config(str(here / "alembic.ini"))
    cfg.set_main_option("script_location", str(here / "migrations"))
    cfg.attributes["connection"] = connection
    return cfg


def upgrade(url: str | None = None, revision: str = "head") -> str:
    """Migrate the database at `url` to `revision` (creates a fresh database); return the new revision."""
    from alembic import command

    engine = engine_for(url)
    with engine.begin() as conn:
        command.upgrade(_alembic_config(conn), revision)
    _ready.add((resolve_url(url), os.getpid()))
    return current_revision(url) or ""


def current_revision(url: str | None = None) -> str | None:
    """Return the schema revision of the database (None when it has none)."""
    from alembic.runtime.migration import MigrationContext

    with engine_for(url).connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str:
    """Return the newest migration shipped with the package."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config(None)).get_current_head() or ""


def ensure_schema(url: str | None = None) -> None:
    """Create the schema of an empty database; refuse one left at an older revision."""
    key = (resolve_url(url), os.getpid())
    if key in _ready:
        return
    engine = engine_for(url)
    with engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
    if not tables:
        upgrade(url)
        return
    rev = current_revision(url)
    if rev != head_revision():
        raise StateError(
            f"database schema is at {rev or 'no revision'}, expected {head_revision()}: "
            "run `centrex db upgrade`"
        )
    _ready.add(key)


_sessionmakers: dict[int, sessionmaker] = {}


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """Yield a session in one transaction: commit on success, roll back on any error."""
    ensure_schema(url)
    engine = engine_for(url)
    maker = _sessionmakers.get(id(engine))
    if maker is None:
        maker = _sessionmakers[id(engine)] = sessionmaker(engine, expire_on_commit=False)
    session = maker()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _retryable(exc: BaseException) -> bool:
    """True when rerunning the whole transaction may succeed: a concurrent writer got in the way.

    Errors come wrapped by SQLAlchemy, or straight from the driver when the hot path used its cursor.
    """
    if isinstance(exc, RetryableConflict):
        return True
    raw = exc.orig if isinstance(exc, DBAPIError) else exc
    if isinstance(raw, sqlite3.OperationalError) and "locked" in str(raw).lower():
        return True  # SQLite busy beyond the timeout
    return getattr(raw, "sqlstate", None) in {"40001", "40P01"}  # serialization failure / deadlock


@contextmanager
def connection_scope(url: str | None = None) -> Iterator[Connection]:
    """Yield a Core connection in one transaction (the lean path for hot loops such as allocation)."""
    ensure_schema(url)
    with engine_for(url).begin() as conn:
        yield conn


def in_transaction(
    url: str | None, work: Callable[[Session], T], retries: int = 20, *, core: bool = False
) -> T:
    """Run `work` in its own transaction, retrying when the database reports a lock conflict.

    `work` gets a Session, or a Core Connection when `core` is true.
    """
    delay = 0.01
    scope = connection_scope if core else session_scope
    for attempt in range(retries + 1):
        try:
            with scope(url) as handle:
                return work(handle)
        except Exception as exc:
            if attempt == retries or not _retryable(exc):
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.5)
    raise AssertionError("unreachable")


_raw: dict[tuple[str, int], Any] = {}
_fast: dict[tuple[str | None, int], Driver] = {}  # (url as given, pid): skips resolving it again


def driver_transaction(url: str | None, work: Callable[[Driver], T], retries: int = 20) -> T:
    """Run `work` on a bare DBAPI connection in its own transaction, retried like `in_transaction`.

    The leanest write path, for one-transaction-per-call hot loops such as block allocation: one
    connection per process and database stays open (no pool checkout or pre-ping, no SQLAlchemy
    transaction objects). SQLite: `BEGIN IMMEDIATE … COMMIT` issued directly; PostgreSQL: psycopg's
    own transaction, committed or rolled back here.
    """
    fast = _fast.get((url, os.getpid()))
    if fast is None:
        fast = _open_driver(url)
    if fast.dialect == "sqlite":
        return _sqlite_transaction(fast, work, retries)
    return _pg_transaction(url, fast, work, retries)


def _open_driver(url: str | None) -> Driver:
    ensure_schema(url)
    engine = engine_for(url)
    key = (resolve_url(url), os.getpid())
    raw = _raw.get(key)
    if raw is None:
        raw = _raw[key] = engine.raw_connection()  # kept checked out for the life of the process
    fast = _fast[(url, os.getpid())] = Driver(raw.driver_connection, engine.dialect.name)
    return fast


def _backoff(attempt: int) -> None:
    time.sleep(min(0.01 * 2**attempt, 0.5))


def _sqlite_transaction(d: Driver, work: Callable[[Driver], T], retries: int) -> T:
    dbapi = d.dbapi
    for attempt in range(retries + 1):
        dbapi.execute("BEGIN IMMEDIATE")
        try:
            result = work(d)
            dbapi.execute("COMMIT")
            return result
        except BaseException as exc:
            if dbapi.in_transaction:
                dbapi.execute("ROLLBACK")
            if attempt == retries or not _retryable(exc):
                raise
        _backoff(attempt)
    raise AssertionError("unreachable")


def _pg_transaction(url: str | None, d: Driver, work: Callable[[Driver], T], retries: int) -> T:
    dbapi = d.dbapi
    for attempt in range(retries + 1):
        try:
            result = work(d)
            dbapi.commit()
            return result
        except BaseException as exc:
            try:
                dbapi.rollback()
            except Exception:  # a broken connection: the next call opens a new one
                _forget(url)
                raise exc from None
            sqlstate = getattr(exc, "sqlstate", None)
            if attempt == retries or not (
                isinstance(exc, RetryableConflict) or sqlstate in {"40001", "40P01"}
            ):
                raise
        _backoff(attempt)
    raise AssertionError("unreachable")


def _forget(url: str | None) -> None:
    _fast.pop((url, os.getpid()), None)
    raw = _raw.pop((resolve_url(url), os.getpid()), None)
    if raw is not None:
        raw.invalidate()
