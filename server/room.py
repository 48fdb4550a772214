"""One game in memory, and the fold: how each entry of the log changes it.

A room holds the rules engine's state and what the server keeps beside it (seats, chat,
bots, the phase timer). Nothing changes a room but `fold(room, entry)`: live, after a
command's check has accepted an entry, and on load, over the log after a snapshot. So a
game rebuilt from the database is the game that was played.

Kinds of entry: the rules engine's actions (`ENGINE_KINDS`), and the server's own:
`join`, `team_change`, `player_removed`, `admission`, `chat`, `announcement`, `timer`,
`bot_seat`, `bot_pace`, `replay` (`create` is the snapshot at seq 0).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import secrets
import time
import typing
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from game_rules import GameState, Record, perform
from game_rules.actions import Action, Actor, parse_action
from game_rules.bots import Bot, public_rules, strategy
from game_rules.errors import RuleError
from game_rules.state import ROUND_PHASES, Phase
from game_rules.views import (
    Audience,
    bots_seen,
    debrief,
    may_read_chat,
    sees_join_code,
    view,
)
from server.errors import Conflict, forbidden, unauthorised

ENGINE_KINDS: frozenset[str] = frozenset(
    typing.get_args(m.model_fields["kind"].annotation)[0]
    for m in typing.get_args(typing.get_args(Action)[0])
)
"""Kinds of log entry the rules engine performs; the rest are the server's."""

IN_THREAD_KINDS = frozenset(("start_game", "advance_phase", "set_ready", "implement"))
IN_THREAD_KINDS |= {"inject_event", "reveal_scores", "reveal_truth", "end_game"}
"""Entries folded in a worker thread: those that can end a phase or resolve a round (and
rebuild every screen), which on the event loop would stall every game's sockets. The
rest (chat, offers, seats, timers) fold on the loop: a hop cost more than their fold."""


@contextlib.contextmanager
def raced(room: GameRoom, seen_seq: int | None) -> Iterator[None]:
    """A refusal of an action built on a game that moved on while it waited says so."""
    try:
        yield
    except RuleError as exc:
        if seen_seq is not None and seen_seq != room.seq:
            raise Conflict(
                f"{exc.message} (the game changed while your action waited: reload and try again)"
            ) from exc
        raise


BOT_PREFIX = "bot:"
"""A bot's entries carry `player_id` "bot:<strategy>"."""


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass
class Seat:
    id: str
    name: str
    team: str | None
    token_hash: str
    removed: bool = False
    joined_at: float = 0.0
    """UNIX time: a seat's token lives `token_ttl_hours` from its joining."""

    @property
    def audience_key(self) -> str:
        return f"team:{self.team}" if self.team else "observer"

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "team": self.team}


@dataclass
class ChatLine:
    seq: int
    channel: str
    team: str | None
    to_team: str | None
    author: str
    text: str
    at: float
    player_id: str | None = None
    record: dict[str, Any] | None = None
    """the server's own announcement as data (`bot_handed_back`, …): the web layer says
    it in the reader's language (`web/words.py`); `text` is its English for API clients."""
    _public: dict[str, Any] | None = field(default=None, init=False, repr=False, compare=False)
    _json: str | None = field(default=None, init=False, repr=False, compare=False)

    def row(self) -> list[Any]:
        """The line in a snapshot: its fields in order (a record only where there is one)."""
        row = [self.seq, self.channel, self.team, self.to_team, self.author, self.text, self.at]
        return [*row, self.player_id, *([self.record] if self.record is not None else [])]

    def public(self) -> dict[str, Any]:
        """The line as every view shows it: built once and shared by every document (a
        line never changes; readers copy, never mutate, it)."""
        if self._public is None:
            self._public = self._build_public()
        return self._public

    def encoded(self) -> str:
        """`public()` as JSON, encoded once: views are JSON text, and re-encoding the same
        history for every audience at every action was most of an action's cost."""
        if self._json is None:
            self._json = json.dumps(self.public(), separators=(",", ":"), ensure_ascii=False)
        return self._json

    def _build_public(self) -> dict[str, Any]:
        line = {
            "seq": self.seq,
            "channel": self.channel,
            "team": self.team,
            "to_team": self.to_team,
            "author": self.author,
            "player_id": self.player_id,
            "text": self.text,
            "at": self.at,
        }
        if self.record is not None:
            line["record"] = self.record
        return line


