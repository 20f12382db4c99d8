"""Evaluations of solutions, links and alliances against a versioned grid

- ``solution``: its kind (platform, application, service, device), its licence, whether
  it is open source and publishes open data, links to its resources (``resources``: a
  list of {title, url}).
- ``evaluation``: the grid it answers (``grid``: ``csr`` or ``partnership``) beside the
  grid's version kept per evaluation, the evaluator's account, a note; its subject may
  now be a link or an alliance (the carriers of a solution) as well as a solution.
- ``evaluation_score``: the answer as given (``value``: yes / no / na, a level, a
  measurement), the kind of its evidence (document, url, measurement, map) and the
  evidence's address.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("solution", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("licence", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("open_source", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("open_data", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("resources", sa.JSON(), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        # Added in place: a batch rebuild of ``evaluation`` would drop the AUTOINCREMENT of
        # 0010 and fail on the scores that reference its rows (foreign keys are on).
        op.execute("ALTER TABLE evaluation ADD COLUMN grid VARCHAR(40) DEFAULT 'csr' NOT NULL")
        op.execute(
            "ALTER TABLE evaluation ADD COLUMN evaluator_id INTEGER "
            "CONSTRAINT fk_evaluation_evaluator_id_user_account REFERENCES user_account (id)"
        )
        op.execute("ALTER TABLE evaluation ADD COLUMN note TEXT")
    else:
        with op.batch_alter_table("evaluation", schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("grid", sa.String(length=40), server_default="csr", nullable=False)
            )
            batch_op.add_column(sa.Column("evaluator_id", sa.Integer(), nullable=True))
            batch_op.add_column(sa.Column("note", sa.Text(), nullable=True))
            batch_op.create_foreign_key(
                batch_op.f("fk_evaluation_evaluator_id_user_account"),
                "user_account",
                ["evaluator_id"],
                ["id"],
            )
    with op.batch_alter_table("evaluation_score", schema=None) as batch_op:
        batch_op.add_column(sa.Column("value", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("evidence_kind", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("evidence_url", sa.String(length=1000), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("evaluation_score", schema=None) as batch_op:
        batch_op.drop_column("evidence_url")
        batch_op.drop_column("evidence_kind")
        batch_op.drop_column("value")
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:  # the rebuild drops the table its scores reference: they wait aside
        op.execute("CREATE TEMP TABLE _0013_score AS SELECT * FROM evaluation_score")
        op.execute("DELETE FROM evaluation_score")
    with op.batch_alter_table(
        "evaluation", schema=None, table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        if not sqlite:  # SQLite's column-level constraint goes with its column
            batch_op.drop_constraint(
                batch_op.f("fk_evaluation_evaluator_id_user_account"), type_="foreignkey"
            )
        batch_op.drop_column("note")
        batch_op.drop_column("evaluator_id")
        batch_op.drop_column("grid")
    if sqlite:
        op.execute("INSERT INTO evaluation_score SELECT * FROM _0013_score")
        op.execute("DROP TABLE _0013_score")
        # solution in place: a rebuild would lose 0010's AUTOINCREMENT and its references
        for column in ("resources", "open_data", "open_source", "licence", "kind"):
            op.execute(f"ALTER TABLE solution DROP COLUMN {column}")
        return
    with op.batch_alter_table("solution", schema=None) as batch_op:
        batch_op.drop_column("resources")
        batch_op.drop_column("open_data")
        batch_op.drop_column("open_source")
        batch_op.drop_column("licence")
        batch_op.drop_column("kind")
