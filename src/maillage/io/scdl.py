"""SCDL subventions (OpenDataFrance, Table Schema v2.1.1): grants as funding links.

Each row is a grant: the funder (``nomAttribuant``/``idAttribuant``) and the beneficiary
(``nomBeneficiaire``/``idBeneficiaire``/``rnaBeneficiaire``) become actors, and the grant a
directed ``LinkRecord(kind="funding")`` dated by ``dateConvention`` with ``amount``
(``montant``) and ``purpose`` (``objet``), themed by its object
(:func:`maillage.io.themes.object_themes`, the keywords in ``extra``).

Rows are checked against the shipped ``schema.json`` (required, types, patterns, enums,
lengths, bounds) and its custom checks (SIRET check digit on ``idAttribuant`` and
``idBeneficiaire``; one of ``idBeneficiaire``/``rnaBeneficiaire``). Two fields that
v2.1 made required (``idServiceInstructeur``, ``descriptionConditionsVersement``) are
absent from the schema's own valid example (v2.0 layout): a missing column only warns,
and ``descriptionConditionsVersement`` is required when ``conditionsVersement`` is
``autre``, as its description says. Columns are matched by exact name; the French
labels of the 2017 regulatory format are accepted with a warning.

``repair=True`` first applies the reported repairs of the generic importer (SIRET read
as a number, French and Excel dates, decimal comma, letter case of enumerations,
percentages written 0-100, ``_`` as period separator); by default the schema is
applied as published.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from maillage.io import values as v
from maillage.io.classify import apply_classification, fold
from maillage.io.columns import canonical_columns
from maillage.io.reading import Table, read_table, table_from_records
from maillage.io.result import ParseResult, RowLog, dedupe_actors
from maillage.io.tableschema import TableSchema, load_schema
from maillage.io.themes import object_themes
from maillage.model.records import ActorRecord, ImportIssue, LinkRecord

__all__ = ["SCDL_SCHEMA", "parse_scdl", "read_scdl"]

SCDL_SCHEMA = "scdl-subventions-2.1.1.schema.json"
_TOLERATED = ("idServiceInstructeur", "descriptionConditionsVersement")
_LABELS = {
    "nom attributaire": "nomAttribuant",
    "identification de l'attributaire": "idAttribuant",
    "date de convention": "dateConvention",
    "reference de la decision": "referenceDecision",
    "nom du beneficiaire": "nomBeneficiaire",
    "identification du beneficiaire": "idBeneficiaire",
    "objet de la convention": "objet",
    "object": "objet",
    "montant total de la subvention": "montant",
    "nature de la subvention": "nature",
    "conditions de versement": "conditionsVersement",
    "date de versement": "datesPeriodeVersement",
    "numero de referencement au repertoire des entreprises": "idRAE",
    "aide notifiee a l'europe": "notificationUE",
    "pourcentage du montant de la subvention attribue au beneficiaire": "pourcentageSubvention",
}
_FUNDER_ROLE = ("public", "collectivité", "scdl:attribuant")


def _rename_columns(table: Table, schema: TableSchema, issues: list[ImportIssue]) -> Table:
    """Map schema names in another case or spacing (``NomAttribuant``), known French
    labels (and ``object``) to schema names, with a warning."""
    renames = canonical_columns(table.header, schema.fields)
    for column in table.header:
        if column in schema.fields or column in renames:
            continue
        label = _LABELS.get(fold(column.replace("*", "")))
        if label is not None and label not in table.header and label not in renames.values():
            renames[column] = label
    for column, target in renames.items():
        issues.append(ImportIssue(1, target, column, f"colonne « {column.strip()} » lue comme "
                                  f"{target}", table.file, severity="warning"))  # fmt: skip
    if not renames:
        return table
    header = [renames.get(c, c) for c in table.header]
    for row in table.rows:
        row.values = {renames.get(k, k): val for k, val in row.values.items()}
    return Table(header, table.rows, table.file, table.issues, table.encoding, table.delimiter)


def parse_scdl(
    rows: Table | Iterable[Mapping[str, Any]],
    *,
    file: str | None = None,
    repair: bool = False,
    source: str = "scdl-subventions",
) -> ParseResult:
    """Return funder and beneficiary actors and one funding link per valid row.

    A row is rejected for any schema violation; a missing required column rejects
    every row. Actors are deduplicated by key (SIRET, else RNA, else ``nom:<name>``).
    """
    table = (
        rows if isinstance(rows, Table) else table_from_records((dict(r) for r in rows), file=file)
    )
    schema = load_schema(SCDL_SCHEMA)
    result = ParseResult(issues=list(table.issues), rows=len(table.rows))
    table = _rename_columns(table, schema, result.issues)
    header_ok = schema.check_header(table.header, result.issues, table.file, _TOLERATED)
    actors: list[ActorRecord] = []
    for row in table.rows:
        log = RowLog(result.issues, row.number, table.file)
        cells = _repaired(row.values, log) if repair else row.values
        typed = schema.check_row(cells, log)
        _custom_checks(typed, cells, log)
        if not header_ok or log.failed:
            result.rejected_rows.append(row.number)
            continue
        funder, beneficiary = _actors(typed, source)
        actors.extend((funder, beneficiary))
        result.links.append(_link(typed, funder, beneficiary, source, table.file, row.number))
    result.actors = dedupe_actors(actors)
    return result


def _custom_checks(typed: dict[str, Any], cells: Mapping[str, Any], log: RowLog) -> None:
    """The schema's ``custom_checks`` and the conditional requirement."""
    for name in ("idAttribuant", "idBeneficiaire"):
        value = typed.get(name)
        if value is not None and v.parse_siret(value, RowLog([], None, None), name) is None:
            log.error(name, value, "SIRET invalide : clé de contrôle (Luhn) fausse")
    has_ids = "idBeneficiaire" in cells or "rnaBeneficiaire" in cells
    ids = v.clean_text(cells.get("idBeneficiaire")) or v.clean_text(cells.get("rnaBeneficiaire"))
    if has_ids and not ids:
        log.error("idBeneficiaire", None, "idBeneficiaire ou rnaBeneficiaire requis")
    if typed.get("conditionsVersement") == "autre" and not v.clean_text(
        cells.get("descriptionConditionsVersement")
    ):
        log.error(
            "descriptionConditionsVersement", None, "requis quand conditionsVersement = autre"
        )


