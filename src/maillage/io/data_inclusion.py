"""data·inclusion structures and services (schema v1.0.8), from JSON, CSV or XLSX.

Each record is checked field by field against the shipped JSON Schema
(``data-inclusion-structure-1.0.8.schema.json``, ``...-service-...``): required fields,
types, patterns, formats (email, uri, date), vocabularies. Tabular files are first
coerced to JSON types: multi-valued cells split on ``,`` ``|`` ``;``, numbers read with
French conventions, dates from spreadsheet cells, and identifiers stored as numbers
(SIRET ``60487647500499.0``, postcode ``59260.0``) repaired with a warning.

A structure becomes an actor (``id`` -> key, ``nom`` -> name, ``siret``, address fields,
``courriel`` -> email, ``site_web`` -> website; the rest in ``extra``); world and
category come from its ``reseaux_porteurs``, else its name. A service is not an actor:
valid services are returned in ``ParseResult.services`` (typed dicts), and
:func:`attach_services` adds their ``thematiques`` to their structure's themes.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema_rs

from maillage.io import values as v
from maillage.io.classify import apply_classification
from maillage.io.columns import canonical_records, canonical_table
from maillage.io.places import settle_result
from maillage.io.reading import Table, read_table, read_xlsx_table
from maillage.io.result import ParseResult, RowLog
from maillage.io.schema_errors import field_problems, schema_validator
from maillage.io.tableschema import SCHEMA_DIR
from maillage.io.unreadable import data_suffix, json_objects, parse_json_bytes, read_data
from maillage.model.records import ActorRecord, ImportIssue

__all__ = [
    "attach_services",
    "network_typology",
    "parse_data_inclusion",
    "read_data_inclusion",
    "read_data_inclusion_xlsx",
]

_NETWORK_TYPOLOGY = {
    "ccas-cias": "CCAS", "communes": "MUNI", "departements": "DEPT", "regions": "REG",
    "france-service": "RFS", "msap": "MSAP", "mission-locale": "ML", "france-travail": "FT",
    "caf": "CAF", "cpam": "CPAM", "mutualite-sociale-agricole": "MSA", "mjc": "MJC",
    "la-poste": "LA_POSTE", "croix-rouge": "ASSO", "emmaus": "ASSO", "restos-du-coeur": "ASSO",
    "secours-populaire": "ASSO", "cidff": "CIDFF", "chrs": "CHRS", "cada": "CADA",
    "plie": "PLIE", "mdph": "MDPH", "fcsf": "CS", "ressourceries": "RESSOURCERIE",
    "ei": "EI", "aci": "ACI", "etti": "ETTI", "eiti": "EITI", "ai": "AI", "ea": "EA",
    "geiq": "GEIQ", "esat": "ETABL_PRI", "afpa": "AFPA", "epide": "EPIDE",
}  # fmt: skip
_IDENTIFIERS = ("siret", "code_postal", "code_insee")
_ACTOR_FIELDS = {
    "id": "key", "nom": "name", "description": "description", "adresse": "address",
    "commune": "commune_name", "telephone": "phone",
}  # fmt: skip


@lru_cache(maxsize=2)
def _schema(kind: str) -> dict[str, Any]:
    path = SCHEMA_DIR / f"data-inclusion-{kind}-1.0.8.schema.json"
    return dict(json.loads(path.read_text("utf-8")))


@lru_cache(maxsize=2)
def _validator(kind: str) -> jsonschema_rs.Validator:
    return schema_validator(_schema(kind))


def _coerce(key: str, raw: Any, spec: Mapping[str, Any], log: RowLog) -> Any:
    """Turn a spreadsheet cell into the JSON type the schema expects for ``key``."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, dt.datetime | dt.date):
        return (raw.date() if isinstance(raw, dt.datetime) else raw).isoformat()
    kinds = {b.get("type") for b in spec.get("anyOf", [spec])}
    if "array" in kinds:
        return raw if isinstance(raw, list) else v.split_multi(raw, ",|;")
    if kinds & {"number", "integer"} and isinstance(raw, str):
        probe = RowLog([], log.row, log.file)
        number = v.parse_float(raw, probe, key)
        return raw if number is None else (int(number) if number.is_integer() else number)
    if key in _IDENTIFIERS and isinstance(raw, float | int) and not isinstance(raw, bool):
        digits, _ = v.digits_of(raw)
        log.warn(key, raw, f"identifiant lu comme un nombre, réparé en {digits}")
        return digits
    if "string" in kinds and not isinstance(raw, str):
        return v.clean_text(raw)
    return raw.strip() if isinstance(raw, str) else raw


def _check(record: Mapping[str, Any], kind: str, log: RowLog) -> dict[str, Any]:
    """Coerce then validate each field; return the typed record."""
    schema = _schema(kind)
    properties: dict[str, Any] = schema["properties"]
    typed = {k: _coerce(k, raw, properties.get(k, {}), log) for k, raw in record.items()}
    for key in schema.get("required", ()):
        if typed.get(key) is None:
            log.error(key, None, "valeur obligatoire manquante")
    present = {k: val for k, val in typed.items() if val is not None}
    for key, problems in field_problems(_validator(kind), schema, present).items():
        log.error(key, record.get(key), "; ".join(problems))
    return present


