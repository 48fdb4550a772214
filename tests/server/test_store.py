"""Group commit (server.store): writes of many games share a transaction, each is
acknowledged only once durable, and one that fails fails alone."""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from server.db import make_engine
from server.models import ActionRecord, Game, Player
from server.records import ACTIONS, PLAYERS
from server.store import GroupWriter, SeqTaken, Write, driver_insert
from tests.server.conftest import LiveServer
from tests.server.players import seat_table

GAMES = 6


def _game(gid: str) -> Game:
    return Game(
        id=gid,
        join_code=gid.upper(),
        scenario_id="mediterranean",
        facilitator_token_hash="f" * 64,
        projector_token_hash="p" * 64,
        tokens_expire_at=time.time() + 3600,
    )


def _entry(gid: str, seq: int) -> Write:
    row: dict[str, Any] = {
        "game_id": gid,
        "seq": seq,
        "kind": "chat",
        "actor_role": "player",
        "actor_team": None,
        "player_id": None,
        "payload": "{}",
        "created_at": datetime.now(UTC),
        "client_id": None,
    }
    return Write(gid, seq, inserts=[(ACTIONS, row)])


@pytest.fixture
def store(db_url: str) -> Any:
    """An engine on the test database and the ids of GAMES fresh games in it."""
    engine = make_engine(db_url)
    games = [f"store{secrets.token_hex(4)}" for _ in range(GAMES)]
    with Session(engine) as s:
        for gid in games:
            s.add(_game(gid))
        s.commit()
    yield engine, games
    engine.dispose()


def _count(engine: Any, gid: str) -> int:
    with Session(engine) as s:
        n = s.exec(
            select(func.count()).select_from(ActionRecord).where(ActionRecord.game_id == gid)
        ).scalar_one()
        return int(n)


def test_writes_arriving_during_a_transaction_share_the_next_and_wait_for_it(store) -> None:
    engine, games = store
    writer = GroupWriter(engine)
    inside, release = threading.Event(), threading.Event()
    seen: list[list[str]] = []

    def hold(writes: list[Write]) -> None:
        seen.append([w.game_id for w in writes])
        if len(seen) == 1:
            inside.set()
            assert release.wait(10)

    writer.on_batch = hold
    try:
        first = writer.submit(_entry(games[0], 1))
        assert inside.wait(10)
        # Five other games act while the first transaction is held: they queue.
        rest = [writer.submit(_entry(g, 1)) for g in games[1:]]
        assert not any(f.done() for f in [first, *rest])  # nothing durable: nothing answered
        release.set()
        for f in [first, *rest]:
            assert f.result(10) is None
        assert seen == [[games[0]], games[1:]]  # one transaction for the five
        assert writer.batches == 2 and writer.writes == GAMES
        # Acknowledged means durable: a fresh connection reads every one.
        assert all(_count(engine, g) == 1 for g in games)
    finally:
        release.set()
        writer.close()


def test_a_write_that_fails_in_a_batch_fails_alone(store) -> None:
    engine, games = store
    writer = GroupWriter(engine)
    inside, release = threading.Event(), threading.Event()

    def hold(writes: list[Write]) -> None:
        if not inside.is_set():
            inside.set()
            assert release.wait(10)

    writer.on_batch = hold
    try:
        first = writer.submit(_entry(games[0], 1))
        assert inside.wait(10)
        # In the next batch: seq 1 of game 0 again (another instance's, say) among others.
        taken = writer.submit(_entry(games[0], 1))
        others = [writer.submit(_entry(g, 1)) for g in games[1:]]
        release.set()
        first.result(10)
        with pytest.raises(SeqTaken):
            taken.result(10)
        for f in others:
            assert f.result(10) is None
        assert [_count(engine, g) for g in games] == [1] * GAMES
    finally:
        release.set()
        writer.close()


def test_rows_go_through_the_driver_unless_a_default_is_left_to_core(store) -> None:
    engine, games = store
    player = {
        "id": secrets.token_hex(8),
        "game_id": games[0],
        "name": "Ana",
        "team": "union",
        "token_hash": secrets.token_hex(32),
        "joined_at": datetime(2026, 12, 2, 12, 30, 5, 123456, tzinfo=UTC),
    }
    dialect = engine.dialect
    assert driver_insert(PLAYERS, tuple(player), dialect) is None  # `removed` has a default
    full = {**player, "removed": True}
    assert driver_insert(PLAYERS, tuple(full), dialect) is not None
    other = {**player, "id": secrets.token_hex(8), "token_hash": secrets.token_hex(32)}
    writer = GroupWriter(engine)
    try:
        write = Write(games[0], 1, inserts=[(PLAYERS, full), (PLAYERS, other)])
        writer.submit(write).result(10)
    finally:
        writer.close()
    with Session(engine) as s:
        read = {p.id: p for p in s.exec(select(Player).where(Player.game_id == games[0])).scalars()}
    assert read[full["id"]].removed is True
    assert read[other["id"]].removed is False  # Core filled in the default
    for row in (full, other):
        at = read[row["id"]].joined_at
        assert (at if at.tzinfo else at.replace(tzinfo=UTC)) == row["joined_at"]


async def test_games_acting_at_once_share_transactions_and_lose_nothing(
    start_server: Any,
) -> None:
    server: LiveServer = await start_server()
    made = []

    def make() -> Any:
        made.append(server.browser())
        return made[-1]

    try:
        tables = [await seat_table(make) for _ in range(4)]
        writer = server.hall.writer
        batches, writes = writer.batches, writer.writes
        said = await asyncio.gather(
            *(
                t.teams[team].post("/api/games/{g}/chat", {"channel": "plenary", "text": f"{k}"})
                for t in tables
                for team in ("union", "sahelia")
                for k in range(3)
            )
        )
        assert all(r.status_code == 200 for r in said)
        # Every answer came through the group writer, each after its own transaction or
        # one it shared (the tests above hold a transaction to show the sharing).
        assert writer.writes - writes == len(said)
        assert 0 < writer.batches - batches <= len(said)
        for t in tables:
            log = (await t.facilitator.get("/api/games/{g}/export")).json()["log"]
            assert [e["seq"] for e in log] == list(range(len(log)))
            assert sum(e["kind"] == "chat" for e in log) == 6
    finally:
        for b in made:
            await b.close()
