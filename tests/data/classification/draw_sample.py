"""Draw the actors of ``actors.csv``, the labelled sample of worlds and categories.

Run from the repository root, with the shared open-data folder::

    python tests/data/classification/draw_sample.py --data ../shared/data > drawn.csv

Every file is read with maillage's own parser, so each actor is what an import sees
(name, identifiers, legal form, the typologies and role its parser passes, the world a
source states). A world or category a parser derived is dropped: the evaluation derives
them again. The draw is stratified by source, with a fixed seed; the labels are then
written by hand (see README.md) and the rows of a source kept in file order.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import random
import sys
from pathlib import Path
from typing import Any

from maillage.io import data_inclusion
from maillage.io.decp import read_decp
from maillage.io.france_services import read_france_services
from maillage.io.mediation import read_lieux_json
from maillage.io.reading import read_table
from maillage.io.scdl import read_scdl
from maillage.io.tabular import parse_actor_table
from maillage.io.values import split_multi
from maillage.model.records import ActorRecord

SEED = 20260501
MAP = "mediation-numerique/cartographie-nationale"
STRATA: dict[str, tuple[int, list[str]]] = {  # stratum -> (actors drawn, files)
    "lieux": (70, [f"{MAP}/20230517-hub-du-sud-lieux-de-mediation-numeriques-provence-alpes-cote-d-azur.json",
                   f"{MAP}/20230711-charente-lieux-de-mediation-numeriques-nouvelle-aquitaine.json",
                   f"{MAP}/20240320-nouvelle-caledonie-lieux-de-mediation-numeriques-nouvelle-caledonie.json",
                   f"{MAP}/lieux-cnfs-idf.json", f"{MAP}/lieux-de-mediation-numerique.cnfs.json"]),
    "france-services": (20, ["france-services/liste-fs-20240801.csv"]),
    "data-inclusion": (15, ["data-inclusion/examples-v0/001.json", "data-inclusion/examples-v0/002.json",
                            "data-inclusion/examples-v0/003.json"]),
    "anr": (55, ["networks/anr-partenariats"]),
    "scdl": (15, ["scdl-subventions/exemple_valide.csv"]),
    "decp": (55, ["decp/data.gouv.fr_aife.json", "decp/data.gouv.fr_pes.json",
                  "decp/e-marchespublics.json", "decp/marches-publics.info.json"]),
}  # fmt: skip
FIELDS = ("id", "split", "stratum", "file", "ref", "name", "siret", "siren", "rna",
          "legal_form", "naf", "typologies", "raw_type", "labels", "given_world",
          "given_category", "role", "world", "category", "note")  # fmt: skip
_DECP_ROLES = {"buyer": "public|acheteur public|decp:acheteur",
               "supplier": "economic|entreprise|decp:titulaire"}  # fmt: skip
_SCDL_ROLES = {"funder": "public|collectivité|scdl:attribuant"}


def _records(stratum: str, path: Path) -> list[tuple[ActorRecord, str, str]]:
    """(record, typologies, role) of every actor of one file."""
    if stratum == "lieux":
        found = read_lieux_json(path).actors
        return [(a, "|".join(split_multi(a.extra.get("typologie"), "|;,")), "") for a in found]
    if stratum == "france-services":
        return [(a, "RFS", "") for a in read_france_services(path).actors]
    if stratum == "data-inclusion":
        found = data_inclusion.read_data_inclusion(path).actors
        table = data_inclusion._NETWORK_TYPOLOGY
        return [(a, "|".join(table[n] for n in a.extra.get("reseaux_porteurs") or [] if n in table),
                 "") for a in found]  # fmt: skip
    if stratum == "anr":
        found = parse_actor_table(read_table(path / "actors.csv"), source="anr").actors
        return [(a, "", "") for a in found]
    result = read_decp(path) if stratum == "decp" else read_scdl(path)
    sources = {link.source_key for link in result.links}
    out = []
    for actor in result.actors:
        if stratum == "decp":
            role = _DECP_ROLES["buyer" if actor.key in sources else "supplier"]
        else:
            role = _SCDL_ROLES["funder"] if actor.key in sources else ""
        out.append((actor, "", role))
    return out


def _row(stratum: str, file: str, actor: ActorRecord, typologies: str, role: str) -> dict[str, Any]:
    rule = actor.classification_rule
    derived = rule is not None and not rule.startswith("category ")  # a world its parser gave
    labels = actor.extra.get("labels_nationaux")
    ref = f"{file}:{actor.source_ref or actor.key or actor.siret or actor.name}"
    ident = hashlib.sha1(ref.encode()).hexdigest()[:10]
    return {"id": ident, "split": "dev" if int(ident, 16) % 2 == 0 else "test",
            "stratum": stratum, "file": file, "ref": actor.source_ref or actor.key or "",
            "name": actor.name, "siret": actor.siret or "", "siren": actor.siren or "",
            "rna": actor.rna or "", "legal_form": actor.legal_form or "", "naf": actor.naf or "",
            "typologies": typologies, "raw_type": actor.extra.get("raw_type") or "",
            "labels": "|".join(labels) if isinstance(labels, list) else (labels or ""),
            "given_world": "" if derived else (actor.world or ""),
            "given_category": "" if rule is not None else (actor.category or ""),
            "role": role, "world": "", "category": "", "note": ""}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, required=True)
    args = parser.parse_args()
    rng = random.Random(SEED)
    out = csv.DictWriter(sys.stdout, FIELDS)
    out.writeheader()
    for stratum, (count, files) in STRATA.items():
        pool = []
        for file in files:
            seen: set[str] = set()
            for actor, typologies, role in _records(stratum, args.data / file):
                row = _row(stratum, Path(file).name, actor, typologies, role)
                if row["name"].casefold() not in seen:  # one row per name and file
                    seen.add(row["name"].casefold())
                    pool.append(row)
        for row in rng.sample(pool, min(count, len(pool))):
            out.writerow(row)


if __name__ == "__main__":
    main()