def _actors(typed: Mapping[str, Any], source: str) -> tuple[ActorRecord, ActorRecord]:
    """The funder and the beneficiary of one grant row."""
    funder_siret = typed.get("idAttribuant")
    funder = ActorRecord(
        name=typed["nomAttribuant"].strip(),
        key=funder_siret or "nom:" + typed["nomAttribuant"].strip(),
        siret=funder_siret,
        siren=funder_siret[:9] if funder_siret else None,
        source=source,
    )
    apply_classification(funder, role=_FUNDER_ROLE)
    siret = typed.get("idBeneficiaire")
    rna = typed.get("rnaBeneficiaire")
    name = typed["nomBeneficiaire"].strip()
    beneficiary = ActorRecord(
        name=name,
        key=siret or rna or "nom:" + name,
        siret=siret,
        siren=siret[:9] if siret else None,
        rna=rna,
        source=source,
    )
    apply_classification(beneficiary)
    return funder, beneficiary


_LINK_EXTRA = (
    "nature", "conditionsVersement", "datesPeriodeVersement", "pourcentageSubvention",
    "notificationUE", "idRAE", "dispositifAide", "dispositif", "exerciceBudgetaire",
    "idSubvention", "referenceDecision",
)  # fmt: skip


def _link(
    typed: Mapping[str, Any],
    funder: ActorRecord,
    beneficiary: ActorRecord,
    source: str,
    file: str | None,
    row: int,
) -> LinkRecord:
    """The funding link of one grant row."""
    extra = {k: typed[k] for k in _LINK_EXTRA if k in typed}
    themes, keywords = object_themes(typed.get("objet"))
    if keywords:
        extra["themes_mots_cles"] = keywords
    return LinkRecord(
        source_key=funder.key,
        target_key=beneficiary.key,
        kind="funding",
        directed=True,
        amount=typed.get("montant"),
        weight=typed.get("montant"),
        start_date=typed.get("dateConvention"),
        end_date=typed.get("dateFin"),
        purpose=typed.get("objet"),
        themes=themes,
        evidence=f"{file or 'SCDL'}, ligne {row}",
        source=source,
        source_ref=typed.get("idSubvention") or typed.get("referenceDecision"),
        extra={
            k: val.isoformat() if hasattr(val, "isoformat") else val for k, val in extra.items()
        },
    )


