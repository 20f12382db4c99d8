"""Debate: threaded comments with stances, reports, hiding, blocking, follows

- ``comment`` gains ``parent_id`` (threads), ``stance`` (for, against, question),
  ``edited_at``, and the trace of a hiding by a moderator: ``hidden_at``,
  ``hidden_by``, ``hidden_reason``.
- ``comment_report``: a report of a comment by a signed-in person (one per person
  per comment), with a reason and what a moderator did of it.
- ``user_account`` gains ``blocked_at``, ``blocked_by``, ``blocked_reason``: a blocked
  account can no longer comment nor contribute.
- ``follow``: who follows an actor, a territory... (told of new comments by e-mail).
- ``notification_setting``: e-mail notifications on or off per account, and the key of
  its unsubscribe link.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("parent_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("stance", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("edited_at", Timestamp, nullable=True))
        batch_op.add_column(sa.Column("hidden_at", Timestamp, nullable=True))
        batch_op.add_column(sa.Column("hidden_by", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("hidden_reason", sa.Text(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_comment_parent_id_comment"), "comment", ["parent_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_comment_hidden_by_user_account"), "user_account", ["hidden_by"], ["id"]
        )
        batch_op.create_index(batch_op.f("ix_comment_parent_id"), ["parent_id"], unique=False)
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("blocked_at", Timestamp, nullable=True))
        batch_op.add_column(sa.Column("blocked_by", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("blocked_reason", sa.Text(), nullable=True))
    op.create_table(
        "comment_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("details", sa.Text(), nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("resolved_at", Timestamp, nullable=True),
        sa.Column("resolved_by", sa.Integer(), nullable=True),
        sa.Column("resolution", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["comment_id"], ["comment.id"], name=op.f("fk_comment_report_comment_id_comment")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_comment_report_user_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by"],
            ["user_account.id"],
            name=op.f("fk_comment_report_resolved_by_user_account"),
        ),  # fmt: skip
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comment_report")),
        sa.UniqueConstraint(
            "comment_id", "user_id", name=op.f("uq_comment_report_comment_id_user_id")
        ),
    )
    op.create_index(
        op.f("ix_comment_report_comment_id"), "comment_report", ["comment_id"], unique=False
    )
    op.create_table(
        "follow",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(length=20), nullable=False),
        sa.Column("entity_ref", sa.String(length=40), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_follow_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow")),
        sa.UniqueConstraint("user_id", "entity", "entity_ref", name=op.f("uq_follow_user_id")),
    )
    op.create_index("ix_follow_subject", "follow", ["entity", "entity_ref"], unique=False)
    op.create_table(
        "notification_setting",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("unsubscribe_key", sa.String(length=64), nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_notification_setting_user_id_user_account"),
        ),  # fmt: skip
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_notification_setting")),
        sa.UniqueConstraint(
            "unsubscribe_key", name=op.f("uq_notification_setting_unsubscribe_key")
        ),
    )


def downgrade() -> None:
    op.drop_table("notification_setting")
    op.drop_index("ix_follow_subject", table_name="follow")
    op.drop_table("follow")
    op.drop_index(op.f("ix_comment_report_comment_id"), table_name="comment_report")
    op.drop_table("comment_report")
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        for name in ("blocked_reason", "blocked_by", "blocked_at"):
            batch_op.drop_column(name)
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_comment_parent_id"))
        batch_op.drop_constraint(
            batch_op.f("fk_comment_hidden_by_user_account"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("fk_comment_parent_id_comment"), type_="foreignkey")
        for name in ("hidden_reason", "hidden_by", "hidden_at", "edited_at", "stance", "parent_id"):
            batch_op.drop_column(name)
