"""Server-sent events: the live views for a page whose websocket upgrade fails (a proxy
that refuses `Upgrade: websocket`). See docs/websocket.md, "Without websockets".

The same connection as a websocket's, one way: a welcome, then the full current view, then
only the sections that changed, in seq order; on every (re)connect the full view again,
so the catch-up is the same. The page sends its actions and chat over HTTP, as it always
does. A `ping` event every heartbeat keeps proxies from timing the stream out and lets the
page tell a dead stream from a quiet game.

Presence follows a stream as it follows a websocket. A stream that closes leaves at once
(the server hears the disconnect). A stream that dies silently (an access point roamed, a
NAT froze the connection) cannot be heard on the stream itself — the server's pings go
into the kernel's buffer and fail only minutes later — so the page beats: its welcome
names a `beat` URL, which the page POSTs every heartbeat, and a stream whose page beat
once and then is silent for three heartbeats is closed (`gone` 4408) and leaves the
console's presence. A client that never beat (a script) is not held to it, as on the
websocket.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse

from server.errors import ApiError, not_found
from server.live import formats, renderer
from server.room import Principal
from server.rooms import GameHall
from server.ws import (
    FrameSocket,
    audience_key,
    int_or_none,
    live_connection,
    token_from_handshake,
    wants_changes,
    welcome,
)

router = APIRouter()

_CLOSE = "\x00close:"
"""What `close` queues for the stream: it then ends with a `gone` event naming the code."""

SILENT_BEATS = 3
"""Heartbeats without a beat after which a stream whose page beat is taken for gone."""


@dataclass
class Stream:
    """One open event stream: whose it is and when its page last beat (None: never)."""

    game_id: str
    who: Principal
    beat_at: float | None = None


def streams(request: Request) -> dict[str, Stream]:
    """The open streams of this server, by their id (the `beat` URL's)."""
    state = request.app.state
    if not hasattr(state, "sse_streams"):
        state.sse_streams = {}
    found: dict[str, Stream] = state.sse_streams
    return found


def event(data: str, name: str | None = None) -> str:
    """One SSE event; a line break in the data continues it on another `data:` line (the
    browser joins them with "\\n" again)."""
    lines = data.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    head = f"event: {name}\n" if name else ""
    return head + "".join(f"data: {line}\n" for line in lines) + "\n"


@router.get("/sse/games/{game_id}", include_in_schema=False)
async def game_events(request: Request, game_id: str) -> StreamingResponse:
    hall: GameHall = request.app.state.hall
    settings = request.app.state.settings
    fmt = request.query_params.get("format", "json")
    if renderer(fmt) is None:
        raise ApiError(400, "bad_format", f"unknown format {fmt!r} ({', '.join(formats())})")
    room = await hall.room(game_id)
    who = room.authenticate(token_from_handshake(request, game_id))
    key = audience_key(room, who, request.query_params.get("audience"))
    out: asyncio.Queue[str] = asyncio.Queue(maxsize=1)  # the connection's queue is the buffer

    async def close(code: int = 1000, reason: str | None = None) -> None:
        with contextlib.suppress(asyncio.QueueFull):
            out.put_nowait(f"{_CLOSE}{code}")

    socket = FrameSocket(out.put, close, fragments=fmt != "json", changes=wants_changes(request))
    conn = live_connection(socket, room, who, key, fmt, settings)
    hb = settings.ws_heartbeat_seconds
    last_seq = int_or_none(request.query_params.get("last_seq"))
    expires_at = room.expires_at(who)
    sid = secrets.token_urlsafe(12)
    beat = f"/sse/games/{room.id}/streams/{sid}/beat"
    registry = streams(request)
    mine = Stream(room.id, who)

    async def stream() -> AsyncIterator[str]:
        registry[sid] = mine  # here, so that the finally below always removes it
        conn.start()
        conn.offer(welcome(room, who, key, last_seq, hb, {"beat": beat}), full_view=False)
        await hall.attach(room, conn)
        try:
            # The page reconnects by itself (compact.js closes a failed stream): a browser's
            # own retry would come after `retry` ms.
            yield "retry: 2000\n\n"
            while not conn.closed.is_set():
                if time.time() > expires_at:
                    yield event("4401", "gone")  # a stream does not outlive its token
                    return
                if mine.beat_at is not None and (
                    time.monotonic() - mine.beat_at > SILENT_BEATS * hb
                ):
                    yield event("4408", "gone")  # its page stopped beating: taken for gone
                    return
                try:
                    async with asyncio.timeout(hb):
                        text = await out.get()
                except TimeoutError:
                    yield event(str(room.seq), "ping")
                    continue
                if text.startswith(_CLOSE):
                    yield event(text[len(_CLOSE) :], "gone")
                    return
                yield event(text)
        finally:
            registry.pop(sid, None)
            hall.hub.remove(conn)
            await conn.stop()

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        # nginx buffers responses unless told not to: events must go out as they come.
        headers={"X-Accel-Buffering": "no"},
    )


@router.post("/sse/games/{game_id}/streams/{stream_id}/beat", include_in_schema=False)
async def stream_beat(request: Request, game_id: str, stream_id: str) -> Response:
    """The page of an open stream is still there (see the module's docstring). 404: no
    such stream open here any more (the page opens a new one)."""
    hall: GameHall = request.app.state.hall
    room = await hall.room(game_id)
    who = room.authenticate(token_from_handshake(request, game_id))
    found = streams(request).get(stream_id)
    if found is None or found.game_id != game_id or not _same(found.who, who):
        raise not_found("stream")
    found.beat_at = time.monotonic()
    return Response(status_code=204)


def _same(a: Principal, b: Principal) -> bool:
    """The same holder: a seat's stream is beaten only with that seat's token."""
    return a.role == b.role and (a.seat.id if a.seat else None) == (b.seat.id if b.seat else None)
