"""The hall's side of several instances and of the memory cap (a part of `GameHall`).

- Catching up: the listener (server.notify) says another instance committed seq N of a
  game held here; this instance reads the log after its seq, folds it and pushes each seq
  to its sockets in order, under the room's lock (`_catch_up`).
- Driving: every tick, the leases of the held games that need a timer or bots are tended;
  a game whose lease this instance holds has its timer scheduled and its bots woken here,
  and nowhere else (`drives`). Every few ticks, timed or bot games that no instance holds
  (a crashed instance's, with no client left to bring them anywhere) are taken over.
- The memory cap: beyond `max_games_loaded`, the least recently used idle rooms leave
  memory; the next request loads them again (snapshot + fold of the log).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from sqlmodel import Session, col, select

from game_rules.state import Phase
from server.db import is_database_fault
from server.errors import ApiError, DatabaseUnavailable
from server.live import Hub
from server.models import ActionRecord, Game
from server.notify import Leases, Listener
from server.room import GameRoom
from server.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

log = logging.getLogger("compact.rooms")


class HallInstances:
    """Mixed into `GameHall`: what it needs of the hall is declared here."""

    engine: Engine
    settings: Settings
    hub: Hub
    rooms: dict[str, GameRoom]
    closing: bool
    shared: bool
    listener: Listener | None
    leases: Leases | None
    unloaded: int
    _loading: dict[str, asyncio.Lock]
    _replays: dict[str, asyncio.Task[None]]
    _catching: dict[str, asyncio.Task[None]]
    _maintenance: asyncio.Task[None] | None
    _tick: asyncio.Event | None
    _finished: set[str]
    _over_cap_logged: bool

    if TYPE_CHECKING:

        async def room(self, game_id: str) -> GameRoom: ...
        def _fold_log(
            self, room: GameRoom, wanted: dict[str, set[str]], online: dict[str, int]
        ) -> list[tuple[int, dict[str, dict[str, Any]]]]: ...
        async def _publish(
            self,
            room: GameRoom,
            documents: dict[str, dict[str, Any]],
            wanted: dict[str, set[str]],
            seq: int,
        ) -> None: ...
        def _schedule(self, room: GameRoom) -> None: ...
        def _replay_if_ended(self, room: GameRoom) -> None: ...
        def _notify(self, room: GameRoom) -> None: ...

    async def start(self) -> None:
        """In the server's event loop, before games load: listen for other instances'
        commits and tend this instance's leases (PostgreSQL), keep the memory cap."""
        self._tick = asyncio.Event()
        if self.shared:
            self.listener = Listener(self.settings.database_url, self._heard, self._listening_again)
            self.leases = Leases(self.settings.database_url)
            self.listener.start()
            with contextlib.suppress(TimeoutError):
                # Listen before loading anything: a commit in between is then heard.
                async with asyncio.timeout(5.0):
                    await self.listener.connected.wait()
        self._maintenance = asyncio.create_task(self._maintain(), name="compact-maintenance")

    def drives(self, game_id: str) -> bool:
        """Whether this instance runs the game's timer and bots: always on SQLite (one
        process), where it holds the game's lease on PostgreSQL."""
        return not self.shared or self.leases is None or game_id in self.leases.held

    def _heard(self, game_id: str, seq: int) -> None:
        room = self.rooms.get(game_id)
        if room is None:
            return  # not held here: loaded from the database when someone asks
        room.known_seq = max(room.known_seq, seq)
        if room.seq < seq:
            self._start_catch_up(room)

    def _listening_again(self) -> None:
        # Notices sent while the listener was away are lost: read every held game's log.
        for room in list(self.rooms.values()):
            room.known_seq = max(room.known_seq, room.seq + 1)
            self._start_catch_up(room)

    def _start_catch_up(self, room: GameRoom) -> None:
        if room.id not in self._catching and not self.closing:
            self._catching[room.id] = asyncio.create_task(
                self._catch_up(room), name=f"catch-up-{room.id}"
            )

    async def _catch_up(self, room: GameRoom) -> None:
        try:
            while room.known_seq > room.seq and self.rooms.get(room.id) is room:
                async with room.lock:
                    if room.broken:
                        await self.room(room.id)
                    before = room.seq
                    await self._catch_up_locked(room)
                if room.seq == before:
                    break  # announced but not readable yet (or already folded): next notice
        except ApiError as exc:  # the database is down: the listener's reconnect catches up
            log.warning("game %s: catching up failed: %s", room.id, exc.message)
        except Exception:
            log.exception("game %s: catching up failed", room.id)
        finally:
            self._catching.pop(room.id, None)

    async def _catch_up_locked(self, room: GameRoom) -> None:
        """Under the room's lock: fold what other instances appended, and push each seq
        to this instance's sockets in order (under the lock, so no view overtakes)."""
        wanted = self.hub.wanted(room.id)
        online = self.hub.online(room.id)
        steps = await in_thread(self._fold_log, room, wanted, online)
        for seq, documents in steps:
            if documents:
                await self._publish(room, documents, wanted, seq)
        if steps:
            self._schedule(room)
            self._replay_if_ended(room)
            self._notify(room)
            self._wake()

    def _wake(self) -> None:
        if self._tick is not None:
            self._tick.set()

    def _needs_driver(self, room: GameRoom) -> bool:
        if room.broken or room.state.phase is Phase.ended:
            return room.deadline is not None
        return room.deadline is not None or bool(room.bots)

    async def _maintain(self) -> None:
        """Every second (or when woken): the leases of the games that need driving, and
        the memory cap. On PostgreSQL, every few seconds, games that need driving and are
        held nowhere (their instance died with no client left to bring them here)."""
        assert self._tick is not None
        rounds = 0
        while not self.closing:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._tick.wait(), timeout=self.settings.lease_tick)
            self._tick.clear()
            rounds += 1
            try:
                if self.leases is not None:
                    await self._tend_leases(orphans=rounds % 5 == 0)
                self.enforce_cap()
            except Exception:
                log.exception("the hall's maintenance failed")

    async def _tend_leases(self, *, orphans: bool) -> None:
        assert self.leases is not None
        wanted = {gid for gid, r in self.rooms.items() if self._needs_driver(r)}
        found: set[str] = set()
        if orphans:
            with contextlib.suppress(ApiError):
                found = set(await in_thread(self._driven_games)) - set(self.rooms)
                found -= self._finished
        gained, lost = await self.leases.tend(wanted | found)
        for gid in lost:
            room = self.rooms.get(gid)
            if room is not None:
                self._schedule(room)  # no longer ours: its timer stops here
        for gid in sorted(gained):
            room = self.rooms.get(gid)
            if room is None:  # an orphan: load it here, and drive it if it still needs it
                try:
                    room = await self.room(gid)
                except ApiError:
                    continue
                if not self._needs_driver(room):
                    self._finished.add(gid)
                    continue
            log.info("game %s: this instance drives its timer and bots now", gid)
            self._schedule(room)
            self._notify(room)

    def _driven_games(self) -> list[str]:
        with Session(self.engine) as s:
            timed = s.exec(select(Game.id).where(col(Game.phase_deadline).is_not(None)))
            with_bots = s.exec(
                select(ActionRecord.game_id).where(col(ActionRecord.kind) == "bot_seat").distinct()
            )
            return list(dict.fromkeys([*timed, *with_bots]))

    # --- the memory cap ---------------------------------------------------------------

    def idle(self, room: GameRoom, now: float | None = None) -> bool:
        """No sockets, no timer running, no bots playing, no work in flight, unused for
        `idle_seconds`: the room may leave memory."""
        now = time.monotonic() if now is None else now
        return (
            not self.hub.wanted(room.id)
            and room.deadline is None
            and (not room.bots or room.state.phase is Phase.ended)
            and not room.lock.locked()
            and room.id not in self._catching
            and (room.id not in self._replays or self._replays[room.id].done())
            and now - room.used_at >= self.settings.idle_seconds
        )

    def unload(self, game_id: str) -> bool:
        """Take an idle game out of memory (its snapshot and log stay in the database)."""
        room = self.rooms.get(game_id)
        if room is None or not self.idle(room, now=float("inf")):
            return False
        del self.rooms[game_id]
        self._loading.pop(game_id, None)
        self._replays.pop(game_id, None)
        if room.timer_task is not None:
            room.timer_task.cancel()
        self.unloaded += 1
        self._wake()  # its lease, if any, is released on the next tick
        return True

    def enforce_cap(self) -> int:
        """Unload the least recently used idle rooms until at most `max_games_loaded`
        remain; returns how many left. Busy rooms are never unloaded: the cap may be
        exceeded while more games than that are being played (logged)."""
        excess = len(self.rooms) - self.settings.max_games_loaded
        if excess <= 0:
            return 0
        now = time.monotonic()
        idle = sorted(
            (r for r in self.rooms.values() if self.idle(r, now)), key=lambda r: r.used_at
        )
        gone = 0
        for room in idle[:excess]:
            if self.unload(room.id):
                gone += 1
        if gone < excess and not self._over_cap_logged:
            self._over_cap_logged = True
            log.warning(
                "%d games in memory, above max_games_loaded=%d: the others are busy",
                len(self.rooms),
                self.settings.max_games_loaded,
            )
        elif gone == excess:
            self._over_cap_logged = False
        return gone


_T = TypeVar("_T")


async def in_thread(fn: Callable[..., _T], *args: Any) -> _T:
    """`fn(*args)` in a worker thread; a database that cannot be read or written becomes
    a retryable 503 (`DatabaseUnavailable`) for every caller: API, pages, sockets, timers."""
    try:
        return await asyncio.to_thread(fn, *args)
    except Exception as exc:
        if is_database_fault(exc):
            log.warning("the database failed: %s", str(exc).splitlines()[0][:300])
            raise DatabaseUnavailable() from exc
        raise
