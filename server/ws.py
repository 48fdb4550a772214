"""The websocket: one per browser tab. See docs/websocket.md for the protocol.

Authentication: `?token=…`, the seat or facilitator cookie, an `Authorization` header, or
a first message `{"type": "hello", "token": …}`. On every (re)connect the client gets its
full current view; after that, one view per accepted action, tagged with its seq.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, WebSocket
from pydantic import ValidationError
from starlette.requests import HTTPConnection
from starlette.websockets import WebSocketDisconnect

from game_rules.errors import RuleError
from server import commands
from server.deps import client_id, facilitator_cookie, projector_cookie, seat_cookie
from server.errors import ApiError
from server.live import Connection, JsonFrames, JsonView, formats, renderer, spoken
from server.room import GameRoom, Principal
from server.rooms import GameHall
from server.schemas import ChatIn
from server.security import websocket_origin_ok
from web.i18n import language
from web.render import LiveFrames, parse_frame

router = APIRouter()

HELLO_TIMEOUT = 10.0

# Close codes: 4400 bad request, 4401 no or bad token, 4403 not allowed, 4404 no such game.
CLOSE_FOR_STATUS = {400: 4400, 401: 4401, 403: 4403, 404: 4404, 422: 4400}


class FrameSocket:
    """What a connection sends through: for the html formats, each view becomes only the
    sections this connection has not got yet (web.render.LiveFrames); for JSON with
    `changes`, only the members that changed (server.live.JsonFrames); the rest as it is."""

    def __init__(
        self,
        send: Callable[[str], Awaitable[None]],
        close: Callable[[int, str | None], Awaitable[None]],
        *,
        fragments: bool,
        changes: bool = False,
    ) -> None:
        self._send, self._close = send, close
        self.frames = LiveFrames() if fragments else None
        self.json_frames = JsonFrames() if changes and not fragments else None

    def reset(self) -> bool:
        """Forget what was sent (a resync): the next view goes whole. False if every view
        goes whole anyway."""
        if self.frames is not None:
            self.frames.reset()
        elif self.json_frames is not None:
            self.json_frames.reset()
        else:
            return False
        return True

    async def send_text(self, data: str) -> None:
        if self.frames is not None:
            frame = parse_frame(data)
            if frame is not None:
                small = self.frames.diff(frame)
                if small is None:
                    return  # nothing on this screen changed
                data = small
        elif self.json_frames is not None and isinstance(data, JsonView):
            data = self.json_frames.diff(data)
        await self._send(data)

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        await self._close(code, reason)


def token_from_handshake(ws: HTTPConnection, game_id: str) -> str | None:
    token = ws.query_params.get("token")
    if token:
        return token
    auth = ws.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return (
        ws.cookies.get(seat_cookie(game_id))
        or ws.cookies.get(facilitator_cookie(game_id))
        or ws.cookies.get(projector_cookie(game_id))
    )


def live_connection(
    socket: FrameSocket, room: GameRoom, who: Principal, key: str, fmt: str, settings: Any
) -> Connection:
    """The hub's connection of one websocket or event stream of `who` watching `key`."""
    return Connection(
        socket,
        room.id,
        key,
        spoken(fmt, language()),
        who.seat.id if who.seat else None,
        queue_size=settings.ws_queue_size,
        send_timeout=settings.ws_send_timeout,
    )


def audience_key(room: GameRoom, who: Principal, wanted: str | None) -> str:
    """The screen a connection watches: its own, or, for the facilitator, any screen
    read-only (`?audience=projector` or `team:<id>`)."""
    if who.role != "facilitator" or not wanted:
        return who.audience_key
    team = wanted.removeprefix("team:")
    if wanted == "projector" or (wanted.startswith("team:") and team in room.state.teams):
        return wanted
    raise ApiError(404, "not_found", f"no audience {wanted!r} in this game")


async def _refuse(ws: WebSocket, status: int, code: str, message: str) -> None:
    with contextlib.suppress(Exception):
        await ws.send_text(json.dumps({"type": "error", "error": code, "message": message}))
        await ws.close(CLOSE_FOR_STATUS.get(status, 4400), message[:120])


@router.websocket("/ws/games/{game_id}")
async def game_socket(ws: WebSocket, game_id: str) -> None:
    hall: GameHall = ws.app.state.hall
    limit: int = ws.app.state.settings.ws_max_message_bytes
    await ws.accept()
    if not websocket_origin_ok(ws.headers, ws.url.scheme, ws.app.state.trusted_origins):
        await _refuse(ws, 403, "cross_site", "this page is of another site: refused")
        return
    fmt = ws.query_params.get("format", "json")
    if renderer(fmt) is None:
        await _refuse(ws, 400, "bad_format", f"unknown format {fmt!r} ({', '.join(formats())})")
        return
    try:
        room = await hall.room(game_id)
    except ApiError as exc:
        await _refuse(ws, exc.status, exc.code, exc.message)
        return
    token = token_from_handshake(ws, game_id)
    if token is None:
        try:
            first = json.loads(await asyncio.wait_for(ws.receive_text(), HELLO_TIMEOUT))
            token = first.get("token") if isinstance(first, dict) else None
        except (TimeoutError, ValueError, KeyError, WebSocketDisconnect):
            token = None
    try:
        who = room.authenticate(token)
    except ApiError as exc:
        await _refuse(ws, exc.status, exc.code, exc.message)
        return
    try:
        key = audience_key(room, who, ws.query_params.get("audience"))
    except ApiError as exc:
        await _refuse(ws, exc.status, exc.code, exc.message)
        return
    settings = ws.app.state.settings
    socket = FrameSocket(ws.send_text, ws.close, fragments=fmt != "json", changes=wants_changes(ws))
    conn = live_connection(socket, room, who, key, fmt, settings)
    conn.start()
    last_seq = int_or_none(ws.query_params.get("last_seq"))
    conn.offer(welcome(room, who, key, last_seq, settings.ws_heartbeat_seconds), full_view=False)
    await hall.attach(room, conn)
    expiry = asyncio.create_task(_close_at_expiry(ws, conn, room.expires_at(who)))
    try:
        await _receive(ws, hall, room, who, conn, socket, limit)
    finally:
        expiry.cancel()
        hall.hub.remove(conn)
        await conn.stop()


