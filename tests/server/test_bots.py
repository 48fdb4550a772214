"""Bots at the table: seated and unseated by the facilitator, acting through the log."""

from __future__ import annotations

from typing import Any

from tests.server.conftest import LiveServer
from tests.server.players import Browser, deal, union_coastland_deal

WAIT = 60.0


async def _log(fac: Browser) -> list[dict[str, Any]]:
    r = await fac.get("/api/games/{g}/export")
    assert r.status_code == 200, r.text
    log: list[dict[str, Any]] = r.json()["log"]
    return log


async def test_a_table_of_bots_plays_a_whole_game_by_itself(browsers) -> None:
    fac: Browser = browsers()
    await fac.create_game(scenario="mediterranean", seed=3, rounds=2)
    r = await fac.http.put(f"/api/games/{fac.game_id}/bots", json={"seconds": 0}, headers=fac.auth)
    assert r.status_code == 200, r.text
    for team, strategy in (
        ("union", "reciprocator"),
        ("coastland", "hardliner"),
        ("sahelia", "conceder"),
    ):
        r = await fac.http.put(
            f"/api/games/{fac.game_id}/bots/{team}", json={"strategy": strategy}, headers=fac.auth
        )
        assert r.status_code == 200, r.text
    assert r.json()["bots"] == {
        "union": "reciprocator",
        "coastland": "hardliner",
        "sahelia": "conceder",
    }
    tab = await fac.open_tab()
    await fac.act({"kind": "start_game"})
    # No timers, no people: only the bots' own moves can carry the game to its end.
    ended = await tab.until(lambda m: m["type"] == "view" and m["view"]["phase"] == "ended", WAIT)
    assert ended["bots"] == {
        "union": "reciprocator",
        "coastland": "hardliner",
        "sahelia": "conceder",
    }
    # The debrief: each team's score against its no-agreement outcome, replayed off the
    # game's lock and sent as a new view when it is ready.
    end = await tab.until(lambda m: m["type"] == "view" and m["debrief"] is not None, WAIT)
    debrief = end["debrief"]["outcomes"]
    assert set(debrief) == {"union", "coastland", "sahelia"}
    for row in debrief.values():
        assert abs(row["gain"] - (row["score"] - row["batna"])) <= 0.15
    assert any(abs(row["gain"]) > 0.5 for row in debrief.values())
    assert tab.views()[0]["debrief"] is None
    log = await _log(fac)
    moves = [e for e in log if (e["player_id"] or "").startswith("bot:")]
    engine_moves = [e for e in moves if e["kind"] != "chat"]
    assert {e["actor_team"] for e in engine_moves} == {"union", "coastland", "sahelia"}
    kinds = {e["kind"] for e in engine_moves}
    assert {"propose", "implement", "set_ready"} <= kinds
    # Each move is the team's own: a bot's entries name its strategy and its team only.
    strategy_of = {"union": "reciprocator", "coastland": "hardliner", "sahelia": "conceder"}
    assert all(e["player_id"] == f"bot:{strategy_of[e['actor_team']]}" for e in moves)
    # Bots explain their offers in the bilateral channel with the partner.
    said = [e for e in moves if e["kind"] == "chat"]
    assert said and all(e["payload"]["channel"] == "bilateral" for e in said)
    assert [e["seq"] for e in log] == list(range(len(log)))


