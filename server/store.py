"""Group commit: the log entries of every game written by one thread, the entries that
arrive while a transaction runs sharing the next one.

Each accepted entry becomes a `Write` (its rows and statements, built under its game's
lock). `GroupWriter.submit` queues it and returns a future; the writer thread takes every
write waiting in the queue, runs them in ONE transaction (one `BEGIN IMMEDIATE`, one
executemany per table, one `COMMIT`) and only then resolves their futures: an entry is
acknowledged only once it is durable, so a crash loses nothing that was acknowledged
(the same promise as one transaction per entry).

Why (measured, bench/server.py at N = 1000): with one transaction per entry, run from the
worker threads of many games at once, a py-spy profile put ~40 % of the server's samples
in the write — the ORM's unit of work and flush for three small rows, and `BEGIN
IMMEDIATE` waiting for SQLite's one write lock that the other threads held (SQLite's
busy handler sleeps between tries, so the waits were longer than the writes). One writer
never waits for the lock held by another of this process, and N entries pay one
transaction's fixed cost. PostgreSQL gets the same: one round trip per table and one
WAL flush for the batch.

A failed batch is retried one write at a time, each in its own transaction, so a write
that fails (another instance took its seq, the database went read-only) fails alone and
with its own error, and the others are committed: batching never changes an answer.
Two writes of one game are never in the queue together (the game's lock is held until
its write is durable), so their order is the log's.
"""

from __future__ import annotations

import concurrent.futures
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Dialect, Engine, Table, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.sql import Executable

from server.errors import Conflict
from server.notify import NOTIFY_SQL

log = logging.getLogger("compact.store")

MAX_BATCH = 256
"""Writes per transaction at most: a bound on one transaction's size and time."""


class SeqTaken(Conflict):
    """The seq this entry was to take is already in the log (another instance's)."""


@dataclass
class Write:
    """What one log entry puts in the database: rows to insert (table, values) in order,
    then statements (an update of the game's timer, a NOTIFY)."""

    game_id: str
    seq: int
    inserts: list[tuple[Table, dict[str, Any]]] = field(default_factory=list)
    statements: list[tuple[Executable, dict[str, Any]]] = field(default_factory=list)


def run_writes(conn: Connection, writes: list[Write]) -> None:
    """Every write's rows, one executemany per table (and set of columns) in first-use
    order (the tables only refer to `games`, so no row waits for another of the batch),
    then the statements."""
    by_table: dict[tuple[Table, tuple[str, ...]], list[dict[str, Any]]] = {}
    for w in writes:
        for table, row in w.inserts:
            by_table.setdefault((table, tuple(row)), []).append(row)
    for (table, keys), rows in by_table.items():
        insert = driver_insert(table, keys, conn.dialect)
        if insert is None:
            conn.execute(table.insert(), rows)
        else:
            conn.exec_driver_sql(insert.sql, [insert.values(r) for r in rows])
    for w in writes:
        for stmt, params in w.statements:
            conn.execute(stmt, params)


@dataclass(frozen=True)
class DriverInsert:
    """One table's INSERT as the DBAPI driver takes it, with each column's bind processor
    (SQLite's datetimes become text): compiled once per table, columns and dialect, so a
    batch is one `exec_driver_sql` executemany of plain tuples. Measured: Core's compile
    cache, execution context and per-row bind processing were most of the writer
    thread's GIL time (docs/operations.md, "Faster commit path")."""

    sql: str
    keys: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]

    def values(self, row: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(
            row[k] if proc is None else proc(row[k])
            for k, proc in zip(self.keys, self.processors, strict=True)
        )


_MARKERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}
_INSERTS: dict[tuple[Table, tuple[str, ...], str, str], DriverInsert | None] = {}


