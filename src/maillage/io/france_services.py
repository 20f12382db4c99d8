"""France Services list (ANCT, ``liste-fs-AAAAMMJJ.csv``): one actor per site.

Columns: ``id_fs, insee_dep, lib_fs, adresse, complement_adresse, insee_com,
code_postal, lib_com, latitude, longitude, mail, telephone, h_lundi … h_samedi,
prise_rdv, commentaire, type_fs, format_fs, groupe_fs, labellisation_fs`` (2024) or the
2023 variant (``itinerance, groupe, labellisation, format_fs_anct``). Every site is a
public actor classified by the France Services typology (``typologie:RFS``), with the
themes the France Services label implies (access to public services, online procedures:
:func:`~maillage.io.mediation.label_themes`, the rule in ``extra["themes_rule"]``); opening
hours, format and labelling go to ``extra`` (the labelling date is read out of
``"Espace labellisé 01/01/2020"``). Rows are checked like any actor table.

Relations (drawn once the sites are stored: :mod:`maillage.services.relations`): every
site is affiliated to the France Services programme, dated by its labelling
(:func:`affiliation`); its carrier is read from its name where the name says it
(:func:`carrier_claim`: La Poste, MSA, a mairie or town, an EPCI), and what names a
carrier that cannot be identified (an association, a centre social, a CCAS, a
sous-préfecture, a Maison du département, a ``groupe_fs``) is said so, never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from maillage.io.classify import apply_classification
from maillage.io.columns import canonical_table
from maillage.io.mediation import Affiliation, label_themes
from maillage.io.reading import Table, read_table, table_from_records
from maillage.io.result import ParseResult
from maillage.io.tabular import parse_actor_table
from maillage.model.records import ActorRecord

__all__ = [
    "FRANCE_SERVICES_MAPPING",
    "CarrierClaim",
    "affiliation",
    "carrier_claim",
    "parse_france_services",
    "read_france_services",
]

FRANCE_SERVICES_MAPPING = {
    "id_fs": "key",
    "lib_fs": "name",
    "adresse": "address",
    "insee_com": "commune_code",
    "code_postal": "postcode",
    "lib_com": "commune_name",
    "latitude": "latitude",
    "longitude": "longitude",
    "mail": "email",
    "telephone": "phone",
    "insee_dep": "ignore",
}
_DAYS = ("h_lundi", "h_mardi", "h_mercredi", "h_jeudi", "h_vendredi", "h_samedi", "h_dimanche")
_COLUMNS = (
    *FRANCE_SERVICES_MAPPING, *_DAYS, "complement_adresse", "prise_rdv", "commentaire",
    "type_fs", "format_fs", "groupe_fs", "labellisation_fs", "itinerance", "groupe",
    "labellisation", "format_fs_anct",
)  # fmt: skip
"""The columns of the list, read in any case or spacing (``Lib_FS``, ``code postal``)."""
_LABEL_DATE = re.compile(r"(\d{2})/(\d{2})/(\d{4})")


def parse_france_services(
    rows: Table | Iterable[Mapping[str, Any]],
    *,
    file: str | None = None,
    source: str = "france-services",
) -> ParseResult:
    """Return one public actor per France Services site, with row-level issues."""
    table = rows if isinstance(rows, Table) else table_from_records(map(dict, rows), file=file)
    table = canonical_table(table, _COLUMNS)
    result = parse_actor_table(
        table, FRANCE_SERVICES_MAPPING, file=file, source=source, classify=False
    )
    departments = {r.values.get("id_fs"): r.values.get("insee_dep") for r in table.rows}
    for actor in result.actors:
        _finish(actor, departments.get(actor.key))
    return result


def _finish(actor: ActorRecord, department: Any) -> None:
    """Classify, set territory and source ref, and group hours and labelling in extra."""
    apply_classification(actor, typologies=["RFS"])
    label_themes(actor, ["France Services"], "liste France Services")
    actor.source_ref = actor.key
    if department:
        actor.territories.append(f"DEP:{str(department).strip()}")
    hours = {day[2:]: actor.extra.pop(day) for day in _DAYS if day in actor.extra}
    if hours:
        actor.extra["horaires"] = hours
    label = actor.extra.get("labellisation_fs") or actor.extra.get("labellisation")
    if isinstance(label, str) and (match := _LABEL_DATE.search(label)):
        actor.extra["date_labellisation"] = f"{match[3]}-{match[2]}-{match[1]}"


def read_france_services(
    path: str | Path, *, source: str = "france-services", sheet: str | None = None
) -> ParseResult:
    """Read a France Services list (CSV or XLSX, compressed or not)."""
    return parse_france_services(read_table(path, sheet=sheet), source=source)


def affiliation(extra: Mapping[str, Any]) -> Affiliation:
    """A site's affiliation to the France Services programme (``extra`` of a site read
    by this module), dated by its labelling when the list gives it."""
    field = "labellisation_fs" if "labellisation_fs" in extra else "labellisation"
    label = str(extra.get(field) or "France Services")
    date = extra.get("date_labellisation")
    return Affiliation("france-services", label, field, date if isinstance(date, str) else None)


@dataclass(frozen=True, slots=True)
class CarrierClaim:
    """What a France Services' name (or ``groupe_fs``) says of its carrier.

    ``kind``: ``national`` (``value`` a code of the ``national_actors`` taxonomy),
    ``commune`` or ``epci`` (``value`` the name as written, to look up in the site's
    département), ``here`` (a town hall or a communal post office that names no
    commune: the commune the site is in), or ``unidentified`` (``value`` the words naming a carrier that no
    number or reference identifies). ``rule`` says which words of which field gave it.
    """

    kind: str
    value: str
    rule: str


_STOP = r"(?:de |du |des |d'|d’)"
_NAMED = r"(?P<name>(?:[^-–(,]|(?<=\w)-(?=\w))+)"
"""A name up to a dash between words, a bracket or a comma (« Saint-Fort-sur-le-Né »
whole, « Mairie de Cognac - Pôle commerce » up to its dash)."""
_CARRIERS: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    ("national", "la-poste", re.compile(r"\bLa Poste\b", re.I)),
    ("national", "msa", re.compile(r"\bMSA\b")),
    ("unidentified", "CCAS / CIAS", re.compile(r"\b(?:CCAS|CIAS)\b", re.I)),
    ("unidentified", "sous-préfecture", re.compile(r"\bsous-pr[ée]fecture\b", re.I)),
    ("unidentified", "Maison du département", re.compile(r"\bmaison du d[ée]partement\b", re.I)),
    ("unidentified", "centre social", re.compile(r"\bcentre (?:social|socio)", re.I)),
    ("unidentified", "association", re.compile(r"\bassociation\b", re.I)),
    ("commune", "", re.compile(
        rf"\b(?:mairie|ville|commune|h[ôo]tel de ville) {_STOP}{_NAMED}", re.I)),
    ("here", "", re.compile(
        r"^(?:mairie|h[ôo]tel de ville|agence postale communale)\b(?!\s+(?:de|du|des|d'|d’))",
        re.I)),
    ("epci", "", re.compile(
        r"\b(?P<name>(?:communaut[ée] (?:de communes|d'agglom[ée]ration|urbaine)|CC|CA) "
        r"[^–(,]+?)(?:\s+-\s|$)", re.I)),
    ("epci", "", re.compile(r"(?:^|\s-\s)(?P<name>[^-–(,]+ Agglom[ée]ration)\b", re.I)),
)  # fmt: skip
"""First match wins: national carriers, then the carriers a name cannot identify (a
CCAS is a public body of its own, not its commune), then a commune, then an EPCI."""


_LEAD = re.compile(r"^(?:Bus\s+)?France\s+services\s+(?:itin[ée]rante\s+)?", re.I)
"""The words that open a site's name (``Bus France services …``), left out before reading it."""


def carrier_claim(
    name: str, extra: Mapping[str, Any], field: str = "lib_fs"
) -> CarrierClaim | None:
    """What the site's name (the value of ``field``: ``lib_fs`` for a France Services,
    ``nom`` for a place of a lieux file) says of its carrier (see :data:`_CARRIERS`),
    else what its ``groupe_fs`` says (a group names no carrier: ``unidentified``), else
    None (the list does not say)."""
    name = _LEAD.sub("", name)
    for kind, value, pattern in _CARRIERS:
        if match := pattern.search(name):
            words = match.group(0).strip()
            named = match.groupdict().get("name")
            found = named.strip() if named else value
            return CarrierClaim(kind, found, f"{field} « {words} »")
    group = extra.get("groupe_fs") or extra.get("groupe")
    if isinstance(group, str) and group.strip():
        return CarrierClaim("unidentified", "groupe", f"groupe_fs « {group.strip()} »")
    return None
