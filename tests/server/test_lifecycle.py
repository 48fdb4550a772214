"""A game from creation to actions: seats, teams, facilitator powers, chat, errors."""

from __future__ import annotations

import asyncio

from tests.server.conftest import LiveServer
from tests.server.players import deal, seat_table


async def test_facilitator_creates_a_game_with_chosen_teams_and_rounds(browsers) -> None:
    fac = browsers()
    game = await fac.create_game(
        scenario="mediterranean", teams=["sahelia", "union", "coastland"], rounds=2
    )
    assert len(game["join_code"]) == 6 and game["facilitator_token"] != game["projector_token"]
    view = (await fac.get("/api/games/{g}/view")).json()
    assert {t["id"] for t in view["view"]["teams"]} == {"union", "sahelia", "coastland"}
    assert view["view"]["rounds"] == 2
    assert view["join_code"] == game["join_code"]


async def test_unknown_scenario_and_unknown_team_are_clear_4xx(browsers) -> None:
    fac = browsers()
    r = await fac.http.post("/api/games", json={"scenario": "atlantis"})
    assert r.status_code == 404 and "atlantis" in r.json()["message"]
    r = await fac.http.post("/api/games", json={"teams": ["union", "narnia"]})
    assert r.status_code == 422 and "narnia" in r.json()["message"]
    r = await fac.http.post("/api/games", json={"teams": ["union", "sahelia"]})
    assert r.status_code == 422 and "corridors" in r.json()["message"]


async def test_a_full_table_game_with_a_subset_of_teams_is_created_and_played(browsers) -> None:
    fac = browsers()
    # Two of the full table's events act on Riverland or its route: with Riverland left
    # out they lose those effects instead of refusing the game.
    game = await fac.create_game(
        scenario="full_table", teams=["nordland", "coastland", "sahelia"], rounds=1
    )
    assert game["game_id"]
    r = await fac.http.put(f"/api/games/{fac.game_id}/bots", json={"seconds": 0}, headers=fac.auth)
    assert r.status_code == 200, r.text
    for team in ("nordland", "coastland", "sahelia"):
        r = await fac.http.put(
            f"/api/games/{fac.game_id}/bots/{team}",
            json={"strategy": "reciprocator"},
            headers=fac.auth,
        )
        assert r.status_code == 200, r.text
    tab = await fac.open_tab()
    await fac.act({"kind": "start_game"})
    ended = await tab.until(lambda m: m["type"] == "view" and m["view"]["phase"] == "ended", 60)
    assert {t["id"] for t in ended["view"]["teams"]} == {"nordland", "coastland", "sahelia"}
    # No corridor among the chosen teams: a clear 4xx, no game.
    r = await fac.http.post(
        "/api/games", json={"scenario": "full_table", "teams": ["nordland", "westmark"]}
    )
    assert r.status_code == 422 and "corridors" in r.json()["message"]


async def test_get_of_a_join_link_takes_no_seat(browsers) -> None:
    fac = browsers()
    game = await fac.create_game()
    preview = browsers()
    r = await preview.http.get(f"/api/join/{game['join_code'].lower()}")
    assert r.status_code == 200 and r.json()["game_id"] == game["game_id"]
    # the only cookie a preview may leave is the anonymous one that counts wrong codes
    assert not [c for c in preview.http.cookies if c.startswith("compact_")]
    roster = (await fac.get("/api/games/{g}/players")).json()
    assert roster["teams"] == {}


async def test_rejoining_from_the_same_browser_returns_the_same_seat_and_chat(browsers) -> None:
    fac = browsers()
    game = await fac.create_game()
    p = browsers()
    first = await p.join(game["join_code"], "Ada", "union")
    r = await p.post("/api/games/{g}/chat", {"channel": "team", "text": "hello team"})
    assert r.status_code == 200, r.text
    p.token = None  # only the cookie is left, as in a browser after closing the tab
    again = await p.join(game["join_code"], "Someone else", None)
    assert again["player_id"] == first["player_id"] and again["rejoined"]
    assert again["name"] == "Ada" and again["team"] == "union"
    tab = await p.open_tab()
    view = await tab.until(lambda m: m["type"] == "view")
    assert [c["text"] for c in view["chat"]] == ["hello team"]
    other = browsers()
    fresh = await other.join(game["join_code"], "Bea")
    assert fresh["player_id"] != first["player_id"]


async def test_players_choose_a_team_in_the_lobby_but_not_after_the_start(browsers) -> None:
    fac = browsers()
    game = await fac.create_game()
    p = browsers()
    await p.join(game["join_code"], "Ada")
    r = await p.post("/api/games/{g}/me/team", {"team": "coastland"})
    assert r.status_code == 200, r.text
    await fac.act({"kind": "start_game"})
    r = await p.post("/api/games/{g}/me/team", {"team": "union"})
    assert r.status_code == 409 and "facilitator" in r.json()["message"]


async def test_facilitator_moves_and_removes_players(browsers) -> None:
    table = await seat_table(browsers, to_negotiation=False)
    ada = table.teams["union"]
    tab = await ada.open_tab()
    await tab.until(lambda m: m["type"] == "view" and m["audience"] == "team:union")
    r = await table.facilitator.post(
        f"/api/games/{{g}}/players/{ada.player_id}/team", {"team": "sahelia"}
    )
    assert r.status_code == 200, r.text
    await tab.until(lambda m: m["type"] == "view" and m["audience"] == "team:sahelia")
    assert (await ada.get("/api/games/{g}/me")).json()["team"] == "sahelia"
    r = await table.facilitator.http.delete(
        f"/api/games/{table.game_id}/players/{ada.player_id}", headers=table.facilitator.auth
    )
    assert r.status_code == 200, r.text
    await tab.wait_closed()
    assert (await ada.get("/api/games/{g}/me")).status_code == 403


