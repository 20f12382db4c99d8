"""Qualitative coding of the resources (as Taguette or NVivo do) and the seven
hypotheses of the field note, substantiated by the coded passages.

- **Codebook**: a tree of codes. It is seeded with two branches: « Les sept
  enseignements » (one code per hypothesis H1..H7, ``hypothesis_code`` set) and
  « Thèmes » (the themes taxonomy, as a tree). Researchers add codes under any code.
- **Coding**: a coder (an account, or a name from an imported project) applies one or
  more codes to a passage of a resource: its start and end (code points), the quote,
  a stance towards the hypothesis (``supports``, ``nuances``, ``contradicts``:
  required under a hypothesis code) and a memo. A passage can be given by its offsets
  (a mouse selection) or by its words (typed: found in the text).
- **Agreement** per code (:func:`agreement`), between the coders of the resources that
  at least two coders coded: each character is a unit, coded or not by each coder with
  that code (the unit NVivo's coding comparison uses); Cohen's kappa per pair of coders
  (scikit-learn) and Krippendorff's alpha (nominal) over all of them (``krippendorff``).
- **REFI-QDA**: codebook and project import and export (:mod:`maillage.io.refiqda`);
  a project's text sources become resources (type ``interview``), its users coders.
  A coding's stance and memo travel as a note on the coding (``maillage:stance=…``).
- **Hypotheses** (:func:`hypotheses`): for each of the seven, the passages coded under
  it, for and against, by world of the actors the resource concerns, territory and
  year, with quotes and sources; fewer than :data:`THIN_BELOW` resources is thin.

Every write is audited (entities ``code``, ``coding``, ``memo``, ``resource``).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from maillage.io import refiqda
from maillage.model import permissions, taxonomy
from maillage.model.errors import InvalidInput, MaillageError, NotFound, PermissionDenied
from maillage.services.resources import text_of
from maillage.services.validation import clean_text
from maillage.storage import audit
from maillage.storage.audit import Context, utcnow
from maillage.storage.engine import transaction
from maillage.storage.tables import (
    actor,
    hypothesis,
    resource,
    resource_actor,
    resource_territory,
    territory,
)
from maillage.storage.tables import code as code_table
from maillage.storage.tables import coding as coding_table
from maillage.storage.tables import memo as memo_table
from maillage.storage.tables import user as user_account

STANCES = ("supports", "nuances", "contradicts")
THIN_BELOW = 3  # fewer distinct resources than this: thin evidence
NAMESPACE = uuid.UUID("6b1f5a52-3c1e-4f0e-9a57-2d0c0de0c0de")
STANCE_NOTE = "maillage:stance="
HYPOTHESES_ROOT = ("Les sept enseignements", "The seven lessons")
THEMES_ROOT = ("Thèmes", "Themes")
MAX_QUOTE = 20_000
COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")


class CodingRefused(InvalidInput):
    """A passage, a code or a stance refused, said in plain words: what happened and
    what to do. ``field`` is the form's field to mark (``quote``, ``code_ids``,
    ``stance``), never shown in the message."""

    def __init__(self, field: str, value: object, message_fr: str, message_en: str) -> None:
        super().__init__(field, value, message_fr, message_en)
        MaillageError.__init__(self, message_fr, message_en)


HOW_TO_SELECT = (
    "Sélectionnez-le dans le texte à la souris (le formulaire se remplit), ou tapez-en "
    "les mots exacts : seuls les espaces et les retours à la ligne peuvent différer.",
    "Select it in the text with the mouse (the form fills itself), or type its exact "
    "words: only spaces and line breaks may differ.",
)


def _guid(key: str) -> str:
    return str(uuid.uuid5(NAMESPACE, key))


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date | dt.datetime) else value


def _state(row: Any) -> dict[str, Any]:
    return {k: _iso(v) for k, v in row._mapping.items()}


def _audit(conn: sa.Connection, table: sa.Table, row_id: int, action: str, before: Any,
           by: str, source: str | None = None) -> None:  # fmt: skip
    after = conn.execute(sa.select(table).where(table.c.id == row_id)).first()
    audit.record(
        conn, entity=table.name, entity_id=row_id, action=action,
        before=_state(before) if before is not None else None,
        after=_state(after) if after is not None else None,
        ctx=Context(user=by, source=source),
    )  # fmt: skip


def _insert(conn: sa.Connection, table: sa.Table, values: Mapping[str, Any], by: str,
            source: str | None = None) -> int:  # fmt: skip
    now = utcnow()
    row_id = int(conn.execute(
        sa.insert(table).values(**{"created_at": now, "updated_at": now, **values})
        .returning(table.c.id)
    ).scalar_one())  # fmt: skip
    _audit(conn, table, row_id, "create", None, by, source)
    return row_id


def _names(conn: sa.Connection, keys: Iterable[str]) -> dict[str, str]:
    """How coders and memo authors are shown: an account (``user:12``) by its current
    name (« compte supprimé » once deleted, so no name outlives its account); an
    imported coder by the name it came with."""
    wanted = set(keys)
    ids = sorted({i for k in wanted if (i := permissions.account_of(k)) is not None})
    out = {k: k for k in wanted}
    if ids:
        for row in conn.execute(sa.select(user_account.c.id, user_account.c.name,
                                          user_account.c.deleted_at)
                                .where(user_account.c.id.in_(ids))):  # fmt: skip
            shown = "compte supprimé" if row.deleted_at else (row.name or f"compte {row.id}")
            out[permissions.author(row.id)] = shown
    return out


# --- the codebook -----------------------------------------------------------------------


def seed_codebook(conn: sa.Connection, by: str = "maillage:codebook") -> int:
    """Add the seeded codes that are missing (the seven hypotheses, the themes);
    returns how many were added. Idempotent: codes are known by their guid."""
    known = set(conn.execute(sa.select(code_table.c.guid)).scalars())
    ids = dict(conn.execute(sa.select(code_table.c.guid, code_table.c.id)).all())
    added = 0

    def put(key: str, values: dict[str, Any], parent_key: str | None) -> None:
        nonlocal added
        guid = _guid(key)
        if guid in known:
            return
        parent = ids.get(_guid(parent_key)) if parent_key else None
        ids[guid] = _insert(conn, code_table, {"guid": guid, "parent_id": parent, **values}, by)
        known.add(guid)
        added += 1

    put("root:hypotheses", {"name": HYPOTHESES_ROOT[0],
                            "description": "Les sept enseignements de la note « Pourquoi le "
                            "numérique n'est pas un outil comme les autres ? » (2019), "
                            "hypothèses à étayer."}, None)  # fmt: skip
    stored = conn.execute(sa.select(hypothesis).order_by(hypothesis.c.number)).all()
    for h in stored:
        put(f"hypothesis:{h.code}", {"name": f"{h.code}. {h.title_fr}",
                                     "description": h.description, "hypothesis_code": h.code},
            "root:hypotheses")  # fmt: skip
    put("root:themes", {"name": THEMES_ROOT[0]}, None)
    for term, _depth in taxonomy.tree("themes"):
        parent = term.data.get("parent")
        put(f"theme:{term.code}", {"name": term.label_fr, "theme": term.code},
            f"theme:{parent}" if parent else "root:themes")  # fmt: skip
    return added


def _expected_seeds(conn: sa.Connection) -> set[str]:
    keys = ["root:hypotheses", "root:themes"]
    keys += [f"hypothesis:{c}" for c in conn.execute(sa.select(hypothesis.c.code)).scalars()]
    keys += [f"theme:{t.code}" for t, _ in taxonomy.tree("themes")]
    return {_guid(k) for k in keys}


def _ensure(db: sa.Engine) -> None:
    """Seed the codebook when a seeded code is missing (a new database, hypotheses or
    themes added to the reference data). Two first requests at once: one seeds."""
    with db.connect() as conn:
        expected = _expected_seeds(conn)
        known = set(conn.execute(
            sa.select(code_table.c.guid).where(code_table.c.guid.in_(sorted(expected)))
        ).scalars())  # fmt: skip
    if expected <= known:
        return
    try:
        with transaction(db) as conn:
            seed_codebook(conn)
    except sa.exc.IntegrityError:
        pass  # seeded meanwhile by another request


def _codes(conn: sa.Connection) -> list[Any]:
    return list(conn.execute(sa.select(code_table).order_by(code_table.c.id)))


def _tree(rows: Sequence[Any]) -> list[tuple[Any, int]]:
    """Rows in tree order (parents first, siblings by id) with their depth."""
    children: dict[int | None, list[Any]] = defaultdict(list)
    for row in rows:
        children[row.parent_id].append(row)
    out: list[tuple[Any, int]] = []
    stack = [(row, 0) for row in reversed(children[None])]
    while stack:
        row, depth = stack.pop()
        out.append((row, depth))
        stack.extend((c, depth + 1) for c in reversed(children[row.id]))
    return out


def _hypothesis_of(rows: Sequence[Any]) -> dict[int, str | None]:
    """Each code's hypothesis: its own, or the nearest ancestor's."""
    by_id = {r.id: r for r in rows}
    out: dict[int, str | None] = {}
    for row in rows:
        cur, found = row, None
        for _ in range(100):
            if cur.hypothesis_code:
                found = cur.hypothesis_code
                break
            if cur.parent_id is None or cur.parent_id not in by_id:
                break
            cur = by_id[cur.parent_id]
        out[row.id] = found
    return out


def codebook(*, db: sa.Engine) -> list[dict[str, Any]]:
    """The codebook in tree order: each code with its depth, path, hypothesis and the
    number of codings and coders that used it."""
    _ensure(db)
    with db.connect() as conn:
        rows = _codes(conn)
        used = {r.code_id: (r.n, r.coders) for r in conn.execute(
            sa.select(coding_table.c.code_id, sa.func.count().label("n"),
                      sa.func.count(sa.distinct(coding_table.c.coder)).label("coders"))
            .group_by(coding_table.c.code_id))}  # fmt: skip
    hyp = _hypothesis_of(rows)
    names = {r.id: r.name for r in rows}
    parents = {r.id: r.parent_id for r in rows}
    out = []
    for row, depth in _tree(rows):
        path, cur = [row.name], row.parent_id
        while cur is not None and len(path) < 50:
            path.insert(0, names[cur])
            cur = parents.get(cur)
        n, coders = used.get(row.id, (0, 0))
        out.append({"id": row.id, "guid": row.guid, "name": row.name, "parent_id": row.parent_id,
                    "description": row.description, "color": row.color, "depth": depth,
                    "path": " / ".join(path), "hypothesis": hyp[row.id], "theme": row.theme,
                    "codings": n, "coders": coders})  # fmt: skip
    return out


def add_code(*, db: sa.Engine, name: str, by: str, parent_id: int | None = None,
             description: str | None = None, color: str | None = None) -> dict[str, Any]:  # fmt: skip
    """Add a code under ``parent_id`` (None: at the top). Raises InvalidInput (no name,
    a name its siblings already have, an unknown parent, a colour not ``#rrggbb``)."""
    label = clean_text("name", name or "", 200)
    if not label:
        raise InvalidInput("name", name, "donnez un nom au code", "give the code a name")
    if color and not COLOR.match(color):
        raise InvalidInput("color", color, "une couleur #rrggbb", "a colour #rrggbb")
    note = clean_text("description", description, 5000) if description else None
    _ensure(db)
    with transaction(db) as conn:
        if parent_id is not None and conn.execute(
            sa.select(code_table.c.id).where(code_table.c.id == parent_id)
        ).first() is None:  # fmt: skip
            raise InvalidInput("parent_id", parent_id, "un code du livre de codes",
                               "a code of the codebook")  # fmt: skip
        siblings = conn.execute(sa.select(code_table.c.name).where(
            code_table.c.parent_id.is_(None) if parent_id is None
            else code_table.c.parent_id == parent_id)).scalars()  # fmt: skip
        if label.casefold() in {s.casefold() for s in siblings}:
            raise InvalidInput("name", label, "un nom que ses voisins n'ont pas déjà",
                               "a name its siblings do not have already")  # fmt: skip
        code_id = _insert(conn, code_table, {"guid": str(uuid.uuid4()), "parent_id": parent_id,
                                             "name": label, "description": note,
                                             "color": color or None}, by)  # fmt: skip
    return {"id": code_id, "name": label, "parent_id": parent_id}


# --- resources and codings ------------------------------------------------------------------


def create_resource(conn: sa.Connection, *, title: str, body: str, by: str,
                    type_: str = "interview", authors: Sequence[str] = (),
                    licence: str | None = None, url: str | None = None,
                    source: str | None = None, source_ref: str | None = None) -> int:  # fmt: skip
    """Insert a resource (a text source of an imported project), audited; its id."""
    return _insert(conn, resource, {
        "type": type_, "title": title[:500], "body": body, "authors": list(authors),
        "licence": licence, "url": url, "source": source, "source_ref": source_ref,
    }, by, source)  # fmt: skip


def _resource(conn: sa.Connection, resource_id: int) -> Any:
    row = conn.execute(sa.select(resource).where(
        resource.c.id == resource_id, resource.c.deleted_at.is_(None))).first()  # fmt: skip
    if row is None:
        raise NotFound("resource", resource_id)
    return row


def locate(body: str, quote: str, start: int | None = None,
           end: int | None = None) -> tuple[int, int]:  # fmt: skip
    """Where ``quote`` lies in ``body``: at ``start``-``end`` when they hold it (a mouse
    selection), else its first occurrence, spaces and line breaks counting as any
    run of white space (typed words). Raises InvalidInput."""
    held = start is not None and end is not None and 0 <= start < end <= len(body)
    if held and (not quote or _squash(body[start:end]) == _squash(quote)):
        return start, end  # type: ignore[return-value]
    words = quote.split()
    if not words:
        raise CodingRefused("quote", quote, f"Aucun passage n'est choisi. {HOW_TO_SELECT[0]}",
                            f"No passage is chosen. {HOW_TO_SELECT[1]}")  # fmt: skip
    found = re.search(r"\s+".join(map(re.escape, words)), body)
    if found is None:
        shown = _squash(quote)
        shown = shown if len(shown) <= 80 else shown[:79] + "…"
        raise CodingRefused(
            "quote", quote[:80],
            f"Ce passage n'est pas dans le texte : « {shown} ». {HOW_TO_SELECT[0]}",
            f"This passage is not in the text: “{shown}”. {HOW_TO_SELECT[1]}",
        )  # fmt: skip
    return found.start(), found.end()


def _memo_text(field: str, value: str, limit: int) -> str:
    """A memo's text, its line breaks as LF (browsers send CR LF; XML reads LF)."""
    return clean_text(field, value.replace("\r\n", "\n"), limit)


def _squash(text: str) -> str:
    return " ".join(text.split())


def add_coding(*, db: sa.Engine, resource_id: int, code_ids: Sequence[int],
               coder: str | None = None, account_id: int | None = None, quote: str = "", start: int | None = None,
               end: int | None = None, stance: str | None = None,
               memo: str | None = None) -> list[int]:  # fmt: skip
    """Code a passage of a resource with ``code_ids`` (one coding each, one selection);
    returns the new codings' ids. The stance is required under a hypothesis code and
    kept only there: a stance is towards a hypothesis, a theme has none (the codes a
    given stance was not kept for: :func:`without_hypothesis`).
    Raises NotFound (the resource), InvalidInput (no code, unknown code, passage not
    in the text, a missing or unknown stance)."""
    if not code_ids:
        raise CodingRefused("code_ids", None, "Choisissez un code dans la liste.",
                            "Choose a code from the list.")  # fmt: skip
    if stance is not None and stance not in STANCES:
        raise CodingRefused("stance", stance,
                            f"Position inconnue « {stance} » : le passage conforte, nuance ou "
                            "contredit l'hypothèse.",
                            f"Unknown stance '{stance}': the passage supports, nuances or "
                            "contradicts the hypothesis.")  # fmt: skip
    note = _memo_text("memo", memo, 5000) if memo else None
    who = permissions.author(account_id) if account_id else clean_text("coder", coder or "", 200)
    if not who:
        raise InvalidInput("coder", coder, "le nom du codeur", "the coder's name")
    _ensure(db)
    with transaction(db) as conn:
        res = _resource(conn, resource_id)
        body = text_of(res.body, res.transcript)
        lo, hi = locate(body, clean_text("quote", quote, MAX_QUOTE) if quote else "", start, end)
        rows = _codes(conn)
        known = {r.id for r in rows}
        hyp = _hypothesis_of(rows)
        for code_id in code_ids:
            if code_id not in known:
                raise CodingRefused("code_ids", code_id,
                                    "Ce code n'est pas (ou plus) dans le livre de codes : "
                                    "choisissez-en un dans la liste.",
                                    "This code is not (or no longer) in the codebook: choose "
                                    "one from the list.")  # fmt: skip
            if hyp[code_id] and stance is None:
                raise CodingRefused("stance", None,
                                    "Ce code est une hypothèse : dites si le passage la "
                                    "conforte, la nuance ou la contredit.",
                                    "This code is a hypothesis: say whether the passage "
                                    "supports, nuances or contradicts it.")  # fmt: skip
        selection = str(uuid.uuid4())
        by = who
        return [
            _insert(
                conn,
                coding_table,
                {
                    "guid": str(uuid.uuid4()),
                    "selection_guid": selection,
                    "resource_id": resource_id,
                    "start": lo,
                    "end": hi,
                    "quote": body[lo:hi],
                    "code_id": code_id,
                    "coder": who,
                    "account_id": account_id,
                    "stance": stance if hyp[code_id] else None,
                    "memo": note,
                },
                by,
                f"resource:{resource_id}",
            )  # fmt: skip
            for code_id in dict.fromkeys(code_ids)
        ]


def without_hypothesis(*, db: sa.Engine, code_ids: Sequence[int]) -> list[int]:
    """The codes among ``code_ids`` that are under no hypothesis (themes, codes of an
    imported codebook): a stance given with them is not kept by :func:`add_coding`."""
    with db.connect() as conn:
        of = _hypothesis_of(_codes(conn))
    return [c for c in dict.fromkeys(code_ids) if c in of and of[c] is None]


def delete_coding(*, db: sa.Engine, coding_id: int, account_id: int | None,
                  any_coder: bool = False) -> int:  # fmt: skip
    """Remove a coding: one's own, or any with ``any_coder`` (an administrator);
    returns its resource. Raises NotFound, PermissionDenied."""
    with transaction(db) as conn:
        row = conn.execute(sa.select(coding_table).where(coding_table.c.id == coding_id)).first()
        if row is None:
            raise NotFound("coding", coding_id)
        if not any_coder and (account_id is None or row.account_id != account_id):
            raise PermissionDenied("delete another coder's coding")
        conn.execute(sa.delete(coding_table).where(coding_table.c.id == coding_id))
        audit.record(conn, entity="coding", entity_id=coding_id, action="delete",
                     before=_state(row), after=None,
                     ctx=Context(user=f"user:{account_id}" if account_id else "cli",
                                 source=f"resource:{row.resource_id}"))  # fmt: skip
        return int(row.resource_id)


def add_memo(*, db: sa.Engine, target: str, target_id: int | None, text: str,
             author: str | None = None, account_id: int | None = None) -> int:  # fmt: skip
    """A memo on a code, a resource or the project (``target_id`` None). Raises InvalidInput."""
    if target not in ("code", "resource", "project"):
        raise InvalidInput(
            "target", target, "code, resource ou project", "code, resource or project"
        )
    who = permissions.author(account_id) if account_id else clean_text("author", author or "", 200)
    body = _memo_text("text", text or "", 20_000)
    if not who:
        raise InvalidInput("author", author, "l'auteur du mémo", "the memo's author")
    if not body:
        raise InvalidInput("text", text, "le texte du mémo", "the memo's text")
    with transaction(db) as conn:
        if target == "resource":
            _resource(conn, target_id or 0)
        return _insert(conn, memo_table, {
            "guid": str(uuid.uuid4()), "target": target,
            "target_id": target_id if target != "project" else None,
            "author": who, "account_id": account_id, "text": body,
        }, who)  # fmt: skip


def _segments(body: str, codings: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The body cut where the set of codings covering it changes, and nowhere else (not
    at line ends): each piece with its offsets, its text as stored (CR LF included) and
    its codings, in the order they start. The pieces rebuild the body exactly."""
    starts: dict[int, list[int]] = defaultdict(list)
    ends: dict[int, list[int]] = defaultdict(list)
    for c in codings:
        lo, hi = max(0, c["start"]), min(len(body), c["end"])
        if lo < hi:
            starts[lo].append(c["id"])
            ends[hi].append(c["id"])
    points = sorted({0, len(body), *starts, *ends})
    open_ids: dict[int, None] = {}  # the codings covering the piece, in order
    out: list[dict[str, Any]] = []
    for lo, hi in zip(points, points[1:], strict=False):
        for done in ends.get(lo, ()):
            open_ids.pop(done, None)
        open_ids.update(dict.fromkeys(starts.get(lo, ())))
        if out and out[-1]["codings"] == list(open_ids):
            out[-1]["end"] = hi  # the same codings on both sides of a cut: one piece
            continue
        out.append({"start": lo, "end": hi, "codings": list(open_ids)})
    for piece in out:
        piece["text"] = body[piece["start"] : piece["end"]]
    return out


def resource_view(*, db: sa.Engine, resource_id: int) -> dict[str, Any]:
    """A resource to code: its text in pieces, its codings (with code names and paths)
    and memos, and the codebook."""
    book = codebook(db=db)
    paths = {c["id"]: c for c in book}
    with db.connect() as conn:
        res = _resource(conn, resource_id)
        rows = conn.execute(sa.select(coding_table).where(coding_table.c.resource_id == resource_id)
                            .order_by(coding_table.c.start, coding_table.c.id)).all()  # fmt: skip
        memos = conn.execute(sa.select(memo_table).where(
            memo_table.c.target == "resource", memo_table.c.target_id == resource_id)
            .order_by(memo_table.c.id)).all()  # fmt: skip
        names = _names(conn, [r.coder for r in rows] + [m.author for m in memos])
    codings = [{**dict(r._mapping), "coder_name": names[r.coder],
                "code": paths[r.code_id]["name"],
                "path": paths[r.code_id]["path"], "color": paths[r.code_id]["color"],
                "hypothesis": paths[r.code_id]["hypothesis"]} for r in rows]  # fmt: skip
    text = text_of(res.body, res.transcript)
    return {"resource": dict(res._mapping), "segments": _segments(text, codings),
            "text_length": len(text), "codings": codings,
            "memos": [{**dict(m._mapping), "author_name": names[m.author]} for m in memos],
            "codebook": book}  # fmt: skip


def resources_to_code(*, db: sa.Engine, limit: int = 200) -> list[dict[str, Any]]:
    """The resources with a text, most coded first, each with its codings and coders."""
    counts = (
        sa.select(coding_table.c.resource_id, sa.func.count().label("codings"),
                  sa.func.count(sa.distinct(coding_table.c.coder)).label("coders"))
        .group_by(coding_table.c.resource_id).subquery()
    )  # fmt: skip
    query = (
        sa.select(resource.c.id, resource.c.title, resource.c.type,
                  sa.func.coalesce(counts.c.codings, 0).label("codings"),
                  sa.func.coalesce(counts.c.coders, 0).label("coders"))
        .outerjoin(counts, counts.c.resource_id == resource.c.id)
        .where(resource.c.deleted_at.is_(None),
               sa.or_(resource.c.body.is_not(None),
                      sa.cast(resource.c.transcript, sa.Text) != "[]"))
        .order_by(sa.desc("codings"), resource.c.id.desc()).limit(limit)
    )  # fmt: skip
    with db.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


# --- inter-coder agreement -----------------------------------------------------------------


def _pieces(size: int, spans: Mapping[str, Sequence[tuple[int, int]]],
            coders: Sequence[str]) -> tuple[list[int], list[list[int]]]:  # fmt: skip
    """A text of ``size`` characters cut at every start and end of ``spans`` (per
    coder, held to the text): each piece's length, and for each coder whether it
    covers each piece."""
    held = {c: [(min(max(lo, 0), size), min(max(hi, 0), size)) for lo, hi in v]
            for c, v in spans.items()}  # fmt: skip
    cuts = sorted({0, size, *(p for v in held.values() for s in v for p in s)})
    lengths = [hi - lo for lo, hi in zip(cuts, cuts[1:], strict=False)]
    where = {p: i for i, p in enumerate(cuts)}
    marks = []
    for coder in coders:
        row = [0] * len(lengths)
        for lo, hi in held.get(coder, ()):
            for i in range(where[lo], where[hi]):
                row[i] = 1
        marks.append(row)
    return lengths, marks


def _value_counts(
    sizes: Sequence[int], marks: Sequence[Sequence[int]]
) -> list[tuple[float, float]]:
    """Krippendorff's units (coders saying 0, coders saying 1) of pieces of ``sizes``
    characters: a piece where the coders agree is one unit of its length times their
    values (its coincidences are those of as many characters); one where they differ,
    one unit per character."""
    out: list[tuple[float, float]] = []
    for k, size in enumerate(sizes):
        ones = sum(m[k] for m in marks)
        zeros = len(marks) - ones
        if ones == 0 or zeros == 0:
            out.append((float(zeros * size), float(ones * size)))
        else:
            out.extend([(float(zeros), float(ones))] * size)
    return out


def agreement(*, db: sa.Engine) -> dict[str, Any]:
    """Agreement per code between the coders of the resources coded by at least two
    coders, each character a unit (coded with the code or not, by each coder of the
    resource): Cohen's kappa for each pair of coders, Krippendorff's alpha (nominal)
    over all; None where undefined (one value only: nothing to compare).

    Characters are counted by pieces (the text cut at every coding's start and end):
    kappa weighs each piece by its length; for alpha, a piece where the coders agree
    is one unit holding its length times their values (the same coincidences as that
    many characters), a piece where they differ is that many units."""
    import krippendorff  # noqa: PLC0415 - numpy-heavy, only for this page
    import numpy as np  # noqa: PLC0415
    from sklearn.metrics import cohen_kappa_score  # noqa: PLC0415

    with db.connect() as conn:
        rows = conn.execute(sa.select(coding_table.c.resource_id, coding_table.c.coder,
                                      coding_table.c.code_id, coding_table.c.start,
                                      coding_table.c.end)).all()  # fmt: skip
        coders_of: dict[int, set[str]] = defaultdict(set)
        for r in rows:
            coders_of[r.resource_id].add(r.coder)
        shared = sorted(k for k, v in coders_of.items() if len(v) >= 2)
        lengths = {r.id: len(text_of(r.body, r.transcript)) for r in conn.execute(
            sa.select(resource.c.id, resource.c.body, resource.c.transcript)
            .where(resource.c.id.in_(shared)))} if shared else {}  # fmt: skip
        names = _names(conn, {r.coder for r in rows})
    book = {c["id"]: c for c in codebook(db=db)}
    coders = sorted({c for k in shared for c in coders_of[k]})
    spans: dict[int, dict[int, dict[str, list[tuple[int, int]]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(list))
    )
    for r in rows:
        if r.resource_id in lengths:
            spans[r.code_id][r.resource_id][r.coder].append((r.start, r.end))
    result = []
    for code_id in sorted(spans):
        pair_data: dict[tuple[int, int], tuple[list[int], list[int], list[int]]] = {}
        counts: list[tuple[float, float]] = []
        for res in shared:
            present = [c for c in coders if c in coders_of[res]]
            sizes, marks = _pieces(int(lengths.get(res) or 0), spans[code_id][res], present)
            index = [coders.index(c) for c in present]
            for a in range(len(present)):
                for b in range(a + 1, len(present)):
                    xs, ys, ws = pair_data.setdefault((index[a], index[b]), ([], [], []))
                    xs += marks[a]
                    ys += marks[b]
                    ws += sizes
            counts += _value_counts(sizes, marks)
        pairs = []
        for i in range(len(coders)):
            for j in range(i + 1, len(coders)):
                xs, ys, ws = pair_data.get((i, j), ([], [], []))
                kappa = None
                if xs and len(set(xs) | set(ys)) > 1:
                    value = float(cohen_kappa_score(xs, ys, sample_weight=ws))
                    kappa = None if np.isnan(value) else round(value, 4)
                pairs.append({"coders": [names[coders[i]], names[coders[j]]], "kappa": kappa,
                              "units": int(sum(ws))})  # fmt: skip
        alpha = None
        matrix = np.array(counts) if counts else np.zeros((0, 2))
        if (matrix.sum(axis=0) > 0).all():
            value = float(krippendorff.alpha(value_counts=matrix, level_of_measurement="nominal"))
            alpha = None if np.isnan(value) else round(value, 4)
        info = book.get(code_id, {})
        result.append({"code_id": code_id, "code": info.get("name"), "path": info.get("path"),
                       "pairs": pairs, "alpha": alpha})  # fmt: skip
    return {"coders": [names[c] for c in coders], "resources": shared, "codes": result,
            "unit": "character", "method": {
                "kappa": "sklearn.metrics.cohen_kappa_score",
                "alpha": "krippendorff.alpha (nominal)"}}  # fmt: skip


# --- REFI-QDA ------------------------------------------------------------------------------


def _code_tree(rows: Sequence[Any], memos: Mapping[int, list[str]]) -> list[refiqda.Code]:
    built: dict[int, refiqda.Code] = {}
    top: list[refiqda.Code] = []
    for row, _depth in _tree(rows):
        item = refiqda.Code(guid=row.guid, name=row.name, description=row.description,
                            color=row.color, note_guids=memos.get(row.id, []))  # fmt: skip
        built[row.id] = item
        (built[row.parent_id].children if row.parent_id in built else top).append(item)
    return top


def export_codebook(*, db: sa.Engine) -> bytes:
    """The codebook as a REFI-QDA ``.qdc`` document."""
    _ensure(db)
    with db.connect() as conn:
        return refiqda.write_codebook(_code_tree(_codes(conn), {}))


def _user_guid(name: str) -> str:
    return _guid(f"coder:{name}")


def export_project(*, db: sa.Engine, resource_ids: Sequence[int] | None = None) -> bytes:
    """The codebook, the coded resources (or ``resource_ids``), their codings and memos
    as a REFI-QDA ``.qdpx`` archive."""
    _ensure(db)
    with db.connect() as conn:
        codes = _codes(conn)
        query = sa.select(coding_table).order_by(coding_table.c.resource_id, coding_table.c.start,
                                                 coding_table.c.id)  # fmt: skip
        codings = conn.execute(query).all()
        wanted = sorted(set(resource_ids) if resource_ids is not None
                        else {c.resource_id for c in codings})  # fmt: skip
        resources = conn.execute(sa.select(resource).where(resource.c.id.in_(wanted))
                                 .order_by(resource.c.id)).all() if wanted else []  # fmt: skip
        memos = conn.execute(sa.select(memo_table).order_by(memo_table.c.id)).all()
        names = _names(conn, [c.coder for c in codings] + [m.author for m in memos])
    project = refiqda.Project(name="maillage")
    memo_refs: dict[tuple[str, int | None], list[str]] = defaultdict(list)
    for m in memos:
        memo_refs[(m.target, m.target_id)].append(m.guid)
        project.notes.append(refiqda.Note(guid=m.guid, name=f"Mémo ({names[m.author]})",
                                          text=m.text, user_guid=_user_guid(m.author),
                                          created=_stamp(m.created_at)))  # fmt: skip
        project.users.setdefault(_user_guid(m.author), names[m.author])
    project.note_guids = memo_refs.get(("project", None), [])
    project.codes = _code_tree(codes, {cid: g for (t, cid), g in memo_refs.items()
                                       if t == "code" and cid is not None})  # fmt: skip
    by_resource: dict[int, list[Any]] = defaultdict(list)
    for c in codings:
        by_resource[c.resource_id].append(c)
    for res in resources:
        source = refiqda.Source(
            guid=_source_guid(res), name=res.title, text=text_of(res.body, res.transcript),
            note_guids=memo_refs.get(("resource", res.id), []),
        )  # fmt: skip
        selections: dict[str, refiqda.Selection] = {}
        for c in by_resource.get(res.id, []):
            user = _user_guid(c.coder)
            project.users.setdefault(user, names[c.coder])
            sel = selections.get(c.selection_guid)
            if sel is None or (sel.start, sel.end) != (c.start, c.end):
                sel = refiqda.Selection(guid=c.selection_guid, start=c.start, end=c.end,
                                        user_guid=user, created=_stamp(c.created_at))  # fmt: skip
                selections[c.selection_guid] = sel
                source.selections.append(sel)
            notes = []
            if c.stance or c.memo:
                note_guid = _guid(f"coding-note:{c.guid}")
                project.notes.append(refiqda.Note(
                    guid=note_guid, name=STANCE_NOTE + (c.stance or ""), text=c.memo or "",
                    user_guid=user, created=_stamp(c.created_at)))  # fmt: skip
                notes.append(note_guid)
            sel.codings.append(refiqda.Coding(guid=c.guid, code_guid=_code_guid(codes, c.code_id),
                                              user_guid=user, created=_stamp(c.created_at),
                                              note_guids=notes))  # fmt: skip
        project.sources.append(source)
    return refiqda.write_project(project)


def _code_guid(codes: Sequence[Any], code_id: int) -> str:
    for row in codes:
        if row.id == code_id:
            return str(row.guid)
    raise NotFound("code", code_id)


def _source_guid(res: Any) -> str:
    ref = res.source_ref or ""
    try:
        return str(uuid.UUID(ref.strip("{}")))
    except ValueError:
        return _guid(f"resource:{res.id}")


def _stamp(value: Any) -> str | None:
    if not isinstance(value, dt.datetime):
        return None
    moment = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _merge_codes(conn: sa.Connection, codes: Iterable[refiqda.Code], by: str,
                 source: str) -> tuple[dict[str, int], int]:  # fmt: skip
    """Codes by guid (existing ones kept as they are); returns guid -> id and how many
    were added."""
    ids = dict(conn.execute(sa.select(code_table.c.guid, code_table.c.id)).all())
    added = 0
    for item, parent in refiqda.iter_codes(codes):
        if item.guid in ids:
            continue
        color = item.color if item.color and COLOR.match(item.color) else None
        ids[item.guid] = _insert(conn, code_table, {
            "guid": item.guid, "parent_id": ids.get(parent.guid) if parent else None,
            "name": item.name[:200], "description": item.description, "color": color,
        }, by, source)  # fmt: skip
        added += 1
    return ids, added


def import_codebook(*, db: sa.Engine, data: bytes, file: str, by: str) -> dict[str, Any]:
    """Add the codes of a ``.qdc`` codebook (those already known by guid are kept)."""
    codes, issues = refiqda.read_codebook(data, file)
    _ensure(db)
    with transaction(db) as conn:
        _ids, added = _merge_codes(conn, codes, by, f"refi-qda:{file}")
    return {"codes": sum(1 for _ in refiqda.iter_codes(codes)), "codes_added": added,
            "warnings": [_issue(i) for i in issues]}  # fmt: skip


def _issue(issue: refiqda.Issue) -> dict[str, str]:
    return {"where": issue.where, "message_fr": issue.message_fr, "message_en": issue.message_en}


def import_project(*, db: sa.Engine, data: bytes, file: str, by: str) -> dict[str, Any]:
    """Import a ``.qdpx`` project: its codes (merged by guid), each text source as a
    resource (type ``interview``; one already imported, known by its guid, is reused),
    each coding by its user's name, its notes as memos. All or nothing."""
    project = refiqda.read_project(data, file)
    source = f"refi-qda:{file}"[:200]
    notes = {n.guid: n for n in project.notes}
    used_notes: set[str] = set()
    _ensure(db)
    counts: Counter[str] = Counter()
    with transaction(db) as conn:
        code_ids, counts["codes_added"] = _merge_codes(conn, project.codes, by, source)
        known_codings = set(conn.execute(sa.select(coding_table.c.guid)).scalars())
        for src in project.sources:
            found = conn.execute(sa.select(resource.c.id).where(
                resource.c.source_ref == src.guid, resource.c.deleted_at.is_(None))).first()  # fmt: skip
            if found is not None:
                res_id = int(found.id)
            else:
                res_id = create_resource(conn, title=src.name or src.guid, body=src.text, by=by,
                                         source=source, source_ref=src.guid)  # fmt: skip
                counts["resources"] += 1
            for guid in src.note_guids:
                counts["memos"] += _note_memo(conn, notes, used_notes, guid, "resource", res_id,
                                              project, by)  # fmt: skip
            for sel in src.selections:
                for c in sel.codings:
                    if c.code_guid not in code_ids:
                        project.issues.append(refiqda.Issue(
                            f"Coding {c.guid}", f"code inconnu {c.code_guid}, codage ignoré",
                            f"unknown code {c.code_guid}, coding skipped"))  # fmt: skip
                        continue
                    if c.guid in known_codings:
                        counts["codings_known"] += 1
                        continue
                    stance, memo = None, None
                    for guid in c.note_guids:
                        note = notes.get(guid)
                        if note is None:
                            continue
                        used_notes.add(guid)
                        if note.name.startswith(STANCE_NOTE):
                            value = note.name[len(STANCE_NOTE) :]
                            stance = value if value in STANCES else None
                            memo = note.text or None
                        else:
                            memo = "\n\n".join(x for x in (memo, note.text) if x)
                    coder = project.users.get(c.user_guid or "", c.user_guid or "?")
                    _insert(conn, coding_table, {
                        "guid": c.guid, "selection_guid": sel.guid, "resource_id": res_id,
                        "start": sel.start, "end": sel.end, "quote": src.text[sel.start:sel.end],
                        "code_id": code_ids[c.code_guid], "coder": coder[:200], "account_id": None,
                        "stance": stance, "memo": memo,
                    }, by, source)  # fmt: skip
                    known_codings.add(c.guid)
                    counts["codings"] += 1
        for item, _parent in refiqda.iter_codes(project.codes):
            for guid in item.note_guids:
                counts["memos"] += _note_memo(conn, notes, used_notes, guid, "code",
                                              code_ids[item.guid], project, by)  # fmt: skip
        for guid in [*project.note_guids, *(n.guid for n in project.notes)]:
            counts["memos"] += _note_memo(conn, notes, used_notes, guid, "project", None,
                                          project, by)  # fmt: skip
    return {"project": project.name, "origin": project.origin,
            "codes": sum(1 for _ in refiqda.iter_codes(project.codes)),
            "selections": sum(len(s.selections) for s in project.sources),
            "sources": len(project.sources), "users": sorted(project.users.values()),
            **{k: counts[k] for k in ("codes_added", "resources", "codings", "codings_known",
                                      "memos")},
            "warnings": [_issue(i) for i in project.issues]}  # fmt: skip


def _note_memo(conn: sa.Connection, notes: Mapping[str, refiqda.Note], used: set[str], guid: str,
               target: str, target_id: int | None, project: refiqda.Project, by: str) -> int:  # fmt: skip
    note = notes.get(guid)
    if note is None or guid in used or not note.text.strip():
        return 0
    used.add(guid)
    if conn.execute(sa.select(memo_table.c.id).where(memo_table.c.guid == guid)).first():
        return 0
    author = project.users.get(note.user_guid or "", note.user_guid or "?")
    _insert(conn, memo_table, {"guid": guid, "target": target, "target_id": target_id,
                               "author": author[:200], "account_id": None, "text": note.text}, by)  # fmt: skip
    return 1


# --- the hypotheses, substantiated ---------------------------------------------------------


def hypotheses(*, db: sa.Engine, lang: str = "fr") -> list[dict[str, Any]]:
    """For each of the seven hypotheses: its passages (quote, stance, resource, coder
    left out), counts by stance, and by world of the actors the resource concerns,
    territory and year; ``thin`` when fewer than :data:`THIN_BELOW` resources bear on
    it, and per cell of each breakdown the same rule."""
    _ensure(db)
    with db.connect() as conn:
        hyps = conn.execute(sa.select(hypothesis).order_by(hypothesis.c.number)).all()
        rows = _codes(conn)
        of = _hypothesis_of(rows)
        coded = conn.execute(
            sa.select(coding_table.c.id, coding_table.c.code_id, coding_table.c.stance,
                      coding_table.c.quote, coding_table.c.resource_id,
                      resource.c.title, resource.c.url, resource.c.date, resource.c.type)
            .join(resource, resource.c.id == coding_table.c.resource_id)
            .where(resource.c.deleted_at.is_(None), coding_table.c.stance.is_not(None))
            .order_by(coding_table.c.id)
        ).all()  # fmt: skip
        res_ids = sorted({c.resource_id for c in coded})
        worlds: dict[int, set[str]] = defaultdict(set)
        places: dict[int, set[str]] = defaultdict(set)
        if res_ids:
            for rid, world in conn.execute(
                sa.select(resource_actor.c.resource_id, actor.c.world)
                .join(actor, actor.c.id == resource_actor.c.actor_id)
                .where(resource_actor.c.resource_id.in_(res_ids))
            ):  # fmt: skip
                worlds[rid].add(world or "unknown")
            for rid, code in conn.execute(
                sa.select(resource_territory.c.resource_id, resource_territory.c.territory_code)
                .where(resource_territory.c.resource_id.in_(res_ids))
            ):  # fmt: skip
                places[rid].add(code)
        codes = sorted({c for v in places.values() for c in v})
        place_names = dict(conn.execute(
            sa.select(territory.c.code, territory.c.name).where(territory.c.code.in_(codes))
        ).all()) if codes else {}  # fmt: skip
    names = {r.id: r.name for r in rows}
    out = []
    for h in hyps:
        mine = [c for c in coded if of.get(c.code_id) == h.code]
        evidence = [{
            "coding_id": c.id, "stance": c.stance, "quote": c.quote, "code": names[c.code_id],
            "resource_id": c.resource_id, "resource": c.title, "url": c.url,
            "year": c.date.year if c.date else None, "type": c.type,
            "worlds": sorted(worlds.get(c.resource_id, set())) or ["unknown"],
            "territories": sorted(places.get(c.resource_id, set())) or ["unknown"],
        } for c in mine]  # fmt: skip
        resources_count = len({e["resource_id"] for e in evidence})
        by_stance = {s: sum(1 for e in evidence if e["stance"] == s) for s in STANCES}
        out.append({
            "code": h.code, "number": h.number,
            "title": h.title_en if lang == "en" else h.title_fr, "description": h.description,
            "passages": len(evidence), "resources": resources_count,
            "thin": resources_count < THIN_BELOW, "stances": by_stance,
            "by_world": _breakdown(evidence, "worlds"),
            "by_territory": _breakdown(evidence, "territories", place_names),
            "by_year": _breakdown(evidence, "year"),
            "evidence": evidence,
        })  # fmt: skip
    return out


def _breakdown(evidence: Sequence[Mapping[str, Any]], key: str,
               labels: Mapping[str, str] | None = None) -> list[dict[str, Any]]:  # fmt: skip
    """Counts by stance and distinct resources per value of ``key`` (a list or one value),
    each value with its ``label`` (a territory's name)."""
    cells: dict[str, dict[str, Any]] = {}
    for e in evidence:
        values = (
            e[key] if isinstance(e[key], list) else [e[key] if e[key] is not None else "unknown"]
        )
        for value in values:
            label = (labels or {}).get(str(value), str(value))
            cell = cells.setdefault(str(value), {"value": str(value), "label": label,
                                                 "resources": set(),
                                                 **dict.fromkeys(STANCES, 0)})  # fmt: skip
            cell[e["stance"]] += 1
            cell["resources"].add(e["resource_id"])
    out = []
    for value in sorted(cells):
        cell = cells[value]
        n = len(cell["resources"])
        out.append({**cell, "resources": n, "thin": n < THIN_BELOW})
    return out


EVIDENCE_COLUMNS = ("hypothesis", "stance", "quote", "code", "resource_id", "resource", "url",
                    "year", "worlds", "territories", "thin")  # fmt: skip


def evidence_rows(*, db: sa.Engine, lang: str = "fr") -> list[dict[str, Any]]:
    """One row per passage for the CSV export (the hypothesis's thinness repeated)."""
    return [
        {"hypothesis": h["code"], "stance": e["stance"], "quote": e["quote"], "code": e["code"],
         "resource_id": e["resource_id"], "resource": e["resource"], "url": e["url"],
         "year": e["year"], "worlds": "|".join(e["worlds"]),
         "territories": "|".join(e["territories"]), "thin": h["thin"]}
        for h in hypotheses(db=db, lang=lang) for e in h["evidence"]
    ]  # fmt: skip
