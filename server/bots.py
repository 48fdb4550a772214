"""Bots at the table: the facilitator gives a team to a bot, or takes it back mid-game.

A bot plays through the same write path as a person (`GameHall.commit`): each of its
moves is an engine action in the log, with `player_id` "bot:<strategy>", and it decides on
its own team's view only. One driver task per game wakes when the game changes (or the
bot's pace has passed) and lets each bot make at most one move per pace interval, so a
room of people can follow what the bots do. A bot never stalls a phase: in briefing and
results it says it is ready, it decides its implementation at once, and in negotiation it
says ready once it has nothing more to offer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Annotated

from fastapi import APIRouter, Body
from pydantic import BaseModel

from game_rules.actions import Accept, Action, Counter, Propose, Reject, SetReady, TeamId
from game_rules.bots import STRATEGIES
from game_rules.errors import RuleError
from game_rules.state import Phase
from game_rules.views import Audience, view
from server import commands
from server.deps import ERRORS, Facilitator, Hall, Room
from server.errors import ApiError
from server.room import BotSeat, GameRoom, Principal
from server.rooms import GameHall
from server.schemas import BotChoice, BotPace

log = logging.getLogger("compact.bots")

QUIET_TURNS = 2
"""Negotiation turns with nothing to do before a bot says it is ready."""
LAST_WORD_TURNS = 8
"""After this many negotiation turns a bot only answers (a counter becomes a rejection) and
then says ready: two bots at their limits must not counter each other for ever."""
NO_TIMER_TURNS = 4
"""Without a phase timer, a bot's sense of time: its concessions spread over this many turns."""


class BotTable:
    """The driver tasks of every game with bots, in this server process."""

    def __init__(self, hall: GameHall) -> None:
        self.hall = hall
        self.tasks: dict[str, asyncio.Task[None]] = {}
        hall.watchers.append(self.watch)

    def watch(self, room: GameRoom) -> None:
        """Called after a room is loaded and after every commit: wake or start its driver."""
        room.moved.set()
        if not room.bots or room.state.phase is Phase.ended or self.hall.closing:
            return
        if not self.hall.drives(room.id):
            return  # another instance holds the game's lease: its bots play there
        task = self.tasks.get(room.id)
        if task is None or task.done():
            task = asyncio.create_task(self._drive(room.id), name=f"bots-{room.id}")
            task.add_done_callback(_report_crash)
            self.tasks[room.id] = task

    async def close(self) -> None:
        for task in self.tasks.values():
            task.cancel()
        for task in self.tasks.values():
            with contextlib.suppress(BaseException):
                await task
        self.tasks.clear()

    async def _drive(self, game_id: str) -> None:
        while not self.hall.closing:
            try:
                room = await self.hall.room(game_id)
            except ApiError as exc:  # the database is down or the game set aside
                log.warning("bots of game %s wait: %s", game_id, exc.message)
                await asyncio.sleep(5.0)
                continue
            if not room.bots or room.state.phase is Phase.ended:
                return
            if not self.hall.drives(game_id) or self.hall.rooms.get(game_id) is not room:
                return  # the lease went elsewhere, or the room left memory
            room.moved.clear()
            wait = await self._turn(room)
            if wait is None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(room.moved.wait(), timeout=5.0)
            elif wait > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(room.moved.wait(), timeout=wait)

    async def _turn(self, room: GameRoom) -> float | None:
        """Each bot whose pace has passed makes its next move. Returns how long to wait
        before the next bot is due (None: no bot has anything to do until the game moves)."""
        if room.state.paused or room.state.phase in (Phase.lobby, Phase.ended):
            return None
        now = time.monotonic()
        due_in: float | None = None
        for team in list(room.bots):
            seat = room.bots.get(team)
            if seat is None:
                continue
            key = (room.state.round, room.state.phase.value)
            if seat.phase != key:
                seat.phase, seat.turns, seat.quiet = key, 0, 0
            if seat.next_move > now:
                due_in = min(due_in or 1e9, seat.next_move - now)
                continue
            try:
                moved = await self._move(room, seat)
            except Exception:
                # One bot's bug must not stop the others: it is logged and its team
                # handed back to people, with a word on every screen.
                log.exception("bot %s in game %s failed; its team is handed back", team, room.id)
                await self._hand_back(room, team)
                continue
            if moved:
                seat.next_move = time.monotonic() + room.bot_pace
                due_in = min(due_in or 1000000000.0, room.bot_pace) if room.bot_pace > 0 else 0.0
        return due_in

    async def _move(self, room: GameRoom, seat: BotSeat) -> bool:
        state = room.state
        team_view = view(state, Audience.of_team(seat.team))
        t = self._phase_share(room, seat)
        actions = seat.bot.act(team_view, t)
        seat.turns += 1
        if state.phase is Phase.negotiation:
            if seat.turns > LAST_WORD_TURNS:
                actions = [
                    Reject(proposal_id=a.proposal_id) if isinstance(a, Counter) else a
                    for a in actions
                    if isinstance(a, Accept | Reject | Counter)
                ]
            if actions:
                seat.quiet = 0
            else:
                seat.quiet += 1
                ready = team_view["me"].get("ready", False) or any(
                    x["id"] == seat.team and x["ready"] for x in team_view["teams"]
                )
                if seat.quiet >= QUIET_TURNS and not ready:
                    actions = [SetReady(ready=True)]
        if not actions:
            return False
        action = actions[0]
        try:
            await self._commit(room, seat, action)
        except RuleError as exc:
            seat.refused += 1
            seat.bot.refused(action, exc)  # the bot never makes a refused move again
            log.info("bot %s in game %s: %s refused: %s", seat.team, room.id, action.kind, exc)
            return True
        except ApiError as exc:  # a race lost: the bot looks again at the new state
            log.info("bot %s in game %s: %s", seat.team, room.id, exc.message)
            return True
        line = seat.bot.explain(action)
        partner = _partner(action, seat.team, room)
        if line and partner is not None:
            with contextlib.suppress(RuleError, ApiError):
                await self._say(room, seat, partner, line)
        return True

    async def _hand_back(self, room: GameRoom, team: str) -> None:
        facilitator = Principal("facilitator", room.id)
        name = room.state.scenario.team(team).name if team in room.state.teams else team
        try:
            await commands.unseat_bot(self.hall, room, facilitator, team)
            await commands.announce(
                self.hall,
                room,
                facilitator,
                f"The bot playing {name} stopped after an error: {name} is in people's hands.",
                record={"kind": "bot_handed_back", "team": team},
            )
        except (RuleError, ApiError) as exc:
            seat = room.bots.get(team)
            if seat is not None:  # try again later rather than spin
                seat.next_move = time.monotonic() + 30.0
            log.warning("bot %s in game %s could not be handed back: %s", team, room.id, exc)

    def _phase_share(self, room: GameRoom, seat: BotSeat) -> float:
        seconds = room.timers.get(room.state.phase.value)
        if seconds and room.deadline is not None:
            return min(1.0, max(0.0, 1.0 - (room.deadline - time.time()) / seconds))
        return min(1.0, seat.turns / max(NO_TIMER_TURNS - 1, 1))

    async def _commit(self, room: GameRoom, seat: BotSeat, action: Action) -> None:
        await self.hall.commit(room.id, commands.bot_check(seat, action), seen_seq=room.seq)

    async def _say(self, room: GameRoom, seat: BotSeat, partner: str, text: str) -> None:
        seat.said.append(text)
        check = commands.chat_check("bilateral", text, partner, bot=seat)
        await self.hall.commit(room.id, check, seen_seq=None)


