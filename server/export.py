"""Exports: the action log (JSON, re-importable), indicators per round (CSV), and the
material of the printable report, each for one audience.

Secrecy: the facilitator's export is the log itself, which holds everything. Every other
audience's export is built from its own view (`game_rules.views`): a team's JSON is its
view of the game with every round, every news item and every chat line it could read, its
CSV the indicators its view holds (its own in full, the others' public ones). Nothing of
another team's mandate, proposals or private chat can be in it: it was never in the view.

Import (`import_game`, `compact db import`): a facilitator's export becomes a new game in
any database, with a new id, join code and tokens, by writing the same log and folding it
(`server.room.fold`); the state it folds to must have the digest the export carries. The
seats' token hashes never leave the server, so an imported game's seats get new ones
nobody holds: the copy is for the debrief and for study, nobody plays on as someone else.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import secrets
import time
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from game_rules import GameState
from game_rules.views import may_read_chat, view
from server.models import ChatMessage, Game, Snapshot

# The log's own row and index writers, so an imported entry is stored as a played one.
from server.records import record_of, unix, write_indexes
from server.replay import bare_room
from server.room import GameRoom, LogEntry, audience_of, fold, new_token, token_hash
from server.rooms import GameHall, in_thread, new_join_code

LOG_FORMAT = "compact-log"
VIEW_FORMAT = "compact-view"
FORMAT_VERSION = 1
ALL_NEWS = 1_000_000
"""A view's news in full (the screens show the newest 60)."""

__all__ = ["ImportRefused", "export_for", "import_game", "indicators_csv", "state_digest"]


class ImportRefused(ValueError):
    """The file is not a facilitator's export this server can fold into the same game."""


def state_digest(state: GameState) -> str:
    """SHA-256 of the rules state's JSON: two games with the same digest are the same game."""
    return hashlib.sha256(state.snapshot().encode()).hexdigest()


def _start(engine: Engine, game_id: str) -> str:
    """The rules state the game was created with (the snapshot at seq 0)."""
    with Session(engine) as s:
        return s.exec(
            select(Snapshot.state).where(Snapshot.game_id == game_id, col(Snapshot.seq) == 0)
        ).one()


def _read_chat(engine: Engine, room: GameRoom, key: str) -> list[dict[str, Any]]:
    """Every chat line of the game that audience `key` may read (the room keeps the last
    few hundred; the table keeps them all)."""
    audience = audience_of(key)
    with Session(engine) as s:
        rows = s.exec(
            select(ChatMessage).where(ChatMessage.game_id == room.id).order_by(col(ChatMessage.seq))
        ).all()
        return [
            {
                "seq": m.seq,
                "channel": m.channel,
                "team": m.team,
                "to_team": m.to_team,
                "author": m.author,
                "text": m.text,
                "at": unix(m.created_at),
            }
            for m in rows
            if may_read_chat(audience, m.channel, m.team, m.to_team)
        ]


async def export_for(hall: GameHall, room: GameRoom, key: str) -> dict[str, Any]:
    """The JSON export of audience `key`: the facilitator's log, or another's view."""
    head = {
        "version": FORMAT_VERSION,
        "game_id": room.id,
        "title": room.title,
        "scenario": room.state.scenario.id,
        "seq": room.seq,
        "exported_at": time.time(),
    }
    if key == "facilitator":
        start = await in_thread(_start, hall.engine, room.id)
        log = await hall.log(room.id)  # without the seats' token hashes
        return {
            "format": LOG_FORMAT,
            **head,
            "digest": state_digest(room.state),
            "start": json.loads(start),
            "log": log,
        }
    chat = await in_thread(_read_chat, hall.engine, room, key)
    audience = audience_of(key)
    debrief = room.debrief(audience)
    return {
        "format": VIEW_FORMAT,
        **head,
        "audience": key,
        "view": view(room.state, audience, news=ALL_NEWS),
        "chat": chat,
        "debrief": debrief,
    }


# --- indicators per round: CSV ------------------------------------------------------------

CSV_COLUMNS = ("table", "game_id", "round", "year", "team", "indicator", "value")


