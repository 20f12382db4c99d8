"""The loaded geography with its lookup indexes (by code, by folded name, by postcode).

``load_geography()`` reads the packaged files once (cached); ``build_geography`` is the
pure assembly step, usable on hand-made records in tests.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from maillage.geo import load
from maillage.geo.model import Commune, Departement, Epci, Region, Territory
from maillage.model.errors import NotFound
from maillage.model.identifiers import validate_commune_code
from maillage.model.text import fold

__all__ = ["CentroidCoverage", "Geography", "build_geography", "load_geography"]


@dataclass(frozen=True, slots=True)
class CentroidCoverage:
    """How many current communes (outside COM) got a centroid, and from which rule."""

    total: int
    with_centroid: int
    by_source: dict[str, int]

    @property
    def ratio(self) -> float:
        """Return the share of current communes with a centroid, 0..1."""
        return self.with_centroid / self.total if self.total else 0.0


def _population_key(territory: Territory) -> tuple[int, str]:
    """Sort key: larger population first, then code."""
    return (-(territory.population or 0), territory.code)


class Geography:
    """Régions, départements, overseas collectivities, EPCI and communes, indexed.

    Attributes are plain dicts keyed by INSEE code (SIREN for EPCI): ``regions`` (18),
    ``departements`` (101), ``collectivities`` (8 COM), ``epcis``, ``communes`` (current
    communes and arrondissements municipaux), ``former_communes`` (déléguées and
    associées), ``aliases`` (pre-merger code -> current code).
    """

    def __init__(
        self,
        regions: Iterable[Region],
        departements: Iterable[Departement],
        epcis: Iterable[Epci],
        communes: Iterable[Commune],
    ) -> None:
        self.regions = {r.code: r for r in regions}
        deps = list(departements)
        self.departements = {d.code: d for d in deps if d.zone != "com"}
        self.collectivities = {d.code: d for d in deps if d.zone == "com"}
        self.epcis = {e.code: e for e in epcis}
        all_communes = list(communes)
        self.communes = {c.code: c for c in all_communes if c.kind in _PRIMARY}
        self.former_communes = {c.code: c for c in all_communes if c.kind not in _PRIMARY}
        self.aliases = {old: c.code for c in self.communes.values() for old in c.former_codes}
        self._by_code: dict[str, Territory] = {t.territory_code: t for t in self.territories()}
        self._by_name = _index_by_name(self.territories())
        self._by_postcode = _index_by_postcode(self.communes.values())

    def territories(self) -> Iterator[Territory]:
        """Yield every territory: régions, départements, COM, EPCI, then communes."""
        yield from self.regions.values()
        yield from self.departements.values()
        yield from self.collectivities.values()
        yield from self.epcis.values()
        yield from self.communes.values()
        yield from self.former_communes.values()

    def get(self, territory_code: str) -> Territory:
        """Return the territory of a prefixed code (``REG:84``, ``DEP:2A``, ``COM:75056``).

        ``REG:975`` / ``DEP:975`` resolve to the collectivity ``COLL:975``; ``COM:`` with
        a pre-merger code resolves to the current commune. Raises ``NotFound``.
        """
        code = territory_code.strip()
        found = self._by_code.get(code) or self._by_code.get(code.upper())
        if found is not None:
            return found
        prefix, _, raw = code.partition(":")
        prefix = prefix.upper()
        if prefix in ("REG", "DEP") and raw in self.collectivities:
            return self.collectivities[raw]
        if prefix == "COM" and raw:
            return self.commune(raw)
        raise NotFound("territory", territory_code)

    def get_or_none(self, territory_code: str) -> Territory | None:
        """Return the territory of a prefixed code, or None when unknown."""
        try:
            return self.get(territory_code)
        except NotFound:
            return None

    def commune(self, code: object) -> Commune:
        """Return the commune of an INSEE code (``2a004`` and ``1001`` accepted).

        Looks up current communes and arrondissements, then communes déléguées or
        associées, then pre-merger codes (returning the current commune). Raises
        ``NotFound`` (or ``InvalidInput`` when the code is malformed).
        """
        insee = validate_commune_code(code)
        found = self.communes.get(insee) or self.former_communes.get(insee)
        if found is None and insee in self.aliases:
            found = self.communes[self.aliases[insee]]
        if found is None:
            raise NotFound("commune", code)
        return found

    def known_commune_codes(self) -> frozenset[str]:
        """Return every INSEE code the geography knows (current, former, arrondissements)."""
        return frozenset(self.communes) | frozenset(self.former_communes) | frozenset(self.aliases)

    def find_by_name(self, name: str, *, level: str | None = None) -> list[Territory]:
        """Return the territories whose folded name equals ``fold(name)``.

        Case, accents, hyphens and apostrophes are ignored ("saint etienne" finds
        Saint-Étienne). Several communes may share a name: all are returned, largest
        population first. ``level`` (e.g. ``"commune"``) filters by level.
        """
        found = self._by_name.get(fold(name), [])
        return [t for t in found if level is None or t.level == level]

    def communes_by_postcode(self, postcode: str) -> list[Commune]:
        """Return the current communes and arrondissements of a postcode, largest first."""
        return list(self._by_postcode.get(postcode.strip(), []))

    def centroid_coverage(self) -> CentroidCoverage:
        """Return the centroid coverage of current communes, COM excluded."""
        current = [c for c in self.communes.values() if c.kind == "current" and c.zone != "com"]
        by_source: dict[str, int] = defaultdict(int)
        for commune in current:
            if commune.centroid_source:
                by_source[commune.centroid_source] += 1
        return CentroidCoverage(len(current), sum(by_source.values()), dict(by_source))


_PRIMARY = ("current", "municipal_arrondissement")


def _index_by_name(territories: Iterable[Territory]) -> dict[str, list[Territory]]:
    """Return folded name -> territories, each list sorted by population (desc)."""
    index: dict[str, list[Territory]] = defaultdict(list)
    for territory in territories:
        index[fold(territory.name)].append(territory)
    for found in index.values():
        found.sort(key=_population_key)
    return dict(index)


def _index_by_postcode(communes: Iterable[Commune]) -> dict[str, list[Commune]]:
    """Return postcode -> communes, each list sorted by population (desc)."""
    index: dict[str, list[Commune]] = defaultdict(list)
    for commune in communes:
        for postcode in commune.postcodes:
            index[postcode].append(commune)
    for found in index.values():
        found.sort(key=_population_key)
    return dict(index)


def _mean_point(points: list[tuple[float, float]]) -> tuple[float, float] | None:
    """Return the mean (latitude, longitude) of points, or None if there are none."""
    if not points:
        return None
    return sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points)


def _set_point(target: Commune | Epci | Region | Departement, point: Any) -> None:
    """Set latitude/longitude of a record from a (lat, lon) pair or None."""
    if point is not None:
        target.latitude, target.longitude = point


def _assign_centroids(communes: list[Commune], centroids: dict[str, tuple[float, float]]) -> None:
    """Set each commune's centroid from La Poste, with the fallbacks of ``geo.load``."""
    for commune in communes:
        if commune.code in centroids:
            _set_point(commune, centroids[commune.code])
            commune.centroid_source = "laposte"
    by_code = {c.code: c for c in communes if c.kind in _PRIMARY}
    arrondissements: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for commune in communes:
        if commune.kind == "municipal_arrondissement" and commune.latitude is not None:
            arrondissements[commune.parent or ""].append(_point(commune))
    for commune in communes:
        if commune.centroid_source or commune.kind != "current":
            continue
        former = [centroids[c] for c in commune.former_codes if c in centroids]
        for source, points in (
            ("laposte_former_codes", former),
            ("laposte_arrondissements", arrondissements[commune.code]),
        ):
            if points:
                _set_point(commune, _mean_point(points))
                commune.centroid_source = source
                break
    for commune in communes:
        parent = by_code.get(commune.parent or "")
        if commune.centroid_source is None and parent is not None and parent.latitude is not None:
            _set_point(commune, _point(parent))
            commune.centroid_source = "parent"


