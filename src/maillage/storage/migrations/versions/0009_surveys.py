"""Relationship surveys: invited actors with personal links, declared partners

- ``survey``: a title, the territory and theme the actors were chosen by, an optional
  closing date, who opened it.
- ``survey_respondent``: one invited actor of a survey, the SHA-256 of its personal
  link (revocable), who answered and when.
- ``survey_answer``: one partner declared by a respondent (an actor of the map, or a
  new one by name and commune), the kind of link, its intensity, since when, and the
  proposal it became.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "survey",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("territory_code", sa.String(length=40), nullable=True),
        sa.Column("theme", sa.String(length=100), nullable=True),
        sa.Column("closes_at", Timestamp, nullable=True),
        sa.Column("closed_at", Timestamp, nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["user_account.id"], name=op.f("fk_survey_created_by_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey")),
    )
    op.create_table(
        "survey_respondent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("answered_at", Timestamp, nullable=True),
        sa.Column("revoked_at", Timestamp, nullable=True),
        sa.ForeignKeyConstraint(
            ["survey_id"], ["survey.id"], name=op.f("fk_survey_respondent_survey_id_survey")
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["actor.id"], name=op.f("fk_survey_respondent_actor_id_actor")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_respondent")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_survey_respondent_token_hash")),
        sa.UniqueConstraint("survey_id", "actor_id", name=op.f("uq_survey_respondent_survey_id")),
    )
    op.create_table(
        "survey_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("respondent_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=True),
        sa.Column("partner_name", sa.String(length=200), nullable=True),
        sa.Column("partner_commune", sa.String(length=10), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("intensity", sa.SmallInteger(), nullable=False),
        sa.Column("since_year", sa.Integer(), nullable=True),
        sa.Column("proposal_id", sa.Integer(), nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.ForeignKeyConstraint(
            ["respondent_id"],
            ["survey_respondent.id"],
            name=op.f("fk_survey_answer_respondent_id_survey_respondent"),
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["actor.id"], name=op.f("fk_survey_answer_partner_id_actor")
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposal.id"], name=op.f("fk_survey_answer_proposal_id_proposal")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_answer")),
    )
    op.create_index(
        op.f("ix_survey_answer_respondent_id"), "survey_answer", ["respondent_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_survey_answer_respondent_id"), table_name="survey_answer")
    op.drop_table("survey_answer")
    op.drop_table("survey_respondent")
    op.drop_table("survey")
