"""Rebuild ``cross_source_pairs.csv``, the labelled cross-source sample of identity resolution.

The records are the actors of the demo database as its imports store them (ANR
partnerships, the national map's mediation places, France Services, the SCDL grants of
Antibes, four DECP platforms, and the holders the relations step creates), so each side
of a pair is what the resolver compares in a real run. Build the demo, then::

    maillage demo --no-serve --db /tmp/demo.sqlite
    python -m maillage.data.resolution.build_cross_sample --db /tmp/demo.sqlite
    python -m maillage.data.resolution.build_cross_sample --db /tmp/demo.sqlite --todo

Pairs are drawn with a fixed seed from strata defined without any score of the
resolver (see ``README.md``); labels come from ``cross_labels.csv`` (hand labels).
"""

from __future__ import annotations

import argparse
import math
import random
import sqlite3
from collections import defaultdict
from pathlib import Path

from maillage.data.resolution.build_sample import (
    GENERIC,
    pair_id,
    read_labels,
    split_of,
    write_sample,
)
from maillage.model.text import fold

HERE = Path(__file__).parent
SEED = 20240801
STRATA = {  # stratum -> pairs drawn
    "same-siren": 80,
    "same-commune-word": 70,
    "near": 30,
    "same-name": 30,
    "anr-variants": 40,  # within the ANR file: one institution under several names
}
MORE_GENERIC = GENERIC | {
    "universite", "laboratoire", "institut", "ecole", "commune", "ville", "national",
    "nationale", "recherche", "societe", "groupe", "sciences", "science", "direction",
    "departement", "departemental", "regional", "region", "public", "publique", "sante",
    "sarl", "sas", "cc", "agglomeration", "communaute", "lieu", "point", "accueil", "unite",
    "lyon", "paris", "marseille", "france",
}  # fmt: skip
FIELDS = ("source", "name", "address", "postcode", "commune_name", "commune_code", "siret",
          "siren", "rna", "holder_siret", "latitude", "longitude")  # fmt: skip
_COLUMNS = ("id", "source", "name", "address", "postcode", "commune_code", "siret", "siren",
            "rna", "holder_siret", "latitude", "longitude")  # fmt: skip
Row = dict[str, str]
Pair = tuple[int, int]


def load(db: Path) -> dict[int, Row]:
    """Live actors of the demo database by id (commune names from its geography)."""
    con = sqlite3.connect(db)
    names = dict(con.execute("select substr(code, 5), name from territory where code like 'COM:%'"))
    query = (f"select {', '.join(_COLUMNS)} from actor "
             "where deleted_at is null and merged_into_id is null order by id")  # fmt: skip
    out = {}
    for values in con.execute(query):
        row = {c: "" if v is None else str(v) for c, v in zip(_COLUMNS, values, strict=True)}
        row["commune_name"] = names.get(row["commune_code"], "")
        out[int(row["id"])] = row
    return out


def _family(row: Row) -> str:
    return row["source"]


def _siren(row: Row) -> str:
    return row["siren"] or row["siret"][:9] or row["holder_siret"][:9]


def _words(row: Row) -> set[str]:
    commune = set(fold(row["commune_name"]).split())
    return {w for w in fold(row["name"]).split() if len(w) > 3} - MORE_GENERIC - commune


def _near(a: Row, b: Row) -> bool:
    if not (a["latitude"] and b["latitude"]):
        return False
    dy = (float(a["latitude"]) - float(b["latitude"])) * 111_000
    dx = (float(a["longitude"]) - float(b["longitude"])) * 78_000
    return bool(math.hypot(dx, dy) <= 200)


