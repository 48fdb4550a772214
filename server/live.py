"""Live updates: the hub that fans views out to websocket connections.

After each accepted action the game's room renders one document per audience key (a team,
the facilitator, the projector, observers), and each *format* in use for that key encodes
it once (`json` by default; the web layer registers `html` for htmx out-of-band
fragments). The same encoded text then goes to every connection of that key.

Each connection has its own bounded queue and sender task, so one slow client never
holds up the others (ARCHITECTURE: a plain `await send` loop stalls behind one slow
client). Every view message is a full view, so a connection that falls behind loses
nothing by skipping: its queue is emptied and only the newest view is kept (a resync);
one whose single send takes longer than the send timeout is dropped and will reconnect.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import itertools
import json
import logging
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

log = logging.getLogger("compact.live")

encode_json = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
"""`json.dumps` with these arguments builds a new encoder on every call; a view's members
are encoded one by one, a dozen calls per audience and update, so one encoder is kept."""


def encode_member(value: Any) -> str:
    """One member of a view as JSON: the same text as `encode_json`, without a call into
    the encoder for the scalars most members are (a view's head, `None`s, flags), which
    were most of the calls once the view and the chat came already encoded."""
    if value is None:
        return "null"
    kind = type(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return int.__repr__(value)
    if kind is float and math.isfinite(value):
        return float.__repr__(value)
    return encode_json(value)


Renderer = Callable[[dict[str, Any], str, dict[str, Any]], str]
"""fn(document, audience_key, context) -> the text sent to a connection of that format.

`context` carries `game_id`, `seq`, `type` (the document's `type`: view, presence) and
`language` (the readers' language for formats that speak words, else None).
"""


_SERIALS = itertools.count()


class JsonView(str):
    """A view's JSON text that also keeps its members encoded one by one (`parts`) and its
    chat lines' seqs and JSON (`seqs`, `texts`), so that a connection taking changes
    (`JsonFrames`) sends only the members that differ without parsing the text again.
    Built once per audience and update, shared by every connection of that audience;
    `changes` keeps the changes frame from each earlier view (by its `serial`) once made,
    so the connections of an audience that all had the same view share one."""

    parts: dict[str, str]
    seqs: list[int]
    texts: list[str]
    seq: int
    serial: int
    changes: dict[int, str]


def render_json(document: dict[str, Any], audience_key: str, context: dict[str, Any]) -> str:
    chat = document.get("chat")
    encoded_lines = getattr(chat, "encoded_lines", None)
    if encoded_lines is None:
        return encode_json(document)
    # Each member encoded alone (the same bytes as one dumps of the whole), the chat's
    # lines and the rules' view already encoded (server.room.ChatList, SharedView): the
    # text is their join.
    parts = {
        k: v.encoded()
        if hasattr(v, "encoded")  # already encoded once (server.room.SharedView)
        else encode_member(v)
        for k, v in document.items()
        if k != "chat"
    }
    seqs, texts = encoded_lines()
    parts["chat"] = "[" + ",".join(texts) + "]"
    view = JsonView("{" + ",".join(f'"{k}":{v}' for k, v in parts.items()) + "}")
    view.parts, view.seqs, view.texts = parts, seqs, texts
    view.seq = int(document.get("seq") or 0)
    view.serial, view.changes = next(_SERIALS), {}
    return view


_FIXED = frozenset({"type", "game_id", "seq", "chat"})
"""Members a changes frame carries in its own way (the head, the chat's new lines)."""


@dataclass
class JsonFrames:
    """What one JSON connection that takes changes (`?changes=1`) has been sent: after its
    first (whole) view, each view goes out as a `changes` frame with only the members that
    differ from the last one it sent, and the chat as its new lines (docs/websocket.md,
    "Changes only"). Like the html formats' `web.render.LiveFrames`, it compares as a frame
    is *sent*, so a resynced connection is compared with what it really has: the last view
    it was sent is all it needs to remember."""

    last: JsonView | None = None

    def reset(self) -> None:
        self.last = None

    def diff(self, view: JsonView) -> str:
        last, self.last = self.last, view
        if last is None:
            return str(view)
        made = view.changes.get(last.serial)
        if made is None:  # the first connection of the audience to send it makes it
            made = view.changes[last.serial] = changes(last, view)
        return made


def changes(last: JsonView, view: JsonView) -> str:
    """The changes frame that takes a client from `last` to `view`."""
    parts = view.parts
    out = [f'"type":"changes","game_id":{parts.get("game_id")},"seq":{view.seq}']
    out.append(f'"base":{last.seq}')
    before = last.parts
    for k, v in parts.items():
        if k not in _FIXED and before.get(k) != v:
            out.append(f'"{k}":{v}')
    old, new = last.seqs, view.seqs
    if new != old:
        kept = _kept(old, new)
        if kept is None:
            out.append(f'"chat":{parts["chat"]}')
        else:
            added = ",".join(view.texts[kept:])
            out.append(f'"chat_kept":{kept},"chat_added":[{added}]')
    return "{" + ",".join(out) + "}"


def _kept(old: list[int], new: list[int]) -> int | None:
    """How many of the newest `old` lines `new` starts with (the rest of `new` are lines
    added after them; the oldest fell off the history's window); None if the chat changed
    any other way."""
    if not old:
        return 0
    kept = bisect.bisect_right(new, old[-1])  # a chat's seqs only grow
    if kept > len(old) or new[:kept] != old[len(old) - kept :]:
        return None
    return kept


_RENDERERS: dict[str, Renderer] = {"json": render_json}


def register_renderer(format_name: str, fn: Renderer) -> None:
    """Make `?format=<format_name>` available to websocket clients."""
    _RENDERERS[format_name] = fn


def renderer(format_name: str) -> Renderer | None:
    return _RENDERERS.get(format_name)


def formats() -> list[str]:
    return sorted(_RENDERERS)


def spoken(format_name: str, language: str) -> str:
    """The format a connection uses: words are rendered once per (audience, language), so
    every format but JSON is keyed with the reader's language ("html:ar")."""
    return format_name if format_name == "json" else f"{format_name}:{language}"


class Socket(Protocol):
    async def send_text(self, data: str) -> None: ...
    async def close(self, code: int = 1000, reason: str | None = None) -> None: ...


@dataclass(eq=False)
class Connection:
    socket: Socket
    game_id: str
    audience_key: str
    format: str
    player_id: str | None
    queue_size: int = 8
    send_timeout: float = 15.0
    resyncs: int = 0
    closed: asyncio.Event = field(default_factory=asyncio.Event)
    _queue: asyncio.Queue[str] = field(init=False)
    _sender: asyncio.Task[None] | None = field(default=None, init=False)
    _newest_view: str | None = field(default=None, init=False)
    _newest_seq: int = field(default=-1, init=False)

    def __post_init__(self) -> None:
        self._queue = asyncio.Queue(maxsize=self.queue_size)

    def start(self) -> None:
        self._sender = asyncio.create_task(self._send_loop(), name=f"ws-sender-{self.game_id}")

    def offer(self, text: str, *, full_view: bool, seq: int | None = None) -> None:
        """Queue `text` without waiting. A full queue is replaced by the newest full view
        (and then `text`, if it is a reply or presence): a slow client skips to the present
        but never loses the screen it should be showing. Views are encoded off the game's
        lock, so two may finish out of order: a view older than one already offered (by
        `seq`) is dropped."""
        if self.closed.is_set():
            return
        if full_view:
            if seq is not None:
                if seq < self._newest_seq:
                    return
                self._newest_seq = seq
            self._newest_view = text
        try:
            self._queue.put_nowait(text)
        except asyncio.QueueFull:
            self.resyncs += 1
            while not self._queue.empty():
                self._queue.get_nowait()
            if self._newest_view is not None:
                self._queue.put_nowait(self._newest_view)
            if not full_view:
                with contextlib.suppress(asyncio.QueueFull):
                    self._queue.put_nowait(text)

    async def _send_loop(self) -> None:
        try:
            while not self.closed.is_set():
                text = await self._queue.get()
                # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancel that
                # lands as the send completes, leaving this loop waiting forever on the queue
                # (and uvicorn's shutdown waiting for it).
                async with asyncio.timeout(self.send_timeout):
                    await self.socket.send_text(text)
        except asyncio.CancelledError:
            raise
        except TimeoutError:
            log.info("dropping a websocket of game %s: a send took too long", self.game_id)
            with contextlib.suppress(Exception):
                await self.socket.close(1013, "too slow: reconnect")
        except Exception:  # the peer went away; the receive side will notice too
            pass
        finally:
            self.closed.set()

    async def stop(self) -> None:
        self.closed.set()
        if self._sender is not None:
            self._sender.cancel()
            with contextlib.suppress(BaseException):
                await self._sender


PresenceListener = Callable[[str], None]


class Hub:
    """Which connections watch which game, under which audience key and format."""

    def __init__(self) -> None:
        self._games: dict[str, dict[str, set[Connection]]] = {}
        self.on_presence_change: PresenceListener | None = None

    def add(self, conn: Connection) -> None:
        self._games.setdefault(conn.game_id, {}).setdefault(conn.audience_key, set()).add(conn)
        if conn.player_id and self.on_presence_change:
            self.on_presence_change(conn.game_id)

    def remove(self, conn: Connection) -> None:
        keys = self._games.get(conn.game_id, {})
        conns = keys.get(conn.audience_key)
        if conns is not None and conn in conns:
            conns.discard(conn)
            if not conns:
                del keys[conn.audience_key]
            if not keys:
                self._games.pop(conn.game_id, None)
            if conn.player_id and self.on_presence_change:
                self.on_presence_change(conn.game_id)

    def connections(self, game_id: str) -> Iterable[Connection]:
        for conns in self._games.get(game_id, {}).values():
            yield from conns

    def connections_all(self) -> list[Connection]:
        return [c for keys in self._games.values() for conns in keys.values() for c in conns]

    def count(self) -> int:
        return sum(len(c) for keys in self._games.values() for c in keys.values())

    def wanted(self, game_id: str) -> dict[str, set[str]]:
        """Audience key → formats in use: what a commit must render for this game."""
        return {
            key: {c.format for c in conns} for key, conns in self._games.get(game_id, {}).items()
        }

    def online(self, game_id: str) -> dict[str, int]:
        """Player id → open connections (tabs)."""
        counts: dict[str, int] = {}
        for conn in self.connections(game_id):
            if conn.player_id:
                counts[conn.player_id] = counts.get(conn.player_id, 0) + 1
        return counts

    def publish(
        self,
        game_id: str,
        encoded: dict[tuple[str, str], str],
        *,
        full_view: bool = True,
        seq: int | None = None,
    ) -> None:
        """Queue already-encoded texts, keyed by (audience key, format), to every connection."""
        for key, conns in list(self._games.get(game_id, {}).items()):
            for conn in list(conns):
                text = encoded.get((key, conn.format))
                if text is not None:
                    conn.offer(text, full_view=full_view, seq=seq)


def encode(
    documents: dict[str, dict[str, Any]], wanted: dict[str, set[str]], context: dict[str, Any]
) -> dict[tuple[str, str], str]:
    """Each document once per format in use: the only place views become bytes."""
    out: dict[tuple[str, str], str] = {}
    for key, fmts in wanted.items():
        doc = documents.get(key)
        if doc is None:
            continue
        for fmt in fmts:
            # A format that speaks words carries its language: "html:fr" (see `spoken`).
            name, _sep, language = fmt.partition(":")
            fn = _RENDERERS.get(name)
            if fn is None:
                continue
            try:
                ctx = {**context, "type": doc.get("type", "view"), "language": language or None}
                out[(key, fmt)] = fn(doc, key, ctx)
            except Exception:
                # The action is already in the log: a screen that fails to draw must not
                # make it look refused. Those tabs resync on their next view.
                log.exception("the %s renderer failed for %s", fmt, key)
    return out
