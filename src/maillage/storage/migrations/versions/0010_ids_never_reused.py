"""The ids of audited entities are never given twice (SQLite AUTOINCREMENT)

Undoing a creation deletes the row. Without ``AUTOINCREMENT`` SQLite gives the next row
the largest id plus one, so the next actor or link created took the id of the one undone
and its history page (``/links/345/history``) mixed the trails of two different records.
``AUTOINCREMENT`` makes SQLite remember the largest id ever given (``sqlite_sequence``).
PostgreSQL sequences never give an id twice: nothing changes there.

Each table is rebuilt the way SQLite documents for changes ALTER TABLE cannot make: its
rows are copied aside, the table is dropped and created again with the same columns,
constraints and foreign keys (the stored ``CREATE TABLE`` with only the primary key
changed), the rows copied back with their ids, its indexes created again from their
stored SQL (partial ones included). Foreign keys stay on, deferred to the commit, which
checks every reference. Dropping and filling a table makes SQLite look up the rows that
refer to each of its rows: a reference no index starts with (``actor.merged_into_id``)
gets one for the time of the upgrade, else the look-ups grow with the square of the
rows (10,000 actors: 16 s without, see bench/migration_0010.py). The sequence starts above the largest id the audit log names, so
an id already undone before this upgrade is not given again either.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import re
from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# Audited entity (``change.entity``) -> its table: every repository of storage.registry.
TABLES = {
    "actor": "actor",
    "link": "link",
    "need": "need",
    "indicator": "indicator",
    "maturity": "maturity",
    "solution": "solution",
    "resource": "resource",
    "excerpt": "excerpt",
    "evaluation": "evaluation",
    "comment": "comment",
    "proposal": "proposal",
    "user": "user_account",
}
PLAIN_ID = re.compile(r"\(\s*id INTEGER NOT NULL,")
AUTO_ID = re.compile(r"\(\s*id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,")


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "sqlite":
        return
    conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")  # checked at the commit
    helpers = _index_references(conn)
    for entity, table in TABLES.items():
        _rebuild(conn, table, _with_autoincrement, helpers)
        last = conn.execute(
            sa.text(
                "SELECT MAX(m) FROM (SELECT MAX(id) AS m FROM " + _quoted(table) + " UNION ALL "
                "SELECT MAX(entity_id) FROM change WHERE entity = :entity)"
            ),
            {"entity": entity},
        ).scalar()
        conn.execute(sa.text("DELETE FROM sqlite_sequence WHERE name = :t"), {"t": table})
        conn.execute(
            sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES (:t, :seq)"),
            {"t": table, "seq": last or 0},
        )
    _drop_helpers(conn, helpers)


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "sqlite":
        return
    conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
    helpers = _index_references(conn)
    for table in TABLES.values():
        _rebuild(conn, table, _without_autoincrement, helpers)
    _drop_helpers(conn, helpers)


def _with_autoincrement(sql: str, table: str) -> str:
    """``CREATE TABLE`` of ``table`` with ``id INTEGER PRIMARY KEY AUTOINCREMENT``."""
    new, found = PLAIN_ID.subn("(\n\tid INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,", sql, 1)
    new, dropped = re.subn(rf",\s*CONSTRAINT pk_{table} PRIMARY KEY \(id\)", "", new)
    if found != 1 or dropped != 1:
        raise RuntimeError(
            f"Mise à jour 0010 impossible : la table {table} n'a pas la forme attendue "
            f"(id puis CONSTRAINT pk_{table}) / Upgrade 0010 stopped: table {table} is not "
            "in the expected shape"
        )
    return new


def _without_autoincrement(sql: str, table: str) -> str:
    new, found = AUTO_ID.subn("(\n\tid INTEGER NOT NULL,", sql, 1)
    if found != 1:
        raise RuntimeError(f"Downgrade 0010: table {table} has no AUTOINCREMENT id")
    end = new.rstrip().rstrip(")").rstrip()
    return f"{end}, \n\tCONSTRAINT pk_{table} PRIMARY KEY (id)\n)"


def _quoted(name: str) -> str:
    return '"' + name + '"'


def _index_references(conn: sa.Connection) -> dict[str, list[str]]:
    """Index, for the upgrade, each column referring to a rebuilt table that no index
    starts with; returns the ``CREATE INDEX`` of each, by table."""
    rebuilt = set(TABLES.values())
    helpers: dict[str, list[str]] = {}
    names = conn.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE '%REFERENCES%'"
    ).scalars()
    for child in list(names):
        leading = set()
        for index in conn.exec_driver_sql(f"PRAGMA index_list({_quoted(child)})").all():
            first = conn.exec_driver_sql(f"PRAGMA index_info({_quoted(index[1])})").first()
            if first is not None:
                leading.add(first[2])
        for fk in conn.exec_driver_sql(f"PRAGMA foreign_key_list({_quoted(child)})").all():
            column = fk[3]
            if fk[2] in rebuilt and column not in leading:
                leading.add(column)
                name = _quoted(f"_0010_{child}_{column}")
                sql = f"CREATE INDEX {name} ON {_quoted(child)} ({_quoted(column)})"
                conn.exec_driver_sql(sql)
                helpers.setdefault(child, []).append(sql)
    return helpers


def _drop_helpers(conn: sa.Connection, helpers: dict[str, list[str]]) -> None:
    for sql in (s for made in helpers.values() for s in made):
        name = sql.split()[2]
        conn.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")


def _rebuild(
    conn: sa.Connection, table: str, new_sql: Callable[[str, str], str],
    helpers: dict[str, list[str]],
) -> None:  # fmt: skip
    """Drop and create ``table`` again from ``new_sql(stored_sql)``, keeping its rows (ids
    included) and its indexes."""
    stored = conn.execute(
        sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :t"), {"t": table}
    ).scalar_one()
    indexes = list(
        conn.execute(
            sa.text(
                "SELECT sql FROM sqlite_master WHERE type IN ('index', 'trigger') "
                "AND tbl_name = :t AND sql IS NOT NULL"
            ),
            {"t": table},
        ).scalars()
    )
    columns = ", ".join(
        _quoted(row[1]) for row in conn.exec_driver_sql(f"PRAGMA table_info({_quoted(table)})")
    )
    aside = _quoted(f"_0010_{table}")
    conn.exec_driver_sql(f"CREATE TABLE {aside} AS SELECT {columns} FROM {_quoted(table)}")
    # The implicit delete of DROP counts each reference to these rows as a deferred
    # violation; copying the rows back into the new table counts them resolved.
    conn.exec_driver_sql(f"DROP TABLE {_quoted(table)}")
    conn.exec_driver_sql(new_sql(stored, table))
    for sql in helpers.get(table, ()):  # its own references (actor.merged_into_id)
        conn.exec_driver_sql(sql)
    conn.exec_driver_sql(
        f"INSERT INTO {_quoted(table)} ({columns}) SELECT {columns} FROM {aside} ORDER BY id"
    )
    conn.exec_driver_sql(f"DROP TABLE {aside}")
    for sql in indexes:
        if sql not in helpers.get(table, ()):  # made again before the rows came back
            conn.exec_driver_sql(sql)
