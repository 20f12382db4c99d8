"""Plain records exchanged between io, analysis, recommend and services.

These are the shapes that parsers yield and that analysis consumes: no database
session, no ORM object. Field names follow the domain model (DESIGN.md section 5)
and the column names of the ``actor`` and ``link`` tables.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields
from typing import Any

# The years a date may have anywhere in maillage (imports, forms, filters, timeline).
FIRST_YEAR, LAST_YEAR = 1800, 2200


@dataclass(slots=True)
class ActorRecord:
    """One organisation as read from a source or loaded from storage.

    ``key`` is the identifier the source uses for this actor (a row id, a SIRET,
    a node id); links of the same source refer to their ends by it.
    """

    name: str
    key: str | None = None
    acronym: str | None = None
    description: str | None = None
    world: str | None = None  # economic | associative | public | academic
    category: str | None = None  # see taxonomies/categories
    digital_profile: str = "unknown"  # native | adopter | traditional | unknown
    siren: str | None = None
    siret: str | None = None
    rna: str | None = None
    # the SIRET / RNA of the structure that holds this place, when it is not its own
    holder_siret: str | None = None
    holder_rna: str | None = None
    legal_form: str | None = None  # INSEE catégorie juridique, 4 digits
    naf: str | None = None
    address: str | None = None
    postcode: str | None = None
    commune_code: str | None = None
    commune_name: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    website: str | None = None
    email: str | None = None
    phone: str | None = None
    themes: list[str] = field(default_factory=list)
    sdgs: list[int] = field(default_factory=list)
    territories: list[str] = field(default_factory=list)  # codes like "DEP:59"
    source: str | None = None
    source_ref: str | None = None  # id of the record in its source
    classification_rule: str | None = None  # how world/category were derived
    extra: dict[str, Any] = field(default_factory=dict)
    id: int | None = None  # database id when loaded from storage


CHECKED_FIELDS = frozenset(
    ["siret", "siren", "rna", "postcode", "commune_code", "legal_form", "world", "digital_profile"]
)
"""The fields of a :class:`CheckedActor` that its parser cleaned by their model rules."""


@dataclass(slots=True, eq=False)  # its own __eq__, below
class CheckedActor(ActorRecord):
    """An actor read by a table parser (:mod:`maillage.io.tabular`), whose
    :data:`CHECKED_FIELDS` each went through their rule in :mod:`maillage.model`
    (SIRET/SIREN check digits, RNA, postcode and commune code shapes, legal form, world
    and digital profile codes) and hold the cleaned value: the import service does not
    check them again (a large import would otherwise run each rule twice). The other
    fields (text limits, coordinates in France, categories, themes) are checked by the
    service as for any :class:`ActorRecord`. Code that sets a checked field on a
    ``CheckedActor`` after parsing sets a value its rule accepts (the classification
    rules and the Kumu reader set worlds). Hand-built records are plain ``ActorRecord``
    objects, and every field of theirs is checked.
    """

    def __eq__(self, other: object) -> bool:
        """Equal to any actor record holding the same values (being checked says where
        a record comes from, not what it holds)."""
        if not isinstance(other, ActorRecord):
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in _ACTOR_FIELDS)


_ACTOR_FIELDS = tuple(f.name for f in fields(ActorRecord))


@dataclass(slots=True)
class LinkRecord:
    """One tie between two actors.

    ``source_key``/``target_key`` name the ends by the key used in the actors of
    the same source (or a SIRET/SIREN/RNA); ``source_id``/``target_id`` are
    database ids when loaded from storage.
    """

    source_key: str | None = None
    target_key: str | None = None
    kind: str = "partnership"
    form: str | None = None  # partnership form: mecenat, pratiques_responsables, ...
    subtype: str | None = None  # mécénat sub-type
    directed: bool = False
    weight: float | None = None
    amount: float | None = None  # euros, for funding and contracts
    status: str = "active"  # proposed | active | ended
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    territory: str | None = None
    themes: list[str] = field(default_factory=list)
    purpose: str | None = None
    evidence: str | None = None
    evidence_url: str | None = None
    confidence: float | None = None
    source: str | None = None
    source_ref: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    id: int | None = None
    source_id: int | None = None
    target_id: int | None = None


@dataclass(slots=True)
class ImportIssue:
    """A problem met while reading a file: data, not an exception."""

    row: int | None
    field: str | None
    value: Any
    message: str
    file: str | None = None
    severity: str = "error"  # error rejects the row; warning reports a repair

    def __str__(self) -> str:
        where = ", ".join(
            p
            for p in (
                self.file or "",
                f"ligne {self.row}" if self.row is not None else "",
                f"champ « {self.field} »" if self.field else "",
            )
            if p
        )
        given = f" ({self.value!r})" if self.value is not None and self.value != "" else ""
        return f"{where} : {self.message}{given}" if where else f"{self.message}{given}"
