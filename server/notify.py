"""Several server instances on one PostgreSQL database: who hears what, and who drives.

- **Fan-out**: every commit sends `NOTIFY compact_log, '<game>:<seq>'` inside its own
  transaction, so the notice goes out exactly when the entry is durable (and never for a
  rolled-back one). Each instance LISTENs on a connection of its own (`Listener`); an
  instance that holds the game reads the log after its seq and folds it, then pushes to its
  own sockets. No broker: PostgreSQL is already the truth every instance shares.
- **Driving** (phase timers and bots): one instance per game, the holder of a PostgreSQL
  session advisory lock keyed by the game (`Leases`), on another connection of its own.
  A process killed with SIGKILL loses that connection; PostgreSQL frees its locks at once
  and another instance takes them on its next tick. SQLite stays single-process: there
  every game is driven by the one process.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Callable, Iterable

import psycopg
from sqlalchemy.engine import make_url

log = logging.getLogger("compact.notify")

CHANNEL = "compact_log"
NOTIFY_SQL = "SELECT pg_notify('compact_log', :payload)"
"""Run in the commit's transaction: the notice leaves when (and only if) it commits."""


def libpq_url(url: str) -> str:
    """The SQLAlchemy URL (`postgresql+psycopg://…`) as psycopg itself takes it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def notice(game_id: str, seq: int) -> str:
    return f"{game_id}:{seq}"


def parse_notice(payload: str) -> tuple[str, int] | None:
    game_id, _sep, seq = payload.rpartition(":")
    try:
        return (game_id, int(seq)) if game_id else None
    except ValueError:
        return None


def lease_key(game_id: str) -> int:
    """The advisory lock's bigint for a game (a stable hash: ids need not be hex)."""
    digest = hashlib.blake2b(b"compact-lease:" + game_id.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class Listener:
    """LISTEN on a connection of its own; `on_seq(game, seq)` for every notice and
    `on_connect()` after every (re)connect: notices sent while it was down are lost, so
    the hall then catches up every game it holds from the log."""

    def __init__(
        self,
        url: str,
        on_seq: Callable[[str, int], None],
        on_connect: Callable[[], None],
    ) -> None:
        self.url = libpq_url(url)
        self.on_seq = on_seq
        self.on_connect = on_connect
        self.connected = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="compact-listener")

    async def _run(self) -> None:
        backoff = 0.2
        while True:
            try:
                conn = await psycopg.AsyncConnection.connect(
                    self.url, autocommit=True, connect_timeout=5
                )
                async with conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    self.connected.set()
                    backoff = 0.2
                    self.on_connect()
                    async for n in conn.notifies():
                        parsed = parse_notice(n.payload)
                        if parsed is not None:
                            self.on_seq(*parsed)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database went away: listen again when it is back
                log.warning("listening for other instances' commits failed: %s", exc)
            self.connected.clear()
            await asyncio.sleep(backoff)
            backoff = min(5.0, backoff * 2)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task


class Leases:
    """The games this instance drives: session advisory locks on one connection.

    A lock is held until released or the connection ends (a crash, a database restart):
    then every lease is lost at once and `held` is emptied, so timers and bots stop here
    and whichever instance locks first drives them."""

    def __init__(self, url: str) -> None:
        self.url = libpq_url(url)
        self.held: set[str] = set()
        self._conn: psycopg.AsyncConnection | None = None
        self._lock = asyncio.Lock()

    async def _connection(self) -> psycopg.AsyncConnection:
        if self._conn is None or self._conn.closed:
            self.held.clear()  # a new session holds nothing
            self._conn = await psycopg.AsyncConnection.connect(
                self.url, autocommit=True, connect_timeout=5
            )
        return self._conn

    async def _lost(self, exc: Exception) -> set[str]:
        lost = set(self.held)
        if lost:
            log.warning("leases lost (%s): %d game(s) no longer driven here", exc, len(lost))
        self.held.clear()
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await self._conn.close()  # whatever it still held is freed with it
        self._conn = None
        return lost

    async def tend(self, wanted: Iterable[str]) -> tuple[set[str], set[str]]:
        """Hold exactly the leases of `wanted` that can be had: try the missing ones,
        release the rest. Returns (gained, lost)."""
        wanted = set(wanted)
        async with self._lock:
            try:
                conn = await self._connection()
                gained: set[str] = set()
                release = self.held - wanted
                if release:
                    keys = [lease_key(g) for g in release]
                    await conn.execute(
                        "SELECT pg_advisory_unlock(k) FROM unnest(%s::bigint[]) AS k", (keys,)
                    )
                    self.held -= release
                missing = sorted(wanted - self.held)
                if missing:
                    keys = [lease_key(g) for g in missing]
                    cur = await conn.execute(
                        "SELECT pg_try_advisory_lock(k) FROM unnest(%s::bigint[]) AS k",
                        (keys,),
                    )
                    got = [row[0] for row in await cur.fetchall()]
                    gained = {g for g, ok in zip(missing, got, strict=True) if ok}
                    self.held |= gained
                elif self.held:
                    await conn.execute("SELECT 1")  # still connected, so still holding
                return gained, set()
            except Exception as exc:
                return set(), await self._lost(exc)

    async def close(self) -> None:
        async with self._lock:
            self.held.clear()
            if self._conn is not None:
                with contextlib.suppress(Exception):
                    await self._conn.close()
                self._conn = None
