"""Games in play: each one a room that holds its state, seats and chat in memory and
appends every accepted action to the log.

The write path, for every kind of action (engine actions and the server's own: join,
team change, chat, announcement, timer, player removed):

1. take the game's asyncio lock (one writer per game, never a global one);
2. in a worker thread, so a slow game leaves the event loop free for the others:
   verify and apply the action to the in-memory game; append it to the log with the next
   seq, in the same transaction as its effects (seats, chat, deadlines, a snapshot);
   render one document per audience key that has connections and encode it per format;
3. queue the encoded views to the connections, still under the lock, so views leave in
   seq order.

If the transaction fails after the in-memory game changed, the room is marked broken and
rebuilt from the database (snapshot + fold of the log) before its next action: memory
never gets ahead of what was acknowledged.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import secrets
import time
import typing
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col, select

from game_rules import GameState, Record, Scenario, new_game, perform
from game_rules.actions import Action, Actor, AdvancePhase, parse_action
from game_rules.analytics import batna_report
from game_rules.errors import RuleError
from game_rules.state import ROUND_PHASES, Phase
from game_rules.views import Audience, view
from server.errors import ApiError, Conflict, forbidden, not_found, unauthorised
from server.live import Connection, Hub, encode
from server.models import ActionRecord, ChatMessage, Game, Player, Snapshot
from server.settings import Settings

log = logging.getLogger("compact.rooms")

ENGINE_KINDS: frozenset[str] = frozenset(
    typing.get_args(m.model_fields["kind"].annotation)[0]
    for m in typing.get_args(typing.get_args(Action)[0])
)
"""Kinds of log entry the rules engine folds into the state; the rest are the server's."""

SERVER_KINDS = frozenset(
    {
        "create",
        "join",
        "team_change",
        "player_removed",
        "chat",
        "announcement",
        "timer",
        "bot_seat",
        "bot_pace",
    }
)
BOT_KINDS = ("bot_seat", "bot_pace")

JOIN_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
"""No 0/O or 1/I: codes are read aloud and typed on phones."""
JOIN_CODE_LENGTH = 6


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_join_code() -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


TITLE_MAX_CHARS = 120
"""The games table's title column holds this many characters."""


def one_line(text: str, limit: int) -> str:
    """`text` as a title: no control characters (PostgreSQL refuses NUL), single spaces,
    at most `limit` characters."""
    cleaned = " ".join("".join(ch if ch >= " " else " " for ch in text).split())
    return cleaned[:limit].rstrip()


def normalise_join_code(code: str) -> str:
    return code.strip().upper().replace("-", "").replace(" ", "")


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

    def visible_to(self, audience_key: str) -> bool:
        if audience_key == "facilitator" or self.channel in ("plenary", "announcement"):
            return True
        if not audience_key.startswith("team:"):
            return False
        me = audience_key[5:]
        if self.channel == "team":
            return self.team == me
        return me in (self.team, self.to_team)

    def public(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "channel": self.channel,
            "team": self.team,
            "to_team": self.to_team,
            "author": self.author,
            "player_id": self.player_id,
            "text": self.text,
            "at": self.at,
        }


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
    kind: str
    actor_role: str
    payload: dict[str, Any]
    actor_team: str | None = None
    player_id: str | None = None


@dataclass
class Step:
    """What one action did in memory, for the transaction that makes it durable."""

    entry: LogEntry
    rows: list[Any] = field(default_factory=list)
    notices: list[Record] = field(default_factory=list)
    """the records of what the step did (`game_rules.records`)."""
    timer_set: bool = False
    """the step set the deadline itself (a timer change), so phase changes don't."""
    result: dict[str, Any] = field(default_factory=dict)


@dataclass
class Outcome:
    seq: int
    step: Step


