"""Lieux de médiation numérique: schema v1.0.2 CSV and national map JSON exports.

One place is one actor. Field mapping (schema name -> ActorRecord):
``id`` -> key/source_ref, ``pivot`` -> siret (14 digits, valid) or rna (``W`` + 9),
``nom`` -> name, ``adresse`` -> address, ``code_postal`` -> postcode, ``commune`` ->
commune_name, ``code_insee`` -> commune_code, ``latitude``/``longitude``, ``telephone``
-> phone, ``courriels`` -> email (first), ``site_web`` -> website (first),
``presentation_detail`` -> description, ``services`` -> themes, plus the taxonomy theme
``inclusion-numerique`` (every place works on digital inclusion: the needs of that theme
are matched with the places; the export leaves it out of ``services``), plus the themes
its national programme labels imply (``dispositif_programmes_nationaux`` or v0
``labels_nationaux``, through the themes taxonomy: :func:`label_themes`, the rule kept in
``extra["themes_rule"]``); every other field is kept
in ``extra`` under its schema name (``date_maj`` as ISO text). World and category come
from ``typologie`` codes, else from the name.

Relations (drawn once the places are stored: :mod:`maillage.services.relations`): the
national programme labels give affiliations (:func:`affiliations`, through the
``national_actors`` taxonomy's ``labels-nationaux`` vocabulary), the ``pivot`` the
identity of the structure that holds the place.

``parse_lieux_csv`` applies the official Table Schema as published. ``parse_lieux_json``
reads the ANCT map exports, which mix the v0 and v1 vocabularies (``|``, ``;`` or ``, ``
separators, ``courriel``/``conditions_access`` spellings): it keeps what it can and rejects
a place only without id, name, address or postcode, or with an invalid postcode, INSEE
code or coordinates. The placeholder pivot ``00000000000000`` and epoch dates are dropped
with a warning. ``generate_lieux_csv`` writes the 32 schema columns.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from maillage.io import values as v
from maillage.io.classify import apply_classification
from maillage.io.columns import canonical_records, canonical_table
from maillage.io.places import settle_result
from maillage.io.reading import Table, read_csv_table, table_from_records
from maillage.io.result import ParseResult, RowLog
from maillage.io.spreadsheet import safe_row
from maillage.io.tableschema import load_schema
from maillage.io.unreadable import json_objects, parse_json_bytes, read_data
from maillage.model import taxonomy
from maillage.model.records import ActorRecord, ImportIssue

__all__ = [
    "LABEL_FIELDS",
    "LIEUX_COLUMNS",
    "Affiliation",
    "affiliations",
    "LIEUX_SCHEMA",
    "generate_lieux_csv",
    "label_themes",
    "lieux_rows",
    "parse_lieux_csv",
    "parse_lieux_json",
    "read_lieux_csv",
    "read_lieux_json",
    "write_lieux_csv",
]

LIEUX_SCHEMA = "lieux-mediation-numerique-1.0.2.schema.json"
LIEUX_COLUMNS = tuple(load_schema(LIEUX_SCHEMA).names)
PLACEHOLDER_PIVOT = "00000000000000"
PLACE_THEME = "inclusion-numerique"  # the taxonomy theme every place carries
LABEL_VOCABULARY = "labels-nationaux"  # the themes taxonomy's vocabulary of programme labels
PROGRAMMES = "national_actors"  # the taxonomy of the national programmes (same vocabulary name)
LABEL_FIELDS = ("dispositif_programmes_nationaux", "labels_nationaux")  # v1, v0
_MAPPED = {
    "id", "pivot", "nom", "adresse", "code_postal", "commune", "code_insee", "latitude",
    "longitude", "telephone", "courriels", "courriel", "site_web", "presentation_detail",
    "services",
}  # fmt: skip
_KEYS = (*LIEUX_COLUMNS, *sorted(_MAPPED - set(LIEUX_COLUMNS)))
"""The names a file's columns or keys are read as, in any case or spacing (``Adresse``)."""
_SERVICE_SPLIT = re.compile(r"\s*[|;]\s*|,\s+(?=[A-ZÀ-Ý])")
_PHONE = re.compile(r"\+\d{7,12}")
_EPOCH = (dt.date(1970, 1, 1), dt.date(1969, 12, 31))  # a Unix time 0 shown in UTC or UTC-x


