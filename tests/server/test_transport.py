"""The live connection's protocol: client ids that make retries safe (also across a
restart), small updates (only the sections that changed), the heartbeat, and server-sent
events with the same catch-up as the websocket (docs/websocket.md)."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

from tests.server.conftest import LiveServer
from tests.server.players import WAIT, Browser, deal, seat_table

HEAD = re.compile(r"^<!--compact ([^>]*)-->")


def head(frame: str) -> dict[str, str]:
    found = HEAD.match(frame)
    assert found, frame[:200]
    return dict(f.partition("=")[::2] for f in found.group(1).split())


async def html_frame(ws: ClientConnection) -> str:
    """The next html frame of a socket (skipping the JSON welcome, pongs and results)."""
    while True:
        raw = await asyncio.wait_for(ws.recv(), WAIT)
        assert isinstance(raw, str)
        if not raw.startswith("{"):
            return raw


async def chat_lines(b: Browser) -> list[str]:
    r = await b.get("/api/games/{g}/chat")
    return [m["text"] for m in r.json()["messages"]]


async def test_a_retried_chat_or_action_is_done_once_even_after_a_restart(
    start_server: Callable[..., Any],
) -> None:
    first: LiveServer = await start_server(snapshot_every=2)
    made: list[Browser] = []

    def make() -> Browser:
        made.append(first.browser())
        return made[-1]

    table = await seat_table(make)
    union = table.teams["union"]
    key = {"Idempotency-Key": "k-chat-1"}
    said = await union.post("/api/games/{g}/chat", {"channel": "team", "text": "once"}, headers=key)
    again = await union.post(
        "/api/games/{g}/chat", {"channel": "team", "text": "once"}, headers=key
    )
    assert said.status_code == again.status_code == 200, again.text
    assert again.json()["seq"] == said.json()["seq"]

    # Over the websocket: the same client id twice is one message and one "repeated" result.
    tab = await union.open_tab()
    for request_id in ("a", "b"):
        msg = {"type": "chat", "channel": "team", "text": "by socket", "client_id": "k-ws-1"}
        await tab.ws.send(json.dumps({**msg, "request_id": request_id}))
    second = await tab.until(lambda m: m.get("request_id") == "b")
    assert second["type"] == "result" and second["repeated"] is True
    action = deal()
    for request_id in ("c", "d"):
        envelope = {"type": "action", "action": action, "client_id": "k-act-1"}
        await tab.ws.send(json.dumps({**envelope, "request_id": request_id}))
    answers = [await tab.until(lambda m, r=r: m.get("request_id") == r) for r in ("c", "d")]
    assert [a["type"] for a in answers] == ["result", "result"], answers
    assert answers[1]["repeated"] is True and answers[1]["seq"] == answers[0]["seq"]
    # Another id is another message; a bad one is refused in words.
    await union.post("/api/games/{g}/chat", {"channel": "team", "text": "filler"})
    await union.post("/api/games/{g}/chat", {"channel": "team", "text": "filler"})
    bad = await union.post(
        "/api/games/{g}/chat",
        {"channel": "team", "text": "x"},
        headers={"Idempotency-Key": "k" * 65},
    )
    assert bad.status_code == 422 and "client_id" in bad.json()["message"]
    lines = await chat_lines(union)
    assert lines.count("once") == 1 and lines.count("by socket") == 1

    # A restart: the game is loaded from a snapshot and the log; the ids come back with it.
    for b in made:
        await b.close()
    await first.stop()
    second_server: LiveServer = await start_server(snapshot_every=2)
    later = second_server.browser()
    later.token, later.game_id = union.token, union.game_id
    try:
        retry = await later.post(
            "/api/games/{g}/chat", {"channel": "team", "text": "once"}, headers=key
        )
        assert retry.status_code == 200 and retry.json()["seq"] == said.json()["seq"]
        assert (await chat_lines(later)).count("once") == 1
    finally:
        await later.close()


async def test_a_connection_gets_only_the_sections_that_changed(browsers, server) -> None:
    table = await seat_table(browsers)
    union = table.teams["union"]
    url = f"{server.ws_url}/ws/games/{union.game_id}?format=html&token={union.token}"
    async with connect(url, compression=None) as ws:
        full = await html_frame(ws)
        assert head(full).get("full") == "1" and 'id="chat-log"' in full
        said = await union.post("/api/games/{g}/chat", {"channel": "plenary", "text": "first"})
        first = await html_frame(ws)  # the log had "No messages yet.": the whole log
        assert head(first)["seq"] == str(said.json()["seq"]) and "first" in first
        said = await union.post("/api/games/{g}/chat", {"channel": "plenary", "text": "line two"})
        small = await html_frame(ws)
        fields = head(small)
        assert fields["seq"] == str(said.json()["seq"]) and fields["base"] == head(first)["seq"]
        assert fields["keep"] == "chat-log:2"
        assert 'hx-swap-oob="afterbegin:#chat-log>ul"' in small and "line two" in small
        assert "first" not in small and 'id="status"' not in small, small
        assert len(small.encode()) < 400, small
        # A resync (the client saw a gap): the whole screen again.
        await ws.send(json.dumps({"type": "resync"}))
        again = await html_frame(ws)
        assert head(again).get("full") == "1" and "first" in again and "line two" in again


async def test_a_socket_that_stops_its_heartbeat_is_closed_and_leaves_presence(
    start_server: Callable[..., Any],
) -> None:
    server: LiveServer = await start_server(ws_heartbeat_seconds=0.2)
    made: list[Browser] = []

    def make() -> Browser:
        made.append(server.browser())
        return made[-1]

    try:
        table = await seat_table(make)
        union = table.teams["union"]
        tab = await union.open_tab()
        await tab.ws.send(json.dumps({"type": "ping", "request_id": 1}))
        welcome = await tab.until(lambda m: m["type"] == "welcome")
        assert welcome["heartbeat"] == 0.2
        await tab.until(lambda m: m["type"] == "pong")
        assert server.hall.hub.online(union.game_id).get(union.player_id) == 1
        # Silent from now on (a phone that roamed): closed after three heartbeats.
        await tab.wait_closed()
        assert tab.ws.close_code == 4408
        assert union.player_id not in server.hall.hub.online(union.game_id)
        # A client that never pings (a script) is not held to it.
        quiet = await union.open_tab()
        await quiet.until(lambda m: m["type"] == "view")
        await union.post("/api/games/{g}/chat", {"channel": "team", "text": "still there"})
        await quiet.until(lambda m: m["type"] == "view" and "still there" in str(m["chat"]))
        assert quiet.closed is None
    finally:
        for b in made:
            await b.close()


async def events(http: httpx.AsyncClient, url: str) -> AsyncIterator[tuple[str, str]]:
    """(event name, data) of a server-sent event stream, as a browser reads it."""
    async with http.stream("GET", url) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        name, data = "message", []
        async for line in r.aiter_lines():
            if line == "":
                if data:
                    yield name, "\n".join(data)
                name, data = "message", []
            elif line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                data.append(line[6:])


async def test_server_sent_events_catch_up_like_the_websocket(browsers, server) -> None:
    table = await seat_table(browsers)
    union = table.teams["union"]
    url = f"/sse/games/{union.game_id}?format=html&token={union.token}"
    async with httpx.AsyncClient(base_url=server.url, timeout=WAIT) as http:
        stream = events(http, url)
        kind, data = await anext(stream)
        assert kind == "message" and json.loads(data)["type"] == "welcome"
        _kind, full = await anext(stream)
        assert head(full).get("full") == "1" and 'id="status"' in full
        said = await union.post("/api/games/{g}/chat", {"channel": "plenary", "text": "via sse"})
        _kind, frame = await anext(stream)
        assert head(frame)["seq"] == str(said.json()["seq"]) and "via sse" in frame
        await stream.aclose()
        # Away, then back with last_seq: the welcome says what happened, the full view has it.
        missed = await union.post("/api/games/{g}/chat", {"channel": "plenary", "text": "missed"})
        stream = events(http, url + f"&last_seq={head(frame)['seq']}")
        _kind, data = await anext(stream)
        hello = json.loads(data)
        assert hello["last_seq"] == int(head(frame)["seq"]) and hello["seq"] == missed.json()["seq"]
        _kind, full = await anext(stream)
        assert head(full)["seq"] == str(missed.json()["seq"]) and "missed" in full
        assert full.count("via sse") == 1
        await stream.aclose()
        wrong = await http.get(f"/sse/games/{union.game_id}?format=html&token=nope")
        assert wrong.status_code == 401


async def test_static_files_are_versioned_and_cached_for_good(browsers, server) -> None:
    table = await seat_table(browsers, to_negotiation=False)
    union = table.teams["union"]
    union.http.cookies.set(f"compact_seat_{union.game_id}", union.token or "")
    page = (await union.http.get(f"/games/{union.game_id}/play")).text
    urls = re.findall(r'(?:src|href)="(/static/[^"]+)"', page)
    assert urls and all(re.search(r"\?v=[0-9a-f]{12}$", u) for u in urls), urls
    async with httpx.AsyncClient(base_url=server.url) as http:
        for url in urls:
            r = await http.get(url)
            assert r.status_code == 200, url
            assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
        plain = await http.get(urls[0].partition("?")[0])
        old = await http.get(urls[0].partition("?")[0] + "?v=000000000000")
        assert plain.headers["cache-control"] == old.headers["cache-control"] == "no-cache"


async def test_presence_follows_an_event_stream_as_it_follows_a_websocket(
    start_server: Callable[..., Any],
) -> None:
    # A heartbeat longer than the test: the stream's ping never writes, so only the stream
    # opening and closing can move the console's presence.
    server: LiveServer = await start_server(ws_heartbeat_seconds=60)
    made: list[Browser] = []

    def make() -> Browser:
        made.append(server.browser())
        return made[-1]

    def online(m: dict[str, Any], player: str | None, count: int) -> bool:
        if m.get("type") != "presence":
            return False
        seats = [p for team in m["teams"].values() for p in team]
        return any(p["id"] == player and p["online"] == count for p in seats)

    try:
        table = await seat_table(make)
        union = table.teams["union"]
        console = await table.facilitator.open_tab()
        await console.until(lambda m: m["type"] == "view")
        url = f"/sse/games/{union.game_id}?format=html&token={union.token}"
        async with httpx.AsyncClient(base_url=server.url, timeout=WAIT) as http:
            stream = events(http, url)
            await anext(stream)  # the welcome
            await console.until(lambda m: online(m, union.player_id, 1))
            assert server.hall.hub.online(union.game_id).get(union.player_id) == 1
            console.messages.clear()
            await stream.aclose()  # the page closed: the console sees it without a write
            await console.until(lambda m: online(m, union.player_id, 0))
        assert union.player_id not in server.hall.hub.online(union.game_id)
    finally:
        for b in made:
            await b.close()


async def test_an_event_stream_whose_page_stops_beating_is_closed_and_leaves_presence(
    start_server: Callable[..., Any],
) -> None:
    server: LiveServer = await start_server(ws_heartbeat_seconds=0.2)
    made: list[Browser] = []

    def make() -> Browser:
        made.append(server.browser())
        return made[-1]

    try:
        table = await seat_table(make)
        union, sahelia = table.teams["union"], table.teams["sahelia"]
        async with httpx.AsyncClient(base_url=server.url, timeout=WAIT) as http:
            # A script's stream that never beats is not held to it (as on the websocket).
            quiet = events(http, f"/sse/games/{sahelia.game_id}?token={sahelia.token}")
            assert json.loads((await anext(quiet))[1])["type"] == "welcome"
            stream = events(http, f"/sse/games/{union.game_id}?token={union.token}")
            hello = json.loads((await anext(stream))[1])
            assert hello["beat"].startswith(f"/sse/games/{union.game_id}/streams/")
            # Another seat's token does not keep this stream alive.
            wrong = await http.post(hello["beat"], headers=sahelia.auth)
            assert wrong.status_code == 404
            r = await http.post(hello["beat"], headers=union.auth)
            assert r.status_code == 204
            assert server.hall.hub.online(union.game_id).get(union.player_id) == 1
            # Silent from now on (the page's network froze): the stream ends, presence goes.
            async with asyncio.timeout(WAIT):
                async for kind, data in stream:
                    if kind == "gone":
                        assert data == "4408"
                        break
            assert union.player_id not in server.hall.hub.online(union.game_id)
            gone = await http.post(hello["beat"], headers=union.auth)
            assert gone.status_code == 404  # the page opens a new stream
            await union.post("/api/games/{g}/chat", {"channel": "plenary", "text": "still here"})
            async with asyncio.timeout(WAIT):
                async for kind, data in quiet:
                    if kind == "message" and "still here" in data:
                        break
            assert server.hall.hub.online(sahelia.game_id).get(sahelia.player_id) == 1
            await quiet.aclose()
            await stream.aclose()
    finally:
        for b in made:
            await b.close()


def applied(doc: dict[str, Any], frame: dict[str, Any]) -> dict[str, Any]:
    """A JSON client's view after a `changes` frame (docs/websocket.md, Changes only)."""
    if frame["type"] == "view":
        return frame
    out = {**doc, "seq": frame["seq"]}
    for k, v in frame.items():
        if k not in ("type", "base", "chat_kept", "chat_added"):
            out[k] = v
    if "chat_added" in frame:
        kept = frame["chat_kept"]
        out["chat"] = (doc["chat"][len(doc["chat"]) - kept :] if kept else []) + frame["chat_added"]
    return out