class GameRoom:
    def __init__(
        self,
        game: Game,
        state: GameState,
        seq: int,
        seats: list[Seat],
        chat: list[ChatLine],
        settings: Settings,
    ) -> None:
        self.id = game.id
        self.join_code = game.join_code
        self.title = game.title
        self.facilitator_hash = game.facilitator_token_hash
        self.projector_hash = game.projector_token_hash
        self.tokens_expire_at = game.tokens_expire_at
        self.timers: dict[str, float] = json.loads(game.timers or "{}")
        self.deadline = game.phase_deadline
        self.paused_remaining = game.paused_remaining
        self.state = state
        self.seq = seq
        self.seats = {s.id: s for s in seats}
        self.by_token = {s.token_hash: s for s in seats}
        self.chat: deque[ChatLine] = deque(chat, maxlen=settings.chat_history * 4)
        self.settings = settings
        self.lock = asyncio.Lock()
        self.broken = False
        self.timer_task: asyncio.Task[None] | None = None
        self.bots: dict[str, Any] = {}
        """team → BotSeat (server.bots), rebuilt from the log's bot entries."""
        self.bot_pace = settings.bot_pace_seconds
        self.moved = asyncio.Event()
        """set after every commit: wakes the bots' driver."""
        self._docs: dict[str, tuple[int, dict[str, Any]]] = {}
        self._debrief: tuple[int, dict[str, dict[str, float]]] | None = None

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
        own = who.seat.joined_at + self.settings.token_ttl_hours * 3600
        return max(self.tokens_expire_at, own)

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

    def document(self, key: str, online: dict[str, int] | None = None) -> dict[str, Any]:
        """The whole screen of one audience at the current seq, rendered once per key."""
        cached = self._docs.get(key)
        if cached is not None and cached[0] == self.seq and key != "facilitator":
            # The timer runs on between actions: a tab that attaches later gets it fresh.
            return {**cached[1], "timer": self.timer()}
        players = [s.public() for s in self.seats.values() if not s.removed]
        if key == "facilitator":
            online = online or {}
            for p in players:
                p["online"] = online.get(p["id"], 0)
        chat = [c.public() for c in self.chat if c.visible_to(key)][-self.settings.chat_history :]
        doc = {
            "type": "view",
            "game_id": self.id,
            "seq": self.seq,
            "audience": key,
            "title": self.title,
            "join_code": self.join_code if key in ("facilitator", "projector") else None,
            "timer": self.timer(),
            "players": players,
            "bots": {t: b.strategy for t, b in self.bots.items()},
            "bot_pace": self.bot_pace,
            "chat": chat,
            "view": view(self.state, audience_of(key)),
            "debrief": self.debrief(),
        }
        self._docs[key] = (self.seq, doc)
        return doc

    def debrief(self) -> dict[str, dict[str, float]] | None:
        """After the end: each team's score, no-agreement score and gain (GAME.md §7).
        Replaying the game without agreements costs a game: once per seq, for everyone."""
        if self.state.phase is not Phase.ended:
            return None
        if self._debrief is None or self._debrief[0] != self.seq:
            report = batna_report(self.state)
            rounded = {t: {k: round(v, 1) for k, v in r.items()} for t, r in report.items()}
            self._debrief = (self.seq, rounded)
        return self._debrief[1]

    def presence_document(self, online: dict[str, int]) -> dict[str, Any]:
        by_team: dict[str, list[dict[str, Any]]] = {}
        for s in self.seats.values():
            if not s.removed:
                by_team.setdefault(s.team or "", []).append(
                    {"id": s.id, "name": s.name, "online": online.get(s.id, 0)}
                )
        return {"type": "presence", "game_id": self.id, "seq": self.seq, "teams": by_team}


SnapshotFn = Callable[[GameRoom, float], Step]


def engine_step(actor: Actor, action: Action, player_id: str | None) -> SnapshotFn:
    """The step of one rules-engine action, by a person (`player_id`) or a bot."""

    def step(room: GameRoom, now: float) -> Step:
        notices = perform(room.state, actor, action)
        entry = LogEntry(
            action.kind, actor.role, action.model_dump(mode="json"), actor.team, player_id
        )
        return Step(entry, notices=notices)

    return step


