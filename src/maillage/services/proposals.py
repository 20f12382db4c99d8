"""Contributions with moderation: proposals of new actors and links, of edits, and error
reports, waiting for a moderator (or the community's votes, :mod:`.votes`).

- A **proposal** (``create`` or ``update`` of an ``actor`` or a ``link``) is checked
  when it is made by the same rules as any write (``checked_*`` of
  :mod:`maillage.services.actors` and :mod:`maillage.services.links`), then again
  when it is accepted, through the very services that write (``*_in``).
- A **report** (``report``: "signaler une erreur") needs no account: a message and
  its evidence; accepting it may correct the record (the moderator's amended values).
- Every proposal gives its **evidence**: a web address or a document (PDF, PNG,
  JPEG, WebP or plain text, its type read from its bytes, never from the sender).
- An update or a report keeps the version and the values of the record it was made
  against: a record changed since is a **conflict**, shown, and never overwritten
  silently (accepting it as proposed fails; amending re-reads the record).
- Accepting writes in a batch of its own (``maillage undo --batch N`` undoes it), each
  change signed by the proposer (``user:N``, or ``visitor``) with the source
  ``proposal:ID``; the batch names who decided (``user:M``, or ``votes``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from maillage.model import fields, permissions, taxonomy
from maillage.model.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from maillage.services import actors as actor_service
from maillage.services import history
from maillage.services import links as link_service
from maillage.services.accounts import author_names, get_account
from maillage.services.validation import clean_text
from maillage.storage.audit import Context, open_batch, utcnow
from maillage.storage.engine import transaction
from maillage.storage.registry import actors, links, proposals
from maillage.storage.repository import Snapshot
from maillage.storage.tables import change, proposal, proposal_document, proposal_vote

ENTITIES = ("actor", "link")
ACTIONS = ("create", "update", "report")
STATUSES = ("pending", "accepted", "refused")
VOTES = "votes"  # the author of a decision reached by the community's votes
MAX_MESSAGE = 5000
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
# The fields a proposal may set, in the order the forms and the diff show them.
FIELDS: dict[str, tuple[str, ...]] = {
    "actor": (
        "name", "acronym", "world", "category", "description", "address", "postcode",
        "commune_code", "latitude", "longitude", "website", "email", "phone", "siret", "rna",
        "themes", "territories",
    ),
    "link": (
        "source_id", "target_id", "kind", "form", "subtype", "status", "start_date",
        "end_date", "amount", "territory_code", "purpose", "evidence", "evidence_url", "themes",
    ),
}  # fmt: skip
# Document types accepted as evidence: media type, extension, how its bytes begin.
DOCUMENT_TYPES: tuple[tuple[str, str, tuple[bytes, ...]], ...] = (
    ("application/pdf", ".pdf", (b"%PDF-",)),
    ("image/png", ".png", (b"\x89PNG\r\n\x1a\n",)),
    ("image/jpeg", ".jpg", (b"\xff\xd8\xff",)),
)


@dataclass(frozen=True, slots=True)
class Document:
    """A file sent as evidence, as received (its name is the sender's)."""

    filename: str
    content: bytes


# --- checks -----------------------------------------------------------------------


def _choice(field: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        listed = ", ".join(allowed)
        raise InvalidInput(field, value, f"valeurs admises : {listed}", f"allowed values: {listed}")
    return value


def _jsonable(value: Any) -> Any:
    """A cleaned value as stored in a proposal (and compared with a snapshot)."""
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, list | tuple | set):
        return sorted(_jsonable(v) for v in value)
    return value


def _known_fields(entity: str, values: Mapping[str, Any]) -> None:
    unknown = sorted(set(values) - set(FIELDS[entity]))
    if unknown:
        raise InvalidInput(
            unknown[0], values[unknown[0]],
            "champ qu'une proposition ne peut pas changer", "a field proposals cannot change",
        )  # fmt: skip


def sniff(content: bytes) -> tuple[str, str] | None:
    """(media type, extension) of a document from its first bytes, else None: PDF,
    PNG, JPEG, WebP, or UTF-8 text without NUL (``text/plain``)."""
    for media_type, extension, starts in DOCUMENT_TYPES:
        if content.startswith(starts):
            return media_type, extension
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp", ".webp"
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return ("text/plain", ".txt") if "\x00" not in text else None


def checked_document(document: Document, max_bytes: int = MAX_DOCUMENT_BYTES) -> tuple[str, str]:
    """The safe file name and the media type of ``document``. Raises InvalidInput (empty,
    too large, a type that is not accepted)."""
    size = len(document.content)
    if size == 0:
        raise InvalidInput("document", document.filename, "document vide", "empty document")
    if size > max_bytes:
        mb = f"{max_bytes / 1_048_576:.1f}".rstrip("0").rstrip(".")
        raise InvalidInput(
            "document", document.filename, f"au plus {mb} Mo", f"at most {mb} MB"
        )  # fmt: skip
    found = sniff(document.content)
    if found is None:
        raise InvalidInput(
            "document", document.filename,
            "types admis : PDF, PNG, JPEG, WebP ou texte brut",
            "accepted types: PDF, PNG, JPEG, WebP or plain text",
        )  # fmt: skip
    media_type, extension = found
    stem = re.split(r"[\\/]", document.filename or "")[-1].rsplit(".", 1)[0]
    stem = re.sub(r"[^\w.-]+", "_", stem).strip("._")[:80] or "document"
    return stem + extension, media_type


def _evidence(url: str | None, document: Document | None) -> str | None:
    """The checked evidence URL; one of a URL or a document is required."""
    cleaned = fields.validate_website(url, field="evidence_url") if url and url.strip() else None
    if cleaned is None and document is None:
        raise InvalidInput(
            "evidence_url", url,
            "donnez une preuve : une adresse web ou un document",
            "give evidence: a web address or a document",
        )  # fmt: skip
    if cleaned is not None and len(cleaned) > 1000:
        raise InvalidInput(
            "evidence_url", url, "au plus 1000 caractères", "at most 1000 characters"
        )
    return cleaned


def _repository(entity: str) -> Any:
    return actors if entity == "actor" else links


def _checked_values(
    conn: sa.Connection, action: str, entity: str, entity_id: int | None,
    values: Mapping[str, Any],
) -> dict[str, Any]:  # fmt: skip
    """Values checked by the rules of a write (nothing is written)."""
    _known_fields(entity, values)
    if action == "create":
        if entity == "actor":
            return actor_service.checked_new_actor(conn, values)
        return link_service.checked_new_link(conn, values)
    assert entity_id is not None
    if entity == "actor":
        return actor_service.checked_actor_changes(conn, entity_id, values)
    return link_service.checked_link_changes(conn, entity_id, values)


def _changes(values: Mapping[str, Any], current: Snapshot) -> dict[str, Any]:
    """The proposed values that differ from the record's."""
    return {k: _jsonable(v) for k, v in values.items() if _jsonable(v) != _jsonable(current.get(k))}


class DuplicateLink(Conflict):
    """A new link that is already on the map: ``link_id`` is the live link with the same
    ends and kind (either way round for a kind without direction); propose an edit of
    it instead."""

    def __init__(self, link_id: int) -> None:
        self._init_args = (link_id,)  # type: ignore[assignment]
        self.link_id = link_id
        super().__init__(
            f"ce lien existe déjà (lien n° {link_id}) : proposez plutôt une modification de "
            "celui-ci",
            f"this link already exists (link no. {link_id}): propose an edit of it instead",
        )


def _same_link(values: Mapping[str, Any], found: Mapping[str, Any]) -> bool:
    """Whether the link ``found`` is the one ``values`` describe: the same kind and ends
    (either way round when the kind has no direction), and no other start date (two
    fundings of different years are two links)."""
    if found["kind"] != values.get("kind") or found.get("deleted_at") is not None:
        return False
    ends = (_int(values.get("source_id")), _int(values.get("target_id")))
    there = (_int(found["source_id"]), _int(found["target_id"]))
    directed = values.get("directed")
    if directed is None and values.get("kind"):
        directed = taxonomy.term("link_kinds", values["kind"]).data.get("directed", False)
    if there != ends and (directed or there != ends[::-1]):
        return False
    start, other = _jsonable(values.get("start_date")), _jsonable(found.get("start_date"))
    return not (start and other and start != other)


def _existing_links(conn: sa.Connection, described: list[Mapping[str, Any]]) -> list[Snapshot]:
    """The live links between the actors the new links ``described`` join (one query)."""
    ids = {_int(v.get(k)) for v in described for k in ("source_id", "target_id")} - {None}
    if not ids:
        return []
    table = links.table
    where = [table.c.source_id.in_(ids), table.c.target_id.in_(ids)]
    return list(links.list(conn, where=where, limit=None))


def existing_link(conn: sa.Connection, values: Mapping[str, Any]) -> Snapshot | None:
    """The live link a new link's ``values`` duplicate (:func:`_same_link`), else None."""
    return next((f for f in _existing_links(conn, [values]) if _same_link(values, f)), None)


# --- proposing ----------------------------------------------------------------------


def propose(
    *,
    db: sa.Engine,
    action: str,
    entity: str,
    entity_id: int | None = None,
    values: Mapping[str, Any] | None = None,
    message: str | None = None,
    evidence_url: str | None = None,
    document: Document | None = None,
    user_id: int | None = None,
    max_document_bytes: int = MAX_DOCUMENT_BYTES,
    declared_by: str | None = None,
) -> Snapshot:
    """Record a proposal (or a report) waiting for moderation; returns it.

    ``values`` are the fields of the new record (``create``) or the new values of the
    record ``entity_id`` (``update``; those equal to the current ones are dropped);
    a ``report`` gives a ``message`` instead. ``user_id`` None: a visitor, who may
    only report. ``declared_by``: who the proposal speaks for when the account sends
    it on their behalf (the respondents of a survey), shown as its signature. Raises InvalidInput naming the field, NotFound for a record that is
    not live, PermissionDenied for a visitor proposing.
    """
    _choice("action", action, ACTIONS)
    _choice("entity", entity, ENTITIES)
    if user_id is None and action != "report":
        raise PermissionDenied("propose")
    text = clean_text("message", message, MAX_MESSAGE) if message else None
    if action == "report" and not text:
        raise InvalidInput("message", message, "décrivez l'erreur", "describe the error")
    if action != "create" and entity_id is None:
        raise InvalidInput(f"{entity}_id", None, "champ obligatoire", "required field")
    url = _evidence(evidence_url, document)
    stored_document = checked_document(document, max_document_bytes) if document else None
    given = dict(values or {})
    if action == "create" and entity == "link" and url and not given.get("evidence_url"):
        given["evidence_url"] = url  # the new link keeps the evidence it was proposed with
    with transaction(db) as conn:
        current = _repository(entity).get(conn, entity_id) if entity_id is not None else None
        payload: dict[str, Any] = {"values": {}, "base": {}}
        if action == "create":
            cleaned = _checked_values(conn, action, entity, None, given)
            found = existing_link(conn, cleaned) if entity == "link" else None
            if found is not None and declared_by is None:
                raise DuplicateLink(int(found["id"]))  # a survey's declaration: the queue says
            payload["values"] = {
                k: _jsonable(v) for k, v in cleaned.items() if v not in (None, [], "")
            }
        elif given or action == "update":
            assert current is not None
            changes = _changes(_checked_values(conn, "update", entity, entity_id, given), current)
            if not changes:
                raise InvalidInput(
                    "values", None, "aucune valeur ne diffère de la fiche actuelle",
                    "no value differs from the current record",
                )  # fmt: skip
            payload["values"] = changes
            payload["base"] = {k: _jsonable(current.get(k)) for k in changes}
        row = {
            "entity": entity, "entity_ref": str(entity_id) if entity_id is not None else None,
            "action": action, "payload": payload, "user_id": user_id, "status": "pending",
            "message": text, "evidence_url": url,
            "base_version": current["version"] if current is not None else None,
            "author_name": declared_by[:200] if declared_by else None,
        }  # fmt: skip
        who = permissions.author(user_id) if user_id is not None else permissions.VISITOR
        created = proposals.create(conn, row, ctx=Context(user=who))
        if document is not None and stored_document is not None:
            name, media_type = stored_document
            conn.execute(
                sa.insert(proposal_document).values(
                    proposal_id=created["id"],
                    filename=name,
                    media_type=media_type,
                    size=len(document.content),
                    content=document.content,
                    sha256=hashlib.sha256(document.content).hexdigest(),
                    created_at=utcnow(),
                )  # fmt: skip
            )
    return created


# --- reading ------------------------------------------------------------------------

PAGE_SIZE = 50  # proposals on a page of the queue (and of "my proposals")
MAX_PAGE_SIZE = 200
# The kinds of proposal a moderator filters on: (action, entity or None for both).
KINDS: dict[str, tuple[str, str | None]] = {
    "new_actor": ("create", "actor"), "new_link": ("create", "link"),
    "actor_edit": ("update", "actor"), "link_edit": ("update", "link"),
    "report": ("report", None),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class ProposalPage:
    """One page of proposals: ``items`` (with their diff), ``total`` proposals matching
    the filters, the page's ``offset`` and ``limit``."""

    items: list[dict[str, Any]]
    total: int
    offset: int
    limit: int

    @property
    def next_offset(self) -> int | None:
        return self.offset + self.limit if self.offset + self.limit < self.total else None

    @property
    def previous_offset(self) -> int | None:
        return max(self.offset - self.limit, 0) if self.offset > 0 else None


class _Records:
    """The actors and links a page of proposals names, read in one query per entity
    (deleted ones too: a label still names them; ``current`` leaves them out)."""

    def __init__(self, conn: sa.Connection, rows: list[Snapshot]) -> None:
        link_ids = {_int(r["entity_ref"]) for r in rows if r["entity"] == "link"}
        self.links = self._read(conn, links, link_ids)
        actor_ids = {_int(r["entity_ref"]) for r in rows if r["entity"] == "actor"}
        for r in rows:
            if r["entity"] == "link":
                for values in (r["payload"].get("values"), r["payload"].get("amended")):
                    actor_ids |= {_int((values or {}).get(k)) for k in ("source_id", "target_id")}
        # The live links that pending new links would duplicate (DuplicateLink).
        described = [r["payload"].get("values") or {} for r in rows
                     if r["entity"] == "link" and r["action"] == "create"
                     and r["status"] == "pending"]  # fmt: skip
        self.existing = _existing_links(conn, described)
        for found in self.existing:
            self.links.setdefault(int(found["id"]), found)
        for found in self.links.values():
            actor_ids |= {_int(found["source_id"]), _int(found["target_id"])}
        self.actors = self._read(conn, actors, actor_ids)

    def duplicated(self, row: Mapping[str, Any]) -> Snapshot | None:
        """The live link a pending new link ``row`` would duplicate, else None."""
        if row["entity"] != "link" or row["action"] != "create" or row["status"] != "pending":
            return None
        values = row["payload"].get("values") or {}
        return next((f for f in self.existing if _same_link(values, f)), None)

    @staticmethod
    def _read(conn: sa.Connection, repository: Any, ids: set[int | None]) -> dict[int, Snapshot]:
        wanted = sorted(i for i in ids if i is not None)
        if not wanted:
            return {}
        where = [repository.table.c.id.in_(wanted)]
        found = repository.list(conn, where=where, limit=None, include_deleted=True)
        return {int(r["id"]): r for r in found}

    def current(self, entity: str, entity_id: int | None) -> Snapshot | None:
        """The live record (None when absent or deleted)."""
        found = (self.actors if entity == "actor" else self.links).get(entity_id or 0)
        return found if found is not None and found.get("deleted_at") is None else None

    def label(self, entity: str, entity_id: Any) -> str | None:
        """The name of an actor, or ``source — target`` of a link (None when absent)."""
        key = _int(entity_id)
        if key is None:
            return None
        if entity == "actor":
            found = self.actors.get(key)
            return str(found["name"]) if found else None
        link = self.links.get(key)
        if link is None:
            return None
        ends = [self.label("actor", link[k]) or f"#{link[k]}" for k in ("source_id", "target_id")]
        return " — ".join(ends)


def _int(value: Any) -> int | None:
    """An id as stored in a proposal (a string, a number), else None."""
    try:
        return int(value) if value is not None and value != "" else None
    except (TypeError, ValueError):
        return None


def _diff(records: _Records, row: Mapping[str, Any], current: Snapshot | None) -> list[Any]:
    """One line per proposed (or amended) field: the value the proposal was made
    against, the current one, the proposed one, whether the record moved in between;
    once a moderator amended it, also the value accepted (``accepted``; ``amended``
    when it differs from the proposed one; an edit's field left out of the amended
    values kept the record's value: ``kept``)."""
    values = row["payload"].get("values") or {}
    amended = row["payload"].get("amended")
    base = row["payload"].get("base") or {}
    shown = set(values) | set(amended or {})
    lines = []
    for name in (f for f in FIELDS[row["entity"]] if f in shown):
        now = _jsonable(current.get(name)) if current is not None else None
        then = base.get(name, now)
        line = {"field": name, "base": then, "current": now, "proposed": values.get(name)}
        line["moved"] = row["status"] == "pending" and current is not None and then != now
        if amended is not None:
            line["accepted"] = amended.get(name)
            line["kept"] = name not in amended and row["action"] != "create"
            line["amended"] = line["kept"] or line["accepted"] != line["proposed"]
        for key in ("proposed", "accepted"):
            if name in ("source_id", "target_id") and line.get(key) is not None:
                line[f"{key}_label"] = records.label("actor", line[key])
        if name in ("source_id", "target_id") and now is not None:
            line["current_label"] = records.label("actor", now)
        lines.append(line)
    return lines


def _view(records: _Records, row: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    out = dict(row)
    entity_id = _int(row["entity_ref"])
    current = records.current(row["entity"], entity_id)
    duplicated = records.duplicated(row)
    out["existing"] = None
    if duplicated is not None:  # shown as the current value; accepting it is refused
        current = duplicated
        out["existing"] = {"id": int(duplicated["id"]),
                           "label": records.label("link", duplicated["id"])}  # fmt: skip
    out["entity_id"] = entity_id
    out["label"] = records.label(row["entity"], entity_id)
    if row["action"] == "create" and row["entity"] == "actor":
        out["label"] = row["payload"]["values"].get("name")
    elif row["action"] == "create":
        ends = [row["payload"]["values"].get(k) for k in ("source_id", "target_id")]
        out["label"] = " — ".join(records.label("actor", e) or f"#{e}" for e in ends)
    out["diff"] = _diff(records, row, current)
    out["amended"] = row["payload"].get("amended") is not None  # the diff's ``accepted``
    out["current_version"] = (
        current["version"] if current is not None and duplicated is None else None
    )
    pending = row["status"] == "pending" and row["action"] != "create"
    out["gone"] = pending and current is None
    out["conflict"] = pending and (current is None or current["version"] != row["base_version"])
    out["author"] = names.get(permissions.author(row["user_id"])) if row["user_id"] else None
    out["declared_by"] = row["author_name"]  # a survey's respondents, sent by ``author``
    out["moderator"] = (
        names.get(permissions.author(row["moderator_id"])) if row["moderator_id"] else None
    )
    out["document"] = None
    return out


def _views(conn: sa.Connection, db: sa.Engine, rows: list[Snapshot]) -> list[dict[str, Any]]:
    """The proposals ``rows`` shown: a fixed number of queries whatever their count."""
    users = {permissions.author(r[k]) for r in rows for k in ("user_id", "moderator_id") if r[k]}
    names = author_names(db=db, users=users)
    records = _Records(conn, rows)
    views = [_view(records, r, names) for r in rows]
    ids = [v["id"] for v in views]
    if ids:
        docs = sa.select(
            proposal_document.c.proposal_id, proposal_document.c.filename,
            proposal_document.c.media_type, proposal_document.c.size,
        ).where(proposal_document.c.proposal_id.in_(ids))  # fmt: skip
        found = {r.proposal_id: dict(r._mapping) for r in conn.execute(docs)}
        tallies = sa.select(
            proposal_vote.c.proposal_id, proposal_vote.c.value, sa.func.count()
        ).where(proposal_vote.c.proposal_id.in_(ids)).group_by(
            proposal_vote.c.proposal_id, proposal_vote.c.value
        )  # fmt: skip
        votes: dict[int, dict[str, int]] = {}
        for proposal_id, value, count in conn.execute(tallies):
            votes.setdefault(proposal_id, {})["for" if value > 0 else "against"] = count
        undone = _undone_batches(conn, {v["batch_id"] for v in views if v["batch_id"]})
        for v in views:
            v["document"] = found.get(v["id"])
            v["votes"] = {"for": 0, "against": 0, **votes.get(v["id"], {})}
            v["undone"] = v["batch_id"] in undone
    return views


def _undone_batches(conn: sa.Connection, batch_ids: set[int]) -> set[int]:
    """The batches of ``batch_ids`` whose every change is undone (by an undo that was
    not itself undone): one query."""
    if not batch_ids:
        return set()
    written, undo, redo = change.alias("written"), change.alias("undo"), change.alias("redo")
    standing = sa.exists().where(
        undo.c.undoes_id == written.c.id, ~sa.exists().where(redo.c.undoes_id == undo.c.id)
    )
    query = (
        sa.select(written.c.batch_id)
        .where(written.c.batch_id.in_(sorted(batch_ids)))
        .group_by(written.c.batch_id)
        .having(sa.func.count() == sa.func.sum(sa.case((standing, 1), else_=0)))
    )
    return set(conn.execute(query).scalars())


def _kind_filter(kinds: tuple[str, ...]) -> sa.ColumnElement[bool]:
    clauses = []
    for kind in kinds:
        action, entity = KINDS[_choice("kind", kind, tuple(KINDS))]
        clause = proposal.c.action == action
        clauses.append(sa.and_(clause, proposal.c.entity == entity) if entity else clause)
    return sa.or_(*clauses)


def proposal_page(
    *, db: sa.Engine, status: str | None = "pending", user_id: int | None = None,
    kinds: tuple[str, ...] = (), limit: int = PAGE_SIZE, offset: int = 0,
) -> ProposalPage:  # fmt: skip
    """A page of proposals with their diff, evidence, author and votes: those of
    ``status`` (None: all), of the account ``user_id`` if given, of one of ``kinds``
    (:data:`KINDS`; empty: all); the oldest pending first, the newest first otherwise.
    ``limit`` is bounded by :data:`MAX_PAGE_SIZE`; only the page's diffs are computed."""
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise InvalidInput(
            "limit", limit, f"entre 1 et {MAX_PAGE_SIZE}", f"between 1 and {MAX_PAGE_SIZE}"
        )  # fmt: skip
    if offset < 0:
        raise InvalidInput("offset", offset, "nombre positif ou nul", "zero or more")
    where: list[sa.ColumnElement[bool]] = [proposal.c.deleted_at.is_(None)]
    if status is not None:
        where.append(proposal.c.status == _choice("status", status, STATUSES))
    if user_id is not None:
        where.append(proposal.c.user_id == user_id)
    if kinds:
        where.append(_kind_filter(kinds))
    order = proposal.c.id if status == "pending" else proposal.c.id.desc()
    with db.connect() as conn:
        total = conn.execute(sa.select(sa.func.count()).select_from(proposal).where(*where))
        count = int(total.scalar_one())
        query = sa.select(proposal.c.id).where(*where).order_by(order).limit(limit).offset(offset)
        ids = list(conn.execute(query).scalars())
        rows = proposals.list(conn, where=[proposal.c.id.in_(ids)], limit=None) if ids else []
        position = {proposal_id: i for i, proposal_id in enumerate(ids)}
        rows.sort(key=lambda r: position[r["id"]])
        return ProposalPage(_views(conn, db, rows), count, offset, limit)


def list_proposals(
    *, db: sa.Engine, status: str | None = "pending", user_id: int | None = None,
    limit: int = PAGE_SIZE, offset: int = 0,
) -> list[dict[str, Any]]:  # fmt: skip
    """The proposals of one page of :func:`proposal_page` (its ``items``)."""
    page = proposal_page(db=db, status=status, user_id=user_id, limit=limit, offset=offset)
    return page.items


def get_proposal(*, db: sa.Engine, proposal_id: int) -> dict[str, Any]:
    """One proposal with its diff, evidence, author and votes. Raises NotFound."""
    with db.connect() as conn:
        return _views(conn, db, [proposals.get(conn, proposal_id)])[0]


def get_document(*, db: sa.Engine, proposal_id: int) -> tuple[str, str, bytes]:
    """(file name, media type, bytes) of a proposal's document. Raises NotFound."""
    query = sa.select(
        proposal_document.c.filename, proposal_document.c.media_type, proposal_document.c.content
    ).where(proposal_document.c.proposal_id == proposal_id)  # fmt: skip
    with db.connect() as conn:
        row = conn.execute(query).first()
    if row is None:
        raise NotFound("proposal", proposal_id)
    return str(row[0]), str(row[1]), bytes(row[2])


def proposer_email(*, db: sa.Engine, view: Mapping[str, Any]) -> str | None:
    """The address to tell the proposer of a decision: an account's confirmed and
    active address, else None (a visitor, a deleted or disabled account)."""
    if not view.get("user_id"):
        return None
    try:
        account = get_account(db=db, user_id=int(view["user_id"]))
    except NotFound:
        return None
    usable = account.email_verified_at and not account.disabled_at and not account.deleted_at
    return account.email if usable else None


# --- deciding -----------------------------------------------------------------------


def _pending(conn: sa.Connection, proposal_id: int) -> Snapshot:
    row = proposals.get(conn, proposal_id)
    if row["status"] != "pending":
        raise Conflict(
            f"la proposition {proposal_id} est déjà décidée ({row['status']})",
            f"proposal {proposal_id} is already decided ({row['status']})",
        )
    return row


def _write(
    conn: sa.Connection, row: Snapshot, values: Mapping[str, Any], expected: int | None,
    ctx: Context,
) -> int:  # fmt: skip
    """Write the accepted values through the services; returns the record's id."""
    entity, action = row["entity"], row["action"]
    if action == "create":
        create = actor_service.create_actor_in if entity == "actor" else link_service.create_link_in
        return int(create(conn, values=values, ctx=ctx)["id"])
    entity_id = int(row["entity_ref"])
    if entity == "actor":
        actor_service.update_actor_in(
            conn, actor_id=entity_id, changes=values, ctx=ctx, expected_version=expected
        )
    else:
        link_service.update_link_in(
            conn, link_id=entity_id, changes=values, ctx=ctx, expected_version=expected
        )
    return entity_id


def accept(
    *, db: sa.Engine, proposal_id: int, moderator_id: int | None,
    values: Mapping[str, Any] | None = None, seen_version: int | None = None,
    reason: str | None = None,
) -> Snapshot:  # fmt: skip
    """Accept a pending proposal: its values (or the moderator's amended ``values``)
    go through the services that write, in a batch of their own; returns the proposal.

    As proposed, the record must still be at the version it was proposed against;
    amended, at ``seen_version`` (the version the moderator read); a new record's field
    the amended values leave out keeps its proposed value. Else Conflict:
    nothing is overwritten silently. ``moderator_id`` None: accepted by the votes.
    Raises NotFound, Conflict (already decided, record changed), InvalidInput.
    """
    decider = permissions.author(moderator_id) if moderator_id is not None else VOTES
    note = clean_text("reason", reason, MAX_MESSAGE) if reason else None
    with transaction(db) as conn:
        row = _pending(conn, proposal_id)
        payload = dict(row["payload"])
        chosen = payload.get("values") or {}
        expected = row["base_version"]
        if values is not None:
            _known_fields(row["entity"], values)
            if row["action"] == "create":
                # A field the amended values leave out keeps its proposed value (the
                # evidence of a new link, absent from the amend form); given blank, cleared.
                merged = {**(payload.get("values") or {}), **values}
                chosen = {k: v for k, v in merged.items() if v not in (None, [], "")}
            else:
                entity_id = int(row["entity_ref"])
                current = _repository(row["entity"]).get(conn, entity_id)
                checked = _checked_values(conn, "update", row["entity"], entity_id, values)
                chosen = _changes(checked, current)
            payload["amended"] = {k: _jsonable(v) for k, v in chosen.items()}
            expected = seen_version if seen_version is not None else expected
        if row["action"] == "create" and not chosen:
            raise InvalidInput("values", None, "rien à créer", "nothing to create")
        if row["action"] == "create" and row["entity"] == "link":
            found = existing_link(conn, link_service.checked_new_link(conn, chosen))
            if found is not None:
                raise DuplicateLink(int(found["id"]))  # never a second copy of a link
        batch_id = result_id = None
        if chosen or row["action"] == "create":
            label = f"proposition {proposal_id} acceptée par {decider}"
            batch_id = open_batch(conn, kind="service", label=label, user=decider)
            proposer = permissions.author(row["user_id"]) if row["user_id"] else permissions.VISITOR
            ctx = Context(user=proposer, source=f"proposal:{proposal_id}", batch_id=batch_id)
            result_id = _write(conn, row, chosen, expected, ctx)
        decision = {
            "status": "accepted", "moderator_id": moderator_id, "decided_by": decider,
            "decided_at": utcnow(), "reason": note, "batch_id": batch_id,
            "result_id": result_id, "payload": payload,
        }  # fmt: skip
        return proposals.update(
            conn, proposal_id, decision,
            ctx=Context(user=decider, source=f"proposal:{proposal_id}"),
            expected_version=row["version"],
        )  # fmt: skip


def refuse(
    *, db: sa.Engine, proposal_id: int, moderator_id: int | None, reason: str | None
) -> Snapshot:
    """Refuse a pending proposal, saying why (``reason`` is required); returns it.
    ``moderator_id`` None: refused by the votes. Raises NotFound, Conflict,
    InvalidInput."""
    decider = permissions.author(moderator_id) if moderator_id is not None else VOTES
    note = clean_text("reason", reason, MAX_MESSAGE) if reason else None
    if not note:
        raise InvalidInput("reason", reason, "donnez la raison du refus", "give the reason")
    with transaction(db) as conn:
        row = _pending(conn, proposal_id)
        decision = {
            "status": "refused", "moderator_id": moderator_id, "decided_by": decider,
            "decided_at": utcnow(), "reason": note,
        }  # fmt: skip
        return proposals.update(
            conn, proposal_id, decision,
            ctx=Context(user=decider, source=f"proposal:{proposal_id}"),
            expected_version=row["version"],
        )  # fmt: skip


def undo(*, db: sa.Engine, proposal_id: int, moderator_id: int) -> dict[str, Any]:
    """Undo what accepting ``proposal_id`` wrote (its batch, through the undo of any
    write), signed by the moderator; returns the proposal, then ``undone``. Raises
    NotFound, Conflict (not accepted, nothing written, already undone, the record changed
    since: undo the later changes first)."""
    view = get_proposal(db=db, proposal_id=proposal_id)
    if view["status"] != "accepted" or not view["batch_id"]:
        raise Conflict(
            f"la proposition {proposal_id} n'a rien écrit à annuler",
            f"proposal {proposal_id} wrote nothing to undo",
        )
    if view["undone"]:
        raise Conflict(
            f"la proposition {proposal_id} est déjà annulée",
            f"proposal {proposal_id} is already undone",
        )
    history.undo_batch(db=db, batch_id=int(view["batch_id"]), user=permissions.author(moderator_id))
    return get_proposal(db=db, proposal_id=proposal_id)
