"""the room in the log: snapshots keep seats, chat, bots and timer; joins keep their token hash

Loading a game is a snapshot plus one fold of the log, for every kind of entry. For that a
`join` entry carries the seat's token hash (copied here from `players` into the joins
already in the log), and a snapshot carries the room beside the rules state (`room`;
snapshots written before this revision have none, and the loader starts those games from
seq 0).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 21:00:00
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("snapshots", schema=None) as batch_op:
        batch_op.add_column(sa.Column("room", sa.Text(), nullable=True))
    conn = op.get_bind()
    joins = conn.execute(
        sa.text(
            "SELECT a.id, a.payload, p.token_hash FROM actions a "
            "JOIN players p ON p.id = a.player_id WHERE a.kind = 'join'"
        )
    ).all()
    for action_id, payload, hashed in joins:
        data = json.loads(payload)
        if "token_hash" not in data:
            data["token_hash"] = hashed
            conn.execute(
                sa.text("UPDATE actions SET payload = :p WHERE id = :i"),
                {"p": json.dumps(data, separators=(",", ":")), "i": action_id},
            )


def downgrade() -> None:
    with op.batch_alter_table("snapshots", schema=None) as batch_op:
        batch_op.drop_column("room")
