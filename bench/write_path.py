"""Write path: 100k actors through the service layer vs a bare sqlite3.executemany.

The service path validates every field (SIRET Luhn, commune existence, ...),
writes the actors, their themes, one audit row per actor with its full state,
and the French full-text index. The reference inserts the same rows into the
same ``actor`` table with ``sqlite3.executemany`` in the same run.

Both are timed in CPU seconds of this process (``time.process_time``): the
work is single-threaded and CPU-bound, and CPU time stays meaningful on a
machine shared with other jobs, where wall-clock time does not.

    .venv/bin/python bench/write_path.py [--rows 100000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sqlite3
import tempfile
import time
from pathlib import Path

from stdnum import luhn

from maillage.services import actors, database
from maillage.storage.engine import make_engine

WORLDS = ["economic", "associative", "public", "academic"]
WORDS = [
    "médiation",
    "numérique",
    "inclusion",
    "emploi",
    "santé",
    "tiers-lieu",
    "jeunesse",
    "solidarité",
    "formation",
    "accompagnement",
    "citoyenneté",
    "handicap",
    "insertion",
    "culture",
    "sport",
    "mobilité",
    "logement",
]


def make_rows(n: int, communes: list[str]) -> list[dict[str, object]]:
    rng = random.Random(7)
    rows = []
    for i in range(n):
        body = f"{100000000 + i:09d}"[1:9]
        siren = body + luhn.calc_check_digit(body)
        siret = siren + "0001"
        siret += luhn.calc_check_digit(siret)
        rows.append(
            {
                "name": f"{rng.choice(WORDS).capitalize()} {rng.choice(WORDS)} {i}",
                "world": rng.choice(WORLDS),
                "siret": siret,
                "commune_code": rng.choice(communes),
                "description": " ".join(rng.choices(WORDS, k=8)),
                "themes": [rng.choice(WORDS)],
            }
        )
    return rows


def fresh_db(folder: Path, name: str) -> str:
    url = f"sqlite:///{folder / name}"
    database.upgrade(db=make_engine(url))
    return url


def bare(path: Path, rows: list[dict[str, object]]) -> float:
    conn = sqlite3.connect(path)
    now = dt.datetime.now(dt.UTC).isoformat()
    data = [
        (
            r["name"],
            r["world"],
            r["siret"],
            str(r["siret"])[:9],
            r["commune_code"],
            r["description"],
            "{}",
            1,
            now,
            now,
        )
        for r in rows
    ]
    start = time.process_time()
    with conn:
        conn.executemany(
            "INSERT INTO actor (name, world, siret, siren, commune_code, description, extra, "
            "version, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
            data,
        )
    elapsed = time.process_time() - start
    conn.close()
    return elapsed


def one_round(folder: Path, rows_count: int, round_no: int) -> tuple[float, float]:
    """Time the bare reference and the service path once, on fresh databases."""
    url = fresh_db(folder, f"service{round_no}.sqlite")
    fresh_db(folder, f"bare{round_no}.sqlite")
    engine = make_engine(url)
    with engine.connect() as conn:
        communes = [
            c[4:]
            for c in conn.exec_driver_sql(
                "SELECT code FROM territory WHERE level = 'commune'"
            ).scalars()
        ]
    rows = make_rows(rows_count, communes)
    reference = bare(folder / f"bare{round_no}.sqlite", rows)
    start = time.process_time()
    actors.create_actors(db=engine, rows=rows, user="bench")
    service = time.process_time() - start
    engine.dispose()
    return reference, service


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for round_no in range(args.rounds):
            reference, service = one_round(Path(tmp), args.rows, round_no)
            results.append((reference, service))
            print(
                f"round {round_no + 1}: bare sqlite3.executemany {reference:.2f} s, "
                f"service layer {service:.2f} s, ratio {service / reference:.2f}x"
            )
    best_ref = min(r for r, _ in results)
    best_service = min(s for _, s in results)
    ratios = sorted(s / r for r, s in results)
    print(f"rows: {args.rows}, rounds: {args.rounds}")
    print(
        f"best bare: {best_ref:.2f} s ({args.rows / best_ref:,.0f} rows/s); "
        f"best service (validation, audit, search index): {best_service:.2f} s "
        f"({args.rows / best_service:,.0f} rows/s)"
    )
    print(
        f"ratio of bests: {best_service / best_ref:.2f}x; median ratio: "
        f"{ratios[len(ratios) // 2]:.2f}x (target <= 5x)"
    )


if __name__ == "__main__":
    main()
