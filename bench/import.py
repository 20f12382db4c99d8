"""Import path: a generated 200k-row actor CSV through ``maillage import actors`` vs a
bare ``csv`` + ``sqlite3.executemany`` load of the same file, in the same run.

The import path is what the command does: read the file (encoding, delimiter, header
guesses), check every cell (SIRET Luhn, postcode, commune code), validate every actor,
resolve identities (source keys, SIRET/SIREN/RNA against the stored actors), then
write the actors, their identifiers, one audit row each with its full state, the
French full-text index and the ``import_run`` row, in one transaction. The reference
reads the same CSV with ``csv.reader`` and inserts its columns into the same ``actor``
table with one ``executemany``. Both run on fresh migrated SQLite files.

Both are timed in CPU seconds of this process (``time.process_time``), as in
``bench/write_path.py``: single-threaded, CPU-bound work on a shared machine. The
machine's speed moves by up to 1.7x from minute to minute (the same bare load takes
2.1 s or 3.7 s), so each side is reported by its best round, as ``timeit`` does: the
best round is the one least slowed by the machine.

    .venv/bin/python bench/import.py [--rows 200000] [--rounds 5] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import datetime as dt
import pstats
import random
import sqlite3
import tempfile
import time
from pathlib import Path

from stdnum import luhn

from maillage.cli.imports import Options, run_import
from maillage.services import database, importing
from maillage.storage.engine import make_engine

WORDS = (
    "médiation", "numérique", "inclusion", "emploi", "santé", "tiers-lieu", "jeunesse",
    "solidarité", "formation", "accompagnement", "citoyenneté", "insertion", "culture",
)  # fmt: skip
KINDS = ("Association", "SARL", "Commune de", "Fondation", "SCOP", "Collectif")
HEADER = ["id", "nom", "siret", "adresse", "code_postal", "code_insee", "commune", "monde"]
WORLDS = ("associative", "economic", "public", "academic")


def siret_of(i: int) -> str:
    """A Luhn-valid SIRET (and SIREN) for ``i``."""
    body = f"{300000000 + i:09d}"[1:9]
    siren = body + luhn.calc_check_digit(body)
    siret = siren + f"{1 + i % 97:04d}"
    return siret + luhn.calc_check_digit(siret)


def communes(url: str) -> list[tuple[str, str, str]]:
    """(INSEE code, postcode, name) of the current communes of the migrated database."""
    with make_engine(url).connect() as conn:
        query = "SELECT substr(code, 5), name FROM territory WHERE level = 'commune'"
        names = {code: name for code, name in conn.exec_driver_sql(query)}
        pairs = conn.exec_driver_sql("SELECT commune_code, postcode FROM territory_postcode")
        return sorted({(c, p, names[c]) for c, p in pairs if c in names})


def write_csv(path: Path, rows: int, places: list[tuple[str, str, str]]) -> None:
    rng = random.Random(7)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i in range(rows):
            code, postcode, name = rng.choice(places)
            words = " ".join(rng.choices(WORDS, k=2))
            writer.writerow([
                f"A{i}", f"{rng.choice(KINDS)} {words} {i}", siret_of(i),
                f"{1 + i % 200} rue de la {rng.choice(WORDS)}", postcode, code, name,
                rng.choice(WORLDS),
            ])  # fmt: skip


def fresh_db(folder: Path, name: str) -> str:
    url = f"sqlite:///{folder / name}"
    database.upgrade(db=make_engine(url))
    return url


def bare(path: Path, csv_path: Path) -> float:
    """csv.reader + one executemany into the same actor table."""
    conn = sqlite3.connect(path)
    start = time.process_time()
    now = dt.datetime.now(dt.UTC).isoformat()
    with csv_path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        data = [(r[1], r[2], r[2][:9], r[3], r[4], r[5], r[7], "{}", 1, now, now) for r in reader]
    with conn:
        conn.executemany(
            "INSERT INTO actor (name, siret, siren, address, postcode, commune_code, world, "
            "extra, version, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            data,
        )
    elapsed = time.process_time() - start
    conn.close()
    return elapsed


def service(url: str, csv_path: Path) -> tuple[float, importing.ImportReport]:
    """``maillage import actors FILE`` (the command's own function), timed from the file."""
    options = Options(url, "bench", (), False, False, None, True)
    start = time.process_time()
    report = run_import("actors", csv_path, options)
    return time.process_time() - start, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="profile one service round")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        template = fresh_db(folder, "template.sqlite")
        csv_path = folder / "acteurs.csv"
        write_csv(csv_path, args.rows, communes(template))
        for n in range(args.rounds):
            url = fresh_db(folder, f"service{n}.sqlite")
            fresh_db(folder, f"bare{n}.sqlite")
            reference = bare(folder / f"bare{n}.sqlite", csv_path)
            if args.profile and n == 0:
                profile = cProfile.Profile()
                profile.enable()
            elapsed, report = service(url, csv_path)
            if args.profile and n == 0:
                profile.disable()
                pstats.Stats(profile).sort_stats("cumulative").print_stats(35)
            assert (report.status, report.created) == ("done", args.rows), report.to_dict()
            results.append((reference, elapsed))
            print(f"round {n + 1}: bare csv+executemany {reference:.2f} s, "
                  f"maillage import actors {elapsed:.2f} s, ratio {elapsed / reference:.2f}x")  # fmt: skip
    best_ref, best = min(r for r, _ in results), min(s for _, s in results)
    print(f"rows: {args.rows}, rounds: {args.rounds}")
    print(f"best bare: {best_ref:.2f} s ({args.rows / best_ref:,.0f} rows/s); best import "
          f"(parse, validation, identities, audit, search index): {best:.2f} s "
          f"({args.rows / best:,.0f} rows/s, target >= 20,000)")  # fmt: skip
    print(f"ratio of bests: {best / best_ref:.2f}x (target <= 8x)")


if __name__ == "__main__":
    main()
