"""A participant can never act for another team nor read another team's secrets.

Every endpoint under /api (listed from the app's routes, so a new one is attacked too) and
the websocket are tried with no token, a forged one, another game's, a removed seat's, an
expired one, and with another team's player ids, proposal ids and team names. Each gets its
4xx with a readable message, the log does not grow, and nothing the attacker receives holds
another team's mandate, proposals, chat or true compliance. Also: join-code guessing is
rate-limited, oversized bodies and websocket messages are refused, malformed JSON is a 400
and an action in the wrong phase a 409.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import yaml
from fastapi.routing import APIRoute
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from game_rules.library import SCENARIO_DIR
from game_rules.views import PUBLIC_INDICATORS
from server import deps, room
from tests.server.conftest import LiveServer
from tests.server.players import WAIT, Browser, Tab, deal, seat_table, union_coastland_deal

ATTACKER = "sahelia"
VICTIMS = ("union", "coastland")

SECRET_OFFER = "PRIVATE-union-coastland-offer-7f3a"
SECRET_TEAM_CHAT = "PRIVATE-coastland-team-chat-9a1c"
SECRET_BILATERAL = "PRIVATE-union-coastland-bilateral-5c2e"
SECRET_UNION_TEAM = "PRIVATE-union-team-chat-0d4b"
MEDITERRANEAN = (SCENARIO_DIR / "mediterranean.yaml").read_text(encoding="utf-8")
MARKERS = (SECRET_OFFER, SECRET_TEAM_CHAT, SECRET_BILATERAL, SECRET_UNION_TEAM)


# --- walking what an attacker receives ------------------------------------------------


def _walk(node: Any) -> Iterator[Any]:
    yield node
    if isinstance(node, dict):
        for v in node.values():
            yield from _walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from _walk(v)


def assert_no_secrets_of_others(doc: Any, me: str | None, where: str) -> None:
    """`doc` (anything an attacker of team `me` received) holds nothing private of others."""
    text = json.dumps(doc)
    for marker in MARKERS:
        owners = {
            SECRET_OFFER: ("union", "coastland"),
            SECRET_TEAM_CHAT: ("coastland",),
            SECRET_BILATERAL: ("union", "coastland"),
            SECRET_UNION_TEAM: ("union",),
        }[marker]
        if me not in owners:
            assert marker not in text, f"{where}: {marker} leaked to {me}"
    assert "team_details" not in text, f"{where}: the facilitator's team details leaked"
    for node in _walk(doc):
        if not isinstance(node, dict):
            continue
        if "mandate" in node or "support_drivers" in node:
            # only a team's own block carries these
            assert node.get("id") == me, f"{where}: another team's private block {node.get('id')}"
        if "indicators" in node and "round" in node and isinstance(node["indicators"], dict):
            for team, values in node["indicators"].items():
                if team != me:
                    hidden = set(values) - PUBLIC_INDICATORS
                    assert not hidden, f"{where}: {team}'s indicators {hidden} leaked"
        if "true" in node and "observed" in node:
            assert node["giver"] == me, f"{where}: true compliance of {node['giver']} leaked"
        if "true" in node and "seen" in node and "giver" in node:  # the debrief's
            assert node["true"] is None or node["giver"] == me, (
                f"{where}: true compliance of {node['giver']} leaked in the debrief"
            )
        if "sees_truth" in node and not node["sees_truth"]:  # the debrief before a reveal
            assert not node["trust"], f"{where}: the trust between all teams leaked"
            assert set(node["trust_received"]) <= {me}, f"{where}: others' trust leaked"
        if "parties" in node and "accepted_by" in node and "proposer" in node:
            # a proposal (agreements have no accepted_by): only one's own
            assert me in node["parties"], f"{where}: a proposal of {node['parties']} leaked"
        if node.get("channel") in ("team", "bilateral") and "author" in node:
            assert me in (node.get("team"), node.get("to_team")), f"{where}: chat leaked"


# --- the scene --------------------------------------------------------------------------


@dataclass
class Scene:
    server: LiveServer
    fac: Browser
    teams: dict[str, Browser]
    game: dict[str, Any]
    attacker_tab: Tab
    removed: Browser
    other_fac: Browser
    other_player: Browser
    signed_agreement: str = ""
    open_proposal: str = ""
    made: list[Browser] = field(default_factory=list)

    @property
    def attacker(self) -> Browser:
        return self.teams[ATTACKER]

    @property
    def game_id(self) -> str:
        return str(self.game["game_id"])

    async def log_length(self) -> int:
        r = await self.fac.get("/api/games/{g}/export")
        assert r.status_code == 200, r.text
        return len(r.json()["log"])

    async def view(self, who: Browser) -> dict[str, Any]:
        r = await who.get("/api/games/{g}/view")
        assert r.status_code == 200, r.text
        doc: dict[str, Any] = r.json()
        return doc


async def build_scene(server: LiveServer, make: Callable[[], Browser]) -> Scene:
    table = await seat_table(make)
    fac, teams = table.facilitator, table.teams
    union, coast = teams["union"], teams["coastland"]
    attacker_tab = await teams[ATTACKER].open_tab()
    # A public agreement between the victims, then a private offer between them.
    await union.act(union_coastland_deal("signed in public"))
    props = (await union.get("/api/games/{g}/view")).json()["view"]["proposals"]
    first = props[0]["id"]
    await coast.act({"kind": "accept", "proposal_id": first})
    await union.act({**union_coastland_deal(SECRET_OFFER), "terms": [
        {"type": "funding", "giver": "union", "receiver": "coastland", "amount": 55,
         "earmark": "development"},
        {"type": "border_cooperation", "giver": "coastland", "receiver": "union", "amount": 70},
    ]})  # fmt: skip
    view = (await union.get("/api/games/{g}/view")).json()["view"]
    open_prop = next(p["id"] for p in view["proposals"] if p["status"] == "proposed")
    agreement = view["agreements"][0]["id"]
    for who, body in (
        (coast, {"channel": "team", "text": SECRET_TEAM_CHAT}),
        (union, {"channel": "team", "text": SECRET_UNION_TEAM}),
        (union, {"channel": "bilateral", "to_team": "coastland", "text": SECRET_BILATERAL}),
    ):
        r = await who.post("/api/games/{g}/chat", body)
        assert r.status_code == 200, r.text
    # A seat the facilitator removed.
    removed = make()
    await removed.join(table.game["join_code"], "Mallory", ATTACKER)
    r = await fac.http.delete(
        f"/api/games/{table.game_id}/players/{removed.player_id}", headers=fac.auth
    )
    assert r.status_code == 200, r.text
    # Another game, with its own facilitator and player.
    other_fac = make()
    other = await other_fac.create_game(scenario="mediterranean", seed=9)
    other_player = make()
    await other_player.join(other["join_code"], "Elsewhere", ATTACKER)
    other_player.game_id = table.game_id  # it will knock on the wrong door
    return Scene(
        server,
        fac,
        teams,
        table.game,
        attacker_tab,
        removed,
        other_fac,
        other_player,
        signed_agreement=agreement,
        open_proposal=open_prop,
    )


@pytest.fixture
async def scene(server: LiveServer, browsers: Callable[[], Browser]) -> Scene:
    return await build_scene(server, browsers)


# --- every endpoint of the API ------------------------------------------------------------

GUARDS = {deps.facilitator: "facilitator", deps.player: "participant", deps.caller: "caller"}


def _guard(dependant: Any) -> str:
    found = "public"
    for dep in dependant.dependencies:
        if dep.call in GUARDS:
            kind = GUARDS[dep.call]
            # the strictest guard wins (facilitator and participant both need a caller)
            if found in ("public", "caller"):
                found = kind
        sub = _guard(dep)
        if sub != "public" and found in ("public", "caller"):
            found = sub
    return found


def _api_routes_of(routes: list[Any]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        inner = getattr(route, "original_router", None)  # FastAPI ≥ 0.16x wraps included routers
        if inner is not None:
            yield from _api_routes_of(inner.routes)


def api_routes(server: LiveServer) -> list[tuple[str, str, str]]:
    """(method, path, guard) of every HTTP operation under /api, from the app's OpenAPI
    document (everything routed) and the route's dependencies (who may call it)."""
    found = {
        (method, route.path): _guard(route.dependant)
        for route in _api_routes_of(list(server.app.routes))
        for method in route.methods or ()
    }
    out = []
    for path, operations in server.app.openapi()["paths"].items():
        if not path.startswith("/api/"):
            continue
        for method in operations:
            key = (method.upper(), path)
            assert key in found, f"{key} is routed but its dependencies could not be read"
            out.append((*key, found[key]))
    return out


