"""The log's rows and the room's entries, one into the other, and the tables that index
the log (seats by token, chat by game), written in the entry's transaction."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, update
from sqlmodel import Session, col

from server.models import ActionRecord, ChatMessage, Player, Snapshot
from server.room import GameRoom, LogEntry
from server.store import Write

ACTIONS: Table = ActionRecord.__table__  # type: ignore[attr-defined]
CHAT: Table = ChatMessage.__table__  # type: ignore[attr-defined]
PLAYERS: Table = Player.__table__  # type: ignore[attr-defined]
SNAPSHOTS: Table = Snapshot.__table__  # type: ignore[attr-defined]


def stamp(t: float) -> datetime:
    return datetime.fromtimestamp(t, UTC)


def unix(at: datetime | None) -> float:
    if at is None:
        return 0.0
    # SQLite keeps no zone: the time was written in UTC.
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp()


def record_of(game_id: str, entry: LogEntry) -> ActionRecord:
    return ActionRecord(
        game_id=game_id,
        seq=entry.seq,
        kind=entry.kind,
        actor_role=entry.actor_role,
        actor_team=entry.actor_team,
        player_id=entry.player_id,
        payload=json.dumps(entry.payload, separators=(",", ":")),
        created_at=stamp(entry.at),
        client_id=entry.client_id,
    )


def entry_of(rec: ActionRecord) -> LogEntry:
    return LogEntry(
        rec.kind,
        rec.actor_role,
        json.loads(rec.payload),
        rec.actor_team,
        rec.player_id,
        seq=rec.seq,
        at=unix(rec.created_at),
        client_id=rec.client_id,
    )


def write_indexes(s: Session, room: GameRoom, entry: LogEntry) -> None:
    """The tables beside the log that index it (seats by token, chat by game)."""
    p = entry.payload
    if entry.kind == "join":
        assert entry.player_id is not None
        s.add(
            Player(
                id=entry.player_id,
                game_id=room.id,
                name=p["name"],
                team=p["team"],
                token_hash=p["token_hash"],
                joined_at=stamp(entry.at),
            )
        )
    elif entry.kind == "team_change":
        s.exec(update(Player).where(col(Player.id) == p["player_id"]).values(team=p["to"]))
    elif entry.kind == "player_removed":
        s.exec(update(Player).where(col(Player.id) == p["player_id"]).values(removed=True))
    elif entry.kind in ("chat", "announcement"):
        line = room.chat[-1]  # the line this entry just folded in
        s.add(
            ChatMessage(
                game_id=room.id,
                seq=line.seq,
                channel=line.channel,
                team=line.team,
                to_team=line.to_team,
                player_id=line.player_id,
                author=line.author,
                text=line.text,
                created_at=stamp(line.at),
            )
        )


def write_of(room: GameRoom, entry: LogEntry) -> Write:
    """The rows one entry adds — its log row and its indexes, as `record_of` and
    `write_indexes` make them — as plain rows for the group writer (server.store): the
    ORM's unit of work for three small rows was most of an action's write."""
    p = entry.payload
    w = Write(room.id, entry.seq)
    if entry.kind == "join":
        assert entry.player_id is not None
        player = {
            "id": entry.player_id,
            "game_id": room.id,
            "name": p["name"],
            "team": p["team"],
            "token_hash": p["token_hash"],
            "joined_at": stamp(entry.at),
            "removed": False,
        }
        w.inserts.append((PLAYERS, player))
    w.inserts.append((ACTIONS, action_row(room.id, entry)))
    if entry.kind == "team_change":
        stmt = update(Player).where(col(Player.id) == p["player_id"]).values(team=p["to"])
        w.statements.append((stmt, {}))
    elif entry.kind == "player_removed":
        stmt = update(Player).where(col(Player.id) == p["player_id"]).values(removed=True)
        w.statements.append((stmt, {}))
    elif entry.kind in ("chat", "announcement"):
        line = room.chat[-1]  # the line this entry just folded in
        chat = {
            "game_id": room.id,
            "seq": line.seq,
            "channel": line.channel,
            "team": line.team,
            "to_team": line.to_team,
            "player_id": line.player_id,
            "author": line.author,
            "text": line.text,
            "created_at": stamp(line.at),
        }
        w.inserts.append((CHAT, chat))
    return w


def action_row(game_id: str, entry: LogEntry) -> dict[str, Any]:
    """`record_of`'s row, for an insert without the ORM."""
    return {
        "game_id": game_id,
        "seq": entry.seq,
        "kind": entry.kind,
        "actor_role": entry.actor_role,
        "actor_team": entry.actor_team,
        "player_id": entry.player_id,
        "payload": json.dumps(entry.payload, separators=(",", ":")),
        "created_at": stamp(entry.at),
        "client_id": entry.client_id,
    }


def snapshot_row(room: GameRoom, at: float) -> dict[str, Any]:
    return {
        "game_id": room.id,
        "seq": room.seq,
        "state": room.state.snapshot(),
        "room": room.snapshot(),
        "created_at": stamp(at),
    }