async def test_the_facilitator_takes_a_team_back_from_its_bot(browsers) -> None:
    fac: Browser = browsers()
    game = await fac.create_game(scenario="mediterranean", seed=4)
    human: Browser = browsers()
    await human.join(game["join_code"], "Ada", "union")
    await fac.http.put(f"/api/games/{fac.game_id}/bots", json={"seconds": 0}, headers=fac.auth)
    for team in ("sahelia", "coastland"):
        r = await fac.http.put(
            f"/api/games/{fac.game_id}/bots/{team}",
            json={"strategy": "conceder"},
            headers=fac.auth,
        )
        assert r.status_code == 200
    tab = await fac.open_tab()
    await fac.act({"kind": "start_game"})
    # The bots say they are ready in the briefing; the phase waits for the person.
    await tab.until(
        lambda m: (
            m["type"] == "view"
            and m["view"]["phase"] == "briefing"
            and sum(t["ready"] for t in m["view"]["teams"]) == 2
        ),
        WAIT,
    )
    await human.act({"kind": "set_ready", "ready": True})
    await tab.until(lambda m: m["type"] == "view" and m["view"]["phase"] == "negotiation", WAIT)
    r = await fac.http.delete(f"/api/games/{fac.game_id}/bots/coastland", headers=fac.auth)
    assert r.status_code == 200 and r.json()["bots"] == {"sahelia": "conceder"}
    taken_back = max(e["seq"] for e in await _log(fac))
    seen = {p["id"] for p in (await fac.get("/api/games/{g}/view")).json()["view"]["proposals"]}
    await human.act(deal("union", "sahelia"))
    await human.act(union_coastland_deal())
    mine = [
        p
        for p in (await fac.get("/api/games/{g}/view")).json()["view"]["proposals"]
        if p["id"] not in seen and p["proposer"] == "union"
    ]
    to_sahelia = next(p["id"] for p in mine if "sahelia" in p["parties"])
    to_coast = next(p["id"] for p in mine if "coastland" in p["parties"])

    def status(m: dict[str, Any], pid: str) -> str | None:
        return next((p["status"] for p in m["view"]["proposals"] if p["id"] == pid), None)

    # The sahelia bot answers its proposal; coastland, a people's seat again, does not.
    answered = await tab.until(
        lambda m: (
            m["type"] == "view"
            and status(m, to_sahelia) not in (None, "proposed")
            and status(m, to_coast) is not None
        ),
        WAIT,
    )
    assert status(answered, to_coast) == "proposed"
    later = [e for e in await _log(fac) if e["seq"] > taken_back]
    assert any(e["actor_team"] == "sahelia" for e in later)
    assert not any(e["actor_team"] == "coastland" for e in later)
    assert answered["bots"] == {"sahelia": "conceder"}


async def test_only_the_facilitator_seats_bots_and_bad_choices_are_refused(browsers) -> None:
    fac: Browser = browsers()
    game = await fac.create_game(scenario="mediterranean", seed=4)
    player: Browser = browsers()
    await player.join(game["join_code"], "Bo", "union")
    url = f"/api/games/{fac.game_id}/bots/coastland"
    r = await player.http.put(url, json={"strategy": "conceder"}, headers=player.auth)
    assert r.status_code == 403
    r = await fac.http.put(url, json={"strategy": "bully"}, headers=fac.auth)
    assert r.status_code == 422 and "reciprocator" in r.json()["message"]
    r = await fac.http.put(
        f"/api/games/{fac.game_id}/bots/atlantis", json={"strategy": "conceder"}, headers=fac.auth
    )
    assert r.status_code == 404
    r = await fac.http.delete(url, headers=fac.auth)
    assert r.status_code == 404
    log = await _log(fac)
    assert not [e for e in log if e["kind"].startswith("bot_")]


async def test_bots_come_back_after_a_restart(start_server) -> None:
    first: LiveServer = await start_server()
    fac = first.browser()
    try:
        await fac.create_game(scenario="mediterranean", seed=4)
        r = await fac.http.put(
            f"/api/games/{fac.game_id}/bots/sahelia",
            json={"strategy": "hardliner"},
            headers=fac.auth,
        )
        assert r.status_code == 200
    finally:
        await fac.close()
    await first.stop()
    second: LiveServer = await start_server()
    again = second.browser()
    again.game_id, again.token = fac.game_id, fac.token
    try:
        r = await again.get("/api/games/{g}/bots")
        assert r.json()["bots"] == {"sahelia": "hardliner"}
    finally:
        await again.close()