def indicator_rows(
    v: dict[str, Any], *, table: int | str = "", game_id: str = ""
) -> list[list[Any]]:
    """One row per round, team and indicator of view `v` (what its audience could see):
    the indicators, domestic support and, where shown, the score."""
    rows: list[list[Any]] = []
    for rec in v["history"]:
        for tid in (t["id"] for t in v["teams"]):
            values = dict(rec["indicators"].get(tid, {}))
            if tid in rec.get("support", {}):
                values["support"] = rec["support"][tid]
            scores = rec.get("scores") or {}
            if tid in scores:
                values["score"] = scores[tid]
            for name in sorted(values):
                value = values[name]
                shown = round(value, 3) if isinstance(value, float) else value
                rows.append([table, game_id, rec["round"], rec["year"], tid, name, shown])
    return rows


def indicators_csv(tables: list[tuple[int | str, str, dict[str, Any]]]) -> str:
    """The CSV of one or more tables: (number, game id, the audience's view) each."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for number, game_id, v in tables:
        writer.writerows(indicator_rows(v, table=number, game_id=game_id))
    return out.getvalue()


def audience_view(room: GameRoom, key: str) -> dict[str, Any]:
    """What audience `key` sees of the game, every round and every news item."""
    return view(room.state, audience_of(key), news=ALL_NEWS)


# --- import -------------------------------------------------------------------------------


def import_game(engine: Engine, data: dict[str, Any], *, chat_history: int = 50) -> dict[str, str]:
    """A facilitator's export as a new game of this database: its id, join code and the
    new facilitator's and projector's tokens. Refused (ImportRefused, nothing written) if
    it is not such an export or does not fold to the state its digest names."""
    if data.get("format") != LOG_FORMAT or data.get("version") != FORMAT_VERSION:
        raise ImportRefused(
            "not a facilitator's log export (format compact-log, version 1): a team's "
            "export holds its view only and cannot be replayed"
        )
    try:
        start = GameState.model_validate(data["start"])
        entries = [
            LogEntry(
                e["kind"],
                e["actor_role"],
                dict(e["payload"]),
                e.get("actor_team"),
                e.get("player_id"),
                seq=int(e["seq"]),
                at=unix(datetime.fromisoformat(e["at"])),
            )
            for e in data["log"]
        ]
    except (KeyError, TypeError, ValueError) as exc:
        raise ImportRefused(f"the export cannot be read: {exc}") from None
    if not entries or entries[0].kind != "create" or entries[0].seq != 0:
        raise ImportRefused("the log does not begin with the game's creation (seq 0)")
    create = entries[0].payload
    facilitator, projector = new_token(), new_token()
    now = time.time()
    game = Game(
        id=secrets.token_hex(8),
        join_code=new_join_code(),
        title=str(data.get("title") or create.get("title") or "")[:120],
        scenario_id=start.scenario.id,
        facilitator_token_hash=token_hash(facilitator),
        projector_token_hash=token_hash(projector),
        tokens_expire_at=now + 24 * 3600,
        timers=json.dumps(create.get("timers") or {}),
    )
    room = bare_room(game, GameState.model_validate(data["start"]), chat_history)
    with Session(engine) as s:
        s.add(game)
        s.flush()
        s.add(record_of(game.id, entries[0]))
        s.add(Snapshot(game_id=game.id, seq=0, state=start.snapshot()))
        for entry in entries[1:]:
            if entry.seq != room.seq + 1:
                raise ImportRefused(f"the log jumps from seq {room.seq} to {entry.seq}")
            if entry.kind == "join":
                # A seat nobody holds: the hash of a token thrown away at once.
                entry.payload["token_hash"] = token_hash(new_token())
            try:
                fold(room, entry)
            except Exception as exc:
                raise ImportRefused(
                    f"entry {entry.seq} ({entry.kind}) does not fold: {exc}"
                ) from None
            s.add(record_of(game.id, entry))
            write_indexes(s, room, entry)
        digest = state_digest(room.state)
        if data.get("digest") and digest != data["digest"]:
            raise ImportRefused(
                f"the log folds to another game (digest {digest[:12]}…, the export names "
                f"{str(data['digest'])[:12]}…)"
            )
        if room.seq > 0:
            s.add(
                Snapshot(
                    game_id=game.id, seq=room.seq, state=room.state.snapshot(), room=room.snapshot()
                )
            )
        game.phase_deadline, game.paused_remaining = room.deadline, room.paused_remaining
        s.add(game)
        s.commit()
    return {
        "game_id": room.id,
        "join_code": room.join_code,
        "facilitator_token": facilitator,
        "projector_token": projector,
        "digest": digest,
    }
