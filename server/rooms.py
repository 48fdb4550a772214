"""The hall: every game of this server process, loaded on demand, and the write path.

The write path, for every kind of entry (the rules engine's actions and the server's own:
join, team change, chat, announcement, timer, player removed, bots):

1. take the game's asyncio lock (one writer per game, never a global one);
2. in a worker thread, so a slow game leaves the event loop free for the others: run the
   command's check (`room.Check`: the entry, or a 4xx), fold the entry into the room
   (`room.fold`), append it to the log with the next seq in one transaction with its
   indexes (seats, chat, the deadline, a snapshot every few actions); build one document
   per audience key that has connections;
3. release the lock, then encode the documents per format (Jinja for the web's fragments)
   and queue them to the connections; a connection never takes a view older than one it
   already has, so views still arrive in seq order.

If the transaction fails after the room changed, the room is marked broken and rebuilt from
the database (snapshot + fold of the log) before its next action: memory never gets ahead
of what was acknowledged. After the end, the no-agreement replay of the debrief runs once,
in a thread and off the lock; the screens get it as a new view when it is ready.

Several instances on one PostgreSQL database (server.notify): each commit notifies the
others in its transaction; an instance that holds the game reads the log after its seq,
folds it and pushes it to its sockets (`_catch_up`). Two instances appending the same seq
cannot both commit (UNIQUE(game, seq)): the loser rebuilds the room as it was before its
entry, catches up from the log and checks its entry again (`commit`). Timers and bots run
only where the game's lease is held (`drives`).

Memory: at most `max_games_loaded` rooms are kept; beyond that, idle ones (no sockets, no
timer running, no bots playing, unused for `idle_seconds`) are unloaded. Their snapshot and
log stay in the database, and the next request loads them again (snapshot + fold).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import logging
import random
import secrets
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from game_rules import GameState, Scenario, new_game
from game_rules.actions import Actor, AdvancePhase
from game_rules.errors import RuleError
from server.analysis import Analyst
from server.db import is_database_fault, is_sqlite
from server.debriefs import HallDebriefs
from server.errors import ApiError, DatabaseUnavailable, not_found
from server.instances import HallInstances, in_thread
from server.limits import SeatLimiter
from server.live import Connection, Hub, encode
from server.models import ActionRecord, Game, Snapshot
from server.notify import notice
from server.records import SNAPSHOTS, entry_of, record_of, snapshot_row, stamp, unix, write_of
from server.room import (
    IN_THREAD_KINDS,
    Check,
    GameRoom,
    LogEntry,
    Outcome,
    Principal,
    fold,
    new_token,
    raced,
    token_hash,
)
from server.settings import Settings
from server.store import GroupWriter, SeqTaken, Write, notify_statement

log = logging.getLogger("compact.rooms")

__all__ = ["GameHall", "GameRoom", "Principal", "engine_check"]

JOIN_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
"""No 0/O or 1/I: codes are read aloud and typed on phones."""
JOIN_CODE_LENGTH = 6


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


def engine_check(actor: Actor, action: Any, player_id: str | None) -> Check:
    """The check of one rules-engine action, by a person (`player_id`), a bot or the
    timer: the entry itself. The rules verify it when it is folded."""

    def check(room: GameRoom, now: float) -> LogEntry:
        return LogEntry(
            action.kind, actor.role, action.model_dump(mode="json"), actor.team, player_id
        )

    return check


class GameHall(HallInstances, HallDebriefs):
    """All rooms of this server process, loaded from the database on demand."""

    def __init__(self, engine: Engine, settings: Settings, hub: Hub) -> None:
        self.engine = engine
        self.settings = settings
        self.hub = hub
        self.writer = GroupWriter(engine)
        """every commit's write goes through it (server.store: group commit)"""
        self.rooms: dict[str, GameRoom] = {}
        self.seat_limits = SeatLimiter(
            {"chat": settings.chat_per_minute, "action": settings.actions_per_minute},
            {"chat": settings.chat_burst, "action": settings.actions_burst},
        )
        """how fast one seat may chat and act (bots and the facilitator are not limited)."""
        self.set_aside: dict[str, str] = {}
        """games that failed to load, with why: their screens say so, the rest go on."""
        self._loading: dict[str, asyncio.Lock] = {}
        self._replays: dict[str, asyncio.Task[None]] = {}
        self._finished: set[str] = set()
        """games the orphan scan found needing no driver any more (ended)"""
        self._over_cap_logged = False
        self._analyses: dict[str, asyncio.Task[None]] = {}
        self.analyst = Analyst(settings.analysis_workers)
        self.closing = False
        hub.on_presence_change = self._presence_changed
        self.watchers: list[Callable[[GameRoom], None]] = []
        """called after a room is loaded and after each of its commits (the bots' driver)."""
        self.before_commit: Callable[[GameRoom, LogEntry], None] | None = None
        """a test hook: called in the worker thread before each commit."""
        self.shared = not is_sqlite(settings.database_url)
        """PostgreSQL: other instances may serve the same games (server.notify)."""
        self.listener = None
        self.leases = None
        self._catching: dict[str, asyncio.Task[None]] = {}
        self._maintenance: asyncio.Task[None] | None = None
        self._tick: asyncio.Event | None = None  # made in start(), in the loop
        self.unloaded = 0
        """rooms unloaded by the memory cap since start (for /healthz and the benches)"""

    # --- loading ----------------------------------------------------------------------

    async def room(self, game_id: str) -> GameRoom:
        room = self.rooms.get(game_id)
        if room is not None and not room.broken:
            room.used_at = time.monotonic()
            return room
        lock = self._loading.setdefault(game_id, asyncio.Lock())
        async with lock:
            room = self.rooms.get(game_id)
            if room is not None and not room.broken:
                return room
            if game_id in self.set_aside:
                raise ApiError(
                    503,
                    "game_unavailable",
                    f"this game cannot be loaded: {self.set_aside[game_id]}",
                )
            try:
                fresh = await in_thread(self._load, game_id)
            except ApiError:
                raise
            except Exception as exc:
                # One game that cannot be rebuilt (a snapshot that does not validate, a log
                # with a hole) is set aside; every other game goes on.
                reason = (
                    f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
                )
                log.error("game %s cannot be loaded and is set aside: %s", game_id, reason)
                self.set_aside[game_id] = reason
                raise ApiError(
                    503, "game_unavailable", f"this game cannot be loaded: {reason}"
                ) from exc
            if fresh is None:
                raise not_found(f"game {game_id!r}")
            if room is not None:  # a broken room: keep its lock so waiters stay in order
                fresh.lock = room.lock
                fresh.timer_task = room.timer_task
                fresh.moved = room.moved
                fresh.debrief_report = room.debrief_report
                fresh.left_report = room.left_report
            fresh.used_at = time.monotonic()
            self.rooms[game_id] = fresh
            self.enforce_cap()
            self._wake()
            self._schedule(fresh)
            self._replay_if_ended(fresh)
            self._notify(fresh)
            return fresh

    def _new_room(self, game: Game, state: GameState) -> GameRoom:
        room = GameRoom(
            game_id=game.id,
            join_code=game.join_code,
            title=game.title,
            facilitator_hash=game.facilitator_token_hash,
            projector_hash=game.projector_token_hash,
            tokens_expire_at=game.tokens_expire_at,
            token_ttl_hours=self.settings.token_ttl_hours,
            timers=json.loads(game.timers or "{}"),
            state=state,
            chat_history=self.settings.chat_history,
            bot_pace=self.settings.bot_pace_seconds,
        )
        room.lock = asyncio.Lock()
        room.moved = asyncio.Event()
        return room

    def _load(self, game_id: str, upto: int | None = None) -> GameRoom | None:
        """Snapshot + fold of the log after it (up to seq `upto`, if given)."""
        with Session(self.engine) as s:
            game = s.get(Game, game_id)
            if game is None:
                return None
            # A snapshot written before rooms were snapshotted holds the rules state only:
            # of those, only the one at seq 0 (an empty room) is a whole starting point.
            snap = s.exec(
                select(Snapshot)
                .where(
                    Snapshot.game_id == game_id,
                    or_(col(Snapshot.room).is_not(None), col(Snapshot.seq) == 0),
                    col(Snapshot.seq) <= (upto if upto is not None else _NO_END),
                )
                .order_by(col(Snapshot.seq).desc())
                .limit(1)
            ).one()
            room = self._new_room(game, GameState.from_snapshot(snap.state))
            if snap.room is not None:
                room.restore(snap.room)
            room.seq = snap.seq
            records = s.exec(
                select(ActionRecord)
                .where(
                    ActionRecord.game_id == game_id,
                    col(ActionRecord.seq) > snap.seq,
                    col(ActionRecord.seq) <= (upto if upto is not None else _NO_END),
                )
                .order_by(col(ActionRecord.seq))
            ).all()
            for rec in records:
                if rec.seq != room.seq + 1:
                    raise RuntimeError(
                        f"game {game_id}: the log jumps from {room.seq} to {rec.seq}"
                    )
                fold(room, entry_of(rec))
            return room

    def _fold_log(
        self, room: GameRoom, wanted: dict[str, set[str]], online: dict[str, int]
    ) -> list[tuple[int, dict[str, dict[str, Any]]]]:
        """In a worker thread: the log after the room's seq, folded one entry at a time,
        with each seq's documents."""
        with Session(self.engine) as s:
            records = s.exec(
                select(ActionRecord)
                .where(ActionRecord.game_id == room.id, col(ActionRecord.seq) > room.seq)
                .order_by(col(ActionRecord.seq))
            ).all()
        steps = []
        for rec in records:
            if rec.seq != room.seq + 1:
                raise RuntimeError(f"game {room.id}: the log jumps from {room.seq} to {rec.seq}")
            try:
                fold(room, entry_of(rec))
            except BaseException:
                room.broken = True  # rebuilt from the database on its next use
                raise
            steps.append((room.seq, self._documents(room, wanted, online) if wanted else {}))
        return steps

    def _rewind(self, room: GameRoom, seq: int) -> None:
        """In a worker thread: the room, in place, as the database has it at `seq` (its
        entry after that lost the race to another instance's)."""
        fresh = self._load(room.id, upto=seq)
        if fresh is None:
            raise not_found(f"game {room.id!r}")
        _adopt(room, fresh)

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

        game_ids = await in_thread(ids)
        for gid in game_ids:
            with contextlib.suppress(ApiError):  # set aside or the database down: logged
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
                entry = LogEntry("create", "facilitator", payload, at=now)
                try:
                    with Session(self.engine) as s:
                        s.add(game)
                        s.flush()
                        s.add(record_of(game.id, entry))
                        s.add(Snapshot(game_id=game.id, seq=0, state=state.snapshot()))
                        s.commit()
                        s.refresh(game)
                        return game
                except IntegrityError:  # a join code (or id) already taken: draw again
                    continue
            raise ApiError(503, "busy", "could not find a free join code; try again")

        game = await in_thread(write)
        room = self._new_room(game, state)
        room.used_at = time.monotonic()
        self.rooms[game.id] = room
        self.enforce_cap()
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

        game_id = await in_thread(lookup)
        return await self.room(game_id) if game_id else None

    # --- the write path ---------------------------------------------------------------

    async def commit(self, game_id: str, check: Check, *, seen_seq: int | None) -> Outcome:
        """Commit the entry `check` makes as the game's next: check, fold, log, publish."""
        room = await self.room(game_id)
        async with room.lock:
            if room.broken:
                room = await self.room(game_id)
            for attempt in range(1, SEQ_ATTEMPTS + 1):
                if room.known_seq > room.seq:
                    # Another instance is ahead: its entries first, as they were committed.
                    await self._catch_up_locked(room)
                wanted = self.hub.wanted(game_id)
                online = self.hub.online(game_id)
                before = room.seq
                try:
                    entry, timer_before = self._checked(room, check, seen_seq)
                    # A snapshot (every `snapshot_every` entries) is built in the
                    # thread too: it serialises the whole game.
                    if (
                        entry.kind in IN_THREAD_KINDS
                        or entry.seq % self.settings.snapshot_every == 0
                    ):
                        outcome, written, documents = await in_thread(
                            self._fold_and_hand_over,
                            room,
                            entry,
                            seen_seq,
                            timer_before,
                            wanted,
                            online,
                        )
                    else:
                        outcome, written, documents = self._fold_and_hand_over(
                            room, entry, seen_seq, timer_before, wanted, online
                        )
                    await self._durable(room, written)
                    break
                except SeqTaken:
                    # Another instance appended this seq first: back to the room as it was
                    # before our entry, read what it wrote, and check ours again on top.
                    await in_thread(self._rewind, room, before)
                    room.known_seq = max(room.known_seq, before + 1)
                    if attempt == SEQ_ATTEMPTS:
                        raise
                    # Two writers in step would keep colliding: a little random delay.
                    await asyncio.sleep(random.uniform(0, 0.004 * attempt))
            self._schedule(room)
        if documents:
            await self._publish(room, documents, wanted, outcome.seq)
        self._replay_if_ended(room)
        self._notify(room)
        return outcome

    async def _durable(self, room: GameRoom, written: concurrent.futures.Future[None]) -> None:
        """Wait, holding the game's lock, until the group writer has made the entry durable.
        If it failed, memory is ahead of the database: the room is rebuilt from it."""
        waiting = asyncio.wrap_future(written)
        try:
            await asyncio.shield(waiting)
        except asyncio.CancelledError:
            # The caller went away: the lock is still not released before the write ends,
            # so the game's next entry never overtakes this one.
            with contextlib.suppress(BaseException):
                await asyncio.wait([waiting])
            if not written.done() or written.exception() is not None:
                room.broken = True
            raise
        except BaseException as exc:
            room.broken = True
            if is_database_fault(exc):
                log.warning("the database failed: %s", str(exc).splitlines()[0][:300])
                raise DatabaseUnavailable() from exc
            raise

    def _notify(self, room: GameRoom) -> None:
        if self.shared and not self.drives(room.id) and self._needs_driver(room):
            self._wake()  # the maintenance tick tries to take its lease now
        for watcher in self.watchers:
            try:
                watcher(room)
            except Exception:  # a watcher's failure must not fail the action it follows
                log.exception("game %s: a watcher failed", room.id)

    def _checked(
        self, room: GameRoom, check: Check, seen_seq: int | None
    ) -> tuple[LogEntry, tuple[float | None, ...]]:
        """The entry `check` makes as the game's next (a check changes nothing, whatever it
        raises), and the timer as it was before it."""
        now = unix(stamp(time.time()))  # the time the log keeps, to the microsecond
        timer_before = (room.deadline, room.paused_remaining)
        with raced(room, seen_seq):
            entry = check(room, now)
        entry.seq, entry.at = room.seq + 1, now
        return entry, timer_before

    def _fold_and_hand_over(
        self,
        room: GameRoom,
        entry: LogEntry,
        seen_seq: int | None,
        timer_before: tuple[float | None, ...],
        wanted: dict[str, set[str]],
        online: dict[str, int],
    ) -> tuple[Outcome, concurrent.futures.Future[None], dict[str, dict[str, Any]]]:
        """Fold the entry, hand its rows to the group writer, and build the screens while
        the writer makes it durable (they are sent only once it is). On the event loop for
        the light kinds, in a worker thread for those that can resolve a round."""
        with raced(room, seen_seq):
            try:
                notices = fold(room, entry)
            except RuleError:  # the rules refused it: nothing changed
                raise
            except BaseException:
                room.broken = True  # a fold that failed half-way: rebuild from the log
                raise
        try:
            if self.before_commit is not None:
                self.before_commit(room, entry)
            written = self.writer.submit(self._write_of(room, entry, timer_before))
        except BaseException:
            room.broken = True  # memory is ahead of the database: rebuild from it
            raise
        return Outcome(entry.seq, entry, notices), written, self._documents(room, wanted, online)

    def _documents(
        self, room: GameRoom, wanted: dict[str, set[str]], online: dict[str, int]
    ) -> dict[str, dict[str, Any]]:
        """One document per audience key in use, at the room's seq (under its lock)."""
        documents: dict[str, dict[str, Any]] = {}
        for key in wanted:
            with contextlib.suppress(KeyError):  # a team key of a team not in this game
                documents[key] = room.document(key, online)
        return documents

    async def _publish(
        self,
        room: GameRoom,
        documents: dict[str, dict[str, Any]],
        wanted: dict[str, set[str]],
        seq: int,
    ) -> None:
        """Encode off the game's lock, in a thread (Jinja and SVG for the web's fragments)."""
        context = {"game_id": room.id, "seq": seq}
        encoded = await _encode(documents, wanted, context)
        self.hub.publish(room.id, encoded, seq=seq)

    def _write_of(
        self, room: GameRoom, entry: LogEntry, timer_before: tuple[float | None, ...]
    ) -> Write:
        """Everything the entry's transaction holds: its log row and indexes, the game's
        deadline if the entry moved it, the notice to other instances, a snapshot every
        `snapshot_every` entries."""
        write = write_of(room, entry)
        if entry.seq % self.settings.snapshot_every == 0:
            write.inserts.append((SNAPSHOTS, snapshot_row(room, entry.at)))
        if (room.deadline, room.paused_remaining) != timer_before:
            stmt = (
                update(Game)
                .where(col(Game.id) == room.id)
                .values(phase_deadline=room.deadline, paused_remaining=room.paused_remaining)
            )
            write.statements.append((stmt, {}))
        if self.shared:
            write.statements.append(notify_statement(notice(room.id, entry.seq)))
        return write

    # --- timers -----------------------------------------------------------------------

    def _schedule(self, room: GameRoom) -> None:
        if room.timer_task is not None and not room.timer_task.done():
            if getattr(room.timer_task, "deadline", None) == room.deadline:
                return
            room.timer_task.cancel()
        room.timer_task = None
        if room.deadline is None or self.closing or not self.drives(room.id):
            return
        task = asyncio.create_task(self._ring(room.id, room.deadline), name=f"timer-{room.id}")
        task.deadline = room.deadline  # type: ignore[attr-defined]
        room.timer_task = task

    async def _ring(self, game_id: str, deadline: float) -> None:
        await asyncio.sleep(max(0.0, deadline - time.time()))
        advance = engine_check(Actor.system(), AdvancePhase(), None)

        def end_phase(room: GameRoom, now: float) -> LogEntry:
            if room.deadline != deadline or room.state.paused:
                raise _Stale()
            return advance(room, now)

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
        tasks = [r.timer_task for r in self.rooms.values() if r.timer_task is not None]
        extra = [self._maintenance] if self._maintenance is not None else []
        for task in [
            *tasks,
            *self._replays.values(),
            *self._analyses.values(),
            *self._catching.values(),
            *extra,
        ]:
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
        self.analyst.close()
        if self.listener is not None:
            await self.listener.stop()
        if self.leases is not None:
            await self.leases.close()  # a clean stop hands its games over at once
        await asyncio.to_thread(self.writer.close)  # what is queued is written first

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
        """Register a connection and queue its full view (never behind a newer one)."""
        async with room.lock:
            self.hub.add(conn)
            doc = room.document(conn.audience_key, self.hub.online(room.id))
            seq = room.seq
        wanted = {conn.audience_key: {conn.format}}
        context = {"game_id": room.id, "seq": seq}
        encoded = await _encode({conn.audience_key: doc}, wanted, context)
        text = encoded.get((conn.audience_key, conn.format))
        if text is not None:
            conn.offer(text, full_view=True, seq=seq)

    async def log(self, game_id: str) -> list[dict[str, Any]]:
        """The game's whole action log, in seq order (without the seats' token hashes)."""

        def read() -> list[dict[str, Any]]:
            with Session(self.engine) as s:
                rows = s.exec(
                    select(ActionRecord)
                    .where(ActionRecord.game_id == game_id)
                    .order_by(col(ActionRecord.seq))
                ).all()
                out = []
                for r in rows:
                    payload = json.loads(r.payload)
                    if r.kind == "join":
                        payload.pop("token_hash", None)
                    out.append(
                        {
                            "seq": r.seq,
                            "kind": r.kind,
                            "actor_role": r.actor_role,
                            "actor_team": r.actor_team,
                            "player_id": r.player_id,
                            "payload": payload,
                            "at": r.created_at.isoformat() if r.created_at else None,
                        }
                    )
                return out

        return await in_thread(read)


