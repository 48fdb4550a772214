"""Loading a game is its newest snapshot plus one fold of the log after it: the game so
rebuilt equals the live one, for every kind of entry (rules actions, seats, chat, bots,
timers), whether the snapshot is recent or the one at seq 0, and from a database written
before the room was snapshotted (migration 0002)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest
from alembic import command
from sqlalchemy import text

from server.db import alembic_config
from server.live import Hub
from server.room import ENGINE_KINDS, GameRoom
from server.rooms import GameHall
from tests.server.conftest import LiveServer
from tests.server.players import Browser, Table, deal, seat_table

SERVER_KINDS = {
    "join",
    "team_change",
    "player_removed",
    "admission",
    "chat",
    "announcement",
    "timer",
    "bot_seat",
    "bot_pace",
    "replay",
}


def picture(room: GameRoom) -> dict[str, Any]:
    """Everything the fold builds, comparable."""
    return {
        "seq": room.seq,
        "state": room.state.model_dump(mode="json"),
        "seats": [
            (s.id, s.name, s.team, s.token_hash, s.removed, s.joined_at)
            for s in room.seats.values()
        ],
        "chat": [c.public() for c in room.chat],
        "bots": {t: b.strategy for t, b in room.bots.items()},
        "bot_pace": room.bot_pace,
        "admission": room.admission,
        "deadline": room.deadline,
        "paused_remaining": room.paused_remaining,
        "replay_round": room.replay_round,
    }


async def _log(fac: Browser) -> list[dict[str, Any]]:
    log: list[dict[str, Any]] = (await fac.get("/api/games/{g}/export")).json()["log"]
    return log


async def play_every_kind(make: Callable[[], Browser]) -> Table:
    """A game with at least one entry of every kind, left with nothing in flight."""
    table = await seat_table(
        make, to_negotiation=False, timers={"briefing": 900, "negotiation": 900}
    )
    fac, t = table.facilitator, table.teams
    code = table.game["join_code"]
    latecomer, extra = make(), make()
    await latecomer.join(code, "observer first")  # a seat without a team
    r = await latecomer.post("/api/games/{g}/me/team", {"team": "coastland"})  # team_change
    assert r.status_code == 200, r.text
    await extra.join(code, "extra", "union")
    r = await fac.post(f"/api/games/{{g}}/players/{extra.player_id}/team", {"team": "sahelia"})
    assert r.status_code == 200, r.text
    r = await fac.http.delete(
        f"/api/games/{fac.game_id}/players/{extra.player_id}", headers=fac.auth
    )
    assert r.status_code == 200, r.text
    r = await fac.http.put(
        f"/api/games/{fac.game_id}/admission", json={"mode": "open"}, headers=fac.auth
    )
    assert r.status_code == 200, r.text
    r = await fac.http.put(f"/api/games/{fac.game_id}/bots", json={"seconds": 0}, headers=fac.auth)
    assert r.status_code == 200, r.text
    r = await fac.http.put(
        f"/api/games/{fac.game_id}/bots/coastland",
        json={"strategy": "reciprocator"},
        headers=fac.auth,
    )
    assert r.status_code == 200, r.text
    await fac.act({"kind": "start_game"})
    r = await fac.http.put(f"/api/games/{fac.game_id}/replay", json={"round": 0}, headers=fac.auth)
    assert r.status_code == 200, r.text  # the projector shows the start

    # The bot plays coastland until it has made a move of its own; then it is taken back.
    async def bot_moved() -> None:
        while not any((e["player_id"] or "").startswith("bot:") for e in await _log(fac)):
            await asyncio.sleep(0.05)  # polling a condition

    await asyncio.wait_for(bot_moved(), 15)
    r = await fac.http.delete(f"/api/games/{fac.game_id}/bots/coastland", headers=fac.auth)
    assert r.status_code == 200, r.text
    assert (await fac.post("/api/games/{g}/timer", {"add_seconds": 60})).status_code == 200
    await fac.act({"kind": "pause_game"})
    assert (await fac.post("/api/games/{g}/timer", {"add_seconds": -30})).status_code == 200
    await fac.act({"kind": "resume_game"})
    await fac.act({"kind": "advance_phase"})
    for channel, to_team in (("plenary", None), ("team", None), ("bilateral", "sahelia")):
        body = {"channel": channel, "text": f"on {channel}", "to_team": to_team}
        assert (await t["union"].post("/api/games/{g}/chat", body)).status_code == 200
    r = await fac.post("/api/games/{g}/announcements", {"text": "ten minutes"})
    assert r.status_code == 200
    await t["union"].act(deal())
    await t["sahelia"].act({"kind": "accept", "proposal_id": "p1"})
    kinds = {e["kind"] for e in await _log(fac)}
    assert kinds >= SERVER_KINDS and len(kinds & ENGINE_KINDS) >= 6, kinds
    return table


def load(server: LiveServer, game_id: str) -> GameRoom | None:
    fresh = GameHall(server.hall.engine, server.settings, Hub())
    return fresh._load(game_id)


@pytest.mark.parametrize("snapshot_every", [3, 1000])
async def test_the_fold_of_the_log_equals_the_live_game_for_every_kind_of_entry(
    start_server, snapshot_every: int
) -> None:
    server: LiveServer = await start_server(snapshot_every=snapshot_every)
    made: list[Browser] = []

    def make() -> Browser:
        made.append(server.browser())
        return made[-1]

    try:
        table = await play_every_kind(make)
        live = server.hall.rooms[table.game_id]
        rebuilt = await asyncio.to_thread(load, server, table.game_id)
        assert rebuilt is not None
        assert picture(rebuilt) == picture(live)
        assert live.deadline is not None and live.bots == {}
    finally:
        for b in made:
            await b.close()


async def test_a_database_from_before_room_snapshots_loads_the_same_game(
    start_server, db_url: str
) -> None:
    server: LiveServer = await start_server(snapshot_every=3)
    made: list[Browser] = []

    def make() -> Browser:
        made.append(server.browser())
        return made[-1]

    try:
        table = await play_every_kind(make)
        live = picture(server.hall.rooms[table.game_id])
    finally:
        for b in made:
            await b.close()
    await server.stop()
    # Back to revision 0001, and its join entries as that revision wrote them.
    cfg = alembic_config(db_url)
    await asyncio.to_thread(command.downgrade, cfg, "0001")
    try:
        with server.hall.engine.begin() as conn:
            joins = conn.execute(
                text("SELECT id, payload FROM actions WHERE game_id = :g AND kind = 'join'"),
                {"g": table.game_id},
            ).all()
            for action_id, payload in joins:
                old = {k: v for k, v in json.loads(payload).items() if k != "token_hash"}
                conn.execute(
                    text("UPDATE actions SET payload = :p WHERE id = :i"),
                    {"p": json.dumps(old), "i": action_id},
                )
    finally:
        await asyncio.to_thread(command.upgrade, cfg, "head")
    server.hall.engine.dispose()
    rebuilt = await asyncio.to_thread(load, server, table.game_id)
    assert rebuilt is not None
    assert picture(rebuilt) == live
