"""A throw-away PostgreSQL cluster for tests that stop and start the database.

The shared PostgreSQL on 127.0.0.1:5432 must never be stopped (other people's tests use
it), so a fault test gets its own: `initdb` in a temporary directory, `pg_ctl` on a free
port of 127.0.0.1, stopped and removed at the end of the test session. Tests that take
`pg_cluster` may `stop()` and `start()` it as they please; `pg_cluster_url` gives each
test a fresh, migrated database on it and starts the cluster again if a test left it
stopped.

Use it from another test module with

    from tests.server.pgcluster import pg_cluster, pg_cluster_url  # noqa: F401

It skips, saying why, when no PostgreSQL server binaries are installed (`initdb` is looked
for on PATH, then in /usr/lib/postgresql/*/bin, newest first), or when
COMPACT_SKIP_POSTGRES=1. initdb refuses to run as root: as root the cluster runs as the
`postgres` system user.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from server.db import upgrade
from tests.server.conftest import free_socket


def find_bindir() -> Path | None:
    """The directory holding initdb, pg_ctl and postgres, or None."""
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).resolve().parent

    def version(p: Path) -> tuple[int, ...]:
        return tuple(int(n) for n in re.findall(r"\d+", p.parent.parent.name)) or (0,)

    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=version)
    return found[-1].parent if found else None


def _free_port() -> int:
    with free_socket() as sock:
        port: int = sock.getsockname()[1]
        return port


class PgCluster:
    """One PostgreSQL cluster of our own: its data directory, its port, start and stop."""

    def __init__(self, bindir: Path, base: Path) -> None:
        self.bindir = bindir
        self.base = base
        self.data = base / "data"
        self.logfile = base / "postgres.log"
        self.port = _free_port()
        if self.port == 5432:  # never, but never the shared one either
            self.port = _free_port()
        self.user: str | None = None
        if os.geteuid() == 0:
            self.user = "postgres"
            entry = pwd.getpwnam(self.user)
            os.chown(base, entry.pw_uid, entry.pw_gid)

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self.user is not None:
            command = ["runuser", "-u", self.user, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=60)
        if check and result.returncode != 0:
            log = self.logfile.read_text(errors="replace")[-2000:] if self.logfile.exists() else ""
            raise RuntimeError(f"{' '.join(args[:2])} failed: {result.stderr}{result.stdout}{log}")
        return result

    def init(self) -> None:
        # trust on loopback only; no fsync: a test cluster need not survive a power cut.
        self._run(
            "initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
            "--no-sync", "--no-instructions",
        )  # fmt: skip

    def start(self) -> None:
        # fsync off: only the database server process is ever killed, not the machine,
        # so what was written to the kernel survives. synchronous_commit stays on: with
        # it off, an `immediate` stop loses commits the server had acknowledged (seen).
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.base} -c fsync=off"
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.logfile), "-o", options, "-w", "start"
        )

    def stop(self, mode: str = "fast") -> None:
        """Stop the cluster: `fast` ends every session (what a restart by an operator
        does), `immediate` is a crash of the database server."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    @property
    def running(self) -> bool:
        return self._run("pg_ctl", "-D", str(self.data), "status", check=False).returncode == 0

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A new, empty database on the cluster; its URL."""
        name = f"compact_{secrets.token_hex(4)}"
        admin = create_engine(self.url(), isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            admin.dispose()
        return self.url(name)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    """A running throw-away cluster for the test session (stopped and removed after)."""
    if os.environ.get("COMPACT_SKIP_POSTGRES") == "1":
        pytest.skip("COMPACT_SKIP_POSTGRES=1: the PostgreSQL half of the suite is skipped")
    bindir = find_bindir()
    if bindir is None:
        pytest.skip("no PostgreSQL server binaries (initdb not on PATH nor in /usr/lib/postgresql)")
    base = Path(tempfile.mkdtemp(prefix="compact-pg-"))
    cluster = PgCluster(bindir, base)
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        with contextlib.suppress(Exception):
            if cluster.running:
                cluster.stop("immediate")
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def pg_cluster_url(pg_cluster: PgCluster) -> str:
    """A fresh database at the head revision on the running throw-away cluster."""
    if not pg_cluster.running:
        pg_cluster.start()
    url = pg_cluster.create_database()
    upgrade(url)
    return url
