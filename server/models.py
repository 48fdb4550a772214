"""The tables. The action log is the truth; everything else is an index or a cache of it.

- `games`: one row per game: its join code, token hashes, phase timers and the absolute
  deadline of the current phase (so timers survive a restart).
- `players`: seats. A seat belongs to one browser (its token) and at most one team.
- `actions`: the log. UNIQUE(game_id, seq) is the concurrency control, also across
  server instances: two writers that both think they append seq N cannot both commit.
- `snapshots`: the game at some seq (the rules state, and the room's seats, chat, bots and
  timer), so loading need not fold the whole log.
- `chat_messages`: chat and announcements, each written with the log entry that carries it.
- `sessions` and `session_tables`: parallel tables, several games of one scenario and seed
  run as one session from one console (`server/sessions.py`); each game keeps its own log,
  join code and tokens, the session only groups them.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class Game(SQLModel, table=True):
    __tablename__ = "games"

    id: str = Field(primary_key=True, max_length=32)
    join_code: str = Field(max_length=16, unique=True, index=True)
    title: str = Field(default="", max_length=120)
    scenario_id: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(True)))
    facilitator_token_hash: str = Field(max_length=64)
    projector_token_hash: str = Field(max_length=64)
    tokens_expire_at: float = Field(description="UNIX time after which the game's tokens fail")
    timers: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    phase_deadline: float | None = Field(default=None, description="UNIX time; None: no timer")
    paused_remaining: float | None = Field(
        default=None, description="seconds left on the timer while the game is paused"
    )


class Player(SQLModel, table=True):
    __tablename__ = "players"

    id: str = Field(primary_key=True, max_length=32)
    game_id: str = Field(foreign_key="games.id", index=True, max_length=32)
    name: str = Field(max_length=40)
    team: str | None = Field(default=None, max_length=32)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    joined_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(True)))
    removed: bool = False


class ActionRecord(SQLModel, table=True):
    __tablename__ = "actions"
    __table_args__ = (UniqueConstraint("game_id", "seq", name="uq_actions_game_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    game_id: str = Field(foreign_key="games.id", max_length=32)
    seq: int
    kind: str = Field(max_length=32)
    actor_role: str = Field(max_length=16)
    actor_team: str | None = Field(default=None, max_length=32)
    player_id: str | None = Field(default=None, max_length=32)
    payload: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(True)))
    client_id: str | None = Field(
        default=None,
        max_length=64,
        description="the sender's id for this action or message: a retry is not done twice",
    )


class Snapshot(SQLModel, table=True):
    __tablename__ = "snapshots"

    game_id: str = Field(foreign_key="games.id", primary_key=True, max_length=32)
    seq: int = Field(primary_key=True)
    state: str = Field(sa_column=Column(Text, nullable=False))
    room: str | None = Field(
        default=None,
        sa_column=Column(Text, nullable=True),
        description="seats, chat, bots and timer (JSON); None in snapshots before 0002",
    )
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(True)))


class ChatMessage(SQLModel, table=True):
    __tablename__ = "chat_messages"
    __table_args__ = (Index("ix_chat_messages_game_seq", "game_id", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    game_id: str = Field(foreign_key="games.id", max_length=32)
    seq: int
    channel: str = Field(max_length=16, description="plenary, team, bilateral or announcement")
    team: str | None = Field(default=None, max_length=32, description="the sender's team")
    to_team: str | None = Field(default=None, max_length=32, description="bilateral: the other")
    player_id: str | None = Field(default=None, max_length=32)
    author: str = Field(max_length=40)
    text: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(True)))


class GameSession(SQLModel, table=True):
    """Several games ("tables") of one scenario and seed, run side by side."""

    __tablename__ = "sessions"

    id: str = Field(primary_key=True, max_length=32)
    title: str = Field(default="", max_length=120)
    scenario_id: str = Field(max_length=64)
    seed: int
    facilitator_token_hash: str = Field(max_length=64)
    tokens_expire_at: float = Field(description="UNIX time after which the session's token fails")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(True)))


class SessionTable(SQLModel, table=True):
    """One game of a session, by its number in the room (1, 2, …)."""

    __tablename__ = "session_tables"
    __table_args__ = (UniqueConstraint("session_id", "number", name="uq_session_tables_number"),)

    session_id: str = Field(foreign_key="sessions.id", primary_key=True, max_length=32)
    game_id: str = Field(foreign_key="games.id", primary_key=True, max_length=32, unique=True)
    number: int
