"""Seats after the start: one seat per browser, newcomers wait for the facilitator to place
them, nobody changes team on their own, a removed seat stays out; display names that
cannot impersonate or hide; a latecomer's token is alive."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.server.conftest import LiveServer
from tests.server.players import Browser, seat_table


async def test_a_newcomer_after_the_start_waits_without_a_team(
    browsers: Callable[[], Browser],
) -> None:
    table = await seat_table(browsers)
    code = table.game["join_code"]
    # The union delegate opens a private window and asks for another team's seat.
    incognito = browsers()
    seat = await incognito.join(code, "Second seat", "coastland")
    assert seat["team"] is None and seat["waiting"] is True
    view = (await incognito.get("/api/games/{g}/view")).json()
    assert view["audience"] == "observer"
    assert "mandate" not in str(view["view"].get("me") or {})
    r = await incognito.post("/api/games/{g}/me/team", {"team": "coastland"})
    assert r.status_code == 409 and r.json()["error"] == "teams_fixed", r.text
    r = await incognito.act({"kind": "set_ready", "ready": True}, expect=403)
    assert (await incognito.get("/api/games/{g}/me")).json()["team"] is None


async def test_a_seated_player_cannot_change_team_after_the_start(
    browsers: Callable[[], Browser],
) -> None:
    table = await seat_table(browsers)
    union = table.teams["union"]
    r = await union.post("/api/games/{g}/me/team", {"team": "coastland"})
    assert r.status_code == 409, r.text
    r = await union.post("/api/games/{g}/me/team", {"team": None})
    assert r.status_code == 409, r.text
    assert (await union.get("/api/games/{g}/me")).json()["team"] == "union"


async def test_the_facilitator_places_waiting_seats_balancing_the_teams(
    browsers: Callable[[], Browser],
) -> None:
    table = await seat_table(browsers)
    fac = table.facilitator
    code = table.game["join_code"]
    extra = browsers()
    await extra.join(code, "Early union", "union")  # in the lobby? no: after the start
    r = await fac.post(f"/api/games/{{g}}/players/{extra.player_id}/team", {"team": "union"})
    assert r.status_code == 200, r.text
    late = []
    for i in range(5):
        b = browsers()
        await b.join(code, f"Latecomer {i}")
        late.append(b)
    r = await fac.post("/api/games/{g}/players/place")
    assert r.status_code == 200, r.text
    placed = r.json()["placed"]
    assert [p["player_id"] for p in placed] == [b.player_id for b in late]
    doc = (await fac.get("/api/games/{g}/players")).json()
    sizes = {team: len(members) for team, members in doc["teams"].items() if team}
    assert sorted(sizes.values()) == [3, 3, 3], sizes  # 1+1+1 seated, +1 union, +5 placed
    assert "" not in doc["teams"] or not doc["teams"][""]
    for b in late:
        assert (await b.get("/api/games/{g}/me")).json()["team"] is not None
    # Nobody waits now: placing again places nobody.
    assert (await fac.post("/api/games/{g}/players/place")).json()["placed"] == []


async def test_a_removed_seat_cannot_come_back_by_joining_again(
    browsers: Callable[[], Browser],
) -> None:
    table = await seat_table(browsers)
    fac, code = table.facilitator, table.game["join_code"]
    mallory = browsers()
    await mallory.join(code, "Mallory")
    r = await fac.http.delete(
        f"/api/games/{table.game_id}/players/{mallory.player_id}", headers=fac.auth
    )
    assert r.status_code == 200, r.text
    # The same browser (its cookie) joins again: refused, through the API and the form.
    r = await mallory.http.post("/api/join", json={"code": code, "name": "Mallory 2"})
    assert r.status_code == 403, r.text
    r = await mallory.http.post("/join", data={"code": code, "name": "Mallory 3"})
    assert r.status_code in (403, 422) and "removed" in r.text, r.text
    names = [p["name"] for p in (await fac.get("/api/games/{g}/view")).json()["players"]]
    assert not any(n.startswith("Mallory") for n in names)


async def test_a_removed_player_cannot_walk_back_into_the_lobby_from_a_private_window(
    server: LiveServer, browsers: Callable[[], Browser]
) -> None:
    """Nothing binds a person to a browser, so the removal closes the door: after it,
    every new seat waits for the facilitator, who sees it and lets it in or not; the
    console reopens the door with one button."""
    fac = browsers()
    game = await fac.create_game(scenario="mediterranean", seed=5)
    code, g = game["join_code"], game["game_id"]
    mallory, bea = browsers(), browsers()
    await mallory.join(code, "Mallory", "union")
    await bea.join(code, "Bea", "union")
    r = await fac.http.delete(f"/api/games/{g}/players/{mallory.player_id}", headers=fac.auth)
    assert r.status_code == 200, r.text
    # A private window, another name, still before the start.
    private = browsers()
    seat = await private.join(code, "Mal", "union")
    assert seat["team"] is None and seat["waiting"] is True, seat
    r = await private.post("/api/games/{g}/me/team", {"team": "union"})
    assert r.status_code == 409 and r.json()["error"] == "admission_approval", r.text
    assert (await private.get("/api/games/{g}/view")).json()["audience"] == "observer"
    page = (await private.http.get(f"/games/{g}/play")).text
    assert "Waiting for a team" in page and "Take this team" not in page
    # Seated people stay where they are; the facilitator sees who waits, and decides.
    assert (await bea.get("/api/games/{g}/me")).json()["team"] == "union"
    console = (await fac.http.get(f"/games/{g}/console")).text
    assert "They wait for you to let them in" in console and "Mal" in console
    assert "Let newcomers choose their team" in console
    r = await fac.http.delete(f"/api/games/{g}/players/{private.player_id}", headers=fac.auth)
    assert r.status_code == 200, r.text
    # The console's button opens the door again: newcomers choose their team.
    token = console.split('"X-CSRF-Token": "', 1)[1].split('"', 1)[0]
    r = await fac.http.post(
        f"/games/{g}/console/do",
        data={"op": "admission", "mode": "open"},
        headers={"origin": server.url, "x-csrf-token": token},
    )
    assert r.status_code == 200 and "choose their team again" in r.text, r.text
    assert (await browsers().join(code, "Cleo", "sahelia"))["team"] == "sahelia"


async def test_the_same_browser_gets_its_own_seat_back(browsers: Callable[[], Browser]) -> None:
    table = await seat_table(browsers)
    union = table.teams["union"]
    r = await union.http.post("/api/join", json={"code": table.game["join_code"], "name": "x"})
    assert r.status_code == 200 and r.json()["rejoined"] is True
    assert r.json()["player_id"] == union.player_id and r.json()["team"] == "union"


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("\u202eevil\u202c", None),  # a bidi override is dropped, the letters stay
        ("\u200b\u200c\u200d", 422),  # zero-width only: nothing visible
        ("   ", 422),
        ("Facilitator", 422),
        ("ＦＡＣＩＬＩＴＡＴＯＲ", 422),  # fullwidth letters fold to the same name
        ("union delegate", 409),  # taken
        ("UNION Delegate", 409),  # taken, whatever the case
    ],
)
async def test_display_names_cannot_hide_or_impersonate(
    browsers: Callable[[], Browser], name: str, status: int | None
) -> None:
    table = await seat_table(browsers, to_negotiation=False)
    b = browsers()
    r = await b.http.post("/api/join", json={"code": table.game["join_code"], "name": name})
    if status is None:
        assert r.status_code == 200, r.text
        assert r.json()["name"] == "evil"
    else:
        assert r.status_code == status, r.text
        assert r.json()["message"]


async def test_names_are_stored_in_nfc(browsers: Callable[[], Browser]) -> None:
    table = await seat_table(browsers, to_negotiation=False)
    b = browsers()
    seat = await b.join(table.game["join_code"], "Ame\u0301lie")  # e + combining acute
    assert seat["name"] == "Am\u00e9lie"


async def test_a_seat_joined_after_the_games_tokens_expired_gets_a_live_token(
    server: LiveServer, browsers: Callable[[], Browser], monkeypatch: pytest.MonkeyPatch
) -> None:
    table = await seat_table(browsers, to_negotiation=False)
    ttl = server.settings.token_ttl_hours * 3600
    later = time.time() + ttl + 60
    monkeypatch.setattr(time, "time", lambda: later)
    late = browsers()
    seat = await late.join(table.game["join_code"], "Late")
    r = await late.get("/api/games/{g}/me")
    assert r.status_code == 200, r.text
    assert r.json()["player_id"] == seat["player_id"]
    # The game's own tokens did expire.
    assert (await table.teams["union"].get("/api/games/{g}/me")).status_code == 401


async def test_an_open_socket_is_closed_when_its_token_expires(
    start_server: Callable[..., Any],
) -> None:
    # Five seconds: with one, a loaded machine took longer than that from the game's
    # creation to the socket's first view, and the token was dead before the socket opened.
    server = await start_server(token_ttl_hours=5 / 3600)
    b = server.browser()
    try:
        await b.create_game(scenario="mediterranean")
        tab = await b.open_tab()
        await tab.until(lambda m: m.get("type") == "view")
        await tab.wait_closed()
        assert any(m.get("error") == "unauthorised" for m in tab.messages), tab.messages
        assert (await b.get("/api/games/{g}/view")).status_code == 401
    finally:
        await b.close()
