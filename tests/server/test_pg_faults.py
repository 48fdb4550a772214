"""PostgreSQL going away mid-game, on a real throw-away cluster (tests/server/pgcluster.py):
every request that needs the database answers a retryable JSON 503 and changes nothing;
when the cluster is back, the same server process serves again by itself, and nothing
that was acknowledged is lost."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable

import pytest
from sqlalchemy import create_engine, text

from server.settings import Settings
from tests.server.conftest import LiveServer
from tests.server.pgcluster import PgCluster, pg_cluster, pg_cluster_url
from tests.server.players import Browser, log_length, seat_table

__all__ = ["pg_cluster", "pg_cluster_url"]  # fixtures, used by name


@pytest.fixture
async def pg_server(pg_cluster_url: str) -> AsyncIterator[LiveServer]:
    server = await LiveServer(Settings(database_url=pg_cluster_url)).start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def pg_browsers(pg_server: LiveServer) -> AsyncIterator[Callable[[], Browser]]:
    made: list[Browser] = []

    def make() -> Browser:
        made.append(pg_server.browser())
        return made[-1]

    yield make
    for b in made:
        await b.close()


def _logged_seqs(url: str, game_id: str) -> list[int]:
    """The game's log as the database holds it, read by a connection of our own."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT seq FROM actions WHERE game_id = :g ORDER BY seq"), {"g": game_id}
            )
            return [r[0] for r in rows]
    finally:
        engine.dispose()


def _unavailable(r: object, what: str) -> None:
    status = getattr(r, "status_code", None)
    assert status == 503, (what, status, getattr(r, "text", r))
    body = r.json()  # type: ignore[attr-defined]
    assert body["error"] == "database_unavailable" and body["retryable"] is True, (what, body)
    assert r.headers.get("retry-after"), what  # type: ignore[attr-defined]


@pytest.mark.parametrize("stop_mode", ["fast", "immediate"])
async def test_postgresql_stopped_mid_game_is_a_503_and_the_process_recovers(
    pg_cluster: PgCluster,
    pg_cluster_url: str,
    pg_server: LiveServer,
    pg_browsers: Callable[[], Browser],
    stop_mode: str,
) -> None:
    table = await seat_table(pg_browsers)
    fac, union = table.facilitator, table.teams["union"]
    g = table.game_id
    acknowledged = []
    for i in range(3):
        r = await union.post("/api/games/{g}/chat", {"channel": "plenary", "text": f"said {i}"})
        assert r.status_code == 200, r.text
        acknowledged.append(r.json()["seq"])
    before = await log_length(fac)
    view_before = (await union.get("/api/games/{g}/view")).json()
    tab = await union.open_tab()
    await tab.until(lambda m: m.get("type") == "view")

    # "fast" is an operator's restart (sessions told to end), "immediate" a crash.
    pg_cluster.stop(stop_mode)
    for _ in range(2):  # every write, not only the first on a dead connection
        r = await union.post("/api/games/{g}/chat", {"channel": "plenary", "text": "lost"})
        _unavailable(r, "chat")
    _unavailable(await union.post("/api/games/{g}/actions", {"kind": "set_ready"}), "action")
    _unavailable(await fac.post("/api/games/{g}/actions", {"kind": "pause_game"}), "pause")
    _unavailable(await pg_browsers().http.post("/api/games", json={}), "new game")
    await tab.send({"type": "chat", "channel": "plenary", "text": "lost", "request_id": "w"})
    reply = await tab.until(lambda m: m.get("request_id") == "w")
    assert reply["type"] == "error" and reply["error"] == "database_unavailable", reply
    # Reading while it is down: what memory holds, or a 503; never a half-done action.
    r = await union.get("/api/games/{g}/view")
    assert r.status_code == 503 or r.json()["seq"] == view_before["seq"], r.text

    pg_cluster.start()
    # The same process, no restart: the next request is served.
    r = await union.post("/api/games/{g}/chat", {"channel": "plenary", "text": "back"})
    assert r.status_code == 200, r.text
    back = r.json()["seq"]
    assert back == view_before["seq"] + 1, "a refused write left something behind"
    view = (await union.get("/api/games/{g}/view")).json()
    assert view["seq"] == back and not view["view"]["paused"]
    texts = [m["text"] for m in view["chat"]]
    assert texts[-4:] == ["said 0", "said 1", "said 2", "back"] and "lost" not in texts
    assert await log_length(fac) == before + 1
    seqs = _logged_seqs(pg_cluster_url, g)
    # Every acknowledged entry is in the database, with no hole and nothing refused after.
    assert set(acknowledged) | {back} <= set(seqs) and seqs == list(range(back + 1)), seqs
    assert (await pg_browsers().http.post("/api/games", json={})).status_code == 201
    await tab.send({"type": "chat", "channel": "plenary", "text": "socket", "request_id": "z"})
    reply = await tab.until(lambda m: m.get("request_id") == "z")
    assert reply["type"] == "result", json.dumps(reply)[:300]  # the open socket works too