class SharedView(dict[str, Any]):
    """An audience's view of the rules state (`game_rules.views.view`), kept while the
    state does not change (`GameRoom.document`) and its JSON encoded once: a chat line, a
    join or a timer change left the state as it was, and rebuilding and re-encoding the
    same view for every audience at every such action was most of what was left of an
    action's cost. Shared by every document of the audience: readers copy, never mutate."""

    _json: str | None = None

    def encoded(self) -> str:
        if self._json is None:
            self._json = json.dumps(self, separators=(",", ":"), ensure_ascii=False)
        return self._json


@dataclass(frozen=True)
class ChatWindow:
    """The newest `chat_history` lines one audience may read, with each line's dict, seq
    and JSON beside it. Kept per audience key and extended by the lines added since
    (`GameRoom._chat_window`): walking and re-listing the whole history for every
    audience at every action grew with the chat. Its lists are never changed in place:
    a view made from an earlier window still holds that window's lists."""

    newest: int
    """the seq of the room's newest chat line when it was made (-1: none)"""
    lines: list[ChatLine]
    publics: list[dict[str, Any]]
    seqs: list[int]
    texts: list[str]

    @staticmethod
    def of(lines: list[ChatLine], newest: int = -1) -> ChatWindow:
        return ChatWindow(
            newest,
            lines,
            [c.public() for c in lines],
            [c.seq for c in lines],
            [c.encoded() for c in lines],
        )

    def extended(self, fresh: list[ChatLine], newest: int, most: int) -> ChatWindow:
        """This window with the `fresh` lines after it, the oldest cut to keep `most`."""
        add = ChatWindow.of(fresh)
        cut = max(0, len(self.lines) + len(fresh) - most)
        return ChatWindow(
            newest,
            (self.lines + add.lines)[cut:],
            (self.publics + add.publics)[cut:],
            (self.seqs + add.seqs)[cut:],
            (self.texts + add.texts)[cut:],
        )


class ChatList(list[dict[str, Any]]):
    """A view's chat: the lines' dicts, and their JSON already encoded, which
    `server.live.render_json` splices in instead of encoding them again."""

    def __init__(self, lines: list[ChatLine] | ChatWindow) -> None:
        window = lines if isinstance(lines, ChatWindow) else ChatWindow.of(lines)
        super().__init__(window.publics)
        self.window = window

    def encoded(self) -> str:
        return "[" + ",".join(self.window.texts) + "]"

    def encoded_lines(self) -> tuple[list[int], list[str]]:
        """The lines' seqs and their JSON: what a connection taking changes compares."""
        return self.window.seqs, self.window.texts


@dataclass
class BotSeat:
    """A team played by a bot. Only `team` and `strategy` come from the log; the rest is
    the driver's (server.bots) sense of the current phase, lost on restart on purpose."""

    team: str
    strategy: str
    bot: Bot
    phase: tuple[int, str] = (0, "")
    turns: int = 0
    quiet: int = 0
    next_move: float = 0.0
    refused: int = 0
    said: list[str] = field(default_factory=list)


@dataclass
class Principal:
    """Who is calling: the facilitator, the projector, or a seated player."""

    role: str  # facilitator | projector | player
    game_id: str
    seat: Seat | None = None

    @property
    def audience_key(self) -> str:
        if self.seat is not None:
            return self.seat.audience_key
        return self.role

    def actor(self) -> Actor:
        if self.role == "facilitator":
            return Actor.facilitator()
        if self.seat is None or self.role != "player":
            raise forbidden("the projector only watches")
        if self.seat.team is None:
            raise forbidden("choose a team first")
        return Actor.of_team(self.seat.team)