def _body_for(method: str, path: str) -> Any:
    """A well-formed body, so a refusal is about who asks and not about what is sent."""
    bodies: dict[str, Any] = {
        "/api/games/{game_id}/actions": {"kind": "advance_phase"},
        "/api/games/{game_id}/chat": {"channel": "plenary", "text": "hello"},
        "/api/games/{game_id}/announcements": {"text": "hello"},
        "/api/games/{game_id}/timer": {"add_seconds": 60},
        "/api/games/{game_id}/me/team": {"team": "union"},
        "/api/games/{game_id}/players/{player_id}/team": {"team": ATTACKER},
        "/api/games/{game_id}/bots/{team}": {"strategy": "cooperative"},
        "/api/games/{game_id}/bots": {"seconds": 1},
    }
    return bodies.get(path, {}) if method in ("POST", "PUT", "PATCH") else None


def _fill(path: str, scene: Scene) -> str:
    victim = scene.teams["union"]
    values = {
        "game_id": scene.game_id,
        "player_id": victim.player_id or "",
        "team": "union",
        "code": scene.game["join_code"],
    }
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)


async def _call(b: Browser, method: str, path: str, token: str | None, body: Any = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return await b.http.request(method, path, headers=headers, json=body)


def _readable_refusal(r: Any, statuses: tuple[int, ...], what: str) -> None:
    assert r.status_code in statuses, f"{what}: {r.status_code} {r.text}"
    data = r.json()
    assert isinstance(data.get("message"), str) and len(data["message"]) > 5, what
    assert data.get("error"), what
    assert_no_secrets_of_others(data, ATTACKER, what)


async def test_every_endpoint_refuses_bad_tokens_and_other_roles(scene: Scene) -> None:
    routes = api_routes(scene.server)
    assert len(routes) >= 15, routes  # the router was read, not a hand-picked few
    guarded = [r for r in routes if r[2] != "public"]
    assert all("{game_id}" in path for _, path, _ in guarded)
    before = await scene.log_length()
    # A fresh client with no cookies speaks for each kind of stranger.
    stranger = scene.server.browser()
    try:
        projector = scene.game["projector_token"]
        strangers: dict[str, tuple[str | None, tuple[int, ...]]] = {
            "no token": (None, (401,)),
            "forged token": (secrets.token_urlsafe(32), (401,)),
            "a malformed header": ("a b\tc", (401, 403)),
            "another game's facilitator": (scene.other_fac.token, (401,)),
            "another game's player": (scene.other_player.token, (401,)),
            "a removed seat": (scene.removed.token, (403,)),
        }
        for method, path, guard in guarded:
            url = _fill(path, scene)
            body = _body_for(method, path)
            for label, (token, statuses) in strangers.items():
                r = await _call(stranger, method, url, token, body)
                _readable_refusal(r, statuses, f"{method} {path} with {label}")
            if guard == "facilitator":
                for label, token in (
                    ("a participant", scene.attacker.token),
                    ("the projector", projector),
                ):
                    r = await _call(stranger, method, url, token, body)
                    _readable_refusal(r, (403,), f"{method} {path} by {label}")
            if guard == "participant":
                for label, token in (
                    ("the projector", projector),
                    ("the facilitator", scene.fac.token),
                ):
                    r = await _call(stranger, method, url, token, body)
                    if path.endswith("/actions") and label == "the facilitator":
                        continue  # the facilitator has its own actions here
                    _readable_refusal(r, (403,), f"{method} {path} by {label}")
        # The projector may only watch: its actions are refused too.
        for kind in ({"kind": "advance_phase"}, deal()):
            r = await _call(
                stranger, "POST", f"/api/games/{scene.game_id}/actions", projector, kind
            )
            _readable_refusal(r, (403,), f"the projector acting {kind['kind']}")
    finally:
        await stranger.close()
    assert await scene.log_length() == before


async def test_every_token_expires(scene: Scene, monkeypatch: pytest.MonkeyPatch) -> None:
    """Move the server's clock past token_ttl_hours: every token of the game stops working."""
    before = await scene.log_length()
    export = (await scene.fac.get("/api/games/{g}/export")).json()

    class Later:
        offset = scene.server.settings.token_ttl_hours * 3600 + 60

        def time(self) -> float:
            return time.time() + self.offset

        def __getattr__(self, name: str) -> Any:
            return getattr(time, name)

    monkeypatch.setattr(room, "time", Later())
    tokens = {
        "facilitator": scene.fac.token,
        "projector": scene.game["projector_token"],
        "participant": scene.attacker.token,
    }
    for method, path, guard in api_routes(scene.server):
        if guard == "public":
            continue
        for label, token in tokens.items():
            r = await _call(
                scene.attacker, method, _fill(path, scene), token, _body_for(method, path)
            )
            _readable_refusal(r, (401,), f"{method} {path} with an expired {label} token")
            assert "expired" in r.json()["message"]
    for label, token in tokens.items():
        ws = await connect(
            f"{scene.server.ws_url}/ws/games/{scene.game_id}?token={token}", open_timeout=WAIT
        )
        first = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
        assert first["type"] == "error" and "expired" in first["message"], label
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), WAIT)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
    monkeypatch.undo()
    assert await scene.log_length() == before
    after = (await scene.fac.get("/api/games/{g}/export")).json()
    assert after["state"] == export["state"]


