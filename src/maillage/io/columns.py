"""Column mapping: explicit ``{column: field}`` plus guesses from French and English headers.

One folding rule for every header and JSON key that every format parser reads
(:func:`header_key`): lower case, no accents, no spacing or punctuation, so that
``" Raison sociale* "``, ``raison_sociale`` and ``RaisonSociale`` compare equal.
Exact record field names win, then the guesses below, each field taken once, left to
right. :func:`canonical_table` and :func:`canonical_records` rename a file's columns
or keys to the names a format's schema gives them (``Adresse`` -> ``adresse``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import fields
from functools import lru_cache
from typing import Any

from maillage.io.reading import Table
from maillage.model.records import ActorRecord, ImportIssue, LinkRecord
from maillage.model.text import fold

__all__ = [
    "ACTOR_GUESSES",
    "LINK_GUESSES",
    "canonical_columns",
    "canonical_records",
    "canonical_table",
    "guess_mapping",
    "header_key",
    "norm_header",
]

IGNORE = ""
"""Map a column to this (or to ``"ignore"``) to leave it out, even from ``extra``."""

ACTOR_GUESSES: dict[str, tuple[str, ...]] = {
    "key": ("id", "identifiant", "key", "cle", "ref", "reference"),
    "name": (
        "nom", "name", "raison_sociale", "denomination", "denomination_sociale", "label",
        "nom_structure", "nom_de_la_structure", "organisation", "organisme", "structure",
        "libelle", "nom_organisme", "libelle1", "libelle_1", "nom_etablissement",
    ),
    "acronym": ("sigle", "acronyme", "acronym"),
    "description": ("description", "presentation", "resume"),
    "siret": ("siret", "numero_siret", "n_siret", "siret_etablissement"),
    "siren": ("siren", "numero_siren", "n_siren"),
    "rna": ("rna", "numero_rna", "n_rna", "code_rna", "rna_number", "identifiant_rna"),
    "legal_form": ("categorie_juridique", "forme_juridique", "legal_form", "cj"),
    "naf": ("naf", "code_naf", "ape", "code_ape", "activite_principale"),
    "postcode": ("code_postal", "cp", "postcode", "postal_code", "zip", "zip_code", "codepostal"),
    "commune_name": ("commune", "ville", "city", "localite", "nom_commune", "lib_com", "town"),
    "commune_code": (
        "code_insee", "code_commune", "commune_code", "insee", "code_commune_insee",
        "insee_com", "depcom", "codgeo", "territory_code",
    ),
    "address": ("adresse", "address", "adresse_postale", "voie", "rue", "street"),
    "coordinates": (
        "coordonnees", "coordonnees_gps", "coordonnees_finales", "wgs84", "geo_point",
        "geo_point_2d", "latlon", "lat_lon", "lat_lng", "position",
    ),
    "latitude": (
        "latitude", "lat", "y", "y_l93", "y_lambert93", "y_lambert", "lambert_y", "coord_y",
        "coordonnee_y", "coordonnees_y", "ycoord", "northing", "y_2154", "y_3857", "y_wgs84",
    ),
    "longitude": (
        "longitude", "lon", "lng", "long", "x", "x_l93", "x_lambert93", "x_lambert",
        "lambert_x", "coord_x", "coordonnee_x", "coordonnees_x", "xcoord", "easting", "x_2154",
        "x_3857", "x_wgs84",
    ),
    "world": ("monde", "world", "secteur"),
    "category": ("categorie", "category", "type", "typologie", "type_de_structure"),
    "digital_profile": ("profil_numerique", "digital_profile"),
    "website": ("site_web", "site", "site_internet", "website", "url", "web", "lien"),
    "email": ("email", "courriel", "mail", "e_mail", "adresse_mail", "adresse_email"),
    "phone": ("telephone", "tel", "phone", "numero_de_telephone", "telephone_fixe"),
    "themes": ("themes", "thematiques", "theme", "thematique", "tags"),
    "sdgs": ("odd", "sdgs", "sdg"),
    "territories": ("territoires", "territories"),
}  # fmt: skip

LINK_GUESSES: dict[str, tuple[str, ...]] = {
    "source_key": (
        "source", "from", "de", "source_id", "id_source", "origine", "acteur_source", "source_key"
    ),
    "target_key": (
        "target", "to", "vers", "cible", "target_id", "id_cible", "destination", "acteur_cible"
    ),
    "kind": ("kind", "type", "type_de_lien", "nature", "type_lien"),
    "start_date": (
        "start_year", "date_debut", "debut", "start", "start_date", "annee", "year", "date",
        "annee_debut",
    ),
    "end_date": ("end_year", "date_fin", "fin", "end", "end_date", "annee_fin"),
    "weight": ("weight", "poids", "strength", "force", "intensite"),
    "amount": ("montant", "amount", "amount_eur", "montant_eur"),
    "purpose": ("objet", "purpose", "motif"),
    "directed": ("directed", "oriente"),
    "form": ("forme", "form", "forme_partenariat"),
    "themes": ("themes", "thematiques", "tags"),
    "evidence_url": ("evidence_url", "url", "lien"),
    "source_ref": ("source_ref", "id", "identifiant"),
}  # fmt: skip

ACTOR_FIELDS = tuple(f.name for f in fields(ActorRecord) if f.name != "id")
COORDINATES = "coordinates"
"""Pseudo-field: one column holding ``"latitude, longitude"`` (split on reading)."""
LINK_FIELDS = tuple(
    f.name for f in fields(LinkRecord) if f.name not in ("id", "source_id", "target_id")
)


def norm_header(header: str) -> str:
    """A header folded with its words kept apart: ``" Code Postal* "`` -> ``code_postal``
    (:func:`~maillage.model.text.fold`, words joined by ``_``)."""
    return "_".join(fold(header).split())


@lru_cache(maxsize=4096)
def header_key(header: str) -> str:
    """The form in which two headers or keys are the same column: folded
    (:func:`~maillage.model.text.fold`: lower case, no accents) and without spacing or
    punctuation. ``" Code Postal* "``, ``code_postal`` and ``codePostal`` all give
    ``codepostal``."""
    return "".join(fold(header).split())


def canonical_columns(header: Iterable[str], names: Iterable[str]) -> dict[str, str]:
    """``{column: name}`` for each column of ``header`` that is not one of ``names`` but
    has the same :func:`header_key` as one of them (``Adresse`` -> ``adresse``). A name
    the header already holds as it is, or one an earlier column took, is not given again."""
    columns = list(header)
    by_key = {header_key(n): n for n in names}
    taken = {c for c in columns if c in by_key.values()}
    renames: dict[str, str] = {}
    for column in columns:
        if column in taken:
            continue
        name = by_key.get(header_key(column))
        if name is not None and name not in taken:
            renames[column] = name
            taken.add(name)
    return renames


def _renamed_issue(column: str, name: str, file: str | None) -> ImportIssue:
    return ImportIssue(None, name, column, f"colonne « {column} » lue comme {name}", file,
                       severity="warning")  # fmt: skip


def canonical_table(table: Table, names: Iterable[str]) -> Table:
    """Rename, in place, the columns of ``table`` that fold like one of ``names`` (see
    :func:`canonical_columns`); each renaming is reported once in ``table.issues``."""
    renames = canonical_columns(table.header, names)
    if not renames:
        return table
    if table.records is None:  # rows built: their cells are renamed too
        for row in table.rows:
            row.values = {renames.get(k, k): val for k, val in row.values.items()}
    table.header = [renames.get(c, c) for c in table.header]
    table.issues.extend(_renamed_issue(c, n, table.file) for c, n in renames.items())
    return table


def canonical_records(
    records: Sequence[Mapping[str, Any]], names: Iterable[str], file: str | None = None
) -> tuple[list[dict[str, Any]], list[ImportIssue]]:
    """The records (JSON objects) with their keys renamed as :func:`canonical_table`
    renames columns, and one warning per key renamed."""
    keys: dict[str, None] = {}
    for record in records:
        keys.update(dict.fromkeys(record))
    renames = canonical_columns(keys, names)
    issues = [_renamed_issue(c, n, file) for c, n in renames.items()]
    if not renames:
        return [dict(r) for r in records], issues
    return [{renames.get(k, k): val for k, val in r.items()} for r in records], issues


_SYSTEM = r"(?:l93|lambert\d*|lamb\d*|utm\d*[ns]?|cc\d\d|epsg\d+|\d{4,5}|mercator|wgs84|rgf93)"
_AXIS = re.compile(rf"(?:coord\w*?)?([xy]){_SYSTEM}|{_SYSTEM}([xy])")


def axis_of(header: str) -> str | None:
    """``longitude`` for an x column named with its system (``X_UTM20``, ``xl93``,
    ``Lambert93_X``), ``latitude`` for a y column, else None."""
    match = _AXIS.fullmatch(header_key(header))
    if match is None:
        return None
    return "longitude" if (match[1] or match[2]) == "x" else "latitude"


def guess_mapping(
    header: Iterable[str],
    guesses: Mapping[str, tuple[str, ...]],
    record_fields: Iterable[str],
    explicit: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Return ``{column: field}`` for the columns that map to a record field.

    ``explicit`` wins; columns mapped to ``""`` or ``"ignore"`` are left out; then
    exact field names; then the guesses. Each field is taken by one column only.
    """
    columns = list(header)
    explicit = _explicit_columns(columns, explicit)
    mapping = {c: f for c, f in explicit.items() if c in columns and f not in (IGNORE, "ignore")}
    taken = set(mapping.values())
    free = [c for c in columns if c not in explicit]
    exact = set(record_fields)
    known = {header_key(f): f for f in exact - _EXACT_ONLY}
    for column in free:  # a field's own name, in any case or spacing (Source Ref)
        target = column if column in exact else known.get(header_key(column))
        if target is None or target in taken or (target != column and target in columns):
            continue  # none, or taken, or the field's exact column comes later: it wins
        mapping[column] = target
        taken.add(target)
    lookup = {header_key(alias): f for f, aliases in guesses.items() for alias in aliases}
    for column in free:
        if column in mapping:
            continue
        target = lookup.get(header_key(column))
        if target is not None and target not in taken:
            mapping[column] = target
            taken.add(target)
    return mapping


_EXACT_ONLY = frozenset(["source", "extra"])
"""Fields a column gives only under their own name: a ``Source`` or ``Extra`` column of a
user's table is data (kept in ``extra``), not the provenance or the JSON of an export."""


def _explicit_columns(columns: list[str], explicit: Mapping[str, str] | None) -> dict[str, str]:
    """An explicit mapping with each column named as the header names it: a column
    given in another case or spacing (``code postal=postcode``) is the header's."""
    out: dict[str, str] = {}
    by_key = {header_key(c): c for c in reversed(columns)}
    for column, target in (explicit or {}).items():
        out[column if column in columns else by_key.get(header_key(column), column)] = target
    return out


def ignored_columns(explicit: Mapping[str, str] | None) -> set[str]:
    """Columns the caller asked to leave out entirely."""
    return {c for c, f in (explicit or {}).items() if f in (IGNORE, "ignore")}
