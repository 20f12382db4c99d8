"""Readers of the geography files shipped in ``maillage/data/geo`` (see ATTRIBUTION.md).

Pure functions: each reads one packaged file and returns plain records. Centroids come
from the La Poste postcode file: the mean of the coordinates of every row of an INSEE
code. A current commune missing from that file (merged after 2020) takes the mean of its
former communes' centroids (``anciensCodes``), Marseille/Lyon/Paris the mean of their
arrondissements, a commune déléguée without a row its parent's centroid;
``Commune.centroid_source`` records which rule applied.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections import defaultdict
from importlib import resources
from typing import Any

from maillage.geo.model import Commune, CommuneKind, Departement, Epci, Region

__all__ = [
    "read_communes",
    "read_departements",
    "read_epcis",
    "read_geometries",
    "read_laposte_centroids",
    "read_laposte_names",
    "read_regions",
]

_KINDS: dict[str, CommuneKind] = {
    "commune-actuelle": "current",
    "commune-deleguee": "delegated",
    "commune-associee": "associated",
    "arrondissement-municipal": "municipal_arrondissement",
}


def _read_bytes(name: str) -> bytes:
    """Return the bytes of a packaged geo file, gunzipped when it ends in ``.gz``."""
    data = resources.files("maillage").joinpath("data", "geo", name).read_bytes()
    return gzip.decompress(data) if name.endswith(".gz") else data


def _read_json(name: str) -> Any:
    """Parse a packaged JSON file."""
    return json.loads(_read_bytes(name))


def read_regions() -> list[Region]:
    """Return the régions of ``regions.json``, COM entries (zone ``com``) left out."""
    return [
        Region(code=r["code"], name=r["nom"], zone=r["zone"], chef_lieu=r["chefLieu"])
        for r in _read_json("regions.json")
        if r["zone"] != "com"
    ]


def read_departements() -> list[Departement]:
    """Return the départements (101) and the overseas collectivities (8, zone ``com``)."""
    return [
        Departement(
            code=d["code"],
            name=d["nom"],
            region=d["region"],
            zone=d["zone"],
            chef_lieu=d["chefLieu"],
        )
        for d in _read_json("departements.json")
    ]


def read_epcis() -> list[Epci]:
    """Return the EPCI of ``epci.json`` with the INSEE codes of their member communes."""
    return [
        Epci(
            code=e["code"],
            name=e["nom"],
            type=e["type"],
            financing=e.get("modeFinancement", ""),
            population=e.get("populationMunicipale"),
            population_total=e.get("populationTotale"),
            members=tuple(m["code"] for m in e["membres"]),
        )
        for e in _read_json("epci.json.gz")
    ]


def _commune(raw: dict[str, Any]) -> Commune:
    """Build a :class:`Commune` from one ``communes.json`` object."""
    kind = _KINDS[raw["type"]]
    parent = raw.get("commune") if kind == "municipal_arrondissement" else raw.get("chefLieu")
    return Commune(
        code=raw["code"],
        name=raw["nom"],
        kind=kind,
        departement=raw["departement"],
        region=raw["region"],
        zone=raw["zone"],
        parent=None if kind == "current" else parent,
        siren=raw.get("siren"),
        postcodes=tuple(raw.get("codesPostaux", ())),
        population=raw.get("population"),
        former_codes=tuple(raw.get("anciensCodes", ())),
    )


def read_communes() -> list[Commune]:
    """Return every record of ``communes.json`` (current, déléguée, associée, arrondissement).

    Coordinates are not set here; see :func:`read_laposte_centroids`.
    """
    return [_commune(raw) for raw in _read_json("communes.json.gz")]


def read_laposte_centroids() -> dict[str, tuple[float, float]]:
    """Return INSEE code -> (latitude, longitude), the mean of its La Poste rows.

    Rows with an empty ``coordonnees_gps`` are skipped.
    """
    text = _read_bytes("laposte_hexasmal.csv.gz").decode("utf-8")
    sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for row in csv.DictReader(io.StringIO(text), delimiter=";"):
        gps = (row.get("coordonnees_gps") or "").strip()
        if not gps:
            continue
        lat, _, lon = gps.partition(",")
        acc = sums[row["Code_commune_INSEE"].strip()]
        acc[0] += float(lat)
        acc[1] += float(lon)
        acc[2] += 1
    return {code: (acc[0] / acc[2], acc[1] / acc[2]) for code, acc in sums.items()}


def read_laposte_names() -> list[tuple[str, str, str, str]]:
    """Return ``(INSEE code, commune name, postcode, line 5)`` for every La Poste row.

    Names are as La Poste writes them (capitals, no accents, ``ST`` for saint); line 5
    (``Ligne_5``) names a place within the commune: a former commune merged into it, a
    hamlet, or the part of the commune a postcode serves. A commune merged after 2020
    keeps its own INSEE code and name here (its code is among ``anciensCodes``).
    """
    text = _read_bytes("laposte_hexasmal.csv.gz").decode("utf-8")
    return [
        (row["Code_commune_INSEE"].strip(), row["Nom_commune"].strip(),
         row["Code_postal"].strip(), (row.get("Ligne_5") or "").strip())
        for row in csv.DictReader(io.StringIO(text), delimiter=";")
    ]  # fmt: skip


def read_geometries(level: str) -> dict[str, dict[str, Any]]:
    """Return code -> GeoJSON geometry dict for ``level`` ``"region"`` or ``"departement"``.

    From france-geojson "avec-outre-mer" files (IGN Admin Express, COG 2018): 13 + 5
    régions, 96 + 5 départements; COM have none.
    """
    name = {
        "region": "regions-avec-outre-mer.geojson.gz",
        "departement": "departements-avec-outre-mer.geojson.gz",
    }[level]
    features = _read_json(name)["features"]
    return {f["properties"]["code"]: f["geometry"] for f in features}