async def test_a_participant_cannot_act_with_another_teams_ids(scene: Scene) -> None:
    a = scene.attacker
    before = await scene.log_length()
    state_before = (await scene.fac.get("/api/games/{g}/export")).json()["state"]
    union_player = scene.teams["union"].player_id
    ag = scene.signed_agreement
    smuggled = {"role": "team", "team": "union"}
    tries: list[tuple[str, str, Any, tuple[int, ...]]] = [
        # for other teams: a proposal between them, of which the attacker is no party
        ("POST", "/actions", union_coastland_deal("forged"), (403, 422)),
        ("POST", "/actions", {**deal(), "parties": ["union", "coastland"]}, (403, 422)),
        # their proposal: answering, countering, retracting it
        ("POST", "/actions", {"kind": "accept", "proposal_id": scene.open_proposal}, (404,)),
        ("POST", "/actions", {"kind": "reject", "proposal_id": scene.open_proposal}, (404,)),
        ("POST", "/actions", {"kind": "retract", "proposal_id": scene.open_proposal}, (404,)),
        (
            "POST",
            "/actions",
            {
                "kind": "counter",
                "proposal_id": scene.open_proposal,
                "terms": union_coastland_deal()["terms"],
            },
            (404,),
        ),
        # their agreement: leaving or ratifying it
        ("POST", "/actions", {"kind": "withdraw", "agreement_id": ag}, (403, 404)),
        ("POST", "/actions", {"kind": "ratify", "agreement_id": ag}, (403, 404, 409)),
        # a team field smuggled into an action or a chat line
        ("POST", "/actions", {"kind": "set_ready", "team": "union"}, (422,)),
        ("POST", "/actions", {"kind": "set_ready", "actor": smuggled}, (422,)),
        ("POST", "/chat", {"channel": "team", "text": "hi", "team": "union"}, (422,)),
        ("POST", "/chat", {"channel": "bilateral", "text": "hi", "to_team": ATTACKER}, (422,)),
        ("POST", "/chat", {"channel": "bilateral", "text": "", "to_team": "atlantis"}, (404, 422)),
        # moving another player, or itself to another team once the game has started
        ("POST", f"/players/{union_player}/team", {"team": ATTACKER}, (403,)),
        ("DELETE", f"/players/{union_player}", None, (403,)),
        ("POST", "/me/team", {"team": "union"}, (409,)),
        ("PUT", "/bots/union", {"strategy": "cooperative"}, (403,)),
    ]  # fmt: skip
    unknown = await _call(
        a, "POST", f"/api/games/{scene.game_id}/actions", a.token,
        {"kind": "accept", "proposal_id": "p999"},
    )  # fmt: skip
    for method, tail, body, statuses in tries:
        r = await _call(a, method, f"/api/games/{scene.game_id}{tail}", a.token, body)
        _readable_refusal(r, statuses, f"{method} {tail} {body}")
        if body and body.get("proposal_id") == scene.open_proposal and body["kind"] != "counter":
            # a team that is no party learns nothing, not even that the proposal exists
            assert r.json()["message"] == unknown.json()["message"].replace(
                "p999", scene.open_proposal
            )
    assert await scene.log_length() == before
    after = (await scene.fac.get("/api/games/{g}/export")).json()["state"]
    assert after == state_before
    me = (await a.get("/api/games/{g}/me")).json()
    assert me["team"] == ATTACKER


