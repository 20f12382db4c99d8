"""A small Frictionless Table Schema validator for the national CSV schemas we ship.

Implements what the SCDL subventions and lieux de médiation numérique schemas use:
field types ``string``, ``number``, ``integer``, ``date``, ``boolean`` (default
formats: ``.`` decimal mark, ISO dates), constraints ``required``, ``pattern`` (whole
value), ``enum``, ``minLength``/``maxLength``, ``minimum``/``maximum``, ``unique``.
Columns are matched by name, as Frictionless does with ``schema_sync``. Reference:
https://specs.frictionlessdata.io/table-schema/ (v1).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from maillage.io.result import RowLog
from maillage.model.records import ImportIssue

__all__ = ["SCHEMA_DIR", "SchemaField", "TableSchema", "load_schema"]

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "data" / "schemas"
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_INTEGER = re.compile(r"[+-]?\d+")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TRUE = {"true", "True", "TRUE", "1"}
_FALSE = {"false", "False", "FALSE", "0"}


@dataclass(frozen=True, slots=True)
class SchemaField:
    """One field of a Table Schema with its constraints."""

    name: str
    type: str
    required: bool
    pattern: re.Pattern[str] | None
    enum: tuple[Any, ...] | None
    min_length: int | None
    max_length: int | None
    minimum: float | None
    maximum: float | None
    unique: bool

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SchemaField:
        """Build a field from its Table Schema JSON descriptor."""
        rules = data.get("constraints") or {}
        pattern = rules.get("pattern")
        enum = rules.get("enum")
        return cls(
            name=data["name"],
            type=data.get("type", "string"),
            required=bool(rules.get("required", False)),
            pattern=re.compile(pattern) if pattern else None,
            enum=tuple(enum) if enum else None,
            min_length=rules.get("minLength"),
            max_length=rules.get("maxLength"),
            minimum=rules.get("minimum"),
            maximum=rules.get("maximum"),
            unique=bool(rules.get("unique", False)),
        )


class TableSchema:
    """Field descriptors of a schema, checking headers and rows."""

    def __init__(self, descriptor: Mapping[str, Any]) -> None:
        self.descriptor = descriptor
        self.fields = {f["name"]: SchemaField.from_json(f) for f in descriptor["fields"]}
        self.names = list(self.fields)
        self.version = str(descriptor.get("version", ""))

    def check_header(
        self,
        header: Iterable[str],
        issues: list[ImportIssue],
        file: str | None,
        tolerated: Iterable[str] = (),
    ) -> bool:
        """Report missing required columns (``tolerated`` ones only warn) and unknown
        columns; return False when a required column is missing (file rejected)."""
        columns = list(header)
        ok = True
        soft = set(tolerated)
        for name, spec in self.fields.items():
            if not spec.required or name in columns:
                continue
            message = f"colonne obligatoire absente : {name} (schéma {self.version})"
            if name in soft:
                issues.append(ImportIssue(1, name, None, message, file, severity="warning"))
            else:
                ok = False
                issues.append(ImportIssue(1, name, None, message, file))
        for column in columns:
            if column not in self.fields:
                issues.append(
                    ImportIssue(1, column, column, "colonne inconnue du schéma : ignorée", file,
                                severity="warning")
                )  # fmt: skip
        return ok

    def check_row(self, values: Mapping[str, Any], log: RowLog) -> dict[str, Any]:
        """Cast and check the cells of one row; return ``{field: typed value}``."""
        typed: dict[str, Any] = {}
        for name, spec in self.fields.items():
            if name not in values:
                continue
            raw = values[name]
            text = raw if isinstance(raw, str) else _cell_text(raw)
            if text == "":
                if spec.required:
                    log.error(name, raw, "valeur obligatoire manquante")
                continue
            value = _cast(spec, text, log)
            if value is not None and _constraints_ok(spec, text, value, log):
                typed[name] = value
        return typed


def _cell_text(value: Any) -> str:
    """A spreadsheet cell as the text it shows: dates in ISO form, whole numbers
    without ``.0``, booleans as ``true``/``false``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _cast(spec: SchemaField, text: str, log: RowLog) -> Any:
    """Cast a cell to the field type, as Frictionless does with default formats."""
    kind = spec.type
    if kind == "number":
        if _NUMBER.fullmatch(text):
            return float(text)
        log.error(spec.name, text, "type number attendu (point décimal, ex. 1234.56)")
        return None
    if kind == "integer":
        if _INTEGER.fullmatch(text):
            return int(text)
        log.error(spec.name, text, "type integer attendu")
        return None
    if kind == "date":
        try:
            if _DATE.fullmatch(text):
                return dt.date.fromisoformat(text)
        except ValueError:
            pass
        log.error(spec.name, text, "type date attendu au format AAAA-MM-JJ")
        return None
    if kind == "boolean":
        if text in _TRUE or text in _FALSE:
            return text in _TRUE
        log.error(spec.name, text, "type boolean attendu (true/false)")
        return None
    return text


def _constraints_ok(spec: SchemaField, text: str, value: Any, log: RowLog) -> bool:
    """Check pattern, enum, lengths and bounds; log each violated constraint."""
    ok = True
    if spec.pattern is not None and not spec.pattern.fullmatch(text):
        log.error(spec.name, text, f"ne respecte pas le motif {spec.pattern.pattern}")
        ok = False
    if spec.enum is not None and value not in spec.enum:
        log.error(spec.name, text, "valeur hors de la liste : " + " | ".join(map(str, spec.enum)))
        ok = False
    if spec.max_length is not None and len(text) > spec.max_length:
        log.error(spec.name, text, f"plus de {spec.max_length} caractères ({len(text)})")
        ok = False
    if spec.min_length is not None and len(text) < spec.min_length:
        log.error(spec.name, text, f"moins de {spec.min_length} caractères")
        ok = False
    if spec.minimum is not None and isinstance(value, float | int) and value < spec.minimum:
        log.error(spec.name, text, f"valeur inférieure au minimum {spec.minimum:g}")
        ok = False
    if spec.maximum is not None and isinstance(value, float | int) and value > spec.maximum:
        log.error(spec.name, text, f"valeur supérieure au maximum {spec.maximum:g}")
        ok = False
    return ok


def load_schema(filename: str) -> TableSchema:
    """Load a Table Schema shipped in ``maillage/data/schemas``."""
    return TableSchema(json.loads((SCHEMA_DIR / filename).read_text("utf-8")))