def pools(actors: dict[int, Row]) -> dict[str, list[list[Pair]]]:
    """Each stratum's pool as groups of pairs (one group is drawn, then one pair in it,
    so that a SIREN with thousands of sites does not fill a stratum)."""
    by_siren: dict[str, list[int]] = defaultdict(list)
    by_commune: dict[str, list[int]] = defaultdict(list)
    by_name: dict[str, list[int]] = defaultdict(list)
    for i, row in actors.items():
        if siren := _siren(row):
            by_siren[siren].append(i)
        if row["commune_code"]:
            by_commune[row["commune_code"]].append(i)
        by_name[" ".join(fold(row["name"]).split())].append(i)
    out: dict[str, list[list[Pair]]] = defaultdict(list)
    for ids in by_siren.values():
        out["same-siren"].append(_cross(actors, ids))
    for ids in by_name.values():
        out["same-name"].append(_cross(actors, ids))
    for ids in by_commune.values():
        words = {i: _words(actors[i]) for i in ids}
        shared = [(a, b) for k, a in enumerate(ids) for b in ids[k + 1 :] if words[a] & words[b]]
        out["same-commune-word"].append([p for p in shared if _differ(actors, p)])
        out["anr-variants"].append([p for p in shared if _both_anr(actors, p)])
        out["near"].append([p for p in _cross(actors, ids) if _near(*(actors[x] for x in p))])
    return {k: [sorted(g) for g in v if g] for k, v in out.items()}


def _differ(actors: dict[int, Row], pair: Pair) -> bool:
    return _family(actors[pair[0]]) != _family(actors[pair[1]])


def _both_anr(actors: dict[int, Row], pair: Pair) -> bool:
    return actors[pair[0]]["source"] == actors[pair[1]]["source"] == "anr-partenariats"


def _cross(actors: dict[int, Row], ids: list[int]) -> list[Pair]:
    return [(a, b) for k, a in enumerate(ids) for b in ids[k + 1 :] if _differ(actors, (a, b))]


def draw(actors: dict[int, Row]) -> list[tuple[str, Pair]]:
    rng = random.Random(SEED)
    chosen: list[tuple[str, Pair]] = []
    seen: set[Pair] = set()
    for stratum, groups in sorted(pools(actors).items(), key=lambda kv: list(STRATA).index(kv[0])):
        groups = list(groups)
        rng.shuffle(groups)
        taken = 0
        for group in groups:
            if taken == STRATA[stratum]:
                break
            pair = rng.choice(group)
            if pair not in seen:
                seen.add(pair)
                chosen.append((stratum, pair))
                taken += 1
    return chosen


def ref(row: Row) -> str:
    return f"{row['source']}:{row['id']}"


def rows(actors: dict[int, Row], chosen: list[tuple[str, Pair]],
         labels: dict[str, dict[str, str]]) -> list[dict[str, str]]:  # fmt: skip
    out = []
    for stratum, (a, b) in chosen:
        left, right = sorted((actors[a], actors[b]), key=ref)
        pid = pair_id((ref(left), ref(right)))
        hand = labels.get(pid, {})
        row = {"pair_id": pid, "split": split_of(pid), "stratum": stratum,
               "label": hand.get("label", ""), "rule": hand.get("rule", ""),
               "note": hand.get("note", "")}  # fmt: skip
        for side, actor in (("left", left), ("right", right)):
            row[f"{side}_ref"] = ref(actor)
            row.update({f"{side}_{f}": actor[f] for f in FIELDS})
        out.append(row)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="the demo database (SQLite)")
    parser.add_argument("--out", type=Path, default=HERE / "cross_source_pairs.csv")
    parser.add_argument("--todo", action="store_true", help="print unlabelled pairs")
    args = parser.parse_args(argv)
    actors = load(args.db)
    sample = rows(actors, draw(actors), read_labels(HERE / "cross_labels.csv"))
    return write_sample(sample, args.out, todo=args.todo, show=_show)


def _show(row: dict[str, str]) -> str:
    sides = [
        f"  {row[s + '_source'][:14]:14} | {row[s + '_name']} | {row[s + '_address']} "
        f"{row[s + '_postcode']} {row[s + '_commune_name']} | {row[s + '_siret'] or row[s + '_siren']}"
        f"{' h=' + row[s + '_holder_siret'] if row[s + '_holder_siret'] else ''}"
        for s in ("left", "right")
    ]
    return f"{row['pair_id']} [{row['stratum']}]\n" + "\n".join(sides)


if __name__ == "__main__":
    raise SystemExit(main())