def audience_of(key: str) -> Audience:
    if key.startswith("team:"):
        return Audience.of_team(key[5:])
    if key == "facilitator":
        return Audience.facilitator()
    if key == "projector":
        return Audience.projector()
    return Audience(kind="observer")


@dataclass
class LogEntry:
    """One entry of the log, as `fold` applies it. `seq` and `at` (UNIX time) are set
    when the entry is committed; a command's check leaves them at 0."""

    kind: str
    actor_role: str
    payload: dict[str, Any]
    actor_team: str | None = None
    player_id: str | None = None
    seq: int = 0
    at: float = 0.0
    client_id: str | None = None
    """the id the sender chose (its idempotency key): a retry with it is not done twice"""


@dataclass
class Outcome:
    """A committed entry and what folding it did (the engine's records)."""

    seq: int
    entry: LogEntry
    notices: list[Record] = field(default_factory=list)


class GameRoom:
    def __init__(
        self,
        *,
        game_id: str,
        join_code: str,
        title: str,
        facilitator_hash: str,
        projector_hash: str,
        tokens_expire_at: float,
        token_ttl_hours: float,
        timers: dict[str, float],
        state: GameState,
        chat_history: int,
        bot_pace: float,
    ) -> None:
        self.id = game_id
        self.join_code = join_code
        self.title = title
        self.facilitator_hash = facilitator_hash
        self.projector_hash = projector_hash
        self.tokens_expire_at = tokens_expire_at
        self.token_ttl_hours = token_ttl_hours
        self.timers = timers
        """seconds per phase, chosen at creation"""
        self.state = state
        self.seq = 0
        self.seats: dict[str, Seat] = {}
        self.by_token: dict[str, Seat] = {}
        self.chat_history = chat_history
        self.chat: deque[ChatLine] = deque(maxlen=chat_history * 4)
        self.bots: dict[str, BotSeat] = {}
        self.bot_pace = bot_pace
        self.admission = "open"
        """"open": a newcomer chooses a team in the lobby; "approval": every new seat waits
        for the facilitator to place it. A removal sets it: a removed person who comes back
        from a private window is a new seat the facilitator sees waiting."""
        self.deadline: float | None = None
        """UNIX time the current phase ends; None: no timer running"""
        self.paused_remaining: float | None = None
        """seconds left on the timer while the game is paused"""
        self.replay_round: int | None = None
        """the round the facilitator replays on the projector (0: the start); None: live"""
        self.client_ids: dict[str, dict[str, int]] = {}
        """sender (seat id, or "facilitator") -> its last client ids -> the seq they made"""
        # Kept by the hall, not folded:
        self.lock: Any = None
        self.broken = False
        self.timer_task: Any = None
        self.moved: Any = None
        self.debrief_report: dict[str, dict[str, float]] | None = None
        """after the end: the no-agreement replay's report, computed once off the lock"""
        self.known_seq = 0
        """the newest seq another instance announced for this game (server.notify)"""
        self.used_at = 0.0
        """monotonic time of the last request for this room (the memory cap unloads idle ones)"""
        self.left_report: dict[str, Any] | None = None
        """after the end: left on the table (`game_rules.frontier.report`), computed once
        in the hall's analysis pool after the replay"""
        self._docs: dict[str, tuple[int, dict[str, Any]]] = {}
        self._chat_windows: dict[str, ChatWindow] = {}
        self._views: dict[str, tuple[GameState, int, SharedView]] = {}
        """audience key -> (the state, its version, the view of it): see SharedView"""

    # --- who is calling ---------------------------------------------------------------

    def authenticate(self, token: str | None, *, now: float | None = None) -> Principal:
        if not token:
            raise unauthorised()
        h = token_hash(token)
        principal: Principal | None = None
        if hmac.compare_digest(h, self.facilitator_hash):
            principal = Principal("facilitator", self.id)
        elif hmac.compare_digest(h, self.projector_hash):
            principal = Principal("projector", self.id)
        else:
            seat = self.by_token.get(h)
            if seat is not None and hmac.compare_digest(seat.token_hash, h):
                if seat.removed:
                    raise forbidden("the facilitator removed this seat from the game")
                principal = Principal("player", self.id, seat)
        if principal is None:
            raise unauthorised("this token does not belong to this game")
        if (now or time.time()) > self.expires_at(principal):
            raise unauthorised("this token has expired")
        return principal

    def expires_at(self, who: Principal) -> float:
        """When `who`'s token stops working: the game's tokens at the game's expiry, a
        seat's a full lifetime after it joined (a latecomer's token is never born dead)."""
        if who.seat is None:
            return self.tokens_expire_at
        own = who.seat.joined_at + self.token_ttl_hours * 3600
        return max(self.tokens_expire_at, own)

    def active_seats(self) -> list[Seat]:
        return [s for s in self.seats.values() if not s.removed]

    # --- what each audience sees ------------------------------------------------------

    def timer(self, now: float | None = None) -> dict[str, Any]:
        now = now or time.time()
        remaining = (
            max(0.0, self.deadline - now) if self.deadline is not None else self.paused_remaining
        )
        return {
            "deadline": self.deadline,
            "remaining": None if remaining is None else round(remaining, 1),
            "running": self.deadline is not None,
            "server_time": now,
        }

    def _chat_window(self, key: str, audience: Audience) -> ChatWindow:
        """The newest `chat_history` lines this audience may read: its last window and the
        lines it may read among those added since, found from the end (the history holds
        four times as many lines, and lines only ever join it at the end)."""
        newest = self.chat[-1].seq if self.chat else -1
        window = self._chat_windows.get(key)
        if window is not None and window.newest == newest:
            return window
        since = window.newest if window is not None else -2
        fresh: list[ChatLine] = []
        for c in reversed(self.chat):
            if c.seq <= since:
                break
            if may_read_chat(audience, c.channel, c.team, c.to_team):
                fresh.append(c)
                if len(fresh) >= self.chat_history:
                    break
        fresh.reverse()
        if window is None or len(fresh) >= self.chat_history:
            window = ChatWindow.of(fresh, newest)
        else:
            window = window.extended(fresh, newest, self.chat_history)
        self._chat_windows[key] = window
        return window

    def document(self, key: str, online: dict[str, int] | None = None) -> dict[str, Any]:
        """The whole screen of one audience at the current seq, built once per key."""
        cached = self._docs.get(key)
        if cached is not None and cached[0] == self.seq and key != "facilitator":
            # The timer runs on between actions: a tab that attaches later gets it fresh.
            return {**cached[1], "timer": self.timer()}
        players = [s.public() for s in self.active_seats()]
        if key == "facilitator":
            online = online or {}
            for p in players:
                p["online"] = online.get(p["id"], 0)
        audience = audience_of(key)
        chat = ChatList(self._chat_window(key, audience))
        doc = {
            "type": "view",
            "game_id": self.id,
            "seq": self.seq,
            "audience": key,
            "title": self.title,
            "join_code": self.join_code if sees_join_code(audience) else None,
            "timer": self.timer(),
            "players": players,
            "bots": bots_seen(self.state, audience, {t: b.strategy for t, b in self.bots.items()}),
            "bot_pace": self.bot_pace,
            "admission": self.admission,
            "chat": chat,
            "view": self._view(key, audience),
            "debrief": self.debrief(audience),
            "replay": self.replay_round,
        }
        self._docs[key] = (self.seq, doc)
        return doc

    def _view(self, key: str, audience: Audience) -> SharedView:
        """The audience's view of the rules state, rebuilt only when the state changed: the
        engine bumps `version` on every action it performs, and a rebuilt room (a reload,
        a rewind) holds another state object."""
        kept = self._views.get(key)
        state = self.state
        if kept is not None and kept[0] is state and kept[1] == state.version:
            return kept[2]
        shown = SharedView(view(state, audience))
        self._views[key] = (state, state.version, shown)
        return shown

    def debrief(self, audience: Audience) -> dict[str, Any] | None:
        """After the end, what `audience` may see of the debrief (GAME.md §7; the policy is
        `game_rules.views.debrief`'s), once the hall has replayed the game without
        agreements (None until then)."""
        if self.state.phase is not Phase.ended or self.debrief_report is None:
            return None
        return debrief(self.state, audience, self.debrief_report, self.left_report)

    def set_debrief(self, report: dict[str, dict[str, float]]) -> None:
        self.debrief_report = {t: {k: round(v, 1) for k, v in r.items()} for t, r in report.items()}
        self._docs.clear()  # every screen's document gains it

    def set_left(self, report: dict[str, Any]) -> None:
        self.left_report = report
        self._docs.clear()

    def presence_document(self, online: dict[str, int]) -> dict[str, Any]:
        by_team: dict[str, list[dict[str, Any]]] = {}
        for s in self.active_seats():
            by_team.setdefault(s.team or "", []).append(
                {"id": s.id, "name": s.name, "online": online.get(s.id, 0)}
            )
        return {"type": "presence", "game_id": self.id, "seq": self.seq, "teams": by_team}

    def done_by(self, sender: str, client_id: str) -> int | None:
        """The seq a sender's earlier entry with this client id made, if any."""
        return self.client_ids.get(sender, {}).get(client_id)

    def _remember(self, entry: LogEntry) -> None:
        if entry.client_id is None:
            return
        ids = self.client_ids.setdefault(entry.player_id or entry.actor_role, {})
        ids[entry.client_id] = entry.seq
        while len(ids) > CLIENT_IDS_KEPT:
            del ids[next(iter(ids))]

    # --- the part of a snapshot that is not the rules state -----------------------------

    def snapshot(self) -> str:
        """Seats, chat, bots and timer at the current seq, as JSON (beside the state's)."""
        return json.dumps(
            {
                "seats": [
                    [s.id, s.name, s.team, s.token_hash, s.removed, s.joined_at]
                    for s in self.seats.values()
                ],
                "chat": [c.row() for c in self.chat],
                "bots": {t: b.strategy for t, b in self.bots.items()},
                "bot_pace": self.bot_pace,
                "admission": self.admission,
                "deadline": self.deadline,
                "paused_remaining": self.paused_remaining,
                "replay_round": self.replay_round,
                "client_ids": self.client_ids,
            },
            separators=(",", ":"),
        )

    def restore(self, text: str) -> None:
        data = json.loads(text)
        for row in data["seats"]:
            self._add_seat(Seat(*row))
        self.chat.extend(ChatLine(*row) for row in data["chat"])
        for team, name in data["bots"].items():
            self.bots[team] = _bot_seat(self, team, name)
        self.bot_pace = data["bot_pace"]
        self.admission = data.get("admission", "open")  # snapshots from before it: open
        self.deadline = data["deadline"]
        self.paused_remaining = data["paused_remaining"]
        self.replay_round = data.get("replay_round")  # absent in snapshots before replays
        self.client_ids = data.get("client_ids", {})  # none in snapshots before them

    def _add_seat(self, seat: Seat) -> None:
        self.seats[seat.id] = seat
        self.by_token[seat.token_hash] = seat


