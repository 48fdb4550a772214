"""Parallel tables, replay and exports, on one session of two bot-played tables.

What a facilitator relies on: the session survives a restart with each table's join
code; the facilitator's log export re-imports into a fresh database as the same game
(same state digest); the CSV holds every round and team; a replayed round is the game as
it was then. What a team relies on: its export, CSV and report hold nothing another team
kept to itself (attacked with marked chat lines and with the structure of the view).
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from typing import Any

import httpx
import pytest

from game_rules.views import PUBLIC_INDICATORS
from server.db import make_engine, upgrade
from server.export import ImportRefused, import_game, state_digest
from server.live import Hub
from server.replay import fold_rounds
from server.rooms import GameHall
from tests.server.conftest import LiveServer
from tests.server.players import Browser

WAIT = 60.0
SECRET_TEAM = "sahelia-team-secret-7Q"
SECRET_BILATERAL = "sahelia-coastland-secret-4K"
UNION_OWN = "union-team-line-2P"


async def _ended(b: Browser, game_id: str) -> dict[str, Any]:
    async def wait() -> dict[str, Any]:
        while True:
            r = await b.http.get(f"/api/games/{game_id}/view", headers=b.auth)
            doc: dict[str, Any] = r.json()
            if doc["view"]["phase"] == "ended":
                return doc
            await asyncio.sleep(0.05)  # polling a condition, not timing anything

    return await asyncio.wait_for(wait(), WAIT)


# The whole flow once, on SQLite (the suite's time budget); what depends on the database
# (the session's tables, the log's round trip, a restart) on PostgreSQL by the next test.
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_a_session_of_two_tables_replays_exports_and_keeps_each_teams_secrets(
    start_server, tmp_path: Any, db_url: str
) -> None:
    server: LiveServer = await start_server()
    fac, union, sahelia = server.browser(), server.browser(), server.browser()
    try:
        r = await fac.http.post(
            "/api/sessions",
            json={"scenario": "mediterranean", "seed": 11, "rounds": 2, "tables": 2},
        )
        assert r.status_code == 201, r.text
        session = r.json()
        sid, token = session["session_id"], session["token"]
        auth = {"Authorization": f"Bearer {token}"}
        tables = session["tables"]
        assert [t["number"] for t in tables] == [1, 2]
        assert len({t["join_code"] for t in tables}) == 2  # each table its own code
        one = tables[0]
        fac.token, fac.game_id = one["facilitator_token"], one["game_id"]

        # Table 1: two people talk before the bots take over their teams.
        await union.join(one["join_code"], "Ursula", "union")
        await sahelia.join(one["join_code"], "Samir", "sahelia")
        for b, body in (
            (sahelia, {"channel": "team", "text": SECRET_TEAM}),
            (sahelia, {"channel": "bilateral", "to_team": "coastland", "text": SECRET_BILATERAL}),
            (union, {"channel": "team", "text": UNION_OWN}),
        ):
            assert (await b.post("/api/games/{g}/chat", body)).status_code == 200
        for team in ("union", "sahelia"):
            r = await fac.http.put(
                f"/api/games/{fac.game_id}/bots/{team}",
                json={"strategy": "reciprocator"},
                headers=fac.auth,
            )
            assert r.status_code == 200, r.text

        # Every table at once: the rest to bots, fast, and start.
        do = f"/api/sessions/{sid}/do"
        r = await union.http.post(do, json={"op": "start"})
        assert r.status_code == 401  # the session's token is needed
        r = await fac.http.post(
            do, json={"op": "bots", "strategy": "conceder", "seconds": 0}, headers=auth
        )
        assert r.status_code == 200 and all(t["ok"] for t in r.json()["tables"]), r.text
        r = await fac.http.post(do, json={"op": "start"}, headers=auth)
        assert all(t["ok"] for t in r.json()["tables"]), r.text
        r = await fac.http.post(do, json={"op": "start"}, headers=auth)
        assert [t["ok"] for t in r.json()["tables"]] == [False, False]  # already started
        ends = [await _ended(fac_for(server, t), t["game_id"]) for t in tables]
        assert all(e["view"]["round"] == 2 for e in ends)
        room = server.hall.rooms[fac.game_id]
        await server.hall.debrief(room)

        # --- replay: the state at the end of each round, folded from the log ------------------
        rounds = await asyncio.to_thread(fold_rounds, server.hall.engine, fac.game_id)
        assert rounds.last == 2
        for n in (1, 2):
            then = rounds.state(n)
            assert len(then.history) == n
            assert then.history[-1] == room.state.history[n - 1]
        r = await fac.http.put(
            f"/api/games/{fac.game_id}/replay", json={"round": 1}, headers=fac.auth
        )
        assert r.status_code == 200 and r.json()["replay"] == 1
        assert (await fac.get("/api/games/{g}/view")).json()["replay"] == 1
        r = await fac.http.put(
            f"/api/games/{fac.game_id}/replay", json={"round": 3}, headers=fac.auth
        )
        assert r.status_code == 422  # only played rounds replay
        r = await union.http.put(f"/api/games/{fac.game_id}/replay", json={"round": 0})
        assert r.status_code == 403

        # --- the facilitator's log: re-imported into a fresh database, the same game ----------
        r = await fac.get("/api/games/{g}/export/log.json")
        assert r.status_code == 200
        assert "attachment" in r.headers["content-disposition"]
        exported = r.json()
        assert exported["digest"] == state_digest(room.state)
        assert "token_hash" not in r.text
        fresh_url = f"sqlite:///{tmp_path / 'imported.db'}"
        await asyncio.to_thread(upgrade, fresh_url)
        engine = make_engine(fresh_url)
        try:
            made = await asyncio.to_thread(import_game, engine, exported)
            assert made["digest"] == exported["digest"]
            hall = GameHall(engine, server.settings, Hub())
            copy = await asyncio.to_thread(hall._load, made["game_id"])
            assert copy is not None and state_digest(copy.state) == exported["digest"]
            assert [c.text for c in copy.chat] == [c.text for c in room.chat]
            assert [(s.name, s.team) for s in copy.seats.values()] == [
                (s.name, s.team) for s in room.seats.values()
            ]
            assert copy.join_code != room.join_code
            tampered = json.loads(json.dumps(exported))
            tampered["log"][-1]["payload"] = {"kind": "nothing"}
            for bad in (tampered, {"format": "compact-view", "version": 1}):
                try:
                    await asyncio.to_thread(import_game, engine, bad)
                except ImportRefused:
                    pass
                else:
                    raise AssertionError("a bad export was imported")
        finally:
            engine.dispose()

        # --- CSV: every round, team and indicator -------------------------------------------
        r = await fac.get("/api/games/{g}/export/indicators.csv")
        rows = list(csv.DictReader(io.StringIO(r.text)))
        assert r.headers["content-type"].startswith("text/csv")
        assert {(x["round"], x["team"]) for x in rows} == {
            (str(n), t) for n in (1, 2) for t in room.state.teams
        }
        rec = room.state.history[1]
        got = {
            x["indicator"]: float(x["value"])
            for x in rows
            if (x["round"], x["team"]) == ("2", "coastland")
        }
        for k, v in rec.indicators["coastland"].items():
            assert abs(got[k] - v) < 1e-3, k
        assert abs(got["score"] - rec.scores["coastland"]) < 1e-3
        r = await fac.http.get(f"/api/sessions/{sid}/export/indicators.csv", headers=auth)
        assert {x["table"] for x in csv.DictReader(io.StringIO(r.text))} == {"1", "2"}

        # --- a team's exports: only what the team could see ----------------------------------
        r = await union.get("/api/games/{g}/export/log.json")
        assert r.status_code == 200
        text, mine = r.text, r.json()
        assert SECRET_TEAM not in text and SECRET_BILATERAL not in text
        assert UNION_OWN in text  # its own team's line is there
        assert mine["format"] == "compact-view" and "log" not in mine and "start" not in mine
        v = mine["view"]
        assert v["me"]["id"] == "union" and "team_details" not in v
        assert set(v["trust"]["in_others"]) == {"coastland", "sahelia"}
        assert all("union" in p["parties"] for p in v["proposals"])
        for line in mine["chat"]:
            if line["channel"] == "team":
                assert line["team"] == "union"
            if line["channel"] == "bilateral":
                assert "union" in (line["team"], line["to_team"])
        for h in v["history"]:
            for team in ("coastland", "sahelia"):
                assert set(h["indicators"][team]) <= PUBLIC_INDICATORS
        try:
            await asyncio.to_thread(import_game, server.hall.engine, mine)
        except ImportRefused:
            pass
        else:
            raise AssertionError("a team's export was imported as a game")
        r = await union.get("/api/games/{g}/export/indicators.csv")
        for x in csv.DictReader(io.StringIO(r.text)):
            if x["team"] != "union":
                assert x["indicator"] in PUBLIC_INDICATORS | {"support", "score"}, x
        r = await union.get("/games/{g}/play")  # the team finds its report at the end
        assert 'href="/games/{g}/report"'.replace("{g}", union.game_id) in r.text
        r = await union.get("/games/{g}/report")
        assert r.status_code == 200
        assert SECRET_TEAM not in r.text and SECRET_BILATERAL not in r.text
        for part in ("summary", "outcome", "agreements", "indicators", "trust", "timeline"):
            assert f'id="report-{part}"' in r.text

        # --- the session survives a restart, each table with its own join code -------------
        await server.stop()
        again: LiveServer = await start_server()
        async with httpx.AsyncClient(base_url=again.url) as client:
            r = await client.get(f"/api/sessions/{sid}", headers=auth)
        assert r.status_code == 200, r.text
        assert [t["join_code"] for t in r.json()["tables"]] == [t["join_code"] for t in tables]
    finally:
        for b in (fac, union, sahelia):
            await b.close()


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_a_session_survives_a_restart_and_its_log_exports_round_trip(
    start_server, tmp_path: Any
) -> None:
    server: LiveServer = await start_server()
    b = server.browser()
    try:
        r = await b.http.post(
            "/api/sessions", json={"scenario": "mediterranean", "seed": 3, "tables": 2}
        )
        assert r.status_code == 201, r.text
        session = r.json()
        auth = {"Authorization": f"Bearer {session['token']}"}
        sid, tables = session["session_id"], session["tables"]
        r = await b.http.post(f"/api/sessions/{sid}/do", json={"op": "start"}, headers=auth)
        assert all(t["ok"] for t in r.json()["tables"]), r.text
        fac = fac_for(server, tables[1])
        await fac.act({"kind": "advance_phase"})
        exported = (await fac.get("/api/games/{g}/export/log.json")).json()
        await fac.http.aclose()
        await server.stop()
        again: LiveServer = await start_server()
        async with httpx.AsyncClient(base_url=again.url) as client:
            r = await client.get(f"/api/sessions/{sid}", headers=auth)
        assert r.status_code == 200, r.text
        assert [t["join_code"] for t in r.json()["tables"]] == [t["join_code"] for t in tables]
        made = await asyncio.to_thread(import_game, again.hall.engine, exported)
        copy = await again.hall.room(made["game_id"])
        assert state_digest(copy.state) == exported["digest"]
        assert copy.state.phase.value == "negotiation"
    finally:
        await b.close()


def fac_for(server: LiveServer, table: dict[str, Any]) -> Browser:
    b = Browser(server.url, server.ws_url)
    b.token, b.game_id = table["facilitator_token"], table["game_id"]
    return b
