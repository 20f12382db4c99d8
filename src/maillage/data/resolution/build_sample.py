"""Rebuild ``pairs.csv``, the labelled sample of identity resolution, from the real files.

Run from the repository root (the data folder is the shared open-data folder)::

    python -m maillage.data.resolution.build_sample --data ../shared/data

The pairs are drawn with a fixed seed from the national map exports (PACA, Charente,
Charente bus, Nouvelle-Calédonie, Conseillers numériques national and Île-de-France) and
the France Services list, read with maillage's own parsers. Each pair gets its label
from the identifiers embedded in the exports (rule ``identifier``) or from
``labels.csv``, the hand labels written by the rules of the README. ``--todo`` prints
the pairs still without a label instead of writing the sample. See README.md.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import random
import re
import sys
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from maillage.io.france_services import read_france_services
from maillage.io.mediation import read_lieux_json
from maillage.io.resolve import distance_m
from maillage.model.records import ActorRecord
from maillage.model.text import fold

HERE = Path(__file__).parent
MAP = "mediation-numerique/cartographie-nationale"
FILES = {
    "paca": f"{MAP}/20230517-hub-du-sud-lieux-de-mediation-numeriques-provence-alpes-cote-d-azur.json",
    "charente": f"{MAP}/20230711-charente-lieux-de-mediation-numeriques-nouvelle-aquitaine.json",
    "bus": f"{MAP}/20231003-bus-france-services-en-charente-lieux-de-mediation-numeriques-nouvelle-aquitaine.json",
    "nc": f"{MAP}/20240320-nouvelle-caledonie-lieux-de-mediation-numeriques-nouvelle-caledonie.json",
    "cnfs-idf": f"{MAP}/lieux-cnfs-idf.json",
    "cnfs": f"{MAP}/lieux-de-mediation-numerique.cnfs.json",
    "fs": "france-services/liste-fs-20240801.csv",
}
STRATA = {  # stratum -> number of pairs drawn
    "identifier": 150,
    "near": 140,
    "same-siret": 50,
    "shared-word": 60,
    "same-postcode": 40,
    "same-name-elsewhere": 30,
}
SEED = 20240801
FIELDS = ("name", "address", "postcode", "commune_name", "commune_code", "siret", "siren",
          "rna", "latitude", "longitude")  # fmt: skip
GENERIC = set(
    [
        "france",
        "services",
        "service",
        "espace",
        "maison",
        "centre",
        "social",
        "mairie",
        "poste",
        "mediatheque",
        "bibliotheque",
        "association",
        "communaute",
        "communes",
        "agence",
        "antenne",
        "locale",
        "numerique",
    ]
)
Pair = tuple[str, str]


@dataclass
class Records:
    """Every record by reference (``file:key``), in file order."""

    by_ref: dict[str, ActorRecord]

    def refs(self, tag: str) -> Iterator[str]:
        return (r for r in self.by_ref if r.startswith(tag + ":"))


def load(data: Path) -> Records:
    """Read the seven files with maillage's parsers."""
    by_ref: dict[str, ActorRecord] = {}
    for tag, rel in FILES.items():
        path = data / rel
        parsed = read_france_services(path) if tag == "fs" else read_lieux_json(path)
        for actor in parsed.actors:
            by_ref[f"{tag}:{actor.key}"] = actor
    return Records(by_ref)


def identifier_pairs(records: Records) -> set[Pair]:
    """Pairs the exports themselves declare the same (embedded source ids), closed."""
    targets: dict[str, list[str]] = defaultdict(list)
    for tag in ("paca", "charente"):
        for ref in records.refs(tag):
            key = ref.split(":", 1)[1]
            found = [f"cnfs:{h}" for h in re.findall(r"conseiller-numerique-([0-9a-f]{24})", key)]
            found += [f"fs:{n}" for n in re.findall(r"france-services-(\d+)", key)]
            for target in found:
                if target in records.by_ref:
                    targets[target].append(ref)
    for ref in records.refs("cnfs-idf"):
        target = "cnfs:" + ref.split(":", 1)[1]
        if target in records.by_ref:
            targets[target].append(ref)
    pairs: set[Pair] = set()
    for target, copies in targets.items():
        group = [target, *copies]
        pairs.update(_ordered(a, b) for i, a in enumerate(group) for b in group[i + 1 :])
    return pairs


def _ordered(a: str, b: str) -> Pair:
    return (a, b) if a < b else (b, a)


def _words(actor: ActorRecord) -> set[str]:
    commune = set(fold(actor.commune_name or "").split())
    return {w for w in fold(actor.name).split() if len(w) > 2} - GENERIC - commune


