"""A small JSON Schema (2020-12 subset) validator for the data·inclusion schemas we ship.

Supports what those pydantic-generated schemas use: ``type`` (string, number, integer,
boolean, array, object, null), ``anyOf``, local ``$ref`` (``#/$defs/...``), ``enum``,
``const``, ``pattern``, ``minLength``/``maxLength``, ``minimum``/``maximum``, ``items``,
``minItems``, ``uniqueItems``, ``required``, ``properties`` and the formats ``date``,
``email`` and ``uri``. Reference: https://json-schema.org/draft/2020-12/json-schema-validation.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

__all__ = ["validate"]

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]{2,}")
_URI = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://\S+")
_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "number": (int, float),
    "integer": (int,),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}


@lru_cache(maxsize=256)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def validate(instance: Any, schema: Mapping[str, Any], root: Mapping[str, Any]) -> list[str]:
    """Return the messages of every violation of ``schema`` by ``instance`` (empty if valid)."""
    if "$ref" in schema:
        return validate(instance, _resolve(schema["$ref"], root), root)
    if "anyOf" in schema:
        return _any_of(instance, schema["anyOf"], root)
    problems = _type_problems(instance, schema)
    if problems:
        return problems
    if "enum" in schema and instance not in schema["enum"]:
        return [f"valeur hors de la liste autorisée ({len(schema['enum'])} valeurs)"]
    if "const" in schema and instance != schema["const"]:
        return [f"valeur attendue : {schema['const']!r}"]
    if isinstance(instance, str):
        return _string_problems(instance, schema)
    if isinstance(instance, int | float) and not isinstance(instance, bool):
        return _number_problems(instance, schema)
    if isinstance(instance, list):
        return _array_problems(instance, schema, root)
    if isinstance(instance, dict):
        return _object_problems(instance, schema, root)
    return []


def _resolve(ref: str, root: Mapping[str, Any]) -> Mapping[str, Any]:
    node: Any = root
    for part in ref.lstrip("#/").split("/"):
        node = node[part]
    return node  # type: ignore[no-any-return]


def _any_of(instance: Any, branches: list[Mapping[str, Any]], root: Mapping[str, Any]) -> list[str]:
    """Valid if one branch is; else report the branch that is not merely ``null``."""
    reports = [validate(instance, branch, root) for branch in branches]
    if any(not r for r in reports):
        return []
    meaningful = [r for b, r in zip(branches, reports, strict=True) if b.get("type") != "null"]
    return (meaningful or reports)[0]


def _type_problems(instance: Any, schema: Mapping[str, Any]) -> list[str]:
    kind = schema.get("type")
    if kind is None:
        return []
    if kind == "null":
        return [] if instance is None else ["valeur nulle attendue"]
    allowed = _TYPES[kind]
    ok = isinstance(instance, allowed) and not (isinstance(instance, bool) and kind != "boolean")
    if kind == "integer" and isinstance(instance, float) and instance.is_integer():
        ok = True
    return [] if ok else [f"type {kind} attendu"]


def _string_problems(text: str, schema: Mapping[str, Any]) -> list[str]:
    problems = []
    if "minLength" in schema and len(text) < schema["minLength"]:
        problems.append(f"au moins {schema['minLength']} caractères")
    if "maxLength" in schema and len(text) > schema["maxLength"]:
        problems.append(f"au plus {schema['maxLength']} caractères")
    if "pattern" in schema and not _regex(schema["pattern"]).search(text):
        problems.append(f"ne respecte pas le motif {schema['pattern']}")
    fmt = schema.get("format")
    if fmt == "email" and not _EMAIL.fullmatch(text):
        problems.append("adresse électronique invalide (format email)")
    elif fmt == "uri" and not _URI.fullmatch(text):
        problems.append("adresse web invalide (format uri)")
    elif fmt == "date" and not _is_date(text):
        problems.append("date attendue au format AAAA-MM-JJ (format date)")
    return problems


def _is_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10


def _number_problems(number: float, schema: Mapping[str, Any]) -> list[str]:
    problems = []
    if "minimum" in schema and number < schema["minimum"]:
        problems.append(f"valeur inférieure au minimum {schema['minimum']}")
    if "maximum" in schema and number > schema["maximum"]:
        problems.append(f"valeur supérieure au maximum {schema['maximum']}")
    return problems


def _array_problems(
    items: list[Any], schema: Mapping[str, Any], root: Mapping[str, Any]
) -> list[str]:
    problems = []
    if "minItems" in schema and len(items) < schema["minItems"]:
        problems.append(f"au moins {schema['minItems']} élément(s)")
    if schema.get("uniqueItems") and len({repr(i) for i in items}) != len(items):
        problems.append("éléments en double")
    if "items" in schema:
        for item in items:
            problems.extend(f"{item!r} : {p}" for p in validate(item, schema["items"], root))
    return problems


def _object_problems(
    data: Mapping[str, Any], schema: Mapping[str, Any], root: Mapping[str, Any]
) -> list[str]:
    problems = [
        f"{k} : valeur obligatoire manquante"
        for k in schema.get("required", ())
        if data.get(k) is None
    ]
    for key, sub in schema.get("properties", {}).items():
        if data.get(key) is not None:
            problems.extend(f"{key} : {p}" for p in validate(data[key], sub, root))
    return problems