def _pivot(actor: ActorRecord, raw: Any, log: RowLog) -> None:
    """Read the pivot into siret or rna; the placeholder and bad numbers are dropped."""
    text = v.clean_text(raw)
    if text is None:
        return
    if set(text) == {"0"}:
        log.warn("pivot", raw, "pivot fictif (que des zéros) ignoré")
        return
    if text.upper().startswith("W"):
        actor.rna = v.parse_rna(text, log, "pivot")
        return
    if (siren := v.siren_in_siret(text)) is not None:
        log.warn("pivot", raw, "SIREN (9 chiffres) donné pour pivot : lu comme SIREN")
        actor.siren = siren
        return
    probe = RowLog([], log.row, log.file)
    siret = v.parse_siret(text, probe, "pivot")
    if siret is None:
        log.warn("pivot", raw, "pivot qui n'est ni un SIRET valide ni un RNA : gardé en extra")
        actor.extra["pivot"] = text
        return
    log.issues.extend(probe.issues)
    actor.siret, actor.siren = siret, siret[:9]


def _actor(cells: Mapping[str, Any], log: RowLog, source: str | None) -> ActorRecord | None:
    """Build one place from its cells (already schema-checked or not)."""
    name = v.clean_text(cells.get("nom"))
    for field in ("id", "nom", "adresse", "code_postal"):
        if v.clean_text(cells.get(field)) is None:
            log.error(field, None, "valeur obligatoire manquante")
    actor = ActorRecord(name=name or "", key=v.clean_text(cells.get("id")), source=source)
    actor.source_ref = actor.key
    actor.address = v.clean_text(cells.get("adresse"))
    actor.postcode = v.parse_postcode(cells.get("code_postal"), log, "code_postal")
    actor.commune_name = v.clean_text(cells.get("commune"))
    actor.commune_code = v.parse_commune_code(cells.get("code_insee"), log, "code_insee")
    # bounds, system and order of the coordinates are settled per file (settle_result)
    actor.latitude = v.parse_float(cells.get("latitude"), log, "latitude")
    actor.longitude = v.parse_float(cells.get("longitude"), log, "longitude")
    actor.phone = v.clean_text(cells.get("telephone"))
    actor.description = v.clean_text(cells.get("presentation_detail"))
    services = _SERVICE_SPLIT.split(v.clean_text(cells.get("services")) or "")
    actor.themes = [s for s in services if s and s != PLACE_THEME] + [PLACE_THEME]
    for field in LABEL_FIELDS:
        label_themes(actor, _labels(cells.get(field)), field)
    _pivot(actor, cells.get("pivot"), log)
    _contacts(actor, cells, log)
    _extras(actor, cells, log)
    apply_classification(actor, typologies=v.split_multi(cells.get("typologie"), "|;,"))
    return None if log.failed else actor


def _labels(raw: Any) -> list[str]:
    """The national programme labels of a cell (a list, or text split on ``|``, ``;``
    or ``,``)."""
    return v.split_multi("|".join(map(str, raw)) if isinstance(raw, list) else raw, "|;,")


@dataclass(frozen=True, slots=True)
class Affiliation:
    """A place's affiliation to a national programme, as its source says it: the
    programme's code in the ``national_actors`` taxonomy (None for a label naming no
    programme we know), the label as written, the field it was read from, and the date
    the source gives it (ISO text), if any."""

    programme: str | None
    label: str
    field: str
    date: str | None = None


def affiliations(extra: Mapping[str, Any]) -> list[Affiliation]:
    """The affiliations a place's national programme labels give (``extra`` of a place
    read by this module: v1 ``dispositif_programmes_nationaux``, v0 ``labels_nationaux``),
    one per programme, in the order met, then one per label naming no known programme
    (``programme`` None: the caller reports it). The lieux files date no label."""
    found: dict[str | None, Affiliation] = {}
    unknown: dict[str, Affiliation] = {}
    for field in LABEL_FIELDS:
        for label in _labels(extra.get(field)):
            codes = taxonomy.implied(PROGRAMMES, LABEL_VOCABULARY, [label])
            if not codes:
                unknown.setdefault(label, Affiliation(None, label, field))
            for code in codes:
                found.setdefault(code, Affiliation(code, label, field))
    return [*found.values(), *unknown.values()]