def strata_pools(records: Records, known: set[Pair]) -> dict[str, list[Pair]]:
    """Candidate pairs of each stratum (sorted), none of them identifier-linked."""
    by_postcode: dict[str, list[str]] = defaultdict(list)
    by_name: dict[str, list[str]] = defaultdict(list)
    for ref, actor in records.by_ref.items():
        if actor.postcode:
            by_postcode[actor.postcode].append(ref)
        by_name[fold(actor.name)].append(ref)
    pools: dict[str, set[Pair]] = defaultdict(set)
    for refs in by_postcode.values():
        for i, a in enumerate(refs):
            for b in refs[i + 1 :]:
                _classify(records, _ordered(a, b), pools)
    for refs in by_name.values():
        for i, a in enumerate(refs):
            for b in refs[i + 1 :]:
                x, y = records.by_ref[a], records.by_ref[b]
                if x.postcode != y.postcode and x.commune_name != y.commune_name:
                    pools["same-name-elsewhere"].add(_ordered(a, b))
    return {name: sorted(pool - known) for name, pool in pools.items()}


def _classify(records: Records, pair: Pair, pools: dict[str, set[Pair]]) -> None:
    x, y = records.by_ref[pair[0]], records.by_ref[pair[1]]
    metres = distance_m(x, y)
    pools["same-postcode"].add(pair)
    if metres is not None and metres <= 200:
        pools["near"].add(pair)
    if x.siret and x.siret == y.siret:
        pools["same-siret"].add(pair)
    if _words(x) & _words(y):
        pools["shared-word"].add(pair)


def draw(records: Records) -> list[tuple[str, Pair]]:
    """The sample: ``(stratum, pair)`` drawn with the fixed seed, each pair once."""
    rng = random.Random(SEED)
    known = identifier_pairs(records)
    pools = {"identifier": sorted(known), **strata_pools(records, known)}
    chosen: list[tuple[str, Pair]] = []
    seen: set[Pair] = set()
    for stratum, size in STRATA.items():
        pool = [p for p in pools.get(stratum, []) if p not in seen]
        for pair in rng.sample(pool, min(size, len(pool))):
            seen.add(pair)
            chosen.append((stratum, pair))
    return chosen


def pair_id(pair: Pair) -> str:
    """A stable id for a pair of references."""
    return hashlib.sha1(f"{pair[0]}|{pair[1]}".encode()).hexdigest()[:12]


def split_of(pid: str) -> str:
    """``dev`` or ``test``, from the pair id alone (about half each)."""
    return "dev" if int(pid[-1], 16) % 2 == 0 else "test"


def read_labels(path: Path) -> dict[str, dict[str, str]]:
    """Hand labels: ``pair_id -> {label, rule, note}``."""
    if not path.exists():
        return {}
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["pair_id"]: row for row in csv.DictReader(handle)}


def rows(
    records: Records, chosen: list[tuple[str, Pair]], labels: dict[str, dict[str, str]]
) -> list[dict[str, str]]:
    """The CSV rows of the sample (label empty where still unlabelled)."""
    out: list[dict[str, str]] = []
    for stratum, pair in chosen:
        pid = pair_id(pair)
        hand = labels.get(pid, {})
        label = "same" if stratum == "identifier" else hand.get("label", "")
        rule = "identifier" if stratum == "identifier" else hand.get("rule", "")
        row = {"pair_id": pid, "split": split_of(pid), "stratum": stratum, "label": label,
               "rule": rule, "note": hand.get("note", "")}  # fmt: skip
        for side, ref in zip(("left", "right"), pair, strict=True):
            actor = records.by_ref[ref]
            row[f"{side}_ref"] = ref
            for name in FIELDS:
                value = getattr(actor, name)
                row[f"{side}_{name}"] = "" if value is None else str(value)
        out.append(row)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--out", type=Path, default=HERE / "pairs.csv")
    parser.add_argument("--todo", action="store_true", help="print unlabelled pairs")
    args = parser.parse_args(argv)
    records = load(args.data)
    sample = rows(records, draw(records), read_labels(HERE / "labels.csv"))
    return write_sample(sample, args.out, todo=args.todo, show=_show)


def write_sample(
    sample: list[dict[str, str]], out: Path, *, todo: bool, show: Callable[[dict[str, str]], str]
) -> int:
    """Print the unlabelled pairs (``todo``), else write the labelled sample to ``out``;
    the exit status (1 while a pair has no label)."""
    if todo:
        for row in sample:
            if not row["label"]:
                print(show(row))
        return 0
    missing = [r["pair_id"] for r in sample if not r["label"]]
    if missing:
        print(f"{len(missing)} pairs without a label (run with --todo)", file=sys.stderr)
        return 1
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(sample[0]))
        writer.writeheader()
        writer.writerows(sample)
    print(f"{len(sample)} pairs written to {out}")
    return 0


def _show(row: dict[str, str]) -> str:
    sides = []
    for side in ("left", "right"):
        sides.append(
            f"    {row[side + '_ref'][:40]} | {row[side + '_name']} | {row[side + '_address']} | "
            f"{row[side + '_postcode']} {row[side + '_commune_name']} | {row[side + '_siret']}"
        )
    return f"{row['pair_id']} [{row['stratum']}]\n" + "\n".join(sides)


if __name__ == "__main__":
    raise SystemExit(main())
