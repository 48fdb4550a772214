"""The log is the truth: races have one winner, seqs have no gaps, state rebuilds exactly."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from server.rooms import GameHall
from tests.server.conftest import LiveServer
from tests.server.players import deal, seat_table


async def test_two_tabs_of_one_team_racing_get_one_winner_and_one_retryable_409(
    browsers, server: LiveServer
) -> None:
    table = await seat_table(browsers)
    union = table.teams["union"]
    version = (await union.get("/api/games/{g}/view")).json()["view"]["version"]
    offer = {**deal(), "expected_version": version}
    first, second = await asyncio.gather(
        union.post("/api/games/{g}/actions", offer), union.post("/api/games/{g}/actions", offer)
    )
    assert sorted([first.status_code, second.status_code]) == [200, 409]
    loser = first if first.status_code == 409 else second
    assert loser.json()["retryable"] is True


async def test_accept_and_retract_of_one_proposal_racing_have_exactly_one_winner(
    browsers,
) -> None:
    for _ in range(3):
        table = await seat_table(browsers)
        union, sahelia = table.teams["union"], table.teams["sahelia"]
        await union.act(deal())
        accept, retract = await asyncio.gather(
            sahelia.post("/api/games/{g}/actions", {"kind": "accept", "proposal_id": "p1"}),
            union.post("/api/games/{g}/actions", {"kind": "retract", "proposal_id": "p1"}),
        )
        codes = sorted([accept.status_code, retract.status_code])
        assert codes == [200, 409], (accept.text, retract.text)
        log = (await table.facilitator.get("/api/games/{g}/export")).json()["log"]
        assert [e["seq"] for e in log] == list(range(len(log)))
        assert sum(e["kind"] in ("accept", "retract") for e in log) == 1


async def test_many_concurrent_writers_leave_no_gap_and_no_duplicate(browsers) -> None:
    table = await seat_table(browsers, to_negotiation=False)
    others = [browsers() for _ in range(12)]
    await asyncio.gather(*(b.join(table.game["join_code"], f"p{i}") for i, b in enumerate(others)))
    results = await asyncio.gather(
        *(
            b.post("/api/games/{g}/chat", {"channel": "plenary", "text": f"{i}-{k}"})
            for i, b in enumerate(others)
            for k in range(4)
        )
    )
    seqs = [r.json()["seq"] for r in results]
    assert len(set(seqs)) == len(seqs)
    log = (await table.facilitator.get("/api/games/{g}/export")).json()["log"]
    assert [e["seq"] for e in log] == list(range(len(log)))


async def test_a_busy_game_does_not_delay_another(browsers, server: LiveServer) -> None:
    slow = await seat_table(browsers)
    quick = await seat_table(browsers)
    inside, release = threading.Event(), threading.Event()

    def hold_slow_game(room: Any, entry: Any) -> None:
        # The slow game's phase change stalls in its worker thread (a long resolution).
        if room.id == slow.game_id and entry.kind == "advance_phase":
            inside.set()
            release.wait(30)

    hall: GameHall = server.hall
    hall.before_commit = hold_slow_game
    try:
        stuck = asyncio.create_task(slow.facilitator.act({"kind": "advance_phase"}))
        await asyncio.to_thread(inside.wait, 10)
        r = await quick.teams["union"].post("/api/games/{g}/actions", deal())
        assert r.status_code == 200
        r = await quick.teams["sahelia"].post(
            "/api/games/{g}/chat", {"channel": "plenary", "text": "still moving"}
        )
        assert r.status_code == 200
        assert not stuck.done()  # the other game is still held, and it did not matter
    finally:
        release.set()
    assert (await stuck)["seq"] > 0  # the held phase change went through once released


async def test_state_rebuilt_from_snapshot_and_log_equals_the_live_state(
    start_server, browsers_factory=None
) -> None:
    server: LiveServer = await start_server(snapshot_every=3)
    made = []

    def make():
        b = server.browser()
        made.append(b)
        return b

    try:
        table = await seat_table(make)
        union, sahelia = table.teams["union"], table.teams["sahelia"]
        await union.act(deal())
        await sahelia.act({"kind": "accept", "proposal_id": "p1"})
        await table.facilitator.act({"kind": "advance_phase"})
        live = (await table.facilitator.get("/api/games/{g}/export")).json()
        fresh = GameHall(server.hall.engine, server.settings, server.app.state.hub)
        room = await asyncio.wait_for(asyncio.to_thread(fresh._load, table.game_id), 30)
        assert room is not None
        assert room.seq == live["seq"]
        assert room.state.model_dump(mode="json") == live["state"]
        assert {s.id: s.team for s in room.seats.values()} == {
            b.player_id: t for t, b in table.teams.items()
        }
    finally:
        for b in made:
            await b.close()