CLIENT_IDS_KEPT = 100
"""Client ids remembered per sender: a page retries only what it queued while offline."""

Check = Callable[[GameRoom, float], LogEntry]
"""A command's rules: given the room and the time, the entry to commit, or an ApiError /
RuleError. It changes nothing: folding the entry does."""


# --- the fold ---------------------------------------------------------------------------


def fold(room: GameRoom, entry: LogEntry) -> list[Record]:
    """Apply one log entry to the room: the only way a room changes. An engine action the
    rules refuse raises RuleError and changes nothing."""
    if entry.kind in ENGINE_KINDS:
        state = room.state
        before = (state.phase, state.round, state.paused)
        actor = Actor.model_validate({"role": entry.actor_role, "team": entry.actor_team})
        notices = perform(state, actor, parse_action(entry.payload))
        _follow_phase(room, before, entry.at)
    else:
        _FOLDS[entry.kind](room, entry)
        notices = []
    room.seq = entry.seq
    room._remember(entry)
    return notices


def _fold_join(room: GameRoom, entry: LogEntry) -> None:
    p = entry.payload
    assert entry.player_id is not None
    room._add_seat(Seat(entry.player_id, p["name"], p["team"], p["token_hash"], joined_at=entry.at))


def _fold_team_change(room: GameRoom, entry: LogEntry) -> None:
    room.seats[entry.payload["player_id"]].team = entry.payload["to"]


