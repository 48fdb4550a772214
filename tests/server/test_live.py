"""The websocket: views after every action, tagged with seq, rendered once per audience."""

from __future__ import annotations

import asyncio
import json
import random
from typing import Any

import pytest
from websockets.asyncio.client import connect

from server.live import Connection, register_renderer, render_json
from server.room import ChatLine, ChatList, SharedView
from tests.server.conftest import LiveServer
from tests.server.players import deal, seat_table


async def test_every_connection_gets_its_own_view_after_each_action(browsers) -> None:
    table = await seat_table(browsers)
    tabs = {t: await b.open_tab() for t, b in table.teams.items()}
    fac_tab = await table.facilitator.open_tab()
    for tab in [*tabs.values(), fac_tab]:
        await tab.until(lambda m: m["type"] == "view")
    proposed = await table.teams["union"].act(deal())
    for team, tab in tabs.items():
        view = await tab.view_at(proposed["seq"])
        assert view["seq"] == proposed["seq"] and view["audience"] == f"team:{team}"
        ids = [p["id"] for p in view["view"]["proposals"]]
        assert ids == (["p1"] if team in ("union", "sahelia") else [])
    assert (await fac_tab.view_at(proposed["seq"]))["view"]["proposals"][0]["id"] == "p1"


async def test_views_are_rendered_once_per_audience_not_per_connection(
    browsers, server: LiveServer
) -> None:
    calls: list[tuple[str, int]] = []

    def counting(doc: dict[str, Any], key: str, context: dict[str, Any]) -> str:
        calls.append((key, context.get("seq", -1)))
        return json.dumps({"type": doc["type"], "seq": doc.get("seq"), "audience": key})

    register_renderer("counted", counting)
    table = await seat_table(browsers)
    union = table.teams["union"]
    tabs = [await union.open_tab("format=counted") for _ in range(5)]
    for tab in tabs:
        await tab.until(lambda m: m["type"] == "view")
    calls.clear()
    r = await union.post("/api/games/{g}/chat", {"channel": "team", "text": "hi"})
    seq = r.json()["seq"]
    for tab in tabs:
        await tab.view_at(seq)
    assert calls.count(("team:union", seq)) == 1


async def test_a_reconnecting_client_gets_the_full_current_view(browsers) -> None:
    table = await seat_table(browsers)
    union = table.teams["union"]
    tab = await union.open_tab()
    first = await tab.until(lambda m: m["type"] == "view")
    await tab.close()
    missed = await table.teams["sahelia"].post(
        "/api/games/{g}/chat", {"channel": "plenary", "text": "while you were away"}
    )
    again = await union.open_tab(f"last_seq={first['seq']}")
    welcome = await again.until(lambda m: m["type"] == "welcome")
    assert welcome["last_seq"] == first["seq"] and welcome["seq"] == missed.json()["seq"]
    view = await again.until(lambda m: m["type"] == "view")
    assert view["seq"] == missed.json()["seq"]
    assert view["chat"][-1]["text"] == "while you were away"


async def test_actions_and_chat_can_be_sent_over_the_websocket(browsers) -> None:
    table = await seat_table(browsers)
    tab = await table.teams["union"].open_tab()
    await tab.send({"type": "action", "action": deal(), "request_id": "a1"})
    result = await tab.until(lambda m: m.get("request_id") == "a1")
    assert result["type"] == "result" and result["ok"]
    await tab.send(
        {"type": "chat", "channel": "team", "text": "sent", "HEADERS": {"HX-Request": "true"}}
    )
    await tab.until(lambda m: m["type"] == "view" and any(c["text"] == "sent" for c in m["chat"]))
    await tab.send({"kind": "start_game", "request_id": "a2"})
    refused = await tab.until(lambda m: m.get("request_id") == "a2")
    assert refused["type"] == "error" and refused["status"] == 403
    await tab.send({"type": "action", "action": {"kind": "nonsense"}, "request_id": "a3"})
    assert (await tab.until(lambda m: m.get("request_id") == "a3"))["error"] == "invalid"


