"""Files that cannot be read at all: one clear error naming the file and the place.

A parser reports bad *values* as :class:`~maillage.model.records.ImportIssue` rows; a
file that is not what its name says (not JSON, not UTF-8, not a workbook, a quote
never closed) is refused as a whole with :class:`UnreadableFile`, an
:class:`~maillage.model.errors.InvalidInput` that the command line prints as one line
and the web answers with a 422. Nothing is written.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from maillage.model.errors import InvalidInput, MaillageError

__all__ = ["UnreadableFile", "json_objects", "load_json", "open_workbook", "parse_json_bytes"]


class UnreadableFile(InvalidInput):
    """A file refused as a whole: ``file``, where (a line and column, a byte or an
    element of a JSON array, when known) and what is wrong."""

    def __init__(
        self,
        file: str,
        problem: str,
        problem_en: str | None = None,
        line: int | None = None,
        column: int | None = None,
        byte: int | None = None,
        element: int | None = None,
    ) -> None:
        self._init_args = (file, problem, problem_en, line, column, byte, element)  # type: ignore[assignment]
        self.field, self.value, self.rule = "file", file, problem
        self.rule_en = problem_en if problem_en is not None else problem
        places = (("ligne", "line", line), ("colonne", "column", column),
                  ("octet", "byte", byte), ("élément", "element", element))  # fmt: skip
        where = "".join(f", {fr} {n}" for fr, _, n in places if n is not None)
        where_en = "".join(f", {en} {n}" for _, en, n in places if n is not None)
        MaillageError.__init__(
            self,
            f"Fichier illisible « {file} »{where} : {problem}",
            f"Unreadable file '{file}'{where_en}: {self.rule_en}",
        )


def parse_json_bytes(data: bytes, file: str) -> Any:
    """Decode a JSON document (UTF-8, a BOM is allowed) or raise :class:`UnreadableFile`."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UnreadableFile(
            file, "pas en UTF-8 (JSON doit être en UTF-8)", "not UTF-8 (JSON must be UTF-8)",
            byte=error.start + 1,
        ) from None  # fmt: skip
    if not text.strip():
        raise UnreadableFile(file, "fichier vide, document JSON attendu", "empty, JSON expected")
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise UnreadableFile(
            file, f"JSON invalide ({error.msg})", f"invalid JSON ({error.msg})",
            line=error.lineno, column=error.colno,
        ) from None  # fmt: skip
    except RecursionError:
        raise UnreadableFile(
            file, "JSON trop profondément imbriqué", "JSON nested too deeply"
        ) from None


def load_json(path: str | Path) -> Any:
    """Read a JSON file (UTF-8, a BOM is allowed) or raise :class:`UnreadableFile`."""
    path = Path(path)
    return parse_json_bytes(path.read_bytes(), path.name)


def json_objects(data: Any, file: str) -> list[Mapping[str, Any]]:
    """``data`` as an array of objects, or :class:`UnreadableFile` naming the element."""
    if not isinstance(data, list):
        raise UnreadableFile(
            file, f"tableau JSON d'objets attendu, pas {_json_kind(data)}",
            f"JSON array of objects expected, not {_json_kind(data, 'en')}",
        )  # fmt: skip
    for index, item in enumerate(data, start=1):
        if not isinstance(item, Mapping):
            raise UnreadableFile(
                file, f"objet JSON attendu, pas {_json_kind(item)}",
                f"JSON object expected, not {_json_kind(item, 'en')}", element=index,
            )  # fmt: skip
    return data


def _json_kind(value: Any, lang: str = "fr") -> str:
    """What a JSON value is, in words of ``lang`` (``fr`` or ``en``)."""
    kinds = {
        dict: ("un objet", "an object"), list: ("un tableau", "an array"),
        str: ("un texte", "a text"), bool: ("un booléen", "a boolean"),
    }  # fmt: skip
    fr, en = (
        ("null", "null") if value is None else kinds.get(type(value), ("un nombre", "a number"))
    )
    return en if lang == "en" else fr


def open_workbook(source: str | Path | bytes, file: str, **options: Any) -> Any:
    """``openpyxl.load_workbook`` or :class:`UnreadableFile` when it is not a workbook."""
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    data = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        return openpyxl.load_workbook(data, **options)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError):
        raise UnreadableFile(
            file, "pas un classeur XLSX (le contenu n'est pas un classeur zippé)",
            "not an XLSX workbook (the content is not a zipped workbook)",
        ) from None  # fmt: skip
