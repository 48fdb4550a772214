"""The hall's side of the debrief (a part of `GameHall`): once a game has ended, its
no-agreement replay (`analytics.batna_report`, in a thread, off the game's lock), then
what was left on the table (`frontier.report`, its deals valued in the analysis pool of
`server.analysis`). Each is computed once, kept on the room, and every screen gets a new
view when it is ready; the debrief shows the rest while the analysis runs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from game_rules import GameState
from game_rules.analytics import batna_report
from game_rules.state import Phase
from server.analysis import Analyst
from server.instances import in_thread
from server.live import Hub
from server.room import GameRoom
from server.settings import Settings

log = logging.getLogger("compact.rooms")


class HallDebriefs:
    """Mixed into `GameHall`: what it needs of the hall is declared here."""

    settings: Settings
    hub: Hub
    closing: bool
    analyst: Analyst
    _replays: dict[str, asyncio.Task[None]]
    _analyses: dict[str, asyncio.Task[None]]

    if TYPE_CHECKING:

        async def room(self, game_id: str) -> GameRoom: ...
        def _documents(
            self, room: GameRoom, wanted: dict[str, set[str]], online: dict[str, int]
        ) -> dict[str, dict[str, Any]]: ...
        async def _publish(
            self,
            room: GameRoom,
            documents: dict[str, dict[str, Any]],
            wanted: dict[str, set[str]],
            seq: int,
        ) -> None: ...

    def _replay_if_ended(self, room: GameRoom) -> None:
        if (
            room.state.phase is not Phase.ended
            or room.debrief_report is not None
            or room.id in self._replays
            or self.closing
        ):
            return
        # A copy: the replay runs off the lock while chat (and nothing else) goes on.
        ended = room.state.snapshot()
        self._replays[room.id] = asyncio.create_task(
            self._replay(room.id, ended), name=f"debrief-{room.id}"
        )

    async def _replay(self, game_id: str, ended: str) -> None:
        try:
            report = await in_thread(lambda: batna_report(GameState.from_snapshot(ended)))
            room = await self._keep(game_id, lambda r: r.set_debrief(report))
        except Exception:
            log.exception("game %s: the debrief's replay failed", game_id)
            return
        running = self._analyses.get(game_id)
        if room.left_report is None and (running is None or running.done()) and not self.closing:
            self._analyses[game_id] = asyncio.create_task(
                self._analyse(game_id, ended), name=f"frontier-{game_id}"
            )

    async def _analyse(self, game_id: str, ended: str) -> None:
        """Left on the table, after the replay (the debrief shows the rest meanwhile)."""
        try:
            if self.settings.debrief_analysis:
                left = await in_thread(self.analyst.left_on_table, ended)
            else:
                left = {"sets": [], "off": True}
            await self._keep(game_id, lambda r: r.set_left(left))
        except Exception:
            log.exception("game %s: the debrief's analysis failed", game_id)

    async def _keep(self, game_id: str, keep: Callable[[GameRoom], None]) -> GameRoom:
        """Keep a result on the room, under its lock, and send every screen its new view."""
        room = await self.room(game_id)
        async with room.lock:
            keep(room)
            wanted = self.hub.wanted(game_id)
            documents = self._documents(room, wanted, self.hub.online(game_id))
            seq = room.seq
        await self._publish(room, documents, wanted, seq)
        return room

    async def debrief(self, room: GameRoom) -> dict[str, dict[str, float]] | None:
        """The debrief's report once the game has ended, waiting for its replay if needed."""
        self._replay_if_ended(room)
        task = self._replays.get(room.id)
        if task is not None and room.debrief_report is None:
            await asyncio.shield(task)
        return room.debrief_report if room.state.phase is Phase.ended else None