async def _encode(
    documents: dict[str, dict[str, Any]], wanted: dict[str, set[str]], context: dict[str, Any]
) -> dict[tuple[str, str], str]:
    """JSON costs less than a hop to a worker thread; Jinja and SVG (the web's fragments)
    go to one, so that a game's screens never stall the event loop."""
    if all(fmt == "json" for fmts in wanted.values() for fmt in fmts):
        return encode(documents, wanted, context)
    return await in_thread(encode, documents, wanted, context)


class _Stale(Exception):
    """The timer rang for a deadline that has since changed: nothing to do."""


_NO_END = 2**31 - 1
"""The largest seq the log's integer column holds: `_load` with no end."""

SEQ_ATTEMPTS = 8
"""How often a commit catches up and checks again after losing its seq to another instance."""

_HALL_KEPT = ("lock", "timer_task", "moved", "debrief_report", "known_seq", "used_at")


def _adopt(room: GameRoom, fresh: GameRoom) -> None:
    """`room` becomes `fresh` in place (whoever holds the object sees the new state),
    keeping what the hall keeps beside the folded state."""
    kept = {k: room.__dict__[k] for k in _HALL_KEPT}
    room.__dict__.clear()
    room.__dict__.update(fresh.__dict__)
    room.__dict__.update(kept)
    room.broken = False
