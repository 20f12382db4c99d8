"""territory.search_tokens: the full-text tokens of each territory's name

Stored with the geography so that indexing actors does not stem commune names
again on every import.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("territory") as batch:
        batch.add_column(sa.Column("search_tokens", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("territory") as batch:
        batch.drop_column("search_tokens")
