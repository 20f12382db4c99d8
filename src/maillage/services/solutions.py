"""Use cases on digital solutions: each function is one transaction, every write
audited (``change`` rows, undoable) as actors' are.

A solution (platform, application, service, device) has carriers (actors), the
territories where it runs, the themes and needs it answers, its openness (licence,
open source, open data) and links to its resources. It is imported from a spreadsheet
(:mod:`maillage.io.solutions`), read, listed by territory and theme, and exported.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from maillage.io.reading import read_table
from maillage.io.solutions import COLUMNS as COLUMNS
from maillage.io.solutions import KINDS as KINDS
from maillage.io.solutions import generate_solution_rows, parse_solution_table
from maillage.model import taxonomy
from maillage.model.errors import InvalidInput
from maillage.services.actors import known_codes
from maillage.services.validation import clean_text
from maillage.storage.audit import Context, open_batch
from maillage.storage.engine import transaction
from maillage.storage.registry import solutions
from maillage.storage.repository import Snapshot
from maillage.storage.tables import (
    actor,
    need,
    solution,
    solution_need,
    solution_territory,
    solution_theme,
    territory_member,
)

STAGES = ("initiative", "invention", "innovation", "replication")
MODALITIES = ("digital", "proximity", "hybrid")
FIELDS = ("name", "description", "kind", "modality", "stage", "website", "licence",
          "open_source", "open_data", "resources", "carriers", "territories", "themes",
          "needs", "source", "source_ref", "extra")  # fmt: skip


def _url(field_name: str, value: Any) -> str:
    text = clean_text(field_name, value, 1000)
    if not text.startswith(("http://", "https://")) or " " in text:
        raise InvalidInput(field_name, value, "une adresse http(s)", "an http(s) address")
    return text


def _choice(field_name: str, value: Any, allowed: Sequence[str]) -> str:
    if value not in allowed:
        listed = ", ".join(allowed)
        raise InvalidInput(field_name, value, f"valeurs admises : {listed}",
                           f"allowed values: {listed}")  # fmt: skip
    return str(value)


def _resources(value: Any) -> list[dict[str, str]] | None:
    if not value:
        return None
    if not isinstance(value, list):
        raise InvalidInput("resources", value, "une liste {title, url}", "a list of {title, url}")
    out = []
    for item in value:
        url = _url("resources", item.get("url") if isinstance(item, Mapping) else item)
        title = item.get("title") if isinstance(item, Mapping) else None
        out.append({"title": clean_text("resources", title or url, 300), "url": url})
    return out


def _references(field_name: str, value: Any) -> list[int | str]:
    """Actor or need numbers (a carrier may also be a 14-digit SIRET)."""
    if not isinstance(value, list | tuple):
        value = [value]
    out: list[int | str] = []
    for item in value:
        text = str(item).strip().replace(" ", "")
        if isinstance(item, int) and not isinstance(item, bool) and 0 < item < 2**31:
            out.append(item)
        elif field_name == "carriers" and text.isdigit() and len(text) == 14:
            out.append(text)
        elif text.isdigit() and 0 < len(text) < 10:
            out.append(int(text))
        else:
            rule = ("un numéro d'acteur ou un SIRET", "an actor number or a SIRET")
            if field_name == "needs":
                rule = ("un numéro de besoin", "a need number")
            raise InvalidInput(field_name, item, *rule)
    return out


def clean_solution(values: Mapping[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """The cleaned fields of a solution (unknown keys refused). Raises InvalidInput."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key not in FIELDS:
            raise InvalidInput(key, value, "champ inconnu", "unknown field")
        blank = value is None or value == "" or value == []
        if key == "name":
            out[key] = clean_text("name", value or "", 500)
        elif blank:
            out[key] = [] if key in ("carriers", "territories", "themes", "needs") else None
        elif key in ("description",):
            out[key] = clean_text(key, value, 20000)
        elif key in ("licence", "source", "source_ref"):
            out[key] = clean_text(key, value, 100 if key == "licence" else 200)
        elif key == "website":
            out[key] = _url(key, value)
        elif key == "kind":
            out[key] = _choice(key, value, KINDS)
        elif key == "stage":
            out[key] = _choice(key, value, STAGES)
        elif key == "modality":
            out[key] = _choice(key, value, MODALITIES)
        elif key in ("open_source", "open_data"):
            if not isinstance(value, bool):
                raise InvalidInput(key, value, "oui ou non", "yes or no")
            out[key] = value
        elif key == "resources":
            out[key] = _resources(value)
        elif key == "themes":
            out[key] = sorted({_theme(clean_text(key, v, 100)) for v in value})
        elif key == "territories":
            out[key] = sorted({clean_text(key, v, 100) for v in value})
        elif key in ("carriers", "needs"):
            out[key] = _references(key, value)
        else:  # extra
            out[key] = dict(value)
    if not partial and not out.get("name"):
        raise InvalidInput("name", out.get("name"), "champ obligatoire", "required field")
    return out