async def _close_at_expiry(ws: WebSocket, conn: Connection, expires_at: float) -> None:
    """An open socket does not outlive its token: at expiry it is closed like a socket
    that came with an expired token (4401)."""
    await asyncio.sleep(max(0.0, expires_at - time.time()))
    with contextlib.suppress(Exception):
        await ws.send_text(
            json.dumps({"type": "error", "error": "unauthorised", "message": "the token expired"})
        )
        await ws.close(4401, "the token expired")
    conn.closed.set()


def welcome(
    room: GameRoom,
    who: Principal,
    key: str,
    last_seq: int | None,
    hb: float,
    extra: dict[str, Any] | None = None,
) -> str:
    """The first message of every live connection (websocket or events)."""
    return json.dumps(
        {
            "type": "welcome",
            "game_id": room.id,
            "role": who.role,
            "audience": key,
            "player": who.seat.public() if who.seat else None,
            "last_seq": last_seq,
            "seq": room.seq,
            "heartbeat": hb,
            **(extra or {}),
        }
    )


def wants_changes(conn: HTTPConnection) -> bool:
    """`?changes=1`: a JSON client that takes `changes` frames after its first view."""
    return conn.query_params.get("changes", "") in ("1", "true")


def int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


async def _receive(
    ws: WebSocket,
    hall: GameHall,
    room: GameRoom,
    who: Principal,
    conn: Connection,
    socket: FrameSocket,
    limit: int,
) -> None:
    # A client that pings is held to it: silent for three heartbeats, it is taken for gone
    # (a phone that roamed, a frozen NAT) and closed, so the console's presence follows.
    # One that never pinged (a script, a bot) may stay quiet.
    silence = 3 * ws.app.state.settings.ws_heartbeat_seconds
    pinged = False
    while not conn.closed.is_set():
        try:
            async with asyncio.timeout(silence if pinged else None):
                message = await ws.receive()
        except TimeoutError:
            with contextlib.suppress(Exception):
                await ws.close(4408, "no heartbeat")
            return
        if message["type"] == "websocket.disconnect":
            return
        raw = message.get("text")
        if raw is None:
            data = message.get("bytes") or b""
            raw = data.decode("utf-8", "replace")
        if len(raw.encode()) > limit:
            with contextlib.suppress(Exception):
                await ws.close(1009, f"messages are limited to {limit} bytes")
            return
        kind = _type_of(raw)
        pinged = pinged or kind == "ping"
        if kind == "resync" and socket.reset():
            # The client saw a gap in the frames' seqs: start again from the whole screen.
            await hall.attach(room, conn)
            continue
        reply = await _answer(hall, room, who, raw)
        if reply is not None:
            conn.offer(json.dumps(reply), full_view=False)


def _type_of(raw: str) -> object:
    with contextlib.suppress(ValueError):
        msg = json.loads(raw)
        if isinstance(msg, dict):
            return msg.get("type")
    return None


async def _answer(
    hall: GameHall, room: GameRoom, who: Principal, raw: str
) -> dict[str, Any] | None:
    try:
        msg = json.loads(raw)
    except ValueError:
        return {"type": "error", "error": "malformed", "message": "send JSON objects"}
    if not isinstance(msg, dict):
        return {"type": "error", "error": "malformed", "message": "send JSON objects"}
    # htmx's ws-send adds its request headers under HEADERS (or headers): not ours.
    msg.pop("HEADERS", None)
    msg.pop("headers", None)
    request_id = msg.pop("request_id", None)
    kind = msg.pop("type", None)
    if kind is None and "kind" in msg:
        kind, msg = "action", {"action": msg}
    base: dict[str, Any] = {"request_id": request_id}
    try:
        if kind == "ping":
            return {"type": "pong", "seq": room.seq, **base}
        if kind == "hello":
            return None
        if kind == "action":
            cid = client_id(msg.get("client_id"))
            action = commands.strict_action(json.dumps(msg.get("action")))
            outcome = await commands.act(hall, room, who, action, client_id=cid)
        elif kind == "chat":
            if who.seat is None:
                raise ApiError(403, "forbidden", "only a participant with a seat can chat")
            cid = client_id(msg.pop("client_id", None))
            body = ChatIn.model_validate(msg)
            outcome = await commands.chat(
                hall,
                room,
                who,
                channel=body.channel,
                text=body.text,
                to_team=body.to_team,
                client_id=cid,
            )
        else:
            return {
                "type": "error",
                "error": "unknown_type",
                "message": f"unknown {kind!r}",
                **base,
            }
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(p) for p in e['loc']) or 'message'}: {e['msg']}" for e in exc.errors()
        ]
        return {"type": "error", "error": "invalid", "message": "; ".join(problems), **base}
    except (RuleError, ApiError) as exc:
        code = exc.code
        return {
            "type": "error",
            "error": code,
            "message": exc.message,
            "status": exc.status,
            **base,
        }
    reply = {"type": "result", "ok": True, "seq": outcome.seq, **base}
    if outcome.entry.kind == "repeat":
        reply["repeated"] = True  # this client_id was done before: nothing done again
    return reply
