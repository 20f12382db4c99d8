"""The loaded geography with its lookup indexes (by code, by folded name, by postcode).

``load_geography()`` reads the packaged files once (cached); ``build_geography`` is the
pure assembly step, usable on hand-made records in tests.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any, Literal

from maillage.geo import load
from maillage.geo.model import Commune, Departement, Epci, Region, Territory
from maillage.model.errors import NotFound
from maillage.model.identifiers import validate_commune_code
from maillage.model.text import fold

__all__ = ["CentroidCoverage", "Geography", "OtherName", "build_geography", "load_geography"]

NameKind = Literal["current", "delegated", "associated", "merged", "laposte_line_5"]


@dataclass(frozen=True, slots=True)
class OtherName:
    """A name a file may give for a current commune other than its own: a commune
    déléguée or associée (``delegated``, ``associated``), a former commune merged into
    it (``merged``: La Poste still lists it under its former code), a place La Poste
    names on line 5 of its addresses (``laposte_line_5``), or its own name written
    with ``St``/``Ste`` (``current``)."""

    name: str
    kind: NameKind
    commune: str
    postcodes: tuple[str, ...]

    def said(self, current: str) -> str:
        """What a report says of the name, ``current`` being the commune's name."""
        where = f"{current} ({self.commune})"
        return {
            "current": f"lu comme {where}",
            "delegated": f"commune déléguée de {where}",
            "associated": f"commune associée de {where}",
            "merged": f"ancienne commune, fusionnée dans {where}",
            "laposte_line_5": f"lieu-dit ou ancienne commune de {where} (La Poste)",
        }[self.kind]


_NAME_RANK: dict[NameKind, int] = {
    "current": 0, "delegated": 1, "associated": 1, "merged": 1, "laposte_line_5": 2,
}  # fmt: skip


def place_key(name: str) -> str:
    """The key two writings of a place name share: folded (:func:`fold`) with ``st`` and
    ``ste`` read as ``saint`` and ``sainte`` (``BARBEZIEUX ST HILAIRE``)."""
    words = fold(name).split()
    return " ".join({"st": "saint", "ste": "sainte"}.get(w, w) for w in words)


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
        laposte_names: Iterable[tuple[str, str, str, str]] = (),
    ) -> None:
        self._laposte_names = list(laposte_names)
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

    def current_code(self, code: str) -> str | None:
        """The current commune (or arrondissement) of an INSEE code: itself, the parent
        of a commune déléguée or associée, or the commune a pre-merger code went to."""
        if code in self.communes:
            return code
        former = self.former_communes.get(code)
        parent = former.parent if former is not None else None
        if parent is not None and parent != code:
            return self.current_code(parent)
        return self.aliases.get(code)

    def communes_named(
        self, name: str, *, departement: str, postcode: str | None = None
    ) -> list[OtherName]:
        """Return the current communes of ``departement`` (``"16"``, ``"2A"``) that
        ``name`` designates when it is not a current commune's name as written: its own
        name with ``St``/``Ste``, else a former commune's (déléguée, associée, merged),
        else a place of La Poste's line 5. One entry per commune; a ``postcode`` keeps
        those it serves when the name designates several. Empty when none."""
        found = [
            n for n in self._other_names.get(place_key(name), ())
            if self.communes[n.commune].departement == departement
        ]  # fmt: skip
        if not found:
            return []
        rank = min(_NAME_RANK[n.kind] for n in found)
        found = [n for n in found if _NAME_RANK[n.kind] == rank]
        if postcode and len({n.commune for n in found}) > 1:
            found = [n for n in found if postcode in n.postcodes] or found
        return list({n.commune: n for n in reversed(found)}.values())[::-1]

    @cached_property
    def _other_names(self) -> dict[str, list[OtherName]]:
        """place key -> the other names of current communes (see :meth:`communes_named`)."""
        names: dict[str, list[OtherName]] = defaultdict(list)

        def add(name: str, kind: NameKind, code: str | None, postcodes: tuple[str, ...]) -> None:
            if code is None or code not in self.communes:
                return
            current = self.communes[code]
            if kind != "current" and place_key(name) == place_key(current.name):
                return
            names[place_key(name)].append(
                OtherName(name, kind, code, tuple(dict.fromkeys((*postcodes, *current.postcodes))))
            )

        for commune in self.communes.values():  # a saint a file may write St
            if {"saint", "sainte"} & set(fold(commune.name).split()):
                add(commune.name, "current", commune.code, ())
        for former in self.former_communes.values():
            add(former.name, former.kind, self.current_code(former.code), ())  # type: ignore[arg-type]
        for insee, commune_name, postcode, line_5 in self._laposte_names:
            code = self.current_code(insee)
            if insee not in self.communes and insee not in self.former_communes:
                add(commune_name, "merged", code, (postcode,))
            if line_5:
                add(line_5, "laposte_line_5", code, (postcode,))
        return dict(names)

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
    laposte_names: Iterable[tuple[str, str, str, str]] = (),
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
    return Geography(regions, departements, epcis, communes, laposte_names)


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
        laposte_names=load.read_laposte_names(),
    )