def network_typology(value: str) -> str | None:
    """The lieux typology (``ASSO``, ``CCAS``…) of a ``reseaux_porteurs`` value, if any."""
    return _NETWORK_TYPOLOGY.get(value)


def _structure_actor(data: Mapping[str, Any], source: str | None) -> ActorRecord:
    """The actor of a valid structure record."""
    fields = {f: data[k] for k, f in _ACTOR_FIELDS.items() if k in data}
    actor = ActorRecord(**fields, source=source)
    actor.source_ref = actor.key
    actor.siret = data.get("siret")
    actor.siren = actor.siret[:9] if actor.siret else None
    actor.postcode = data.get("code_postal")
    actor.commune_code = data.get("code_insee")
    actor.latitude = data.get("latitude")
    actor.longitude = data.get("longitude")
    actor.email = data.get("courriel")
    actor.website = data.get("site_web")
    skip = set(_ACTOR_FIELDS) | {"siret", "code_postal", "code_insee", "latitude"}
    skip |= {"longitude", "courriel", "site_web"}
    actor.extra = {k: val for k, val in data.items() if k not in skip}
    networks = data.get("reseaux_porteurs") or []
    typologies = [_NETWORK_TYPOLOGY[n] for n in networks if n in _NETWORK_TYPOLOGY]
    apply_classification(actor, typologies=typologies)
    return actor


def parse_data_inclusion(
    records: Table | Iterable[Mapping[str, Any]],
    kind: str = "structure",
    *,
    file: str | None = None,
    source: str = "data-inclusion",
) -> ParseResult:
    """Validate structures (``kind="structure"``) or services (``kind="service"``).

    Structures give actors; services go to ``ParseResult.services``. Rows are numbered
    as the table numbers them, or from 1 for a JSON array.
    """
    if kind not in ("structure", "service"):
        raise ValueError(f"kind must be 'structure' or 'service', not {kind!r}")
    names = list(_schema(kind)["properties"])
    renamed: list[ImportIssue] = []
    if isinstance(records, Table):
        records = canonical_table(records, names)
    else:
        records, renamed = canonical_records(list(records), names, file)
    numbered = _numbered(records)
    result = ParseResult(issues=list(records.issues) if isinstance(records, Table) else renamed)
    name = records.file if isinstance(records, Table) else file
    fill_source = isinstance(records, Table) and "source" not in records.header
    if fill_source and numbered:
        message = f"pas de colonne source : « {source} » utilisé"
        result.issues.append(ImportIssue(1, "source", source, message, name, severity="warning"))
    kept: list[int] = []  # the row of each structure's actor
    for number, record in numbered:
        result.rows += 1
        log = RowLog(result.issues, number, name)
        if fill_source:
            record = {**record, "source": source}
        typed = _check(record, kind, log)
        if log.failed:
            result.rejected_rows.append(number)
        elif kind == "structure":
            result.actors.append(_structure_actor(typed, source))
            kept.append(number)
        else:
            result.services.append(typed)
    if kept:  # projected, swapped or out-of-bounds points, as every parser reads them
        settle_result(result, kept, name)
    return result


def _numbered(records: Table | Iterable[Mapping[str, Any]]) -> list[tuple[int, dict[str, Any]]]:
    if isinstance(records, Table):
        return [(r.number, r.values) for r in records.rows]
    return [(n, dict(r)) for n, r in enumerate(records, start=1)]


def attach_services(actors: Iterable[ActorRecord], services: Iterable[Mapping[str, Any]]) -> None:
    """Add each service's ``thematiques`` to the themes of its structure (by key)."""
    by_key = {a.key: a for a in actors if a.key is not None}
    for service in services:
        actor = by_key.get(str(service.get("structure_id")))
        if actor is None:
            continue
        for theme in service.get("thematiques") or []:
            if theme not in actor.themes:
                actor.themes.append(theme)


def read_data_inclusion(
    path: str | Path,
    kind: str = "structure",
    *,
    source: str = "data-inclusion",
    sheet: str | None = None,
) -> ParseResult:
    """Read structures or services from a JSON array, a CSV or an XLSX file (compressed
    or not; ``sheet`` names a workbook's sheet)."""
    path = Path(path)
    if data_suffix(path, sheet) == ".json":
        data, name = read_data(path, sheet)
        records = json_objects(parse_json_bytes(data, name), name)
        return parse_data_inclusion(records, kind, file=name, source=source)
    return parse_data_inclusion(read_table(path, sheet=sheet), kind, source=source)


def read_data_inclusion_xlsx(path: str | Path, *, source: str = "data-inclusion") -> ParseResult:
    """Read the ``Structures`` and ``Services`` sheets of a data·inclusion workbook
    (template rows flagged in an ``__ignore__`` column are skipped and reported);
    services' themes are attached to their structures."""
    structures = read_xlsx_table(path, sheet="Structures", skip_flag="__ignore__")
    services = read_xlsx_table(path, sheet="Services", skip_flag="__ignore__")
    for table in (structures, services):
        for row in table.rows:
            row.values.pop("__ignore__", None)
    result = parse_data_inclusion(structures, "structure", source=source)
    result.extend(parse_data_inclusion(services, "service", source=source))
    attach_services(result.actors, result.services)
    return result