def _theme(text: str) -> str:
    """The code of a theme given by its code or its French or English label (as a
    spreadsheet's readers write it, any case, accents or not); a theme the taxonomy
    lacks (a need's own) is kept as written."""
    try:
        return taxonomy.resolve("themes", text)
    except InvalidInput:
        return text


def _carrier_ids(conn: sa.Connection, wanted: Sequence[int | str]) -> list[int]:
    """Actor ids of ``wanted`` (ids, or SIRET numbers of live actors). Raises InvalidInput."""
    out = set()
    for item in wanted:
        if isinstance(item, str) and len(item) == 14:
            query = sa.select(actor.c.id).where(actor.c.siret == item, actor.c.deleted_at.is_(None))
        else:
            query = sa.select(actor.c.id).where(actor.c.id == int(item),
                                                actor.c.deleted_at.is_(None))  # fmt: skip
        found = conn.execute(query.limit(1)).scalar()
        if found is None:
            raise InvalidInput("carriers", item, "acteur inconnu (numéro ou SIRET)",
                               "unknown actor (number or SIRET)")  # fmt: skip
        out.add(int(found))
    return sorted(out)


def _checked(conn: sa.Connection, values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` with carriers as actor ids, territories and needs checked."""
    out = dict(values)
    if out.get("carriers"):
        out["carriers"] = _carrier_ids(conn, out["carriers"])
    territories = out.get("territories") or []
    unknown = sorted(set(territories) - known_codes(conn, territories))
    if unknown:
        raise InvalidInput("territories", unknown[0], "code de territoire inconnu (ex. DEP:59)",
                           "unknown territory code (e.g. DEP:59)")  # fmt: skip
    for need_id in out.get("needs") or []:
        query = sa.select(need.c.id).where(need.c.id == need_id, need.c.deleted_at.is_(None))
        if conn.execute(query).first() is None:
            raise InvalidInput("needs", need_id, "besoin inconnu", "unknown need")
    return out


def create_solution(
    *, db: sa.Engine, values: Mapping[str, Any], user: str = "cli", source: str | None = None
) -> Snapshot:
    """Validate and create one solution; returns it. Raises InvalidInput."""
    with transaction(db) as conn:
        cleaned = _checked(conn, clean_solution(values))
        return solutions.create(conn, cleaned, ctx=Context(user=user, source=source))


def update_solution(
    *, db: sa.Engine, solution_id: int, changes: Mapping[str, Any], user: str = "cli",
    expected_version: int | None = None,
) -> Snapshot:  # fmt: skip
    """Change some fields of a live solution. Raises NotFound, InvalidInput, Conflict."""
    with transaction(db) as conn:
        cleaned = _checked(conn, clean_solution(changes, partial=True))
        return solutions.update(conn, solution_id, cleaned, ctx=Context(user=user),
                                expected_version=expected_version)  # fmt: skip


def delete_solution(*, db: sa.Engine, solution_id: int, user: str = "cli") -> Snapshot:
    """Soft-delete a solution (undoable). Raises NotFound."""
    with transaction(db) as conn:
        return solutions.delete(conn, solution_id, ctx=Context(user=user))


def create_solutions(
    *, db: sa.Engine, rows: Sequence[Mapping[str, Any]], user: str = "import",
    source: str | None = None, label: str | None = None, file: str | None = None,
) -> tuple[int, list[int]]:  # fmt: skip
    """Create many solutions in one batch, all or nothing; returns (batch id, ids).
    A bad row raises InvalidInput naming the file, its row and its field."""
    with transaction(db) as conn:
        cleaned = []
        for number, values in enumerate(rows, start=2):
            row = values.get("_row", number)
            fields = {k: v for k, v in values.items() if k != "_row"}
            try:
                cleaned.append(_checked(conn, clean_solution(fields)))
            except InvalidInput as exc:
                where = f"{file or '?'}, ligne {row}"
                where_en = f"{file or '?'}, row {row}"
                rule = exc.rule if where in exc.rule else f"{where} : {exc.rule}"
                rule_en = exc.rule_en if where_en in exc.rule_en else f"{where_en}: {exc.rule_en}"
                raise InvalidInput(exc.field, exc.value, rule, rule_en) from None
        batch_id = open_batch(conn, kind="import", label=label or "solutions", user=user)
        ctx = Context(user=user, source=source, batch_id=batch_id)
        ids = [solutions.create(conn, c, ctx=ctx)["id"] for c in cleaned]
    return batch_id, ids


def import_solutions(
    *, db: sa.Engine, path: str | Path, user: str = "import", sheet: str | None = None
) -> tuple[int, list[int]]:
    """Import the solutions of a CSV or XLSX file (:mod:`maillage.io.solutions`), all
    or nothing. Raises InvalidInput naming the file, row and column of a bad cell."""
    table = read_table(path, sheet=sheet)
    rows = parse_solution_table(table)
    return create_solutions(db=db, rows=rows, user=user, source=Path(path).name,
                            label=f"solutions {Path(path).name}", file=table.file)  # fmt: skip


def get_solution(*, db: sa.Engine, solution_id: int) -> Snapshot:
    """One live solution with its carriers' and needs' names. Raises NotFound."""
    with db.connect() as conn:
        snap = solutions.get(conn, solution_id)
        return _described(conn, [snap])[0]


def _described(conn: sa.Connection, snaps: list[Snapshot]) -> list[Snapshot]:
    actor_ids = {a for s in snaps for a in s["carriers"]}
    query = sa.select(actor.c.id, actor.c.name).where(actor.c.id.in_(sorted(actor_ids)))
    names = {int(i): str(n) for i, n in conn.execute(query)} if actor_ids else {}
    for s in snaps:
        s["carrier_names"] = [{"id": a, "name": names.get(a, str(a))} for a in s["carriers"]]
        s["theme_labels"] = {lang: [theme_label(t, lang) for t in s["themes"]]
                             for lang in ("fr", "en")}  # fmt: skip
    return snaps


def theme_label(code: str, lang: str = "fr") -> str:
    """The label of theme ``code`` (the code itself for a theme the taxonomy lacks)."""
    try:
        return taxonomy.label("themes", code, "en" if lang == "en" else "fr")
    except LookupError:
        return code


def list_solutions(
    *, db: sa.Engine, territories: Sequence[str] | None = None, theme: str | None = None,
    ids: Sequence[int] | None = None, limit: int | None = None,
    themes: Sequence[str] | None = None, needs: Sequence[int] = (),
) -> list[Snapshot]:  # fmt: skip
    """Live solutions, by id (every one unless ``limit``): running in one of
    ``territories`` (when given), on ``theme`` (its code or its label), those of ``ids``;
    with ``themes``, those on one of them or answering one of ``needs``."""
    where: list[sa.ColumnElement[bool]] = []
    if territories is not None:
        inside = sa.select(solution_territory.c.solution_id).where(
            solution_territory.c.territory_code.in_(list(territories)))  # fmt: skip
        where.append(solution.c.id.in_(inside))
    if theme:
        on = sa.select(solution_theme.c.solution_id).where(solution_theme.c.theme == _theme(theme))
        where.append(solution.c.id.in_(on))
    if ids is not None:
        where.append(solution.c.id.in_(list(ids)))
    if themes is not None:
        on_any = sa.select(solution_theme.c.solution_id).where(
            solution_theme.c.theme.in_(list(themes)))  # fmt: skip
        answering = sa.select(solution_need.c.solution_id).where(
            solution_need.c.need_id.in_(list(needs)))  # fmt: skip
        where.append(sa.or_(solution.c.id.in_(on_any), solution.c.id.in_(answering)))
    with db.connect() as conn:
        return _described(conn, solutions.list(conn, where=where, limit=limit))


def solution_rows(*, db: sa.Engine) -> list[dict[str, Any]]:
    """Every live solution as export rows (:data:`maillage.io.solutions.COLUMNS`)."""
    return list(generate_solution_rows(list_solutions(db=db)))


def territory_family(*, db: sa.Engine, code: str) -> list[str]:
    """``code``, the territories containing it and those it contains: a solution running
    in a département runs in its communes, and one of a commune counts in its
    département's list."""
    with db.connect() as conn:
        up = conn.execute(sa.select(territory_member.c.parent_code).where(
            territory_member.c.member_code == code)).scalars()  # fmt: skip
        down = conn.execute(sa.select(territory_member.c.member_code).where(
            territory_member.c.parent_code == code)).scalars()  # fmt: skip
        return sorted({code, *up, *down})
