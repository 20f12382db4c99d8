"""Qualitative coding: a hierarchical codebook, codings by several coders, memos

- ``code``: a code of the codebook (REFI-QDA guid, parent, name, description, colour),
  optionally standing for one of the seven hypotheses or a theme.
- ``coding``: one code applied by one coder (a name, and the account when there is one)
  to a passage of a resource (start and end offsets, the quote), with its stance
  (supports, nuances, contradicts) and a memo; codings of one selection share a
  ``selection_guid``.
- ``memo``: a memo on a code, a resource or the whole project.

The older ``excerpt``/``excerpt_code`` tables (one hypothesis and stance, no coder) stay.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guid", sa.String(length=38), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("color", sa.String(length=7), nullable=True),
        sa.Column("hypothesis_code", sa.String(length=20), nullable=True),
        sa.Column("theme", sa.String(length=100), nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.ForeignKeyConstraint(["parent_id"], ["code.id"], name=op.f("fk_code_parent_id_code")),
        sa.ForeignKeyConstraint(
            ["hypothesis_code"], ["hypothesis.code"],
            name=op.f("fk_code_hypothesis_code_hypothesis"),
        ),  # fmt: skip
        sa.PrimaryKeyConstraint("id", name=op.f("pk_code")),
        sa.UniqueConstraint("guid", name=op.f("uq_code_guid")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_code_parent_id"), "code", ["parent_id"], unique=False)
    op.create_table(
        "coding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guid", sa.String(length=38), nullable=False),
        sa.Column("selection_guid", sa.String(length=38), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("end", sa.Integer(), nullable=False),
        sa.Column("quote", sa.Text(), nullable=False),
        sa.Column("code_id", sa.Integer(), nullable=False),
        sa.Column("coder", sa.String(length=200), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("stance", sa.String(length=20), nullable=True),
        sa.Column("memo", sa.Text(), nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.ForeignKeyConstraint(
            ["resource_id"], ["resource.id"], name=op.f("fk_coding_resource_id_resource")
        ),
        sa.ForeignKeyConstraint(["code_id"], ["code.id"], name=op.f("fk_coding_code_id_code")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["user_account.id"], name=op.f("fk_coding_account_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coding")),
        sa.UniqueConstraint("guid", name=op.f("uq_coding_guid")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_coding_selection_guid"), "coding", ["selection_guid"], unique=False)
    op.create_index(op.f("ix_coding_resource_id"), "coding", ["resource_id"], unique=False)
    op.create_index(op.f("ix_coding_code_id"), "coding", ["code_id"], unique=False)
    op.create_table(
        "memo",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guid", sa.String(length=38), nullable=False),
        sa.Column("target", sa.String(length=20), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=True),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["user_account.id"], name=op.f("fk_memo_account_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_memo")),
        sa.UniqueConstraint("guid", name=op.f("uq_memo_guid")),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    op.drop_table("memo")
    op.drop_index(op.f("ix_coding_code_id"), table_name="coding")
    op.drop_index(op.f("ix_coding_resource_id"), table_name="coding")
    op.drop_index(op.f("ix_coding_selection_guid"), table_name="coding")
    op.drop_table("coding")
    op.drop_index(op.f("ix_code_parent_id"), table_name="code")
    op.drop_table("code")
