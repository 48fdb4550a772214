"""Replay: the game as it was at the end of each round, rebuilt by folding its log.

The log is the game: the state at the end of round N is the snapshot at seq 0 and the
fold (`server.room.fold`) of every entry until the one that resolved round N. One pass
over the log gives every round; it is kept per game until another round is resolved (a
resolved round's end never changes, whatever is appended after it).

What a replayed round shows an audience is that audience's view of the state then
(`game_rules.views.view`): the projector sees the public part, as it did in play.

The facilitator chooses the round the projector shows with a `replay` entry of the log
(`show_round`): the projector follows live, and a restarted server still shows it.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from game_rules import GameState
from game_rules.views import view
from server.errors import ApiError
from server.models import ActionRecord, Game, Snapshot
from server.records import entry_of
from server.room import GameRoom, LogEntry, Outcome, Principal, audience_of, fold
from server.rooms import GameHall, in_thread

CACHED_GAMES = 16
"""Games whose rounds are kept rebuilt (a few per session; each is a few states)."""


@dataclass(frozen=True)
class Rounds:
    """The rules state (as snapshot JSON) at the start (index 0) and at the end of each
    resolved round (index N), folded from the log up to `seq`."""

    seq: int
    states: list[str]

    @property
    def last(self) -> int:
        return len(self.states) - 1

    def state(self, number: int) -> GameState:
        return GameState.from_snapshot(self.states[number])


_cache: OrderedDict[str, Rounds] = OrderedDict()


def fold_rounds(engine: Engine, game_id: str, chat_history: int = 50) -> Rounds:
    """One fold of the whole log from seq 0, keeping the state at each round's end."""
    with Session(engine) as s:
        game = s.get(Game, game_id)
        if game is None:
            raise ApiError(404, "not_found", f"there is no game {game_id!r}")
        start = s.exec(
            select(Snapshot).where(Snapshot.game_id == game_id, col(Snapshot.seq) == 0)
        ).one()
        records = s.exec(
            select(ActionRecord)
            .where(ActionRecord.game_id == game_id)
            .order_by(col(ActionRecord.seq))
        ).all()
        room = bare_room(game, GameState.from_snapshot(start.state), chat_history)
        states = [room.state.snapshot()]
        for rec in records:
            if rec.seq == 0:
                continue  # `create`: the snapshot at seq 0 is that entry
            fold(room, entry_of(rec))
            if len(room.state.history) > len(states) - 1:
                states.append(room.state.snapshot())
        return Rounds(room.seq, states)


def bare_room(game: Game, state: GameState, chat_history: int = 50) -> GameRoom:
    """A room of `game` holding `state`, to fold a log into outside the hall (no lock,
    no timer, no connections): for a replay, or for an import before it is stored."""
    return GameRoom(
        game_id=game.id,
        join_code=game.join_code,
        title=game.title,
        facilitator_hash=game.facilitator_token_hash,
        projector_hash=game.projector_token_hash,
        tokens_expire_at=game.tokens_expire_at,
        token_ttl_hours=0,
        timers=json.loads(game.timers or "{}"),
        state=state,
        chat_history=chat_history,
        bot_pace=0,
    )


async def rounds_of(hall: GameHall, room: GameRoom) -> Rounds:
    """The game's rounds rebuilt from its log, folded again only once another round has
    been resolved (stepping through a replay appends entries, but resolves nothing)."""
    cached = _cache.get(room.id)
    if cached is not None and cached.last == len(room.state.history):
        _cache.move_to_end(room.id)
        return cached
    rounds = await in_thread(fold_rounds, hall.engine, room.id, hall.settings.chat_history)
    _cache[room.id] = rounds
    while len(_cache) > CACHED_GAMES:
        _cache.popitem(last=False)
    return rounds


def frame_document(room: GameRoom, state: GameState, key: str, number: int) -> dict[str, Any]:
    """A read-only document of round `number` for audience `key`, shaped as a live one
    (`GameRoom.document`): its view is the audience's view of the state then."""
    return {
        "type": "view",
        "game_id": room.id,
        "seq": room.seq,
        "audience": key,
        "title": room.title,
        "join_code": None,
        "timer": {"deadline": None, "remaining": None, "running": False, "server_time": 0},
        "players": [],
        "bots": {},
        "bot_pace": 0,
        "chat": [],
        "view": view(state, audience_of(key)),
        "debrief": None,
        "replay": number,
    }


async def show_round(hall: GameHall, room: GameRoom, who: Principal, number: int | None) -> Outcome:
    """The facilitator shows round `number` (0: the start) on the projector, or goes back
    to the live game (None): a log entry, so every projector follows."""
    if who.role != "facilitator":
        raise ApiError(403, "forbidden", "only the facilitator can do that")

    def check(room: GameRoom, now: float) -> LogEntry:
        played = len(room.state.history)
        if number is not None and not 0 <= number <= played:
            raise ApiError(
                422, "invalid", f"round {number} cannot be replayed: {played} round(s) played"
            )
        return LogEntry("replay", "facilitator", {"round": number})

    return await hall.commit(room.id, check, seen_seq=None)