def driver_insert(table: Table, keys: tuple[str, ...], dialect: Dialect) -> DriverInsert | None:
    """The insert of `keys` into `table` for `dialect`; None where Core must do it (a
    paramstyle not handled here, or a column left out whose default Core would fill)."""
    cache_key = (table, keys, dialect.name, dialect.paramstyle)
    try:
        return _INSERTS[cache_key]
    except KeyError:
        pass
    marker = _MARKERS.get(dialect.paramstyle)
    left_out = [c for c in table.columns if c.name not in keys]
    insert: DriverInsert | None = None
    if (
        marker is not None
        and all(k in table.columns for k in keys)
        and not any(c.default is not None or c.server_default is not None for c in left_out)
    ):
        quote = dialect.identifier_preparer.quote
        sql = (
            f"INSERT INTO {dialect.identifier_preparer.format_table(table)} "
            f"({', '.join(quote(k) for k in keys)}) VALUES ({', '.join([marker] * len(keys))})"
        )
        processors = tuple(
            table.columns[k].type.dialect_impl(dialect).bind_processor(dialect) for k in keys
        )
        insert = DriverInsert(sql, keys, processors)
    _INSERTS[cache_key] = insert
    return insert


def _translated(exc: IntegrityError) -> Conflict:
    words = str(exc.orig)
    if "uq_actions_game_seq" in words or "actions.game_id, actions.seq" in words:
        # Another server instance appended this seq first (UNIQUE(game_id, seq)).
        return SeqTaken("another action was recorded first: reload and try again")
    return Conflict("another action was recorded first: reload and try again")


_Job = tuple[Write, "concurrent.futures.Future[None]"]


class GroupWriter:
    """The process's one writer of log entries (see the module's docstring)."""

    def __init__(self, engine: Engine, *, max_batch: int = MAX_BATCH) -> None:
        self.engine = engine
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self.batches = 0
        """transactions committed (for the benches: writes / batches is the mean batch)"""
        self.writes = 0
        self.on_batch: Callable[[list[Write]], None] | None = None
        """a test hook: called in the writer thread before each transaction"""

    def submit(self, write: Write) -> concurrent.futures.Future[None]:
        """Queue `write`; the future is done once it is durable (or failed). From any
        thread."""
        fut: concurrent.futures.Future[None] = concurrent.futures.Future()
        if self._thread is None:
            with self._start_lock:
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._run, name="compact-writer", daemon=True
                    )
                    self._thread.start()
        self._queue.put((write, fut))
        return fut

    def close(self, timeout: float = 30.0) -> None:
        """Write what is queued, then stop the thread."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout)
            self._thread = None
            if self.batches:
                log.info(
                    "group commit: %d writes in %d transactions (%.1f a transaction)",
                    self.writes,
                    self.batches,
                    self.writes / self.batches,
                )

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            stop = False
            while len(batch) < self.max_batch:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    stop = True
                    break
                batch.append(nxt)
            self._write(batch)
            if stop:
                return

    def _write(self, batch: list[_Job]) -> None:
        writes = [w for w, _f in batch]
        if len(batch) > 1:
            try:
                self._transaction(writes)
            except Exception as exc:
                log.info("a batch of %d writes failed (%s): one at a time", len(batch), exc)
            else:
                for _w, fut in batch:
                    fut.set_result(None)
                return
        for write, fut in batch:
            try:
                self._alone(write)
            except BaseException as exc:
                fut.set_exception(exc)
            else:
                fut.set_result(None)

    def _alone(self, write: Write) -> None:
        for attempt in (1, 2):
            try:
                self._transaction([write])
                return
            except IntegrityError as exc:
                raise _translated(exc) from exc
            except DBAPIError as exc:
                # A connection thrown away for a fault (read-only, closed): once more on a
                # fresh one, so the first write after the database recovers succeeds.
                if attempt == 2 or not exc.connection_invalidated:
                    raise

    def _transaction(self, writes: list[Write]) -> None:
        if self.on_batch is not None:
            self.on_batch(writes)
        with self.engine.begin() as conn:
            run_writes(conn, writes)
        self.batches += 1
        self.writes += len(writes)


def notify_statement(payload: str) -> tuple[Executable, dict[str, Any]]:
    """PostgreSQL: the notice other instances hear, in the entry's transaction."""
    return text(NOTIFY_SQL), {"payload": payload}