def label_themes(actor: ActorRecord, labels: Iterable[str], field: str) -> None:
    """Add to ``actor`` the themes its national programme labels imply (the themes
    taxonomy's ``labels-nationaux`` vocabulary: France Services -> access to public
    services and online procedures, Conseillers numériques -> digital mediation…), and
    record the rule in ``extra["themes_rule"]`` (after the rule of another field, if
    any); a label implying nothing adds nothing."""
    rules = []
    for label in dict.fromkeys(labels):
        implied = taxonomy.implied("themes", LABEL_VOCABULARY, [label])
        if implied:
            rules.append(f"{label} → {', '.join(implied)}")
            actor.themes += [t for t in implied if t not in actor.themes]
    if rules:
        rule = f"{field} ({LABEL_VOCABULARY}) : " + " ; ".join(rules)
        before = actor.extra.get("themes_rule")
        actor.extra["themes_rule"] = f"{before} | {rule}" if before else rule


def _contacts(actor: ActorRecord, cells: Mapping[str, Any], log: RowLog) -> None:
    """First e-mail and first website; the full lists stay in extra when longer."""
    field = "courriels" if v.clean_text(cells.get("courriels")) else "courriel"
    mails = v.split_multi(cells.get(field), "|;,/")
    if mails:
        actor.email = v.parse_email(mails[0], log, field)
        if len(mails) > 1:
            actor.extra["courriels"] = "|".join(mails)
            _kept(log, field, cells.get(field), mails, "courriels")
    sites = v.split_multi(cells.get("site_web"), "|;")
    if sites:
        actor.website = v.parse_url(sites[0], log, "site_web")
        if len(sites) > 1:
            actor.extra["site_web"] = "|".join(sites)
            _kept(log, "site_web", cells.get("site_web"), sites, "site_web")


def _kept(log: RowLog, field: str, raw: Any, parts: list[str], key: str) -> None:
    """Report a cell holding several values outside the schema's list form (``a|b``):
    the first is the actor's, all are kept in extra."""
    if "|" in str(raw):
        return  # the schema's list: nothing to report
    log.warn(field, raw, f"{len(parts)} valeurs dans la cellule : {parts[0]} gardée, toutes "
             f"dans extra « {key} »")  # fmt: skip


def _extras(actor: ActorRecord, cells: Mapping[str, Any], log: RowLog) -> None:
    """Keep the other fields in extra; ``date_maj`` checked and stored as ISO text."""
    for key, raw in cells.items():
        if key in _MAPPED or key == "date_maj":
            continue
        text = v.clean_text(raw) if not isinstance(raw, list | dict) else raw
        if text not in (None, "", [], {}):
            actor.extra[key] = text
    date = v.parse_date(cells.get("date_maj"), log, "date_maj")
    if date in _EPOCH:
        log.warn("date_maj", cells.get("date_maj"), "date par défaut (1970) ignorée")
    elif date is not None:
        actor.extra["date_maj"] = date.isoformat()
    elif v.clean_text(cells.get("date_maj")) is None:
        log.error("date_maj", None, "valeur obligatoire manquante")


def parse_lieux_csv(
    rows: Table | Iterable[Mapping[str, Any]],
    *,
    file: str | None = None,
    source: str = "lieux-mediation-numerique",
) -> ParseResult:
    """Return one actor per valid row of a schema v1.0.2 CSV (checked against the
    official Table Schema: required, patterns, types, unique ``id``)."""
    table = rows if isinstance(rows, Table) else table_from_records(dict(r) for r in rows)
    table = canonical_table(table, _KEYS)
    schema = load_schema(LIEUX_SCHEMA)
    result = ParseResult(issues=list(table.issues), rows=len(table.rows))
    header_ok = schema.check_header(table.header, result.issues, table.file)
    seen: set[str] = set()
    kept: list[int] = []
    for row in table.rows:
        log = RowLog(result.issues, row.number, table.file)
        schema.check_row(row.values, log)
        ident = v.clean_text(row.values.get("id"))
        if ident in seen:
            log.error("id", ident, "identifiant déjà utilisé (contrainte unique)")
        actor = _actor(row.values, log, source)
        if not header_ok or actor is None or log.failed:
            result.rejected_rows.append(row.number)
            continue
        seen.add(ident or "")
        result.actors.append(actor)
        kept.append(row.number)
    settle_result(result, kept, table.file)
    return result