def _fold_player_removed(room: GameRoom, entry: LogEntry) -> None:
    room.seats[entry.payload["player_id"]].removed = True
    # Nothing binds a person to a browser: the door closes behind whoever was removed.
    room.admission = "approval"


def _fold_admission(room: GameRoom, entry: LogEntry) -> None:
    room.admission = entry.payload["mode"]


def _fold_chat(room: GameRoom, entry: LogEntry) -> None:
    p = entry.payload
    if entry.actor_role == "bot":
        author = f"{room.state.scenario.team(entry.actor_team or '').name} (bot)"
        player_id = None
    else:
        author = room.seats[entry.player_id or ""].name
        player_id = entry.player_id
    room.chat.append(
        ChatLine(
            seq=entry.seq,
            channel=p["channel"],
            team=entry.actor_team,
            to_team=p["to_team"],
            author=author,
            text=p["text"],
            at=entry.at,
            player_id=player_id,
        )
    )


def _fold_announcement(room: GameRoom, entry: LogEntry) -> None:
    text, record = entry.payload["text"], entry.payload.get("record")
    room.chat.append(
        ChatLine(entry.seq, "announcement", None, None, "Facilitator", text, entry.at, None, record)
    )


def _fold_timer(room: GameRoom, entry: LogEntry) -> None:
    room.deadline = entry.payload["deadline"]
    room.paused_remaining = entry.payload["paused_remaining"]


