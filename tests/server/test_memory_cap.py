"""The cap on games held in memory (`COMPACT_MAX_GAMES_LOADED`): idle games (no sockets,
no timer running, no bots) leave memory, their snapshot and log stay in the database, and
the next request loads them again, the same game as before; a game being played stays."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from server.db import upgrade
from tests.server.conftest import LiveServer, _skip_postgres, fresh_postgres_database
from tests.server.players import Browser
from tests.server.test_fold import picture, play_every_kind


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    """A database of this test's own: on the suite's shared PostgreSQL database, the hall
    would adopt other tests' games with bots or timers (no instance holds them), which are
    busy and rightly stay in memory above the cap."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'compact.db'}"
        upgrade(url)
        yield url
        return
    if _skip_postgres():
        pytest.skip("COMPACT_SKIP_POSTGRES=1: the PostgreSQL half of the suite is skipped")
    with fresh_postgres_database() as url:
        upgrade(url)
        yield url


async def _until(condition: Callable[[], bool], within: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "the condition never held"
        await asyncio.sleep(0.02)


def _still(view: dict[str, Any]) -> dict[str, Any]:
    """A view without the clock."""
    return {**view, "timer": {k: v for k, v in view["timer"].items() if k != "server_time"}}


async def test_idle_games_leave_memory_and_come_back_the_same(start_server) -> None:
    server: LiveServer = await start_server(max_games_loaded=2, idle_seconds=0, snapshot_every=4)
    hall = server.hall
    made: list[Browser] = []

    def make() -> Browser:
        made.append(server.browser())
        return made[-1]

    try:
        table = await play_every_kind(make)
        fac, union = table.facilitator, table.teams["union"]
        await fac.act({"kind": "pause_game"})  # a paused timer does not run: idle
        before = picture(hall.rooms[table.game_id])
        views = {b: _still((await b.get("/api/games/{g}/view")).json()) for b in (fac, union)}

        # A game being watched is never unloaded, however many others come.
        watched = make()
        await watched.create_game(scenario="mediterranean", seed=2)
        tab = await watched.open_tab()
        await tab.until(lambda m: m["type"] == "view")
        for seed in (3, 4, 5):
            await make().create_game(scenario="mediterranean", seed=seed)
            # the cap is enforced on every load and on the hall's next tick (a room whose
            # lock or catch-up is still in flight right then leaves on that tick)
            await _until(lambda: len(hall.rooms) <= 2)
            assert watched.game_id in hall.rooms
        assert table.game_id not in hall.rooms
        assert hall.unloaded >= 2

        # Asked for again: loaded from snapshot + log, the same game and the same screens.
        for b, view in views.items():
            assert _still((await b.get("/api/games/{g}/view")).json()) == view
        assert picture(hall.rooms[table.game_id]) == before
        await _until(lambda: len(hall.rooms) <= 2)
        # And it plays on from there.
        await fac.act({"kind": "resume_game"})
        r = await union.post("/api/games/{g}/chat", {"channel": "plenary", "text": "back"})
        assert r.status_code == 200 and r.json()["seq"] == before["seq"] + 2
    finally:
        for b in made:
            await b.close()