def _report_crash(task: asyncio.Task[None]) -> None:
    """A driver that died is logged with its game, never "Task exception was never
    retrieved"; the next commit of the game starts a new one."""
    if not task.cancelled() and task.exception() is not None:
        log.error("the bots' driver %s stopped", task.get_name(), exc_info=task.exception())


def _partner(action: Action, me: str, room: GameRoom) -> str | None:
    if isinstance(action, Propose):
        others = [p for p in action.parties if p != me]
        return others[0] if len(others) == 1 else None
    if isinstance(action, Counter | Accept | Reject):
        prop = room.state.proposals.get(action.proposal_id)
        if prop is None:
            return None
        others = [p for p in prop.parties if p != me]
        return others[0] if len(others) == 1 else None
    return None


# --- the facilitator's controls ------------------------------------------------------

router = APIRouter(prefix="/api", tags=["bots"])


class BotsOut(BaseModel):
    pace_seconds: float
    bots: dict[str, str]
    strategies: list[str]


def _bots_out(room: GameRoom) -> BotsOut:
    return BotsOut(
        pace_seconds=room.bot_pace,
        bots={t: s.strategy for t, s in room.bots.items()},
        strategies=sorted(STRATEGIES),
    )


@router.get("/games/{game_id}/bots", response_model=BotsOut, responses=ERRORS)
async def list_bots(room: Room, who: Facilitator) -> BotsOut:
    """Which teams bots play, with which strategy, and at what pace."""
    return _bots_out(room)


@router.put("/games/{game_id}/bots/{team}", response_model=BotsOut, responses=ERRORS)
async def seat_bot(
    hall: Hall, room: Room, who: Facilitator, team: TeamId, body: Annotated[BotChoice, Body()]
) -> BotsOut:
    """Give `team` to a bot playing `strategy` (also to change a bot's strategy)."""
    await commands.seat_bot(hall, room, who, team, body.strategy)
    return _bots_out(room)


@router.delete("/games/{game_id}/bots/{team}", response_model=BotsOut, responses=ERRORS)
async def unseat_bot(hall: Hall, room: Room, who: Facilitator, team: TeamId) -> BotsOut:
    """Take `team` back from its bot: people play it from the next move on."""
    await commands.unseat_bot(hall, room, who, team)
    return _bots_out(room)


@router.put("/games/{game_id}/bots", response_model=BotsOut, responses=ERRORS)
async def set_bot_pace(
    hall: Hall, room: Room, who: Facilitator, body: Annotated[BotPace, Body()]
) -> BotsOut:
    """How human the bots' pace is: the least time between two moves of one bot."""
    await commands.set_bot_pace(hall, room, who, body.seconds)
    return _bots_out(room)