async def test_the_websocket_serves_only_the_callers_own_screen(scene: Scene) -> None:
    a = scene.attacker
    before = await scene.log_length()
    # Asking for another team's screen is ignored (only the facilitator may look).
    for audience in ("team:union", "facilitator", "projector"):
        tab = await a.open_tab(f"audience={audience}")
        view = await tab.until(lambda m: m["type"] == "view")
        assert view["audience"] == f"team:{ATTACKER}"
        assert_no_secrets_of_others(view, ATTACKER, f"ws audience={audience}")
        # Acting for the victims over the socket fails as over HTTP.
        for i, action in enumerate(
            (
                {"kind": "accept", "proposal_id": scene.open_proposal},
                {"kind": "withdraw", "agreement_id": scene.signed_agreement},
                union_coastland_deal("over the socket"),
                {"kind": "advance_phase"},
            )
        ):
            rid = f"{audience}{i}"
            await tab.send({"type": "action", "action": action, "request_id": rid})
            err = await tab.until(lambda m, rid=rid: m.get("request_id") == rid)
            assert err["type"] == "error" and err["status"] in (403, 404, 422), err
            assert len(err["message"]) > 5
        await tab.send(
            {"type": "chat", "channel": "team", "text": "x", "team": "union", "request_id": "c"}
        )
        err = await tab.until(lambda m: m.get("request_id") == "c")
        assert err["type"] == "error", err
        await tab.close()
    # Strangers: refused with a readable error and a close code.
    cases = {
        "forged": (secrets.token_urlsafe(32), 4401),
        "another game's player": (scene.other_player.token, 4401),
        "another game's facilitator": (scene.other_fac.token, 4401),
        "a removed seat": (scene.removed.token, 4403),
    }
    for label, (token, code) in cases.items():
        for how in ("query", "hello"):
            url = f"{scene.server.ws_url}/ws/games/{scene.game_id}"
            if how == "query":
                url += f"?token={token}"
            ws = await connect(url, open_timeout=WAIT)
            if how == "hello":
                await ws.send(json.dumps({"type": "hello", "token": token}))
            first = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
            assert first["type"] == "error" and len(first["message"]) > 5, (label, first)
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), WAIT)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == code, label
    # A game that does not exist, and a hello that never says who.
    ws = await connect(f"{scene.server.ws_url}/ws/games/{'0' * 16}?token=x", open_timeout=WAIT)
    first = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
    assert first["type"] == "error"
    ws = await connect(f"{scene.server.ws_url}/ws/games/{scene.game_id}", open_timeout=WAIT)
    await ws.send("not json")
    first = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
    assert first["type"] == "error" and first["error"] == "unauthorised"
    assert await scene.log_length() == before