def _repaired(values: Mapping[str, Any], log: RowLog) -> dict[str, Any]:
    """Apply the reported repairs to one row before the schema check."""
    cells = dict(values)
    for name in ("idAttribuant", "idBeneficiaire", "idServiceInstructeur"):
        if v.clean_text(cells.get(name)):
            probe = RowLog([], log.row, log.file)
            fixed = v.parse_siret(cells[name], probe, name)
            if fixed is not None and fixed != str(cells[name]).strip():
                log.issues.extend(probe.issues)
                cells[name] = fixed
    for name in ("dateConvention", "dateDecision", "dateDebut", "dateFin", "dateMiseAJour"):
        cells[name] = _repair(cells, name, log, _iso_date)
    for name in ("montant", "montantDemande", "pourcentageSubvention"):
        cells[name] = _repair(cells, name, log, _dot_number)
    for name in ("nature", "conditionsVersement", "notificationUE"):
        cells[name] = _repair(cells, name, log, _enum_case)
    cells["pourcentageSubvention"] = _repair(cells, "pourcentageSubvention", log, _percent)
    cells["datesPeriodeVersement"] = _repair(cells, "datesPeriodeVersement", log, _period)
    return {k: val for k, val in cells.items() if k in values}


def _repair(cells: Mapping[str, Any], name: str, log: RowLog, fix: Any) -> Any:
    """Apply ``fix`` to one cell, logging a warning when the text changed."""
    raw = cells.get(name)
    text = v.clean_text(raw)
    if text is None:
        return raw
    fixed = fix(raw, text)
    if fixed is not None and fixed != text:
        log.warn(name, raw, f"valeur réparée en {fixed!r}")
        return fixed
    return raw


def _iso_date(raw: Any, text: str) -> str | None:
    date = v.parse_date(raw, RowLog([], None, None), "date")
    return date.isoformat() if date else None


def _dot_number(raw: Any, text: str) -> str | None:
    number = v.parse_float(raw, RowLog([], None, None), "nombre")
    return None if number is None else (str(int(number)) if number.is_integer() else str(number))


def _enum_case(raw: Any, text: str) -> str:
    lowered = text.lower().replace(",", ";")
    return lowered if not lowered.startswith("en ") else "aide " + lowered


def _percent(raw: Any, text: str) -> str | None:
    number = v.parse_float(text, RowLog([], None, None), "pourcentage")
    if number is not None and 1 < number <= 100:
        return str(number / 100)
    return None


def _period(raw: Any, text: str) -> str:
    return text.replace("_", "/")


def read_scdl(
    path: str | Path,
    *,
    repair: bool = False,
    source: str = "scdl-subventions",
    sheet: str | None = None,
) -> ParseResult:
    """Read a SCDL subventions CSV (any encoding/delimiter) or XLSX file, compressed or
    not (``sheet`` names a workbook's sheet)."""
    return parse_scdl(read_table(path, sheet=sheet), repair=repair, source=source)
