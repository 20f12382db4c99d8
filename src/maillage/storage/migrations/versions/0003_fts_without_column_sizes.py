"""actor_fts without its per-document size table (SQLite only)

FTS5's ``columnsize=0`` drops the ``actor_fts_docsize`` shadow table: one write
fewer per indexed actor. Ranking (bm25) still works, measuring a matched
document's length from its stored tokens. PostgreSQL's index is unchanged.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_TOKENIZE = "tokenize='unicode61 remove_diacritics 2', detail=none"


def _rebuild(options: str) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(f"CREATE VIRTUAL TABLE actor_fts_rebuilt USING fts5(tokens, {options})")
    op.execute("INSERT INTO actor_fts_rebuilt(rowid, tokens) SELECT rowid, tokens FROM actor_fts")
    op.execute("DROP TABLE actor_fts")
    op.execute("ALTER TABLE actor_fts_rebuilt RENAME TO actor_fts")


def upgrade() -> None:
    _rebuild(f"{_TOKENIZE}, columnsize=0")


def downgrade() -> None:
    _rebuild(_TOKENIZE)