async def test_nothing_private_of_another_team_reaches_anyone_else(scene: Scene) -> None:
    """Through a whole round (agreement, private offer, chat, implementation, resolution),
    nothing an attacker, the projector or a seatless observer reads is another team's."""
    fac, union, coast = scene.fac, scene.teams["union"], scene.teams["coastland"]
    observer = scene.server.browser()
    projector = scene.server.browser()
    projector.game_id, projector.token = scene.game_id, scene.game["projector_token"]
    try:
        await observer.join(scene.game["join_code"], "Onlooker")
        watchers = {ATTACKER: scene.attacker, None: observer, "projector": projector}
        obs_tab = await observer.open_tab()
        proj_tab = await projector.open_tab()
        # The victims can read their own secrets (the markers are where they should be).
        assert SECRET_OFFER in json.dumps(await scene.view(coast))
        assert SECRET_TEAM_CHAT in json.dumps(await scene.view(coast))
        assert SECRET_TEAM_CHAT not in json.dumps(await scene.view(union))

        async def read_everything(stage: str) -> None:
            for me, b in watchers.items():
                who = me if me in (ATTACKER, None) else None
                for path in ("/api/games/{g}/view", "/api/games/{g}/chat", "/api/games/{g}/me"):
                    r = await b.get(path)
                    if r.status_code == 200:
                        assert_no_secrets_of_others(r.json(), who, f"{stage} {me} {path}")
                r = await b.http.get(f"/api/join/{scene.game['join_code']}")
                assert_no_secrets_of_others(r.json(), who, f"{stage} join preview")

        await read_everything("negotiation")
        await fac.act({"kind": "advance_phase"})  # implementation
        cv = (await scene.view(coast))["view"]
        term = cv["me"]["commitments"][0]["term_id"]
        # The attacker cannot decide the victims' compliance.
        r = await scene.attacker.post(
            "/api/games/{g}/actions",
            {
                "kind": "implement",
                "compliance": {term: 0},
                "policies": (await scene.view(scene.attacker))["view"]["me"]["policies"],
            },
        )
        _readable_refusal(r, (403, 404, 422), "implementing another team's term")
        await coast.act(
            {"kind": "implement", "compliance": {term: 37}, "policies": cv["me"]["policies"]}
        )
        uv = (await scene.view(union))["view"]
        await union.act({"kind": "implement", "compliance": {}, "policies": uv["me"]["policies"]})
        done = await fac.act({"kind": "advance_phase"})  # resolution
        assert done["phase"] == "resolution"
        # Compliance is on record now: coastland sees its own true figure, nobody else does.
        records = [
            c for ag in (await scene.view(coast))["view"]["agreements"] for c in ag["compliance"]
        ]
        assert any(c["giver"] == "coastland" and "true" in c for c in records)
        union_view = await scene.view(union)
        assert_no_secrets_of_others(
            {"view": {"agreements": union_view["view"]["agreements"]}}, "union", "union"
        )
        await read_everything("resolution")
        for tab, who in ((scene.attacker_tab, ATTACKER), (obs_tab, None), (proj_tab, None)):
            await tab.view_at(done["seq"])
            for msg in tab.messages:
                assert_no_secrets_of_others(msg, who, f"ws {who} seq {msg.get('seq')}")
        assert len(scene.attacker_tab.views()) >= 5
    finally:
        await observer.close()
        await projector.close()