async def test_facilitator_sees_who_is_connected_per_team_live(browsers) -> None:
    table = await seat_table(browsers, to_negotiation=False)
    fac_tab = await table.facilitator.open_tab()
    await fac_tab.until(lambda m: m["type"] == "view")
    union = table.teams["union"]

    def online(m: dict[str, Any], count: int) -> bool:
        if m["type"] != "presence":
            return False
        return any(p["id"] == union.player_id and p["online"] == count for p in m["teams"]["union"])

    tab = await union.open_tab()
    await fac_tab.until(lambda m: online(m, 1))
    await tab.close()
    await fac_tab.until(lambda m: online(m, 0))


async def test_websocket_messages_over_the_limit_close_the_connection(
    browsers, server: LiveServer
) -> None:
    table = await seat_table(browsers, to_negotiation=False)
    tab = await table.teams["union"].open_tab()
    await tab.until(lambda m: m["type"] == "view")
    await tab.ws.send("x" * (server.settings.ws_max_message_bytes + 1))
    await tab.wait_closed()
    assert tab.ws.close_code in (1009, 1006)


async def test_unknown_format_is_refused(browsers, server: LiveServer) -> None:
    table = await seat_table(browsers, to_negotiation=False)
    tab = await table.teams["union"].open_tab("format=telegraph")
    await tab.wait_closed()
    assert tab.ws.close_code == 4400


