"""Digital solutions from a spreadsheet (CSV or XLSX): one row per solution.

``parse_solution_table(table)`` turns the rows of a :class:`~maillage.io.reading.Table`
into plain dicts ready for :func:`maillage.services.solutions.create_solutions`; the
headers may be French or English (``nom`` / ``name``, ``porteurs`` / ``carriers``...).
A bad cell raises one :class:`InvalidInput` naming the file, the row and the column;
nothing is kept of the file then. ``generate_solution_rows`` writes the same columns
back (exports), so an export reads back to the same solutions.

Several values in a cell are separated by ``;``. Carriers are actor numbers or SIRET
numbers (14 digits); resources are ``title|url`` or a bare URL.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from maillage.io.columns import header_key
from maillage.io.reading import Table
from maillage.model.errors import InvalidInput

KINDS = ("platform", "application", "service", "device")
KIND_WORDS = {
    "plateforme": "platform", "platform": "platform", "application": "application",
    "app": "application", "service": "service", "dispositif": "device", "device": "device",
    "objet": "device",
}  # fmt: skip
COLUMNS = ("id", "name", "description", "kind", "modality", "stage", "website", "licence",
           "open_source", "open_data", "carriers", "territories", "themes", "needs",
           "resources", "source", "source_ref")  # fmt: skip
HEADERS = {
    "nom": "name", "name": "name", "solution": "name", "description": "description",
    "type": "kind", "kind": "kind", "nature": "kind", "modalite": "modality",
    "modality": "modality", "etape": "stage", "stage": "stage", "site": "website",
    "siteweb": "website", "website": "website", "url": "website", "licence": "licence",
    "license": "licence", "opensource": "open_source", "codeouvert": "open_source",
    "logiciellibre": "open_source", "opendata": "open_data", "donneesouvertes": "open_data",
    "porteurs": "carriers", "carriers": "carriers", "territoires": "territories",
    "territories": "territories", "themes": "themes", "thematiques": "themes",
    "besoins": "needs", "needs": "needs", "ressources": "resources", "resources": "resources",
    "source": "source", "sourceref": "source_ref", "reference": "source_ref", "id": "id",
}  # fmt: skip
TRUE = {"oui", "yes", "true", "vrai", "1", "o", "y", "x"}
FALSE = {"non", "no", "false", "faux", "0", "n"}


class _Cell:
    """Where a value comes from, for the message of a refusal."""

    def __init__(self, file: str | None, row: int, column: str) -> None:
        self.file, self.row, self.column = file or "?", row, column

    def refuse(self, value: Any, rule: str, rule_en: str) -> InvalidInput:
        where_fr = f"{self.file}, ligne {self.row}, colonne « {self.column} »"
        where_en = f"{self.file}, row {self.row}, column '{self.column}'"
        return InvalidInput(self.column, value, f"{where_fr} : {rule}", f"{where_en}: {rule_en}")


def _split(text: str) -> list[str]:
    return [p.strip() for p in text.split(";") if p.strip()]


def _bool(text: str, cell: _Cell) -> bool:
    folded = text.strip().lower()
    if folded in TRUE:
        return True
    if folded in FALSE:
        return False
    raise cell.refuse(text, "oui ou non", "yes or no")


def _carriers(text: str, cell: _Cell) -> list[int | str]:
    out: list[int | str] = []
    for part in _split(text):
        digits = part.replace(" ", "")
        if not digits.isdigit() or len(digits) > 14:
            raise cell.refuse(part, "un numéro d'acteur ou un SIRET (14 chiffres)",
                              "an actor number or a SIRET (14 digits)")  # fmt: skip
        out.append(digits if len(digits) == 14 else int(digits))
    return out


def _resources(text: str, cell: _Cell) -> list[dict[str, str]]:
    out = []
    for part in _split(text):
        title, _, url = part.rpartition("|")
        url = url.strip()
        if not url.startswith(("http://", "https://")):
            raise cell.refuse(part, "« titre|https://… » ou une adresse http(s)",
                              "'title|https://…' or an http(s) address")  # fmt: skip
        out.append({"title": title.strip() or url, "url": url})
    return out


def _kind(text: str, cell: _Cell) -> str:
    found = KIND_WORDS.get(text.strip().lower())
    if found is None:
        raise cell.refuse(text, "plateforme, application, service ou dispositif",
                          "platform, application, service or device")  # fmt: skip
    return found


def _ids(text: str, cell: _Cell) -> list[int]:
    parts = _split(text)
    if not all(p.isdigit() and len(p) < 10 for p in parts):
        raise cell.refuse(text, "des numéros séparés par « ; »", "numbers separated by ';'")
    return [int(p) for p in parts]


PARSERS: dict[str, Any] = {
    "open_source": _bool, "open_data": _bool, "carriers": _carriers, "resources": _resources,
    "kind": _kind, "needs": _ids, "territories": lambda t, c: _split(t),
    "themes": lambda t, c: _split(t),
}  # fmt: skip


def parse_solution_table(table: Table) -> list[dict[str, Any]]:
    """One dict per row (only the columns the file has). Raises InvalidInput naming the
    file, row and column of the first bad cell, or a missing ``name`` column."""
    mapping = {h: HEADERS[k] for h in table.header if (k := header_key(h)) in HEADERS}
    if "name" not in mapping.values():
        raise InvalidInput("name", None, f"{table.file} : colonne « nom » absente",
                           f"{table.file}: no 'name' column")  # fmt: skip
    out = []
    for row in table.rows:
        values: dict[str, Any] = {}
        for header, name in mapping.items():
            raw = row.values.get(header)
            text = "" if raw is None else str(raw).strip()
            if not text:
                continue
            cell = _Cell(table.file, row.number, header)
            if name == "id":
                continue  # an export's own numbers: a new import makes new solutions
            values[name] = PARSERS[name](text, cell) if name in PARSERS else text
        if not values.get("name"):
            raise _Cell(table.file, row.number, "name").refuse(None, "nom obligatoire",
                                                               "name required")  # fmt: skip
        values["_row"] = row.number
        out.append(values)
    return out


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, list):
        return "; ".join(
            f"{v['title']}|{v['url']}" if isinstance(v, Mapping) else str(v) for v in value
        )
    return value


def generate_solution_rows(solutions: Iterable[Mapping[str, Any]]) -> Iterator[dict[str, Any]]:
    """The export rows of ``solutions`` (stored snapshots), in :data:`COLUMNS`."""
    for s in solutions:
        yield {c: _cell(s.get(c)) for c in COLUMNS}
