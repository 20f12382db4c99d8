"""Write path: 100k actors through the service layer vs a bare sqlite3.executemany.

The service path validates every field (SIRET Luhn, commune existence, ...),
writes the actors, their themes, one audit row per actor with its full state,
and the French full-text index. The reference inserts the same rows into the
same ``actor`` table with ``sqlite3.executemany`` in the same run.

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
WORDS = ["médiation", "numérique", "inclusion", "emploi", "santé", "tiers-lieu", "jeunesse", "solidarité", "formation", "accompagnement", "citoyenneté", "handicap", "insertion", "culture", "sport", "mobilité", "logement"]


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
    start = time.perf_counter()
    with conn:
        conn.executemany(
            "INSERT INTO actor (name, world, siret, siren, commune_code, description, extra, "
            "version, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
            data,
        )
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = fresh_db(folder, "service.sqlite")
        fresh_db(folder, "bare.sqlite")
        engine = make_engine(url)
        with engine.connect() as conn:
            communes = [
                c[4:]
                for c in conn.exec_driver_sql(
                    "SELECT code FROM territory WHERE level = 'commune'"
                ).scalars()
            ]
        rows = make_rows(args.rows, communes)
        reference = bare(folder / "bare.sqlite", rows)
        start = time.perf_counter()
        actors.create_actors(db=engine, rows=rows, user="bench")
        service = time.perf_counter() - start
    print(f"rows: {args.rows}")
    print(f"bare sqlite3.executemany: {reference:.2f} s ({args.rows / reference:,.0f} rows/s)")
    print(
        f"service layer (validation, audit, search index): {service:.2f} s "
        f"({args.rows / service:,.0f} rows/s)"
    )
    print(f"ratio: {service / reference:.2f}x (target <= 5x)")


if __name__ == "__main__":
    main()
