"""Fixtures: a fresh inventory database per test, on SQLite and on a real throwaway PostgreSQL cluster.

PostgreSQL refuses to run as root, so the cluster is initialised and started as the `postgres` user in a
temporary directory (ENV-NOTES.md), listening only on a Unix socket there, and stopped at teardown.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from provisioning import db

SITES_CSV = """site,customer,address,postcode,city,profile,service_start
paris-hq,Acme,1 rue de Rivoli,75001,Paris,alleo,2026-01-15
lyon,Acme,2 place Bellecour,69002,Lyon,allset,
strasbourg,Bretz,3 quai Kléber,67000,Strasbourg,alleo,2026-03-02
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        pytest.fail("PostgreSQL server is not installed: apt-get install -y postgresql")
    return Path(found[-1]).parent


class PgCluster:
    """A throwaway PostgreSQL cluster reachable over a Unix socket in its own directory."""

    def __init__(self) -> None:
        self.bin = _pg_bin()
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.fail("no `postgres` user: apt-get install -y postgresql")
        self.dir = Path(tempfile.mkdtemp(prefix="centrex-pg-"))
        os.chmod(self.dir, 0o700)
        shutil.chown(self.dir, "postgres", "postgres")
        self.data = self.dir / "data"
        self.port = _free_port()
        self._as_postgres(["initdb", "-A", "trust", "-U", "postgres", "-E", "UTF8", "-D", str(self.data)])
        opts = f"-k {self.dir} -p {self.port} -c listen_addresses='' -c fsync=off -c max_connections=60"
        self._as_postgres(
            ["pg_ctl", "-D", str(self.data), "-o", opts, "-l", str(self.dir / "log"), "-w", "start"]
        )
        self._names = itertools.count()

    def _as_postgres(self, cmd: list[str]) -> None:
        full = ["runuser", "-u", "postgres", "--", str(self.bin / cmd[0]), *cmd[1:]]
        result = subprocess.run(full, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            log = (self.dir / "log").read_text() if (self.dir / "log").exists() else ""
            pytest.fail(f"{' '.join(cmd[:1])} failed: {result.stderr.strip()} {log[-500:]}")

    def url(self, dbname: str) -> str:
        return f"postgresql://postgres@/{dbname}?host={self.dir}&port={self.port}"

    def new_database(self) -> str:
        """Create an empty database and return its postgresql:// URL."""
        name = f"t{os.getpid()}_{next(self._names)}"
        with psycopg.connect(
            host=str(self.dir), port=self.port, user="postgres", dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        db.dispose_all()
        subprocess.run(
            [
                "runuser",
                "-u",
                "postgres",
                "--",
                str(self.bin / "pg_ctl"),
                "-D",
                str(self.data),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    cluster = PgCluster()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path) -> Iterator[str]:
    """A migrated, empty inventory database: SQLite file or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        url = str(tmp_path / "centrex.db")
    else:
        url = request.getfixturevalue("pg_cluster").new_database()
    db.upgrade(url)
    yield url
    db.dispose_all()


@pytest.fixture
def sites_csv(tmp_path) -> Path:
    path = tmp_path / "sites.csv"
    path.write_text(SITES_CSV, encoding="utf-8")
    return path


@pytest.fixture
def inventory(db_url, sites_csv) -> str:
    """A database with the three sites of SITES_CSV and the range +33170000000/10000, +33970000000/1000."""
    from provisioning.inventory import import_sites
    from provisioning.numbers import add_range

    with db.session_scope(db_url) as s:
        import_sites(s, sites_csv)
        add_range(s, "+33170000000", 10_000, "test")
        add_range(s, "+33970000000", 1_000, "test")
        add_range(s, "+33388000000", 1_000, "test")
    return db_url