async def test_a_json_connection_taking_changes_rebuilds_every_whole_view(
    start_server: Callable[..., Any],
) -> None:
    # A history of 3 lines: the window drops its oldest line on every new one.
    server: LiveServer = await start_server(chat_history=3)
    made: list[Browser] = []

    def make() -> Browser:
        made.append(server.browser())
        return made[-1]

    try:
        table = await seat_table(make)
        union = table.teams["union"]
        whole = await union.open_tab()
        small = await union.open_tab("changes=1")
        twin = await union.open_tab("changes=1")  # the same audience: it shares the frames
        first = await small.until(lambda m: m["type"] == "view")
        await twin.until(lambda m: m["type"] == "view")
        doc, seen = first, first["seq"]
        said = None
        for i in range(5):
            said = await union.post("/api/games/{g}/chat", {"channel": "plenary", "text": f"l{i}"})
        # A proposal: another member changes, not the chat.
        last = (await union.act(deal()))["seq"]
        assert said is not None and last == said.json()["seq"] + 1
        await small.until(lambda m: m.get("seq") == last)
        frames = [m for m in small.messages if m["type"] in ("view", "changes")][1:]
        assert frames and all(f["type"] == "changes" for f in frames)
        for frame in frames:
            assert frame["base"] == seen, (frame["base"], seen)
            doc, seen = applied(doc, frame), frame["seq"]
            expected = await whole.view_at(frame["seq"])
            assert doc == expected, frame
        await twin.until(lambda m: m.get("seq") == last)
        assert [m for m in twin.messages if m["type"] == "changes"] == frames
        chat_frames = [f for f in frames if "chat_added" in f]
        assert chat_frames and all(len(f["chat_added"]) == 1 for f in chat_frames)
        assert "players" not in frames[-1] and "chat_added" not in frames[-1]
        # A resync (the client saw a gap): the whole view again, then changes on top of it.
        await small.send({"type": "resync"})
        again = await small.until(lambda m: m["type"] == "view" and m["seq"] == last)
        assert [line["text"] for line in again["chat"]] == ["l2", "l3", "l4"]
    finally:
        for b in made:
            await b.close()