async def test_a_deal_is_proposed_and_accepted_over_http(browsers) -> None:
    table = await seat_table(browsers)
    union, sahelia = table.teams["union"], table.teams["sahelia"]
    proposed = await union.act(deal())
    proposal = next(
        p for p in (await sahelia.get("/api/games/{g}/view")).json()["view"]["proposals"]
    )
    accepted = await sahelia.act({"kind": "accept", "proposal_id": proposal["id"]})
    assert accepted["seq"] == proposed["seq"] + 1
    view = (await table.teams["coastland"].get("/api/games/{g}/view")).json()["view"]
    assert len(view["agreements"]) == 1  # signed agreements are public
    assert accepted["version"] == view["version"]


async def test_illegal_actions_get_the_engines_message_and_change_nothing(browsers) -> None:
    table = await seat_table(browsers)
    union = table.teams["union"]
    before = (await table.facilitator.get("/api/games/{g}/export")).json()
    r = await union.post("/api/games/{g}/actions", {"kind": "accept", "proposal_id": "p99"})
    assert r.status_code == 404 and r.json()["error"] == "unknown"
    r = await union.post("/api/games/{g}/actions", {"kind": "start_game"})
    assert r.status_code == 403
    r = await table.facilitator.post("/api/games/{g}/actions", {"kind": "start_game"})
    assert r.status_code == 409 and "already started" in r.json()["message"]
    after = (await table.facilitator.get("/api/games/{g}/export")).json()
    assert after["state"] == before["state"] and after["seq"] == before["seq"]


async def test_bad_input_gets_readable_4xx(browsers, server: LiveServer) -> None:
    table = await seat_table(browsers)
    union = table.teams["union"]
    bad = deal()
    bad["terms"][0]["amount"] = -5
    r = await union.post("/api/games/{g}/actions", bad)
    assert r.status_code == 422
    assert "amount" in r.json()["message"] and r.json()["error"] == "invalid"
    r = await union.http.post(
        f"/api/games/{table.game_id}/actions",
        content=b"{not json",
        headers={**union.auth, "content-type": "application/json"},
    )
    assert r.status_code == 400 and r.json()["error"] == "malformed"
    big = {"channel": "plenary", "text": "x" * (server.settings.max_request_bytes + 10)}
    r = await union.post("/api/games/{g}/chat", big)
    assert r.status_code == 413
    r = await union.post("/api/games/{g}/chat", {"channel": "plenary", "text": "x" * 501})
    assert r.status_code == 422 and "500" in r.json()["message"]


async def test_chat_channels_reach_only_their_audiences(browsers) -> None:
    table = await seat_table(browsers)
    union, sahelia, coast = (table.teams[t] for t in ("union", "sahelia", "coastland"))
    await union.post("/api/games/{g}/chat", {"channel": "plenary", "text": "hello all"})
    await union.post("/api/games/{g}/chat", {"channel": "team", "text": "union only"})
    r = await union.post(
        "/api/games/{g}/chat",
        {"channel": "bilateral", "to_team": "sahelia", "text": "<b>between us</b>"},
    )
    assert r.status_code == 200
    await table.facilitator.post("/api/games/{g}/announcements", {"text": "ten minutes left"})

    async def texts(b) -> list[str]:
        return [m["text"] for m in (await b.get("/api/games/{g}/chat")).json()["messages"]]

    assert await texts(union) == [
        "hello all",
        "union only",
        "<b>between us</b>",
        "ten minutes left",
    ]
    assert await texts(sahelia) == ["hello all", "<b>between us</b>", "ten minutes left"]
    assert await texts(coast) == ["hello all", "ten minutes left"]
    assert len(await texts(table.facilitator)) == 4


async def test_facilitator_pauses_injects_announces_reveals_and_ends(browsers) -> None:
    table = await seat_table(browsers)
    fac = table.facilitator
    await fac.act({"kind": "pause_game"})
    r = await table.teams["union"].post("/api/games/{g}/actions", deal())
    assert r.status_code == 409 and "paused" in r.json()["message"]
    await fac.act({"kind": "resume_game"})
    await fac.act({"kind": "inject_event", "event_id": "shipwreck"})
    await fac.act({"kind": "reveal_scores"})
    await fac.act({"kind": "end_game"})
    view = (await fac.get("/api/games/{g}/view")).json()["view"]
    assert view["phase"] == "ended"
    assert any("Shipwreck" in e["title"] or "shipwreck" in e["id"] for e in view["events"])


async def test_every_accepted_action_is_in_the_log_in_seq_order(browsers) -> None:
    table = await seat_table(browsers)
    await asyncio.gather(
        *(
            b.post("/api/games/{g}/chat", {"channel": "plenary", "text": f"{t} {i}"})
            for t, b in table.teams.items()
            for i in range(5)
        )
    )
    log = (await table.facilitator.get("/api/games/{g}/export")).json()["log"]
    assert [e["seq"] for e in log] == list(range(len(log)))
    kinds = [e["kind"] for e in log]
    assert kinds[:4] == ["create", "join", "join", "join"]
    assert kinds.count("chat") == 15 and "start_game" in kinds
