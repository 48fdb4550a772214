"""Fixtures for the server tests: a migrated database of each kind, and a real server.

Every test that takes `db_url` runs twice: on a SQLite file and on PostgreSQL
(127.0.0.1:5432, a fresh database per test session, dropped afterwards). Set
COMPACT_SKIP_POSTGRES=1 to skip the PostgreSQL half, with that reason shown.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import create_engine, text

from server.app import create_app
from server.db import upgrade
from server.settings import Settings
from tests.server.players import Browser

PG_ADMIN_URL = os.environ.get(
    "COMPACT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _skip_postgres() -> bool:
    return os.environ.get("COMPACT_SKIP_POSTGRES") == "1"


@contextlib.contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """A new, empty PostgreSQL database; dropped on exit."""
    name = f"compact_test_{secrets.token_hex(6)}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    if _skip_postgres():
        pytest.skip("COMPACT_SKIP_POSTGRES=1: the PostgreSQL half of the suite is skipped")
    with fresh_postgres_database() as url:
        upgrade(url)
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    if request.param == "postgresql":
        url: str = request.getfixturevalue("postgres_url")
        return url
    url = f"sqlite:///{tmp_path / 'compact.db'}"
    upgrade(url)
    return url


@pytest.fixture
def make_settings(db_url: str) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        # The debrief's frontier costs seconds of CPU a game: only the tests of it ask.
        return Settings(database_url=db_url, **{"debrief_analysis": False, **overrides})

    return make


def free_socket() -> socket.socket:
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets that say they are TCP;
    # without it every response waits ~40 ms for a delayed ACK (Nagle).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


class LiveServer:
    """A real uvicorn server in this event loop, on a free port of 127.0.0.1."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.app = create_app(settings)
        self.sock = free_socket()
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            self.app,
            log_level="warning",
            ws="websockets-sansio",
            ws_per_message_deflate=False,
            ws_max_size=settings.ws_max_message_bytes,
            lifespan="on",
        )
        self.server = uvicorn.Server(config)
        self.task: asyncio.Task[None] | None = None

    @property
    def hall(self) -> Any:
        return self.app.state.hall

    async def start(self) -> LiveServer:
        self.task = asyncio.create_task(self.server.serve(sockets=[self.sock]))
        for _ in range(500):
            if self.server.started:
                return self
            if self.task.done():
                self.task.result()
            await asyncio.sleep(0.01)
        raise RuntimeError("the server did not start")

    async def stop(self) -> None:
        self.server.should_exit = True
        if self.task is not None:
            await self.task
        self.sock.close()

    def browser(self) -> Browser:
        return Browser(self.url, self.ws_url)


@pytest.fixture
async def start_server(
    make_settings: Callable[..., Settings],
) -> AsyncIterator[Callable[..., Any]]:
    servers: list[LiveServer] = []

    async def start(**overrides: Any) -> LiveServer:
        server = await LiveServer(make_settings(**overrides)).start()
        servers.append(server)
        return server

    yield start
    for server in reversed(servers):
        await server.stop()


@pytest.fixture
async def server(start_server: Callable[..., Any]) -> LiveServer:
    live: LiveServer = await start_server()
    return live


@pytest.fixture
async def browsers(server: LiveServer) -> AsyncIterator[Callable[[], Browser]]:
    made: list[Browser] = []

    def make() -> Browser:
        b = server.browser()
        made.append(b)
        return b

    yield make
    for b in made:
        await b.close()


__all__ = ["LiveServer", "httpx"]
