"""Flat rows of the geography, ready to insert into the storage tables.

``iter_territories`` feeds a ``territory`` table keyed by prefixed codes (``REG:84``,
``DEP:2A``, ``COLL:975``, ``EPCI:200054781``, ``COM:75056``, ``COMD:01015``,
``COMA:01120``); ``iter_postcodes`` and ``iter_epci_members`` feed join tables keyed by
raw INSEE codes (5 characters) and EPCI SIREN (9 digits), the same raw codes that
``actor.commune_code`` holds.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, NamedTuple

from maillage.geo.geography import Geography, load_geography
from maillage.geo.model import Commune, Departement, Epci, Region, Territory
from maillage.model.text import fold

__all__ = [
    "EpciMemberRow",
    "PostcodeRow",
    "TerritoryRow",
    "iter_epci_members",
    "iter_postcodes",
    "iter_territories",
]


class TerritoryRow(NamedTuple):
    """One row of the ``territory`` table.

    ``geometry`` and ``extra`` are dicts, or JSON text when asked with ``json_text``.
    """

    code: str
    level: str
    name: str
    name_folded: str
    parent_code: str | None
    population: int | None
    latitude: float | None
    longitude: float | None
    geometry: dict[str, Any] | str | None
    extra: dict[str, Any] | str


class PostcodeRow(NamedTuple):
    """A (postcode, INSEE commune code) pair; many-to-many."""

    postcode: str
    commune_code: str


class EpciMemberRow(NamedTuple):
    """An (EPCI SIREN, INSEE commune code) membership pair."""

    epci_code: str
    commune_code: str


def _parent_code(territory: Territory, geo: Geography) -> str | None:
    """Return the prefixed code of the parent territory, or None for top levels.

    Commune -> département (or COM); déléguée/associée/arrondissement -> its commune;
    département -> région; EPCI -> département of its most populous member.
    """
    if isinstance(territory, Region):
        return None
    if isinstance(territory, Departement):
        return None if territory.zone == "com" else f"REG:{territory.region}"
    if isinstance(territory, Epci):
        members = [geo.communes[c] for c in territory.members if c in geo.communes]
        if not members:
            return None
        seat = max(members, key=lambda c: c.population or 0)
        return geo.departements[seat.departement].territory_code
    if territory.parent is not None:
        return f"COM:{territory.parent}"
    area = geo.departements.get(territory.departement) or geo.collectivities[territory.departement]
    return area.territory_code


def _extra(territory: Territory) -> dict[str, Any]:
    """Return the level-specific attributes kept in the ``extra`` JSON column."""
    if isinstance(territory, Region):
        return {"zone": territory.zone, "chef_lieu": territory.chef_lieu}
    if isinstance(territory, Departement):
        return {
            "zone": territory.zone,
            "region": territory.region,
            "chef_lieu": territory.chef_lieu,
        }
    if isinstance(territory, Epci):
        return {
            "type": territory.type,
            "financing": territory.financing,
            "population_total": territory.population_total,
            "departements": list(territory.departements),
            "regions": list(territory.regions),
            "member_count": len(territory.members),
        }
    return _commune_extra(territory)


def _commune_extra(commune: Commune) -> dict[str, Any]:
    """Return the ``extra`` attributes of a commune."""
    return {
        "insee": commune.code,
        "kind": commune.kind,
        "zone": commune.zone,
        "departement": commune.departement,
        "region": commune.region,
        "siren": commune.siren,
        "postcodes": list(commune.postcodes),
        "former_codes": list(commune.former_codes),
        "epcis": list(commune.epcis),
        "centroid_source": commune.centroid_source,
    }


def _row(territory: Territory, geo: Geography, json_text: bool) -> TerritoryRow:
    """Build the :class:`TerritoryRow` of one territory."""
    geometry = getattr(territory, "geometry", None)
    extra = _extra(territory)
    return TerritoryRow(
        code=territory.territory_code,
        level=territory.level,
        name=territory.name,
        name_folded=fold(territory.name),
        parent_code=_parent_code(territory, geo),
        population=territory.population,
        latitude=territory.latitude,
        longitude=territory.longitude,
        geometry=json.dumps(geometry) if json_text and geometry is not None else geometry,
        extra=json.dumps(extra, ensure_ascii=False) if json_text else extra,
    )


def iter_territories(
    geo: Geography | None = None, *, json_text: bool = False
) -> Iterator[TerritoryRow]:
    """Yield one row per territory, parents before children.

    Order: régions, départements, COM, EPCI, current communes and arrondissements,
    communes déléguées and associées. ``geo`` defaults to the packaged geography;
    ``json_text=True`` gives ``geometry`` and ``extra`` as JSON strings (for a raw
    ``executemany``) instead of dicts.
    """
    geo = geo or load_geography()
    for territory in geo.territories():
        yield _row(territory, geo, json_text)


def iter_postcodes(geo: Geography | None = None) -> Iterator[PostcodeRow]:
    """Yield (postcode, INSEE code) pairs of current communes and arrondissements."""
    geo = geo or load_geography()
    for commune in geo.communes.values():
        for postcode in commune.postcodes:
            yield PostcodeRow(postcode, commune.code)


def iter_epci_members(geo: Geography | None = None) -> Iterator[EpciMemberRow]:
    """Yield (EPCI SIREN, INSEE code) pairs, one per member commune."""
    geo = geo or load_geography()
    for epci in geo.epcis.values():
        for code in epci.members:
            yield EpciMemberRow(epci.code, code)