class _StuckSocket:
    """A peer that never reads: every send blocks until released."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.sent: list[str] = []
        self.closed_with: int | None = None

    async def send_text(self, data: str) -> None:
        await self.release.wait()
        self.sent.append(data)

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        self.closed_with = code


async def test_a_slow_connection_is_resynced_with_the_newest_view_not_queued_forever() -> None:
    sock = _StuckSocket()
    conn = Connection(sock, "g", "team:union", "json", None, queue_size=3, send_timeout=30)
    conn.start()
    for seq in range(20):
        conn.offer(f"view {seq}", full_view=True)
    assert conn.resyncs > 0
    sock.release.set()

    async def drained() -> None:
        while "view 19" not in sock.sent:
            await asyncio.sleep(0)

    await asyncio.wait_for(drained(), 5)
    assert len(sock.sent) <= 4  # the one in flight and at most a queue's worth
    await conn.stop()


async def test_a_connection_whose_send_hangs_is_dropped() -> None:
    sock = _StuckSocket()
    conn = Connection(sock, "g", "team:union", "json", None, queue_size=3, send_timeout=0.05)
    conn.start()
    conn.offer("view", full_view=True)
    await asyncio.wait_for(conn.closed.wait(), 5)
    assert sock.closed_with == 1013
    await conn.stop()


@pytest.mark.parametrize("how", ["query", "hello", "cookie"])
async def test_a_socket_authenticates_by_query_first_message_or_cookie(
    browsers, server: LiveServer, how: str
) -> None:
    table = await seat_table(browsers, to_negotiation=False)
    union = table.teams["union"]
    url = f"{server.ws_url}/ws/games/{table.game_id}"
    headers = {}
    if how == "query":
        url += f"?token={union.token}"
    if how == "cookie":
        headers["Cookie"] = f"compact_seat_{table.game_id}={union.token}"
    async with connect(url, additional_headers=headers, compression=None) as ws:
        if how == "hello":
            await ws.send(json.dumps({"type": "hello", "token": union.token}))
        msg = json.loads(await ws.recv())
        assert msg["type"] == "welcome" and msg["player"]["id"] == union.player_id


async def test_the_facilitator_may_watch_a_teams_screen_and_nobody_else_may(
    browsers, server: LiveServer
) -> None:
    table = await seat_table(browsers, to_negotiation=False)
    look = await table.facilitator.open_tab("audience=team:sahelia")
    view = await look.until(lambda m: m["type"] == "view")
    assert view["audience"] == "team:sahelia" and view["view"]["me"]["id"] == "sahelia"
    nowhere = await table.facilitator.open_tab("audience=team:atlantis")
    await nowhere.wait_closed()
    assert nowhere.ws.close_code == 4404
    # A participant asking for another team's screen still gets only its own.
    union = await table.teams["union"].open_tab("audience=team:sahelia")
    own = await union.until(lambda m: m["type"] == "view")
    assert own["audience"] == "team:union"


async def test_a_slow_connection_keeps_its_newest_view_when_replies_overflow() -> None:
    sock = _StuckSocket()
    conn = Connection(sock, "g", "team:union", "json", None, queue_size=3, send_timeout=30)
    conn.start()
    conn.offer("view 1", full_view=True)
    for i in range(6):
        conn.offer(f"pong {i}", full_view=False)
    sock.release.set()

    async def drained() -> None:
        while "pong 5" not in sock.sent:
            await asyncio.sleep(0)

    await asyncio.wait_for(drained(), 5)
    # The queue overflowed twice; each time the view was kept ahead of the newest reply.
    assert sock.sent == ["view 1", "pong 4", "pong 5"]
    await conn.stop()


def test_a_view_encoded_member_by_member_is_the_same_text_as_one_dumps() -> None:
    line = ChatLine(7, "plenary", "union", None, "Ana", 'visas "now" – é', 1764650000.25, "p1")
    doc = {
        "type": "view",
        "game_id": "g1",
        "seq": 7,
        "timer": {"deadline": None, "remaining": 12.5, "running": True, "server_time": 1.5},
        "players": [{"id": "p1", "name": "Ana", "team": "union", "online": 2}],
        "bot_pace": 8.0,
        "flags": [True, False, None, 2**70, -0.0],
        "chat": ChatList([line]),
        "view": SharedView({"phase": "negotiation", "budget": 1e-7}),
        "debrief": None,
    }
    plain = json.loads(json.dumps(doc))
    plain["chat"] = plain.pop("chat")  # the chat goes last (its lines are spliced in)
    text = render_json(doc, "team:union", {})
    assert text == json.dumps(plain, separators=(",", ":"), ensure_ascii=False)


def test_each_audience_reads_the_newest_chat_lines_it_may_read_as_the_chat_grows() -> None:
    """The chat window kept per audience and extended line by line shows what a walk of
    the whole history would: the newest `chat_history` lines that audience may read."""
    from game_rules import new_game
    from game_rules.library import load_scenario
    from game_rules.views import may_read_chat
    from server.models import Game
    from server.replay import bare_room
    from server.room import audience_of

    game = Game(id="g1", join_code="ABC", scenario_id="mediterranean", facilitator_token_hash="f",
                projector_token_hash="p", tokens_expire_at=0.0)  # fmt: skip
    room = bare_room(game, new_game(load_scenario("mediterranean"), 1), chat_history=4)
    rng = random.Random(3)
    keys = ["facilitator", "projector", "team:union", "team:sahelia", "team:coastland"]
    channels = [
        ("plenary", "union", None),
        ("team", "union", None),
        ("team", "sahelia", None),
        ("bilateral", "union", "coastland"),
        ("announcement", None, None),
    ]
    for seq in range(1, 120):
        channel, team, to_team = rng.choice(channels)
        room.chat.append(ChatLine(seq, channel, team, to_team, "a", f"line {seq}", float(seq)))
        room.seq = seq
        for key in rng.sample(keys, rng.randint(0, 2)):  # some audiences miss many lines
            audience = audience_of(key)
            readable = [
                c for c in room.chat if may_read_chat(audience, c.channel, c.team, c.to_team)
            ]
            want = [c.public() for c in readable[-4:]]
            doc = room.document(key)
            assert list(doc["chat"]) == want, (seq, key)
            assert json.loads(doc["chat"].encoded()) == want
            assert doc["chat"].encoded_lines()[0] == [c["seq"] for c in want]