def _point(record: Commune) -> tuple[float, float]:
    """Return the (latitude, longitude) of a commune known to have a centroid."""
    assert record.latitude is not None and record.longitude is not None
    return record.latitude, record.longitude


def _link_epcis(epcis: list[Epci], communes: dict[str, Commune]) -> None:
    """Record EPCI membership on communes; set EPCI départements, régions and centroid."""
    for epci in epcis:
        members = [communes[code] for code in epci.members if code in communes]
        for commune in members:
            commune.epcis.append(epci.code)
        epci.departements = tuple(sorted({c.departement for c in members}))
        epci.regions = tuple(sorted({c.region for c in members}))
        _set_point(epci, _mean_point([_point(c) for c in members if c.latitude is not None]))


def _aggregate(areas: Iterable[Region | Departement], key: str, communes: list[Commune]) -> None:
    """Set population (sum) and centroid (mean) of régions or départements from communes."""
    groups: dict[str, list[Commune]] = defaultdict(list)
    for commune in communes:
        if commune.kind == "current":
            groups[getattr(commune, key)].append(commune)
    for area in areas:
        members = groups.get(area.code, [])
        area.population = sum(c.population or 0 for c in members)
        _set_point(area, _mean_point([_point(c) for c in members if c.latitude is not None]))


def build_geography(
    *,
    regions: list[Region],
    departements: list[Departement],
    epcis: list[Epci],
    communes: list[Commune],
    centroids: dict[str, tuple[float, float]],
    geometries: dict[str, dict[str, dict[str, Any]]] | None = None,
) -> Geography:
    """Assemble a :class:`Geography`: centroids, EPCI membership, populations, geometries.

    ``geometries`` maps ``"region"`` / ``"departement"`` to code -> GeoJSON geometry.
    Records are updated in place.
    """
    _assign_centroids(communes, centroids)
    _link_epcis(epcis, {c.code: c for c in communes if c.kind == "current"})
    _aggregate(regions, "region", communes)
    _aggregate(departements, "departement", communes)
    geometries = geometries or {}
    for level, areas in (("region", regions), ("departement", departements)):
        shapes = geometries.get(level, {})
        for area in areas:
            area.geometry = shapes.get(area.code)
    return Geography(regions, departements, epcis, communes)


@cache
def load_geography() -> Geography:
    """Return the packaged 2026 geography (read once, then cached).

    Reads ``maillage/data/geo`` (decoupage-administratif 6.0.0, france-geojson, La
    Poste); takes about a second. Do not mutate the returned records.
    """
    return build_geography(
        regions=load.read_regions(),
        departements=load.read_departements(),
        epcis=load.read_epcis(),
        communes=load.read_communes(),
        centroids=load.read_laposte_centroids(),
        geometries={
            "region": load.read_geometries("region"),
            "departement": load.read_geometries("departement"),
        },
    )
