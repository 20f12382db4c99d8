"""Migration 0010 (AUTOINCREMENT ids on SQLite) grows with the rows, not their square.

Each audited table is dropped and filled again; SQLite then looks up the rows that refer
to each row (a link to its actors, an actor to the one it was merged into). Without an
index on such a reference every look-up reads the whole table. The bench fills a SQLite
file at revision 0009 with N actors and N-1 links, then times the upgrade, for N and
10 N in the same run: the ratio stays near 10 when the time is linear (it was near 100
before the upgrade indexed the references: 10,000 actors took 16 s wall clock, now 0.5 s).
Timed in CPU seconds of this process (``time.process_time``).

    .venv/bin/python bench/migration_0010.py [--rows 10000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from maillage.storage import migrate
from maillage.storage.engine import make_engine, transaction

STAMPS = "1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'"


def timed_upgrade(path: Path, rows: int) -> float:
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine, "0009")
    with transaction(engine) as conn:
        series = f"WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {rows})"
        conn.exec_driver_sql(
            f"{series} INSERT INTO actor (id, name, digital_profile, extra, version, created_at, "
            f"updated_at) SELECT i, 'Acteur ' || i, 'unknown', '{{}}', {STAMPS} FROM s"
        )
        conn.exec_driver_sql(
            f"{series} INSERT INTO link (id, source_id, target_id, directed, kind, status, extra, "
            f"version, created_at, updated_at) SELECT i, i, i + 1, 0, 'partnership', 'active', "
            f"'{{}}', {STAMPS} FROM s WHERE i < {rows}"
        )
    start = time.process_time()
    migrate.upgrade(engine)
    spent = time.process_time() - start
    engine.dispose()
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    rows = parser.parse_args().rows
    with tempfile.TemporaryDirectory() as folder:
        small = timed_upgrade(Path(folder) / "small.sqlite", rows)
        large = timed_upgrade(Path(folder) / "large.sqlite", rows * 10)
    print(f"{rows:>9,} actors: {small:6.2f} s CPU")
    print(f"{rows * 10:>9,} actors: {large:6.2f} s CPU")
    print(f"ratio: {large / small:.1f} (10 when linear, 100 when quadratic)")


if __name__ == "__main__":
    main()
