"""What the benches share to run servers: `compact serve` subprocesses started and stopped,
a fresh database for them, and what /proc says of a process (RSS, CPU time).

bench/load.py, bench/server.py and bench/soak.py each had their own copy of the start-up
(environment, port, waiting for /healthz, the log); a fix made in one (the per-address
game limit lifted, the longer wait on a loaded machine) then missed the others.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
COMPACT = ROOT / ".venv" / "bin" / "compact"
PG_ADMIN = os.environ.get(
    "COMPACT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)

LOAD_ENV = {
    # A bench sends faster than people do, from one seat per game: not a flood.
    "COMPACT_CHAT_PER_MINUTE": "1000000",
    "COMPACT_CHAT_BURST": "1000000",
    # And it creates all its games from one address: not a flood either.
    "COMPACT_GAMES_PER_HOUR": "1000000",
}
"""The limits a bench lifts on every instance it starts."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


@dataclass
class Instance:
    """One server subprocess (a `compact serve`, or the floor's bare websockets server)."""

    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # a clean stop: sockets closed, leases freed
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_instance(
    url: str,
    tmp: Path,
    n: int = 0,
    extra_env: dict[str, str] | None = None,
    tree: Path | None = None,
) -> Instance:
    """`compact serve` on a free port, on database `url`, its log in `tmp`; returns once it
    answers /healthz (90 s at most: a loaded machine starts it slowly).

    `tree`: the Compact of another checkout (e.g. `git archive main | tar -x -C DIR`),
    run by this venv's Python with that tree first on the path: an A/B of two versions
    in the same run, on the same machine state."""
    port = free_port()
    log = tmp / f"compact-{n}{'-' + tree.name if tree else ''}.log"
    env = {**os.environ, "DATABASE_URL": url, **LOAD_ENV, **(extra_env or {})}
    command = [str(COMPACT), "serve", "--port", str(port)]
    if tree is not None:
        env["PYTHONPATH"] = str(tree)
        command = [str(PYTHON), "-m", "server.cli", "serve", "--port", str(port)]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            command,
            cwd=tree or tmp,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"compact serve exited: {log.read_text()[-2000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return Instance(proc, port, log)
        time.sleep(0.2)
    proc.kill()
    proc.wait()
    raise RuntimeError("compact serve did not answer /healthz within 90 s")


def start_floor(tmp: Path) -> Instance:
    """bench/floor_server.py on a free port; returns once it says it listens."""
    port = free_port()
    log = tmp / "floor.log"
    with log.open("wb") as err:
        proc = subprocess.Popen(
            [str(PYTHON), str(ROOT / "bench" / "floor_server.py"), "--port", str(port)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=err,
        )
    assert proc.stdout is not None
    if proc.stdout.readline().strip() != b"ready":
        proc.kill()
        proc.wait()
        raise RuntimeError(f"the floor server did not start: {log.read_text()[-2000:]}")
    return Instance(proc, port, log)


@contextlib.contextmanager
def database(kind: str, tmp: Path) -> Iterator[str]:
    """A fresh database: a SQLite file in `tmp`, or a PostgreSQL database (on PG_ADMIN's
    server, migrated) dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp / 'compact.db'}"
        return
    from sqlalchemy import create_engine, text

    name = f"compact_load_{secrets.token_hex(4)}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    try:
        subprocess.run(
            [str(COMPACT), "db", "upgrade"], env={**os.environ, "DATABASE_URL": url}, check=True
        )
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
