"""The first kilometre: needs declared with consent, anonymised

- ``first_km_answer``: one visitor's declared needs, kept only with their consent and
  anonymised: the commune, the world, the themes, the maturity level (1..4) and the
  month; no account, no address, no IP, no free text.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "first_km_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("territory_code", sa.String(length=20), nullable=False),
        sa.Column("world", sa.String(length=20), nullable=False),
        sa.Column("themes", sa.JSON(), nullable=False),
        sa.Column("maturity", sa.SmallInteger(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.CheckConstraint(
            "maturity BETWEEN 1 AND 4", name=op.f("ck_first_km_answer_maturity_range")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_first_km_answer")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("first_km_answer", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_first_km_answer_territory_code"), ["territory_code"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("first_km_answer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_first_km_answer_territory_code"))
    op.drop_table("first_km_answer")
