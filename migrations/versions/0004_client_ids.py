"""client ids in the log: a retried action or message is not done twice

A page that was offline sends what it queued again, with the id it chose for it
(docs/websocket.md, "Nothing typed is lost"). The id is kept on the log entry, so the
fold rebuilds each seat's recent ids after a restart and a retry then is still refused.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 00:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("actions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("client_id", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("actions", schema=None) as batch_op:
        batch_op.drop_column("client_id")