def _fold_bot_seat(room: GameRoom, entry: LogEntry) -> None:
    team, name = entry.payload["team"], entry.payload.get("strategy")
    if name is None:
        room.bots.pop(team, None)
    else:
        room.bots[team] = _bot_seat(room, team, name)


def _fold_bot_pace(room: GameRoom, entry: LogEntry) -> None:
    room.bot_pace = float(entry.payload["seconds"])


def _fold_replay(room: GameRoom, entry: LogEntry) -> None:
    room.replay_round = entry.payload["round"]


_FOLDS: dict[str, Callable[[GameRoom, LogEntry], None]] = {
    "join": _fold_join,
    "team_change": _fold_team_change,
    "player_removed": _fold_player_removed,
    "admission": _fold_admission,
    "chat": _fold_chat,
    "announcement": _fold_announcement,
    "timer": _fold_timer,
    "bot_seat": _fold_bot_seat,
    "bot_pace": _fold_bot_pace,
    "replay": _fold_replay,
}


def _bot_seat(room: GameRoom, team: str, strategy_name: str) -> BotSeat:
    scenario = room.state.scenario
    bot = Bot(team, public_rules(scenario), strategy(strategy_name), room.state.seed)
    return BotSeat(team, strategy_name, bot)


def _follow_phase(room: GameRoom, before: tuple[Phase, int, bool], now: float) -> None:
    """Deadlines follow the phase: a new phase gets its timer, a pause freezes it."""
    state = room.state
    phase_changed = (state.phase, state.round) != before[:2]
    if phase_changed:
        seconds = room.timers.get(state.phase.value) if state.phase in ROUND_PHASES else None
        if seconds:
            if state.paused:
                room.deadline, room.paused_remaining = None, float(seconds)
            else:
                room.deadline, room.paused_remaining = now + seconds, None
        else:
            room.deadline, room.paused_remaining = None, None
    elif state.paused != before[2]:
        if state.paused and room.deadline is not None:
            room.paused_remaining = max(0.0, room.deadline - now)
            room.deadline = None
        elif not state.paused and room.paused_remaining is not None:
            room.deadline = now + room.paused_remaining
            room.paused_remaining = None
    if state.phase is Phase.ended:
        room.deadline, room.paused_remaining = None, None
