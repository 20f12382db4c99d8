"""Plain records of the French administrative geography (COG 2026).

Territory codes are prefixed by level: ``REG:84``, ``DEP:2A``, ``EPCI:200054781``,
``COM:75056``. Overseas collectivities (``zone == "com"``: Saint-Pierre-et-Miquelon,
Saint-Barthélemy, Saint-Martin, TAAF, Wallis-et-Futuna, Polynésie française,
Nouvelle-Calédonie, Clipperton) are both région and département in the source; they are
kept once, as ``COLL:975`` etc., so that régions and départements count 18 and 101.
Communes déléguées and associées reuse INSEE codes of current communes, so they get
``COMD:`` and ``COMA:`` codes; arrondissements municipaux keep ``COM:`` (their INSEE
codes are unique).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Zone = Literal["metro", "drom", "com"]
CommuneKind = Literal["current", "delegated", "associated", "municipal_arrondissement"]
Level = Literal[
    "region",
    "departement",
    "collectivite_outre_mer",
    "epci",
    "commune",
    "commune_deleguee",
    "commune_associee",
    "arrondissement_municipal",
]

COMMUNE_LEVELS: dict[CommuneKind, tuple[Level, str]] = {
    "current": ("commune", "COM"),
    "municipal_arrondissement": ("arrondissement_municipal", "COM"),
    "delegated": ("commune_deleguee", "COMD"),
    "associated": ("commune_associee", "COMA"),
}


@dataclass(slots=True)
class Region:
    """A région (13 metropolitan + 5 DROM)."""

    code: str
    name: str
    zone: Zone
    chef_lieu: str
    population: int = 0
    latitude: float | None = None
    longitude: float | None = None
    geometry: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def territory_code(self) -> str:
        """Return the prefixed code, e.g. ``REG:84``."""
        return f"REG:{self.code}"

    @property
    def level(self) -> Level:
        """Return the territory level, ``"region"``."""
        return "region"


@dataclass(slots=True)
class Departement:
    """A département (96 metropolitan + 5 DROM), or an overseas collectivity (COM).

    For a COM (``zone == "com"``) ``region`` equals ``code`` and the territory code is
    ``COLL:<code>``.
    """

    code: str
    name: str
    region: str
    zone: Zone
    chef_lieu: str
    population: int = 0
    latitude: float | None = None
    longitude: float | None = None
    geometry: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def territory_code(self) -> str:
        """Return ``DEP:<code>``, or ``COLL:<code>`` for an overseas collectivity."""
        return f"COLL:{self.code}" if self.zone == "com" else f"DEP:{self.code}"

    @property
    def level(self) -> Level:
        """Return ``"departement"`` or ``"collectivite_outre_mer"``."""
        return "collectivite_outre_mer" if self.zone == "com" else "departement"


@dataclass(slots=True)
class Epci:
    """An EPCI à fiscalité propre (CC, CA, CU, métropole), identified by its SIREN."""

    code: str
    name: str
    type: str
    financing: str
    population: int | None
    population_total: int | None
    members: tuple[str, ...]
    departements: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    latitude: float | None = None
    longitude: float | None = None

    @property
    def territory_code(self) -> str:
        """Return the prefixed code, e.g. ``EPCI:200054781``."""
        return f"EPCI:{self.code}"

    @property
    def level(self) -> Level:
        """Return ``"epci"``."""
        return "epci"


@dataclass(slots=True)
class Commune:
    """A commune: current one, déléguée, associée or arrondissement municipal.

    ``parent`` is the current commune a déléguée/associée belongs to (``chefLieu``),
    or 75056/13055/69123 for an arrondissement municipal; None for a current one.
    ``centroid_source`` says where the coordinates come from (see ``geo.load``).
    """

    code: str
    name: str
    kind: CommuneKind
    departement: str
    region: str
    zone: Zone
    parent: str | None = None
    siren: str | None = None
    postcodes: tuple[str, ...] = ()
    population: int | None = None
    former_codes: tuple[str, ...] = ()
    epcis: list[str] = field(default_factory=list)
    latitude: float | None = None
    longitude: float | None = None
    centroid_source: str | None = None

    @property
    def territory_code(self) -> str:
        """Return ``COM:``, ``COMD:`` or ``COMA:`` followed by the INSEE code."""
        return f"{COMMUNE_LEVELS[self.kind][1]}:{self.code}"

    @property
    def level(self) -> Level:
        """Return the territory level of this kind of commune."""
        return COMMUNE_LEVELS[self.kind][0]


Territory = Region | Departement | Epci | Commune
