"""Identity resolution speed on a generated national-scale set of actors.

Generates ``--size`` actors spread over French-like postcodes (a few very large ones,
as in big cities), 10 % of them second copies of another with a perturbed spelling,
then times :func:`maillage.io.resolve.find_matches` (blocking + scoring, at the merge
threshold) and, as the reference in the same process, a bare ``rapidfuzz.fuzz.token_set_ratio`` over the raw
names of the same candidate pairs. Prints pairs/s, the ratio to the reference and how
many planted copies were found (copies of one original form one group).

    python bench/resolve.py --size 200000
"""

from __future__ import annotations

import argparse
import random
import time

from rapidfuzz import fuzz

from maillage.io import resolve
from maillage.model.records import ActorRecord

KINDS = ["Médiathèque", "Centre social", "Association", "France services", "Mairie",
         "CCAS", "Maison de quartier", "Espace numérique", "Tiers-lieu", "Mission locale"]  # fmt: skip
WORDS = ["Jean Moulin", "Aimé Césaire", "les Tilleuls", "du Parc", "Victor Hugo", "la Source",
         "Pasteur", "les Airelles", "Mosaïque", "l'Arlequin", "Bellevue", "du Lac"]  # fmt: skip
STREETS = ["rue", "avenue", "boulevard", "place", "allée", "chemin"]


def generate(size: int, seed: int = 1) -> tuple[list[ActorRecord], set[tuple[int, int]]]:
    """``size`` records and the planted (original, copy) index pairs."""
    rng = random.Random(seed)
    postcodes = [f"{rng.randint(1000, 95999):05d}" for _ in range(6000)]
    weights = [50 if i < 20 else 1 for i in range(len(postcodes))]  # 20 big cities
    records: list[ActorRecord] = []
    planted: set[tuple[int, int]] = set()
    while len(records) < size:
        if records and rng.random() < 0.1:
            original = rng.randrange(len(records))
            planted.add((original, len(records)))
            records.append(_copy(records[original], rng))
            continue
        lat, lon = rng.uniform(42.5, 50.5), rng.uniform(-4.0, 7.5)
        records.append(ActorRecord(
            name=f"{rng.choice(KINDS)} {rng.choice(WORDS)} {rng.randint(1, 999)}",
            address=f"{rng.randint(1, 200)} {rng.choice(STREETS)} {rng.choice(WORDS)}",
            postcode=rng.choices(postcodes, weights)[0], latitude=lat, longitude=lon))  # fmt: skip
    return records, planted


def _copy(record: ActorRecord, rng: random.Random) -> ActorRecord:
    name = record.name.upper() if rng.random() < 0.5 else record.name.replace("é", "e")
    address = (record.address or "").replace("avenue", "av.").replace("boulevard", "bd")
    return ActorRecord(name=name, address=address, postcode=record.postcode,
                       latitude=(record.latitude or 0) + rng.uniform(-1e-4, 1e-4),
                       longitude=record.longitude)  # fmt: skip


def _groups(planted: set[tuple[int, int]]) -> dict[int, int]:
    """Record index -> its original (copies of copies included)."""
    origin: dict[int, int] = {}
    for original, copy in sorted(planted, key=lambda p: p[1]):
        origin[copy] = origin.get(original, original)
        origin.setdefault(original, original)
    return origin


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    args = parser.parse_args()
    records, planted = generate(args.size)
    start = time.perf_counter()
    pairs = list(resolve.candidate_pairs(records))
    blocking = time.perf_counter() - start
    start = time.perf_counter()
    matches = resolve.find_matches(records, threshold=resolve.MERGE_THRESHOLD)
    full = time.perf_counter() - start
    start = time.perf_counter()
    for i, j in pairs:
        fuzz.token_set_ratio(records[i].name, records[j].name)
    bare = time.perf_counter() - start
    group = _groups(planted)
    right = sum(1 for m in matches if group.get(m.left, -1) == group.get(m.right, -2))
    print(f"{len(records):,} actors, {len(pairs):,} candidate pairs (blocking {blocking:.1f} s)")
    print(f"resolve.find_matches: {full:.1f} s, {len(pairs) / full:,.0f} pairs/s")
    print(f"bare token_set_ratio on the same pairs: {bare:.1f} s; ratio {full / bare:.1f}x")
    found = {(m.left, m.right) for m in matches}
    print(f"planted copies found: {len(found & planted)}/{len(planted)}; pairs at the merge "
          f"threshold within a planted group: {right}/{len(matches)}")  # fmt: skip


if __name__ == "__main__":
    main()
