"""The resource centre: webinars and transcripts, SDGs, links, mentions, full-text index

- ``resource`` gains ``replay_url`` (a webinar's replay), ``speakers``, ``transcript``
  (speaker turns ``[{speaker, text}]``) and ``extra`` (the file's other metadata).
- ``resource_sdg``, ``resource_link``: the SDGs and the links a resource concerns.
- ``resource_mention``: actors found named in a resource's text, proposed as links
  resource ↔ actor until accepted (a ``resource_actor`` row) or rejected.
- The French full-text index of resources: FTS5 ``resource_fts`` (every word) and
  ``resource_title_fts`` (the title's) on SQLite, ``resource_search`` (``tsv`` and
  ``title_tsv`` + GIN) on PostgreSQL, all over the same French tokens made in Python
  (folded, French stop words dropped, Snowball French stems: maillage.model.text).
  PostgreSQL reads them with the ``simple`` configuration, as they are: its ``french``
  one stems the stems again and then finds more than FTS5 (one more resource for
  "association" in the test samples). No positions are kept: ranking is done
  from the matches (see :mod:`maillage.services.resources`). ``resource_index_state`` holds
  a generation bumped by every indexing, so cached facet tables know when to reload.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("resource") as batch_op:
        batch_op.add_column(sa.Column("replay_url", sa.String(length=1000), nullable=True))
        batch_op.add_column(sa.Column("speakers", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(
            sa.Column("transcript", sa.JSON(), nullable=False, server_default="[]")
        )
        batch_op.add_column(sa.Column("extra", sa.JSON(), nullable=False, server_default="{}"))
    op.create_table(
        "resource_sdg",
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("sdg", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["resource_id"], ["resource.id"], name=op.f("fk_resource_sdg_resource_id_resource")
        ),
        sa.PrimaryKeyConstraint("resource_id", "sdg", name=op.f("pk_resource_sdg")),
    )
    op.create_table(
        "resource_link",
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["resource_id"], ["resource.id"], name=op.f("fk_resource_link_resource_id_resource")
        ),
        sa.ForeignKeyConstraint(
            ["link_id"], ["link.id"], name=op.f("fk_resource_link_link_id_link")
        ),
        sa.PrimaryKeyConstraint("resource_id", "link_id", name=op.f("pk_resource_link")),
    )
    op.create_table(
        "resource_mention",
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("surface", sa.String(length=500), nullable=False),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resource.id"],
            name=op.f("fk_resource_mention_resource_id_resource"),
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["actor.id"], name=op.f("fk_resource_mention_actor_id_actor")
        ),
        sa.PrimaryKeyConstraint("resource_id", "actor_id", name=op.f("pk_resource_mention")),
    )
    op.execute("CREATE TABLE resource_index_state (id integer PRIMARY KEY, generation integer)")
    op.execute("INSERT INTO resource_index_state (id, generation) VALUES (1, 0)")
    if op.get_bind().dialect.name == "sqlite":
        for table in ("resource_fts", "resource_title_fts"):
            op.execute(
                f"CREATE VIRTUAL TABLE {table} USING fts5("
                "tokens, tokenize='unicode61 remove_diacritics 2', detail=none)"
            )
    else:
        # Narrow rows (the tsvectors stored out of line): a query reading the ids of 50k
        # matches visits few heap pages.
        op.execute(
            "CREATE TABLE resource_search ("
            " resource_id integer PRIMARY KEY REFERENCES resource(id),"
            " title_tokens text NOT NULL,"
            " tsv tsvector NOT NULL,"
            " title_tsv tsvector NOT NULL) WITH (toast_tuple_target = 128)"
        )
        op.execute("ALTER TABLE resource_search ALTER COLUMN tsv SET STORAGE EXTERNAL")
        op.execute("CREATE INDEX ix_resource_search_tsv ON resource_search USING gin (tsv)")
        op.execute(
            "CREATE INDEX ix_resource_search_title_tsv ON resource_search USING gin (title_tsv)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE resource_fts")
        op.execute("DROP TABLE resource_title_fts")
    else:
        op.execute("DROP TABLE resource_search")
    op.execute("DROP TABLE resource_index_state")
    op.drop_table("resource_mention")
    op.drop_table("resource_link")
    op.drop_table("resource_sdg")
    if op.get_bind().dialect.name == "sqlite":  # in place: a rebuild loses 0010's AUTOINCREMENT
        for column in ("extra", "transcript", "speakers", "replay_url"):
            op.execute(f"ALTER TABLE resource DROP COLUMN {column}")
        return
    with op.batch_alter_table("resource") as batch_op:
        batch_op.drop_column("extra")
        batch_op.drop_column("transcript")
        batch_op.drop_column("speakers")
        batch_op.drop_column("replay_url")