class GameHall:
    """All rooms of this server process, loaded from the database on demand."""

    def __init__(self, engine: Engine, settings: Settings, hub: Hub) -> None:
        self.engine = engine
        self.settings = settings
        self.hub = hub
        self.rooms: dict[str, GameRoom] = {}
        self._loading: dict[str, asyncio.Lock] = {}
        self.closing = False
        hub.on_presence_change = self._presence_changed
        self.watchers: list[Callable[[GameRoom], None]] = []
        """called after a room is loaded and after each of its commits (the bots' driver)."""
        self.before_commit: Callable[[GameRoom, LogEntry], None] | None = None
        """a test hook: called in the worker thread before each commit."""

    # --- loading ----------------------------------------------------------------------

    async def room(self, game_id: str) -> GameRoom:
        room = self.rooms.get(game_id)
        if room is not None and not room.broken:
            return room
        lock = self._loading.setdefault(game_id, asyncio.Lock())
        async with lock:
            room = self.rooms.get(game_id)
            if room is not None and not room.broken:
                return room
            fresh = await asyncio.to_thread(self._load, game_id)
            if fresh is None:
                raise not_found(f"game {game_id!r}")
            if room is not None:  # a broken room: keep its lock so waiters stay in order
                fresh.lock = room.lock
                fresh.timer_task = room.timer_task
            self.rooms[game_id] = fresh
            self._schedule(fresh)
            self._notify(fresh)
            return fresh

    def _load(self, game_id: str) -> GameRoom | None:
        with Session(self.engine) as s:
            game = s.get(Game, game_id)
            if game is None:
                return None
            snap = s.exec(
                select(Snapshot)
                .where(Snapshot.game_id == game_id)
                .order_by(col(Snapshot.seq).desc())
                .limit(1)
            ).one()
            state = GameState.from_snapshot(snap.state)
            seq = snap.seq
            records = s.exec(
                select(ActionRecord)
                .where(ActionRecord.game_id == game_id, col(ActionRecord.seq) > snap.seq)
                .order_by(col(ActionRecord.seq))
            ).all()
            for rec in records:
                if rec.seq != seq + 1:
                    raise RuntimeError(f"game {game_id}: the log jumps from {seq} to {rec.seq}")
                if rec.kind in ENGINE_KINDS:
                    actor = Actor.model_validate({"role": rec.actor_role, "team": rec.actor_team})
                    perform(state, actor, parse_action(json.loads(rec.payload)))
                seq = rec.seq
            players = s.exec(
                select(Player).where(Player.game_id == game_id).order_by(col(Player.joined_at))
            ).all()
            seats = [
                Seat(p.id, p.name, p.team, p.token_hash, p.removed, _timestamp(p.joined_at))
                for p in players
            ]
            chat_rows = s.exec(
                select(ChatMessage)
                .where(ChatMessage.game_id == game_id)
                .order_by(col(ChatMessage.seq).desc())
                .limit(self.settings.chat_history * 4)
            ).all()
            chat = [_chat_line(m) for m in reversed(chat_rows)]
            room = GameRoom(game, state, seq, seats, chat, self.settings)
            bot_entries = s.exec(
                select(ActionRecord)
                .where(ActionRecord.game_id == game_id, col(ActionRecord.kind).in_(BOT_KINDS))
                .order_by(col(ActionRecord.seq))
            ).all()
            if bot_entries:
                from server.bots import fold_bot_entry

                for rec in bot_entries:
                    fold_bot_entry(room, rec.kind, json.loads(rec.payload))
            return room

    async def resume_timers(self) -> int:
        """After a (re)start: load every game whose phase has a deadline, so it ends on time."""

        def ids() -> list[str]:
            with Session(self.engine) as s:
                timed = s.exec(select(Game.id).where(col(Game.phase_deadline).is_not(None)))
                # Games with bots too: their bots play on without anyone opening the game.
                with_bots = s.exec(
                    select(ActionRecord.game_id)
                    .where(col(ActionRecord.kind) == "bot_seat")
                    .distinct()
                )
                return list(dict.fromkeys([*timed, *with_bots]))

        game_ids = await asyncio.to_thread(ids)
        for gid in game_ids:
            await self.room(gid)
        return len(game_ids)

    # --- creating ---------------------------------------------------------------------

    async def create(
        self, scenario: Scenario, *, seed: int, title: str, timers: dict[str, float]
    ) -> tuple[GameRoom, str, str]:
        facilitator_token, projector_token = new_token(), new_token()
        state = new_game(scenario, seed)
        now = time.time()
        title = one_line(title, TITLE_MAX_CHARS) or one_line(scenario.name, TITLE_MAX_CHARS)

        def write() -> Game:
            for _attempt in range(8):
                game = Game(
                    id=secrets.token_hex(8),
                    join_code=new_join_code(),
                    title=title,
                    scenario_id=scenario.id,
                    facilitator_token_hash=token_hash(facilitator_token),
                    projector_token_hash=token_hash(projector_token),
                    tokens_expire_at=now + self.settings.token_ttl_hours * 3600,
                    timers=json.dumps(timers),
                )
                payload = {
                    "scenario": scenario.id,
                    "teams": list(state.teams),
                    "rounds": scenario.rounds,
                    "seed": seed,
                    "timers": timers,
                    "title": title,
                }
                try:
                    with Session(self.engine) as s:
                        s.add(game)
                        s.flush()
                        s.add(_record(game.id, 0, LogEntry("create", "facilitator", payload)))
                        s.add(Snapshot(game_id=game.id, seq=0, state=state.snapshot()))
                        s.commit()
                        s.refresh(game)
                        return game
                except IntegrityError:  # a join code (or id) already taken: draw again
                    continue
            raise ApiError(503, "busy", "could not find a free join code; try again")

        game = await asyncio.to_thread(write)
        room = GameRoom(game, state, 0, [], [], self.settings)
        self.rooms[game.id] = room
        return room, facilitator_token, projector_token

    async def find_by_code(self, code: str) -> GameRoom | None:
        code = normalise_join_code(code)
        if not code or len(code) > 16:
            return None
        for room in self.rooms.values():
            if room.join_code == code:
                return room

        def lookup() -> str | None:
            with Session(self.engine) as s:
                return s.exec(select(Game.id).where(Game.join_code == code)).first()

        game_id = await asyncio.to_thread(lookup)
        return await self.room(game_id) if game_id else None

    # --- the write path ---------------------------------------------------------------

    async def commit(self, game_id: str, step_fn: SnapshotFn, *, seen_seq: int | None) -> Outcome:
        """Run `step_fn` as the game's next action: verify, apply, log, publish."""
        room = await self.room(game_id)
        async with room.lock:
            if room.broken:
                room = await self.room(game_id)
            wanted = self.hub.wanted(game_id)
            online = self.hub.online(game_id)
            outcome, encoded = await asyncio.to_thread(
                self._commit_in_thread, room, step_fn, seen_seq, wanted, online
            )
            self.hub.publish(game_id, encoded)
            self._schedule(room)
        self._notify(room)
        return outcome

    def _notify(self, room: GameRoom) -> None:
        for watcher in self.watchers:
            try:
                watcher(room)
            except Exception:  # a watcher's failure must not fail the action it follows
                log.exception("game %s: a watcher failed", room.id)

    def _commit_in_thread(
        self,
        room: GameRoom,
        step_fn: SnapshotFn,
        seen_seq: int | None,
        wanted: dict[str, set[str]],
        online: dict[str, int],
    ) -> tuple[Outcome, dict[tuple[str, str], str]]:
        now = time.time()
        before = (room.state.phase, room.state.round, room.state.paused)
        timer_before = (room.deadline, room.paused_remaining)
        try:
            step = step_fn(room, now)
        except RuleError as exc:
            if seen_seq is not None and seen_seq != room.seq:
                # The action was built on a game that moved on while it waited: a race.
                raise Conflict(
                    f"{exc.message} (the game changed while your action waited: "
                    f"reload and try again)"
                ) from exc
            raise
        seq = room.seq + 1
        try:
            if not step.timer_set:
                self._follow_phase(room, before, now)
            if self.before_commit is not None:
                self.before_commit(room, step.entry)
            self._persist(room, seq, step, timer_before)
        except BaseException:
            room.broken = True  # memory may be ahead of the database: rebuild from it
            raise
        room.seq = seq
        documents: dict[str, dict[str, Any]] = {}
        for key in wanted:
            with contextlib.suppress(KeyError):  # a team key of a team not in this game
                documents[key] = room.document(key, online)
        encoded = encode(documents, wanted, {"game_id": room.id, "seq": seq})
        return Outcome(seq, step), encoded

    def _follow_phase(self, room: GameRoom, before: tuple[Phase, int, bool], now: float) -> None:
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

    def _persist(
        self, room: GameRoom, seq: int, step: Step, timer_before: tuple[float | None, ...]
    ) -> None:
        try:
            with Session(self.engine) as s:
                s.add(_record(room.id, seq, step.entry))
                for row in step.rows:
                    if isinstance(row, SQLModel):
                        s.add(row)
                    else:  # an UPDATE statement
                        s.exec(row)
                if (room.deadline, room.paused_remaining) != timer_before:
                    s.exec(
                        update(Game)
                        .where(col(Game.id) == room.id)
                        .values(
                            phase_deadline=room.deadline, paused_remaining=room.paused_remaining
                        )
                    )
                if seq % self.settings.snapshot_every == 0:
                    s.add(Snapshot(game_id=room.id, seq=seq, state=room.state.snapshot()))
                s.commit()
        except IntegrityError as exc:
            # Another server instance appended this seq first (UNIQUE(game_id, seq)).
            raise Conflict("another action was recorded first: reload and try again") from exc

    # --- timers -----------------------------------------------------------------------

    def _schedule(self, room: GameRoom) -> None:
        if room.timer_task is not None and not room.timer_task.done():
            if getattr(room.timer_task, "deadline", None) == room.deadline:
                return
            room.timer_task.cancel()
        room.timer_task = None
        if room.deadline is None or self.closing:
            return
        task = asyncio.create_task(self._ring(room.id, room.deadline), name=f"timer-{room.id}")
        task.deadline = room.deadline  # type: ignore[attr-defined]
        room.timer_task = task

    async def _ring(self, game_id: str, deadline: float) -> None:
        await asyncio.sleep(max(0.0, deadline - time.time()))

        def end_phase(room: GameRoom, now: float) -> Step:
            if room.deadline != deadline or room.state.paused:
                raise _Stale()
            action = AdvancePhase()
            notices = perform(room.state, Actor.system(), action)
            entry = LogEntry(action.kind, "system", action.model_dump(mode="json"))
            return Step(entry, notices=notices)

        with contextlib.suppress(_Stale):
            try:
                room = self.rooms.get(game_id)
                if room is not None:
                    room.timer_task = None
                await self.commit(game_id, end_phase, seen_seq=None)
            except (RuleError, ApiError) as exc:
                log.warning("game %s: the timer could not end the phase: %s", game_id, exc)

    async def close(self) -> None:
        self.closing = True
        for room in self.rooms.values():
            if room.timer_task is not None:
                room.timer_task.cancel()
                with contextlib.suppress(BaseException):
                    await room.timer_task

    # --- presence ---------------------------------------------------------------------

    def _presence_changed(self, game_id: str) -> None:
        room = self.rooms.get(game_id)
        if room is None:
            return
        doc = room.presence_document(self.hub.online(game_id))
        wanted = {k: v for k, v in self.hub.wanted(game_id).items() if k == "facilitator"}
        self.hub.publish(
            game_id, encode({"facilitator": doc}, wanted, {"game_id": game_id}), full_view=False
        )

    async def attach(self, room: GameRoom, conn: Connection) -> None:
        """Register a connection and queue its full view, in seq order with commits."""
        async with room.lock:
            self.hub.add(conn)
            wanted = {conn.audience_key: {conn.format}}
            doc = await asyncio.to_thread(
                room.document, conn.audience_key, self.hub.online(room.id)
            )
            encoded = encode({conn.audience_key: doc}, wanted, {"game_id": room.id})
            text = encoded.get((conn.audience_key, conn.format))
            if text is not None:
                conn.offer(text, full_view=True)

    async def log(self, game_id: str) -> list[dict[str, Any]]:
        """The game's whole action log, in seq order."""

        def read() -> list[dict[str, Any]]:
            with Session(self.engine) as s:
                rows = s.exec(
                    select(ActionRecord)
                    .where(ActionRecord.game_id == game_id)
                    .order_by(col(ActionRecord.seq))
                ).all()
                return [
                    {
                        "seq": r.seq,
                        "kind": r.kind,
                        "actor_role": r.actor_role,
                        "actor_team": r.actor_team,
                        "player_id": r.player_id,
                        "payload": json.loads(r.payload),
                        "at": r.created_at.isoformat() if r.created_at else None,
                    }
                    for r in rows
                ]

        return await asyncio.to_thread(read)

    async def count_actions(self, game_id: str) -> int:
        def count() -> int:
            with Session(self.engine) as s:
                return s.exec(
                    select(func.count())
                    .select_from(ActionRecord)
                    .where(ActionRecord.game_id == game_id)
                ).one()

        return await asyncio.to_thread(count)


class _Stale(Exception):
    """The timer rang for a deadline that has since changed: nothing to do."""


def _record(game_id: str, seq: int, entry: LogEntry) -> ActionRecord:
    return ActionRecord(
        game_id=game_id,
        seq=seq,
        kind=entry.kind,
        actor_role=entry.actor_role,
        actor_team=entry.actor_team,
        player_id=entry.player_id,
        payload=json.dumps(entry.payload, separators=(",", ":")),
    )


def _timestamp(at: datetime | None) -> float:
    if at is None:
        return 0.0
    if at.tzinfo is None:  # SQLite gives back naive datetimes: they were written in UTC
        at = at.replace(tzinfo=UTC)
    return at.timestamp()


def _chat_line(m: ChatMessage) -> ChatLine:
    return ChatLine(
        seq=m.seq,
        channel=m.channel,
        team=m.team,
        to_team=m.to_team,
        author=m.author,
        text=m.text,
        at=m.created_at.timestamp() if m.created_at else 0.0,
        player_id=m.player_id,
    )
