"""Parallel tables: several games ("tables") of one scenario and seed, run as one session.

A large room plays the same game at several tables at once, and the debrief compares
them (Harborco's most used move). A session is a row beside the games it groups
(`sessions`, `session_tables`); each table is an ordinary game with its own log, join
code, projector and console, so everything a game does a table does. The session's own
token (one per facilitator's browser, as a game's) lets its console act on every table:
the commands it calls are the games' own, as the facilitator of each.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from game_rules.actions import parse_action
from game_rules.errors import RuleError
from game_rules.state import Phase
from server import commands
from server.errors import ApiError, not_found, unauthorised
from server.models import GameSession, SessionTable
from server.room import GameRoom, Principal, new_token, token_hash
from server.rooms import TITLE_MAX_CHARS, GameHall, in_thread, one_line

MAX_TABLES = 10
"""Tables in one session: each is a game in this process, with its own cookie pair."""

BULK_ACTIONS = {
    "start": "start_game",
    "advance": "advance_phase",
    "pause": "pause_game",
    "resume": "resume_game",
}
"""What the session console does to every table at once, as the rules engine's actions."""


@dataclass(frozen=True)
class Table:
    number: int
    game_id: str


@dataclass(frozen=True)
class SessionInfo:
    id: str
    title: str
    scenario_id: str
    seed: int
    facilitator_hash: str
    tokens_expire_at: float
    tables: list[Table]

    def authorise(self, token: str | None) -> None:
        if not token or not secrets.compare_digest(token_hash(token), self.facilitator_hash):
            raise unauthorised("this is not the token of this session's facilitator")
        if time.time() > self.tokens_expire_at:
            raise unauthorised("this token has expired")


@dataclass
class NewSession:
    info: SessionInfo
    token: str
    games: list[commands.NewGame]


def session_cookie(session_id: str) -> str:
    return f"compact_session_{session_id}"


async def create_session(
    hall: GameHall, *, tables: int, seed: int | None = None, title: str = "", **spec: Any
) -> NewSession:
    """`tables` games of one scenario and seed (`spec` as `commands.create_game` takes
    it), and the session that groups them."""
    if not 2 <= tables <= MAX_TABLES:
        raise ApiError(422, "invalid", f"a session has 2 to {MAX_TABLES} tables")
    seed = seed if seed is not None else secrets.randbelow(2**31)
    chosen = commands.game_scenario(
        spec.get("scenario", "mediterranean"),
        spec.get("scenario_file"),
        spec.get("teams"),
        spec.get("rounds"),
    )
    title = one_line(title, TITLE_MAX_CHARS - 12) or one_line(chosen.name, TITLE_MAX_CHARS - 12)
    games = []
    for number in range(1, tables + 1):
        games.append(
            await commands.create_game(hall, seed=seed, title=f"{title} · {number}", **spec)
        )
    token = new_token()
    info = SessionInfo(
        id=secrets.token_hex(8),
        title=title,
        scenario_id=chosen.id,
        seed=seed,
        facilitator_hash=token_hash(token),
        tokens_expire_at=time.time() + hall.settings.token_ttl_hours * 3600,
        tables=[Table(n, g.room.id) for n, g in enumerate(games, start=1)],
    )

    def write() -> None:
        with Session(hall.engine) as s:
            s.add(
                GameSession(
                    id=info.id,
                    title=info.title,
                    scenario_id=info.scenario_id,
                    seed=info.seed,
                    facilitator_token_hash=info.facilitator_hash,
                    tokens_expire_at=info.tokens_expire_at,
                )
            )
            s.flush()
            for t in info.tables:
                s.add(SessionTable(session_id=info.id, game_id=t.game_id, number=t.number))
            s.commit()

    await in_thread(write)
    return NewSession(info, token, games)


async def load_session(hall: GameHall, session_id: str) -> SessionInfo:
    if len(session_id) != 16 or any(ch not in "0123456789abcdef" for ch in session_id):
        raise not_found("session")

    def read() -> SessionInfo | None:
        with Session(hall.engine) as s:
            row = s.get(GameSession, session_id)
            if row is None:
                return None
            tables = s.exec(
                select(SessionTable)
                .where(SessionTable.session_id == session_id)
                .order_by(col(SessionTable.number))
            ).all()
            return SessionInfo(
                id=row.id,
                title=row.title,
                scenario_id=row.scenario_id,
                seed=row.seed,
                facilitator_hash=row.facilitator_token_hash,
                tokens_expire_at=row.tokens_expire_at,
                tables=[Table(t.number, t.game_id) for t in tables],
            )

    info = await in_thread(read)
    if info is None:
        raise not_found("session")
    return info


async def session_of_game(hall: GameHall, game_id: str) -> tuple[str, int] | None:
    """The session a game is a table of, and its number; None for a game on its own."""

    def read() -> tuple[str, int] | None:
        with Session(hall.engine) as s:
            row = s.exec(select(SessionTable).where(SessionTable.game_id == game_id)).first()
            return (row.session_id, row.number) if row else None

    return await in_thread(read)


async def rooms_of(hall: GameHall, info: SessionInfo) -> list[tuple[Table, GameRoom]]:
    return [(t, await hall.room(t.game_id)) for t in info.tables]


# --- acting on every table -------------------------------------------------------------------


@dataclass(frozen=True)
class Done:
    """What one table answered to an action on all."""

    number: int
    ok: bool
    error: str = ""
    message: str = ""


async def on_every_table(hall: GameHall, info: SessionInfo, op: str, **args: Any) -> list[Done]:
    """Run `op` on every table as its facilitator, one table after the other; a table
    that refuses (already started, wrong phase) says why, the others go on."""
    out = []
    for table, room in await rooms_of(hall, info):
        who = Principal("facilitator", room.id)
        try:
            await _one(hall, room, who, op, args)
        except (ApiError, RuleError) as exc:
            out.append(Done(table.number, False, exc.code, exc.message))
        else:
            out.append(Done(table.number, True))
    return out


async def _one(
    hall: GameHall, room: GameRoom, who: Principal, op: str, args: dict[str, Any]
) -> None:
    if op in BULK_ACTIONS:
        await commands.act(hall, room, who, parse_action({"kind": BULK_ACTIONS[op]}))
    elif op == "announce":
        await commands.announce(hall, room, who, str(args["text"]))
    elif op == "bots":
        # Every team nobody plays and no bot plays yet goes to a bot of `strategy`.
        if args.get("seconds") is not None:
            await commands.set_bot_pace(hall, room, who, float(args["seconds"]))
        played = {s.team for s in room.active_seats() if s.team}
        for team in room.state.teams:
            if team not in played and team not in room.bots:
                await commands.seat_bot(hall, room, who, team, str(args["strategy"]))
    else:
        raise ApiError(422, "invalid", f"unknown operation {op!r}")


# --- what the session console shows of each table -------------------------------------------


def waiting_for(room: GameRoom) -> list[str]:
    """The teams the table waits for to move on: in the lobby those nobody plays yet, in
    implementation those that have not decided, otherwise those not ready."""
    state = room.state
    if state.phase is Phase.ended:
        return []
    if state.phase is Phase.lobby:
        played = {s.team for s in room.active_seats() if s.team} | set(room.bots)
        return [t for t in state.teams if t not in played]
    if state.phase is Phase.implementation:
        return [t for t, team in state.teams.items() if team.decision is None]
    return [t for t, team in state.teams.items() if not team.ready]
