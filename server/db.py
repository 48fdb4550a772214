"""Database engines and migrations.

SQLite needs care to be safe under concurrent writers (ARCHITECTURE: "SQLite loses
updates silently" with library defaults): WAL, busy_timeout, synchronous=NORMAL,
foreign keys on, and every transaction opened with BEGIN IMMEDIATE so a read-then-write
never upgrades its lock half-way (which is where updates get lost or deadlock).
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import ExceptionContext, make_url

log = logging.getLogger("compact.db")

DATABASE_FAULTS: tuple[type[Exception], ...] = (
    sa_exc.OperationalError,
    sa_exc.InternalError,
    sa_exc.InterfaceError,
    sa_exc.DatabaseError,
    sa_exc.TimeoutError,
    sa_exc.DisconnectionError,
)
"""What a database that cannot be read or written raises: the request gets a retryable
503 and nothing changed. (IntegrityError, a DatabaseError too, is a lost race: 409.)"""

_FAULT_WORDS = (
    "readonly database",
    "read-only",
    "disk i/o",
    "database or disk is full",
    "unable to open database",
    "no space left",
    "could not extend file",
    "cannot execute",  # PostgreSQL: cannot execute INSERT in a read-only transaction
    "server closed the connection",
    "terminating connection",
)


def is_database_fault(exc: BaseException) -> bool:
    return isinstance(exc, DATABASE_FAULTS) and not isinstance(exc, sa_exc.IntegrityError)


MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


class DatabaseNotMigrated(RuntimeError):
    """The database schema is not at the head revision: the server must not start on it."""


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(url: str) -> Engine:
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            # A read-only data directory must not stop the start: the database says so.
            with contextlib.suppress(OSError):
                Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 5.0},
            pool_size=8,
            max_overflow=8,
        )
        _harden_sqlite(engine)
        _recover_from_faults(engine)
        return engine
    engine = create_engine(url, pool_size=8, max_overflow=8, pool_pre_ping=True)
    _recover_from_faults(engine)
    return engine


def _recover_from_faults(engine: Engine) -> None:
    """A connection that met a read-only or full database is thrown away (and the pool
    with it): SQLite opens a file it could not write read-only for good, and a PostgreSQL
    session keeps the read-only setting it started with. Without this the process kept
    failing after the database could be written again."""

    @event.listens_for(engine, "handle_error")
    def _on_error(ctx: ExceptionContext) -> None:
        text = str(ctx.original_exception).lower()
        if not isinstance(ctx.sqlalchemy_exception, sa_exc.IntegrityError) and any(
            w in text for w in _FAULT_WORDS
        ):
            ctx.is_disconnect = True


def _harden_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the sqlite3 module (its implicit BEGIN is DEFERRED).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
        except Exception as exc:  # a read-only file or directory: reads may still work
            log.warning("SQLite: cannot use WAL (%s): is the data directory writable?", exc)
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(url: str) -> None:
    """Apply every migration to the database at `url`."""
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), "head")


def check_migrated(engine: Engine) -> None:
    """Raise DatabaseNotMigrated, naming what to run, unless the schema is at head."""
    current = current_revision(engine)
    head = head_revision()
    if current != head:
        where = engine.url.render_as_string(hide_password=True)
        raise DatabaseNotMigrated(
            f"the database {where} is at schema revision {current or 'none (empty)'}, "
            f"expected {head}: run `compact db upgrade` (with the same DATABASE_URL) first"
        )