async def test_the_ended_game_and_its_debrief_keep_secrets_until_the_facilitator_reveals(
    scene: Scene,
) -> None:
    """After the end the debrief shows more than the game did, but the same to every
    screen but the facilitator's: the attacker, an observer and the projector (which every
    team reads in the room) get observed compliance only — in JSON, on the websocket and in
    the debrief's HTML — until the facilitator reveals the truth to all. Proposals and chat
    stay secret even then."""
    fac, union, coast = scene.fac, scene.teams["union"], scene.teams["coastland"]
    observer = scene.server.browser()
    projector = scene.server.browser()
    projector.game_id, projector.token = scene.game_id, scene.game["projector_token"]
    g = scene.game_id
    try:
        await observer.join(scene.game["join_code"], "Onlooker")
        await fac.act({"kind": "advance_phase"})  # implementation
        cv = (await scene.view(coast))["view"]
        term = cv["me"]["commitments"][0]["term_id"]
        await coast.act(
            {"kind": "implement", "compliance": {term: 37}, "policies": cv["me"]["policies"]}
        )
        uv = (await scene.view(union))["view"]
        await union.act({"kind": "implement", "compliance": {}, "policies": uv["me"]["policies"]})
        await fac.act({"kind": "advance_phase"})  # resolution
        ended = await fac.act({"kind": "end_game"})
        assert ended["phase"] == "ended"
        cookies = {
            ATTACKER: {deps.seat_cookie(g): scene.attacker.token},
            None: {deps.seat_cookie(g): observer.token},
            "projector": {deps.projector_cookie(g): projector.token},
        }
        watchers = {ATTACKER: scene.attacker, None: observer, "projector": projector}
        tabs = {me: await b.open_tab() for me, b in watchers.items()}

        async def debrief_html(me: str | None) -> str:
            client = watchers[me].http
            for name, token in cookies[me].items():
                client.cookies.set(name, token)
            r = await client.get(f"/games/{g}/debrief")
            assert r.status_code == 200, r.text
            return r.text

        for me, b in watchers.items():
            who = me if me != "projector" else None
            # the debrief comes with a later view, once its no-agreement replay is done
            await tabs[me].until(
                lambda m: m.get("type") == "view" and m.get("debrief") is not None, WAIT
            )
            for msg in tabs[me].messages:
                assert_no_secrets_of_others(msg, who, f"ended ws {me} seq {msg.get('seq')}")
            doc = await scene.view(b)
            assert doc["debrief"]["outcomes"].keys() == {"union", "coastland", "sahelia"}
            assert_no_secrets_of_others(doc, who, f"ended {me} view")
            html = await debrief_html(me)
            assert "delivered 37 %" not in html, f"{me}: coastland's true compliance leaked"
            assert "Trust at the end" not in html, f"{me}: the trust matrix leaked"
            assert "never became an agreement" not in html, f"{me}: others' proposals counted"
            for marker in MARKERS:
                assert marker not in html, f"{me}: {marker} leaked in the debrief"
        # The facilitator sees the truth at once, and is offered to reveal it.
        fac.http.cookies.set(deps.facilitator_cookie(g), fac.token)
        fac_html = (await fac.http.get(f"/games/{g}/debrief")).text
        assert "delivered 37 %" in fac_html and "Reveal the truth" in fac_html
        # A team cannot reveal it; the facilitator can, once, and only after the end.
        r = await scene.attacker.post("/api/games/{g}/actions", {"kind": "reveal_truth"})
        _readable_refusal(r, (403,), "a team revealing the truth")
        revealed = await fac.act({"kind": "reveal_truth"})
        r = await fac.post("/api/games/{g}/actions", {"kind": "reveal_truth"})
        _readable_refusal(r, (409,), "revealing twice")
        for me, b in watchers.items():
            await tabs[me].view_at(revealed["seq"])
            doc = await scene.view(b)
            assert doc["debrief"]["sees_truth"] and doc["debrief"]["trust"], me
            html = await debrief_html(me)
            assert "delivered 37 %" in html and "Trust at the end" in html, me
            text = json.dumps(doc) + html + json.dumps(tabs[me].messages)
            for marker in MARKERS:
                assert marker not in text, f"{me}: {marker} leaked after the reveal"
            assert "never became an agreement" not in html, f"{me}: others' proposals counted"
    finally:
        await observer.close()
        await projector.close()


