"""JSON Schema violations, in French: what is wrong with each field of a record.

Validation is jsonschema-rs's (draft 2020-12, formats checked); this module words its
errors the way import reports word every problem: ``au moins 5 caractères``,
``'x' : valeur hors de la liste autorisée (108 valeurs)``, ``type string attendu``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import jsonschema_rs

from maillage.model.fields import is_email

__all__ = ["field_problems", "schema_validator"]

Errors = list[jsonschema_rs.ValidationError]

_URI = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://\S+")  # an absolute URI with an authority


def schema_validator(schema: dict[str, Any]) -> jsonschema_rs.Validator:
    """A draft 2020-12 validator of ``schema`` that checks formats: ``date`` by the
    library (ISO 8601 full-date), ``email`` by the model's rule, ``uri`` absolute."""
    formats = {"email": is_email, "uri": lambda text: _URI.fullmatch(text) is not None}
    return jsonschema_rs.Draft202012Validator(schema, formats=formats, validate_formats=True)


def field_problems(
    validator: jsonschema_rs.Validator, schema: Mapping[str, Any], record: Mapping[str, Any]
) -> dict[str, list[str]]:
    """What is wrong with each field of ``record``, in French, in the order of the
    schema's properties. Missing fields are left out: the caller reports them."""
    by_field: dict[str, Errors] = {}
    for error in validator.iter_errors(record):
        if error.instance_path:  # a root error: a missing required field
            by_field.setdefault(str(error.instance_path[0]), []).append(error)
    properties: Mapping[str, Any] = schema.get("properties", {})
    fields = [
        *(k for k in properties if k in by_field),
        *(k for k in by_field if k not in properties),
    ]
    return {key: _problems(schema, by_field[key], record[key], 1) for key in fields}


# Keywords in the order their problems are listed.
_KEYWORDS = ("type", "enum", "const", "minLength", "maxLength", "pattern", "format",
             "minimum", "maximum", "minItems", "uniqueItems", "items", "required")  # fmt: skip


def _problems(schema: Mapping[str, Any], errors: Errors, value: Any, depth: int) -> list[str]:
    """The messages of ``errors`` about ``value`` (at ``depth`` in the record), each
    prefixed with where it is (an item ``'x' : ``, a property ``name : ``). The problem
    of a wrong type stands alone; an ``anyOf`` valid in no branch gives the problems
    of its first branch that is not merely null."""
    mistyped = {tuple(e.instance_path[depth:]) for e in errors if e.kind.name == "type"}
    kept = [
        e for e in errors if e.kind.name == "type" or tuple(e.instance_path[depth:]) not in mistyped
    ]
    found = []
    for error in sorted(kept, key=lambda e: _order(e, depth)):
        prefix, node = "", value
        for step in error.instance_path[depth:]:
            node = node[step]
            prefix += f"{node!r} : " if isinstance(step, int) else f"{step} : "
        rule = _at(schema, error.schema_path)
        if not isinstance(error.kind, jsonschema_rs.ValidationErrorKind.AnyOf):
            found.append(prefix + _message(error.kind.name, rule, node))
            continue
        chosen = next((i for i, b in enumerate(rule) if b.get("type") != "null"), 0)
        inner = error.kind.context[chosen]
        found += [prefix + p for p in _problems(schema, inner, node, len(error.instance_path))]
    return found


def _at(schema: Mapping[str, Any], path: list[str | int]) -> Any:
    node: Any = schema
    for step in path:
        node = node[step]
    return node


def _order(error: jsonschema_rs.ValidationError, depth: int) -> tuple[int, ...]:
    """Problems of the value first (by keyword), then those of its items in turn."""
    steps = error.instance_path[depth:]
    keyword = error.kind.name
    rank = _KEYWORDS.index(keyword) if keyword in _KEYWORDS else len(_KEYWORDS)
    if not steps:
        return (rank,)
    return (_KEYWORDS.index("items"), *(s for s in steps if isinstance(s, int)), rank)


def _message(keyword: str, value: Any, instance: Any) -> str:
    """One violation of ``keyword`` (whose value in the schema is ``value``), in French."""
    if keyword == "type":
        return f"type {value} attendu"
    if keyword == "enum":
        return f"valeur hors de la liste autorisée ({len(value)} valeurs)"
    if keyword == "const":
        return f"valeur attendue : {value!r}"
    if keyword == "format":
        return _FORMATS.get(value, f"format {value} attendu")
    if keyword == "required":
        missing = [k for k in value if k not in instance]
        return "; ".join(f"{k} : valeur obligatoire manquante" for k in missing)
    if keyword == "uniqueItems":
        return "éléments en double"
    return _LIMITS.get(keyword, keyword + " : %s") % (value,)


_LIMITS: dict[str, str] = {
    "minLength": "au moins %s caractères",
    "maxLength": "au plus %s caractères",
    "pattern": "ne respecte pas le motif %s",
    "minimum": "valeur inférieure au minimum %s",
    "maximum": "valeur supérieure au maximum %s",
    "minItems": "au moins %s élément(s)",
}

_FORMATS: dict[str, str] = {
    "email": "adresse électronique invalide (format email)",
    "uri": "adresse web invalide (format uri)",
    "date": "date attendue au format AAAA-MM-JJ (format date)",
}
