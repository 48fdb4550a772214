"""Server-sent events: the live views for a page whose websocket upgrade fails (a proxy
that refuses `Upgrade: websocket`). See docs/websocket.md, "Without websockets".

The same connection as a websocket's, one way: a welcome, then the full current view, then
only the sections that changed, in seq order; on every (re)connect the full view again,
so the catch-up is the same. The page sends its actions and chat over HTTP, as it always
does. A `ping` event every heartbeat keeps proxies from timing the stream out and lets the
page tell a dead stream from a quiet game.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from server.errors import ApiError
from server.live import formats, renderer
from server.rooms import GameHall
from server.ws import (
    FrameSocket,
    audience_key,
    int_or_none,
    live_connection,
    token_from_handshake,
    welcome,
)

router = APIRouter()

_CLOSE = "\x00close:"
"""What `close` queues for the stream: it then ends with a `gone` event naming the code."""


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

    socket = FrameSocket(out.put, close, fragments=fmt != "json")
    conn = live_connection(socket, room, who, key, fmt, settings)
    hb = settings.ws_heartbeat_seconds
    last_seq = int_or_none(request.query_params.get("last_seq"))
    expires_at = room.expires_at(who)

    async def stream() -> AsyncIterator[str]:
        conn.start()
        conn.offer(welcome(room, who, key, last_seq, hb), full_view=False)
        await hall.attach(room, conn)
        try:
            # The page reconnects by itself (compact.js closes a failed stream): a browser's
            # own retry would come after `retry` ms.
            yield "retry: 2000\n\n"
            while not conn.closed.is_set():
                if time.time() > expires_at:
                    yield event("4401", "gone")  # a stream does not outlive its token
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
            hall.hub.remove(conn)
            await conn.stop()

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        # nginx buffers responses unless told not to: events must go out as they come.
        headers={"X-Accel-Buffering": "no"},
    )