# --- limits and bad input ----------------------------------------------------------------


async def test_join_code_guessing_is_rate_limited(browsers: Callable[[], Browser]) -> None:
    fac = browsers()
    game = await fac.create_game()
    guesser = browsers()
    limit = 10  # Settings.join_failures_per_minute
    for i in range(limit):
        code = f"ZZZZ{i:02d}"
        r = await guesser.http.get(f"/api/join/{code}")
        assert r.status_code == 404, r.text
    for attempt in (
        guesser.http.get(f"/api/join/{game['join_code']}"),
        guesser.http.post("/api/join", json={"code": game["join_code"], "name": "Eve"}),
    ):
        r = await attempt
        assert r.status_code == 429, r.text
        # The header tells the real wait (the window of the first miss), like the message.
        said = int(r.json()["message"].rsplit("wait ", 1)[1].split()[0])
        assert 0 < int(r.headers["Retry-After"]) <= 61
        assert abs(int(r.headers["Retry-After"]) - said) <= 1
    roster = (await fac.get("/api/games/{g}/players")).json()
    assert roster["teams"] == {}


async def test_oversized_bodies_and_messages_are_refused(scene: Scene) -> None:
    a = scene.attacker
    before = await scene.log_length()
    big = {"channel": "plenary", "text": "x" * 100_000}
    r = await a.post("/api/games/{g}/chat", big)
    _readable_refusal(r, (413,), "an oversized body")

    async def chunks() -> Any:  # no Content-Length: the server must count what it reads
        for _ in range(100):
            yield b" " * 1024
        yield json.dumps(big).encode()

    r = await a.http.post(
        f"/api/games/{scene.game_id}/chat",
        content=chunks(),
        headers={**a.auth, "Content-Type": "application/json"},
    )
    _readable_refusal(r, (413,), "an oversized chunked body")
    tab = await a.open_tab()
    await tab.until(lambda m: m["type"] == "view")
    await tab.ws.send(json.dumps({"type": "chat", "channel": "plenary", "text": "y" * 40_000}))
    await tab.wait_closed()
    assert isinstance(tab.closed, ConnectionClosed)
    assert tab.closed.rcvd is not None and tab.closed.rcvd.code == 1009
    assert await scene.log_length() == before


