"""Column mapping: explicit ``{column: field}`` plus guesses from French and English headers.

A header is compared after folding (lower case, no accents, ``*`` markers and
punctuation turned into ``_``): ``" Raison sociale* "`` -> ``raison_sociale``. Exact
record field names win, then the guesses below, each field taken once, left to right.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import fields

from maillage.model.records import ActorRecord, LinkRecord

__all__ = ["ACTOR_GUESSES", "LINK_GUESSES", "guess_mapping", "norm_header"]

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
    "latitude": ("latitude", "lat", "y"),
    "longitude": ("longitude", "lon", "lng", "long", "x"),
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
    """Fold a header for comparison: ``" Code Postal* "`` -> ``code_postal``."""
    decomposed = unicodedata.normalize("NFKD", header.strip().lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "_", plain).strip("_")


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
    explicit = dict(explicit or {})
    mapping = {c: f for c, f in explicit.items() if c in columns and f not in (IGNORE, "ignore")}
    taken = set(mapping.values())
    free = [c for c in columns if c not in explicit]
    known = set(record_fields)
    for column in free:
        if column in known and column not in taken:
            mapping[column] = column
            taken.add(column)
    lookup = {alias: f for f, aliases in guesses.items() for alias in aliases}
    for column in free:
        if column in mapping:
            continue
        target = lookup.get(norm_header(column))
        if target is not None and target not in taken:
            mapping[column] = target
            taken.add(target)
    return mapping


def ignored_columns(explicit: Mapping[str, str] | None) -> set[str]:
    """Columns the caller asked to leave out entirely."""
    return {c for c, f in (explicit or {}).items() if f in (IGNORE, "ignore")}
