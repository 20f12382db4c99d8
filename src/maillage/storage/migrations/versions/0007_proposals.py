"""Contributions with moderation: evidence, conflict detection, documents and votes

- ``proposal`` gains ``message`` (what the proposer says), ``evidence_url``,
  ``base_version`` (the version of the record proposed against: a record changed
  since is a conflict), ``decided_by`` (``user:N`` or ``votes``), ``batch_id`` (the
  batch of the accepted write, for ``maillage undo --batch``) and ``result_id``, with
  indexes on ``status`` and ``user_id``.
- ``proposal_document``: the document given as evidence (type sniffed from its bytes).
- ``proposal_vote``: one vote per account and proposal (community validation).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("proposal", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("evidence_url", sa.String(length=1000), nullable=True))
        batch_op.add_column(sa.Column("base_version", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("decided_by", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("batch_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("result_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_proposal_batch_id_batch"), "batch", ["batch_id"], ["id"]
        )
        batch_op.create_index("ix_proposal_status", ["status"], unique=False)
        batch_op.create_index("ix_proposal_user_id", ["user_id"], unique=False)
    op.create_table(
        "proposal_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposal.id"], name=op.f("fk_proposal_document_proposal_id_proposal")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposal_document")),
        sa.UniqueConstraint("proposal_id", name=op.f("uq_proposal_document_proposal_id")),
    )
    op.create_table(
        "proposal_vote",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.SmallInteger(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposal.id"], name=op.f("fk_proposal_vote_proposal_id_proposal")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_proposal_vote_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposal_vote")),
        sa.UniqueConstraint("proposal_id", "user_id", name=op.f("uq_proposal_vote_proposal_id")),
    )


def downgrade() -> None:
    op.drop_table("proposal_vote")
    op.drop_table("proposal_document")
    with op.batch_alter_table("proposal", schema=None) as batch_op:
        batch_op.drop_index("ix_proposal_user_id")
        batch_op.drop_index("ix_proposal_status")
        batch_op.drop_constraint(op.f("fk_proposal_batch_id_batch"), type_="foreignkey")
        for name in ("result_id", "batch_id", "decided_by", "base_version", "evidence_url",
                     "message"):  # fmt: skip
            batch_op.drop_column(name)