async def test_malformed_json_and_wrong_phase_are_clear_and_change_nothing(scene: Scene) -> None:
    a = scene.attacker
    before = await scene.log_length()
    state_before = (await scene.fac.get("/api/games/{g}/export")).json()["state"]
    for path in ("actions", "chat", "me/team"):
        r = await a.http.post(
            f"/api/games/{scene.game_id}/{path}",
            content=b'{"kind": "set_ready", ',
            headers={**a.auth, "Content-Type": "application/json"},
        )
        _readable_refusal(r, (400,), f"malformed JSON to {path}")
        assert "JSON" in r.json()["message"]
    r = await a.http.post(
        "/api/join", content=b"{nope", headers={"Content-Type": "application/json"}
    )
    _readable_refusal(r, (400,), "malformed JSON to join")
    # negotiation: implementing is for the next phase; starting is long past
    policies = (await scene.view(a))["view"]["me"]["policies"]
    r = await a.post("/api/games/{g}/actions", {"kind": "implement", "policies": policies})
    _readable_refusal(r, (409,), "implementing in negotiation")
    assert "negotiation" in r.json()["message"] or "phase" in r.json()["message"]
    r = await scene.fac.post("/api/games/{g}/actions", {"kind": "start_game"})
    _readable_refusal(r, (409,), "starting a started game")
    tab = await a.open_tab()
    await tab.until(lambda m: m["type"] == "view")
    await tab.ws.send("{broken")
    err = await tab.until(lambda m: m["type"] == "error")
    assert err["error"] == "malformed"
    await tab.send({"type": "action", "action": {"kind": "implement", "policies": policies}})
    err = await tab.until(lambda m: m["type"] == "error" and m.get("status") == 409)
    assert len(err["message"]) > 5
    assert await scene.log_length() == before
    assert (await scene.fac.get("/api/games/{g}/export")).json()["state"] == state_before


async def test_titles_with_control_characters_or_too_long_are_cleaned_not_a_500(
    browsers: Callable[[], Browser],
) -> None:
    """A title goes into a bounded text column: PostgreSQL refuses NUL and overlong text."""
    fac = browsers()
    r = await fac.http.post(
        "/api/games",
        content=b'{"title": "Week\\u0000 one\\n\\u0007course"}',
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 201, r.text
    fac.token, fac.game_id = r.json()["facilitator_token"], r.json()["game_id"]
    title = (await fac.get("/api/games/{g}/view")).json()["title"]
    assert "\x00" not in title and "\x07" not in title and "Week" in title
    data = yaml.safe_load(MEDITERRANEAN)
    data["id"], data["name"] = "long_named", "A very long scenario name " * 10
    r = await fac.http.post("/api/games", json={"scenario_file": yaml.safe_dump(data)})
    assert r.status_code == 201, r.text
    fac.token, fac.game_id = r.json()["facilitator_token"], r.json()["game_id"]
    title = (await fac.get("/api/games/{g}/view")).json()["title"]
    assert 0 < len(title) <= 120 and title.startswith("A very long scenario name")
