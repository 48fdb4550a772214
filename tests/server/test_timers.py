"""Phase timers: absolute deadlines in the database, kept with nobody connected and across
restarts; pause freezes them; the facilitator extends and shortens them."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from tests.server.conftest import LiveServer
from tests.server.players import Browser


async def _phase(b: Browser) -> dict[str, Any]:
    doc: dict[str, Any] = (await b.get("/api/games/{g}/view")).json()
    return doc


async def _until_phase(b: Browser, phase: str, timeout: float = 15) -> dict[str, Any]:
    async def wait() -> dict[str, Any]:
        while True:
            doc = await _phase(b)
            if doc["view"]["phase"] == phase:
                return doc
            await asyncio.sleep(0.05)  # polling a condition, as a client without ws would

    return await asyncio.wait_for(wait(), timeout)


async def test_a_phase_ends_on_time_with_nobody_connected(browsers) -> None:
    fac = browsers()
    await fac.create_game(timers={"briefing": 0.5, "negotiation": 600})
    await fac.act({"kind": "start_game"})
    doc = await _until_phase(fac, "negotiation")
    assert 590 < doc["timer"]["remaining"] <= 600
    log = (await fac.get("/api/games/{g}/export")).json()["log"]
    assert log[-1]["kind"] == "advance_phase" and log[-1]["actor_role"] == "system"


async def test_pause_freezes_the_timer_and_resume_restarts_it(browsers) -> None:
    fac = browsers()
    await fac.create_game(timers={"briefing": 1.0})
    await fac.act({"kind": "start_game"})
    await fac.act({"kind": "pause_game"})
    paused = (await _phase(fac))["timer"]
    assert paused["running"] is False and 0 < paused["remaining"] <= 1.0
    await fac.act({"kind": "resume_game"})
    assert (await _phase(fac))["timer"]["running"] is True
    await _until_phase(fac, "negotiation")


async def test_facilitator_extends_and_shortens_the_timer(browsers) -> None:
    fac = browsers()
    await fac.create_game(timers={"briefing": 100})
    await fac.act({"kind": "start_game"})
    before = (await _phase(fac))["timer"]["deadline"]
    r = await fac.post("/api/games/{g}/timer", {"add_seconds": 60})
    assert r.status_code == 200, r.text
    assert abs((await _phase(fac))["timer"]["deadline"] - (before + 60)) < 0.01
    r = await fac.post("/api/games/{g}/timer", {"add_seconds": -1000})
    assert r.status_code == 200
    await _until_phase(fac, "negotiation")
    log = (await fac.get("/api/games/{g}/export")).json()["log"]
    assert [e["kind"] for e in log].count("timer") == 2


async def test_a_deadline_survives_a_restart(start_server, browsers_for=None) -> None:
    first: LiveServer = await start_server()
    fac = first.browser()
    try:
        await fac.create_game(timers={"briefing": 1.5})
        await fac.act({"kind": "start_game"})
        deadline = (await _phase(fac))["timer"]["deadline"]
    finally:
        await fac.close()
    await first.stop()
    assert time.time() < deadline  # stopped before the phase was due to end
    second: LiveServer = await start_server()
    assert fac.game_id in second.hall.rooms  # loaded at startup because it has a deadline
    again = second.browser()
    again.game_id, again.token = fac.game_id, fac.token
    try:
        # Nobody loads the game: the restarted server must find its deadline by itself.
        doc = await _until_phase(again, "negotiation")
        assert doc["view"]["round"] == 1
    finally:
        await again.close()