def parse_lieux_json(
    records: Iterable[Mapping[str, Any]],
    *,
    file: str | None = None,
    source: str = "cartographie-nationale",
) -> ParseResult:
    """Return one actor per place of a national map JSON export (records from 1)."""
    places, renamed = canonical_records(list(records), _KEYS, file)
    result = ParseResult(issues=renamed)
    seen: set[str] = set()
    kept: list[int] = []
    for number, record in enumerate(places, start=1):
        result.rows += 1
        log = RowLog(result.issues, number, file)
        actor = _actor(record, log, source)
        if actor is not None and actor.key in seen:
            log.error("id", actor.key, "identifiant déjà utilisé plus haut dans le fichier")
        if actor is None or log.failed:
            result.rejected_rows.append(number)
            continue
        seen.add(actor.key or "")
        result.actors.append(actor)
        kept.append(number)
    settle_result(result, kept, file)
    return result


def _phone(text: str | None) -> str | None:
    """Phone in the schema form (``+33`` then digits) when it can be written so."""
    if text is None:
        return None
    digits = re.sub(r"[\s.\-()\u00a0]", "", text)
    if re.fullmatch(r"0\d{9}", digits):
        digits = "+33" + digits[1:]
    return digits if _PHONE.fullmatch(digits) else None


def lieux_rows(
    actors: Iterable[ActorRecord], *, date_maj: dt.date | None = None
) -> tuple[list[dict[str, str]], list[ImportIssue]]:
    """Return the schema rows for ``actors`` and an issue per actor left out (an actor
    without id, name, address, postcode or commune cannot be written validly)."""
    rows: list[dict[str, str]] = []
    issues: list[ImportIssue] = []
    default_date = (date_maj or dt.date.today()).isoformat()
    for index, actor in enumerate(actors, start=1):
        ident = actor.key or actor.source_ref
        missing = [
            f
            for f, val in (("id", ident), ("nom", actor.name), ("adresse", actor.address),
                           ("code_postal", actor.postcode), ("commune", actor.commune_name))
            if not val
        ]  # fmt: skip
        if missing:
            issues.append(ImportIssue(index, missing[0], actor.name, "champ requis absent : "
                                      "acteur non exporté", severity="warning"))  # fmt: skip
            continue
        rows.append(_row(actor, ident or "", default_date))
    return rows, issues


def _row(actor: ActorRecord, ident: str, default_date: str) -> dict[str, str]:
    """One schema row for one actor."""
    extra = actor.extra
    row = {c: "" if extra.get(c) is None else str(extra.get(c)) for c in LIEUX_COLUMNS}
    row.update(
        id=ident,
        pivot=actor.siret or actor.rna or str(extra.get("pivot") or PLACEHOLDER_PIVOT),
        nom=actor.name,
        commune=actor.commune_name or "",
        code_postal=actor.postcode or "",
        code_insee=actor.commune_code or "",
        adresse=actor.address or "",
        latitude="" if actor.latitude is None else repr(actor.latitude),
        longitude="" if actor.longitude is None else repr(actor.longitude),
        telephone=_phone(actor.phone) or "",
        courriels=str(extra.get("courriels") or actor.email or ""),
        site_web=str(extra.get("site_web") or actor.website or ""),
        presentation_detail=actor.description or "",
        date_maj=str(extra.get("date_maj") or default_date),
        services="|".join(t for t in actor.themes if t not in taxonomy.codes("themes")),
    )
    return row


def generate_lieux_csv(
    actors: Iterable[ActorRecord], *, date_maj: dt.date | None = None
) -> Iterator[str]:
    """Yield the lines (with ``\\r\\n``) of a schema v1.0.2 CSV, header first."""
    rows, _ = lieux_rows(actors, date_maj=date_maj)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=LIEUX_COLUMNS)
    writer.writeheader()
    yield buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(safe_row(row))
        yield buffer.getvalue()


def write_lieux_csv(
    actors: Iterable[ActorRecord], path: str | Path, *, date_maj: dt.date | None = None
) -> None:
    """Write the lieux de médiation numérique CSV (UTF-8) to ``path``."""
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.writelines(generate_lieux_csv(actors, date_maj=date_maj))


def read_lieux_csv(path: str | Path, *, source: str = "lieux-mediation-numerique") -> ParseResult:
    """Read a schema v1.0.2 CSV file."""
    return parse_lieux_csv(read_csv_table(path), source=source)


def read_lieux_json(path: str | Path, *, source: str = "cartographie-nationale") -> ParseResult:
    """Read a national map JSON export (a JSON array of places; compressed or not)."""
    data, name = read_data(path)
    return parse_lieux_json(json_objects(parse_json_bytes(data, name), name), file=name,
                            source=source)  # fmt: skip
