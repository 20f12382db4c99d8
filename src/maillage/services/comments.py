"""Debate: threaded comments on actors, links, territories, needs and proposals.

As Decidim does: a comment may answer another (``parent_id``: a thread), and say where
it stands on what the page claims (``stance``: for, against, question). Comments are
plain text (the portal escapes them and turns web addresses into links when it shows
them); their author may correct them within :data:`EDIT_WINDOW`. A comment hidden by a
moderator (:mod:`maillage.services.moderation`) stays in its thread with the trace of
the hiding (who, when, why); its text is given to moderators only. Every write is
audited (entity ``comment``). A blocked, disabled or deleted account cannot comment.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

import sqlalchemy as sa

from maillage.model import permissions
from maillage.model.errors import InvalidInput, NotFound, PermissionDenied
from maillage.services.accounts import aware
from maillage.storage import audit
from maillage.storage.audit import Context, utcnow
from maillage.storage.engine import transaction
from maillage.storage.tables import actor, comment, link, need, proposal, territory
from maillage.storage.tables import user as user_account

ENTITIES = ("actor", "link", "territory", "need", "proposal")
STANCES = ("for", "against", "question")
MAX_BODY = 2000
EDIT_WINDOW = dt.timedelta(minutes=15)
SOURCE = "debate"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class CommentRefused(PermissionDenied):
    """A write the debate rules refuse (a blocked account, an edit too late...)."""

    def __init__(self, reason: str, message_fr: str, message_en: str) -> None:
        self._init_args = (reason, message_fr, message_en)  # type: ignore[assignment]
        self.reason, self.action, self.role = reason, reason, None
        Exception.__init__(self, message_fr)
        self.message_fr, self.message_en = message_fr, message_en


BLOCKED = (
    "blocked",
    "Votre compte est bloqué par la modération : vous ne pouvez plus commenter ni contribuer.",
    "Your account is blocked by the moderators: you can no longer comment or contribute.",
)


@dataclass(frozen=True, slots=True)
class Subject:
    """What a thread is about: ``entity`` (one of :data:`ENTITIES`), ``ref`` (its id or
    territory code, as text) and a ``title`` to name it in e-mails and headings."""

    entity: str
    ref: str
    title: str


@dataclass(frozen=True, slots=True)
class Comment:
    """One comment as a reader sees it: ``body`` is empty for a hidden comment, and who
    hid it (``hidden_by``, ``hidden_by_name``) None, unless asked for by a moderator;
    ``author`` is None for a deleted account."""

    id: int
    entity: str
    ref: str
    parent_id: int | None
    user_id: int | None
    author: str | None
    body: str
    stance: str | None
    created_at: dt.datetime
    edited_at: dt.datetime | None
    hidden_at: dt.datetime | None
    hidden_by: int | None
    hidden_by_name: str | None
    hidden_reason: str | None

    @property
    def hidden(self) -> bool:
        return self.hidden_at is not None

    def editable_by(self, user_id: int | None, now: dt.datetime | None = None) -> bool:
        """Whether ``user_id`` may still correct this comment (its author, in the window)."""
        now = now or utcnow()
        return (
            user_id is not None and user_id == self.user_id and not self.hidden
            and now - self.created_at <= EDIT_WINDOW
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Thread:
    """Every comment about one subject, oldest first, with the answers of each
    (``children[None]``: the comments that answer no other) and the counts by stance."""

    subject: Subject
    comments: list[Comment]
    children: dict[int | None, list[Comment]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def tree(self, parent: int | None = None) -> list[dict[str, Any]]:
        """The thread as nested JSON-ready dictionaries (``replies`` in each)."""
        return [{**as_json(c), "replies": self.tree(c.id)} for c in self.children.get(parent, [])]


def as_json(item: Comment) -> dict[str, Any]:
    """A comment as JSON-ready data (times in ISO 8601)."""
    data = asdict(item)
    for key, value in data.items():
        if isinstance(value, dt.datetime):
            data[key] = value.isoformat()
    return data


# --- subjects ---------------------------------------------------------------------


def checked_entity(entity: str) -> str:
    """``entity`` when comments may be about it. Raises InvalidInput."""
    if entity not in ENTITIES:
        raise InvalidInput(
            "entity", entity, "un de " + ", ".join(ENTITIES), "one of " + ", ".join(ENTITIES)
        )
    return entity


def _number(ref: str) -> int:
    if not ref.isdigit() or len(ref) > 12:
        raise InvalidInput("ref", ref, "un numéro", "a number")
    return int(ref)


def subject_of(conn: sa.Connection, entity: str, ref: str) -> Subject:
    """The subject ``entity``/``ref`` when it exists (not deleted). Raises NotFound,
    InvalidInput."""
    checked_entity(entity)
    title: Any = None
    if entity == "territory":
        title = conn.execute(sa.select(territory.c.name).where(territory.c.code == ref)).scalar()
    elif entity == "actor":
        title = conn.execute(
            sa.select(actor.c.name).where(actor.c.id == _number(ref), actor.c.deleted_at.is_(None))
        ).scalar()
    elif entity == "link":
        source, target = actor.alias("source"), actor.alias("target")
        row = conn.execute(
            sa.select(source.c.name, target.c.name)
            .select_from(link.join(source, source.c.id == link.c.source_id)
                         .join(target, target.c.id == link.c.target_id))
            .where(link.c.id == _number(ref), link.c.deleted_at.is_(None))
        ).first()  # fmt: skip
        title = f"{row[0]} — {row[1]}" if row else None
    elif entity == "need":
        row = conn.execute(
            sa.select(need.c.theme, need.c.territory_code).where(
                need.c.id == _number(ref), need.c.deleted_at.is_(None)
            )
        ).first()
        title = f"{row[0]} ({row[1]})" if row else None
    else:
        found = conn.execute(
            sa.select(proposal.c.id).where(
                proposal.c.id == _number(ref), proposal.c.deleted_at.is_(None)
            )
        ).scalar()
        title = f"#{found}" if found else None
    if title is None:
        raise NotFound(entity, ref)
    return Subject(entity, ref, str(title))


def get_subject(*, db: sa.Engine, entity: str, ref: str) -> Subject:
    """The subject ``entity``/``ref``. Raises NotFound, InvalidInput."""
    with db.connect() as conn:
        return subject_of(conn, entity, ref)


# --- reading ----------------------------------------------------------------------

_hider = user_account.alias("hider")


def _query() -> sa.Select[Any]:
    return (
        sa.select(
            comment,
            user_account.c.name.label("user_name"),
            user_account.c.deleted_at.label("user_deleted_at"),
            _hider.c.name.label("hider_name"),
        )
        .select_from(
            comment.outerjoin(user_account, user_account.c.id == comment.c.user_id).outerjoin(
                _hider, _hider.c.id == comment.c.hidden_by
            )
        )
        .where(comment.c.deleted_at.is_(None))
    )


def author_name(name: str | None, user_id: int | None, deleted: Any) -> str | None:
    """How the portal names the author of a comment: the account's name, else its
    number (never its address); None for a deleted account."""
    if user_id is None or deleted:
        return None
    return name or f"#{user_id}"


def _comment(row: Any, *, moderator: bool) -> Comment:
    m = row._mapping
    hidden = m["hidden_at"] is not None
    return Comment(
        id=m["id"], entity=m["entity"], ref=m["entity_ref"], parent_id=m["parent_id"],
        user_id=m["user_id"], author=author_name(m["user_name"], m["user_id"], m["user_deleted_at"]),
        body="" if hidden and not moderator else m["body"], stance=m["stance"],
        created_at=aware(m["created_at"]), edited_at=aware(m["edited_at"]),  # type: ignore[arg-type]
        hidden_at=aware(m["hidden_at"]), hidden_by=m["hidden_by"] if moderator else None,
        hidden_by_name=m["hider_name"] if hidden and moderator else None,
        hidden_reason=m["hidden_reason"],
    )  # fmt: skip


def get_comment(*, db: sa.Engine, comment_id: int, moderator: bool = False) -> Comment:
    """Comment ``comment_id`` (its text hidden unless ``moderator``). Raises NotFound."""
    with db.connect() as conn:
        row = conn.execute(_query().where(comment.c.id == comment_id)).first()
    if row is None:
        raise NotFound("comment", comment_id)
    return _comment(row, moderator=moderator)


def thread(*, db: sa.Engine, entity: str, ref: str, moderator: bool = False) -> Thread:
    """The thread about ``entity``/``ref``: comments oldest first, answers under their
    parent, counts by stance (of the comments not hidden). Raises NotFound, InvalidInput."""
    with db.connect() as conn:
        subject = subject_of(conn, entity, ref)
        rows = conn.execute(
            _query()
            .where(comment.c.entity == entity, comment.c.entity_ref == ref)
            .order_by(comment.c.created_at, comment.c.id)
        ).all()
    found = [_comment(r, moderator=moderator) for r in rows]
    children: dict[int | None, list[Comment]] = {}
    known = {c.id for c in found}
    for item in found:
        parent = item.parent_id if item.parent_id in known else None
        children.setdefault(parent, []).append(item)
    counted = Counter(c.stance for c in found if c.stance and not c.hidden)
    counts = {"total": len(found), **{s: counted.get(s, 0) for s in STANCES}}
    return Thread(subject, found, children, counts)


# --- writing ----------------------------------------------------------------------


def checked_body(value: str) -> str:
    """``value`` as stored: line ends normalised, control characters removed, trimmed;
    1 to :data:`MAX_BODY` characters. Raises InvalidInput."""
    text = _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n")).strip()
    if not text or len(text) > MAX_BODY:
        raise InvalidInput(
            "body", value, f"de 1 à {MAX_BODY} caractères", f"1 to {MAX_BODY} characters"
        )
    return text


def checked_stance(value: str | None) -> str | None:
    """``value`` (None or empty: no stance) when one of :data:`STANCES`. Raises InvalidInput."""
    if not value:
        return None
    if value not in STANCES:
        raise InvalidInput("stance", value, "pour, contre ou question", "for, against or question")
    return value


def writer(conn: sa.Connection, user_id: int) -> Any:
    """The account row of ``user_id`` when it may write. Raises NotFound, CommentRefused."""
    row = conn.execute(
        sa.select(user_account).where(
            user_account.c.id == user_id,
            user_account.c.deleted_at.is_(None),
            user_account.c.disabled_at.is_(None),
        )
    ).first()
    if row is None:
        raise NotFound("user", user_id)
    if row.blocked_at is not None:
        raise CommentRefused(*BLOCKED)
    return row


def state(row: Any) -> dict[str, Any]:
    """What the audit log keeps of a comment."""
    m = row._mapping
    out = {k: m[k] for k in (
        "id", "entity", "entity_ref", "parent_id", "user_id", "body", "stance", "status",
        "hidden_by", "hidden_reason", "version",
    )}  # fmt: skip
    for key in ("created_at", "edited_at", "hidden_at"):
        value = aware(m[key])
        out[key] = value.isoformat() if value else None
    return out


def add_comment(
    *, db: sa.Engine, user_id: int, entity: str, ref: str, body: str,
    stance: str | None = None, parent_id: int | None = None, now: dt.datetime | None = None,
) -> Comment:  # fmt: skip
    """Comment on ``entity``/``ref`` (``parent_id``: in answer to that comment, of the
    same thread). Raises NotFound, InvalidInput, CommentRefused."""
    now = now or utcnow()
    text, position = checked_body(body), checked_stance(stance)
    with transaction(db) as conn:
        subject_of(conn, entity, ref)
        writer(conn, user_id)
        if parent_id is not None:
            parent = conn.execute(
                sa.select(comment.c.entity, comment.c.entity_ref).where(
                    comment.c.id == parent_id, comment.c.deleted_at.is_(None)
                )
            ).first()
            if parent is None or (parent.entity, parent.entity_ref) != (entity, ref):
                raise InvalidInput(
                    "parent_id", parent_id, "un commentaire de ce fil", "a comment of this thread"
                )
        values = {
            "entity": entity, "entity_ref": ref, "user_id": user_id, "body": text,
            "stance": position, "parent_id": parent_id, "status": "published",
            "created_at": now, "updated_at": now,
        }  # fmt: skip
        key = conn.execute(sa.insert(comment).values(**values)).inserted_primary_key
        assert key is not None
        row = conn.execute(sa.select(comment).where(comment.c.id == key[0])).one()
        _audit(conn, row, None, "create", permissions.author(user_id))
    return get_comment(db=db, comment_id=int(key[0]))


def _audit(conn: sa.Connection, after: Any, before: Any, action: str, by: str) -> None:
    audit.record(
        conn, entity="comment", entity_id=after.id, action=action,
        before=state(before) if before is not None else None, after=state(after),
        ctx=Context(user=by, source=SOURCE),
    )  # fmt: skip


def update_comment(
    conn: sa.Connection, row: Any, values: dict[str, Any], *, action: str, by: str,
    now: dt.datetime,
) -> Any:  # fmt: skip
    """Write ``values`` to the comment of ``row`` and audit it; the row after."""
    values = {**values, "version": row.version + 1, "updated_at": now}
    conn.execute(sa.update(comment).where(comment.c.id == row.id).values(**values))
    after = conn.execute(sa.select(comment).where(comment.c.id == row.id)).one()
    _audit(conn, after, row, action, by)
    return after


def locked_comment(conn: sa.Connection, comment_id: int) -> Any:
    """The live comment ``comment_id``, locked for this transaction's update (edit, hide,
    unhide). Raises NotFound."""
    row = conn.execute(
        sa.select(comment)
        .where(comment.c.id == comment_id, comment.c.deleted_at.is_(None))
        .with_for_update()
    ).first()
    if row is None:
        raise NotFound("comment", comment_id)
    return row


def edit_comment(
    *, db: sa.Engine, comment_id: int, user_id: int, body: str, stance: str | None = None,
    now: dt.datetime | None = None,
) -> Comment:  # fmt: skip
    """Correct comment ``comment_id``: only its author, within :data:`EDIT_WINDOW` of
    its writing, and not once hidden. Raises NotFound, InvalidInput, CommentRefused."""
    now = now or utcnow()
    text, position = checked_body(body), checked_stance(stance)
    with transaction(db) as conn:
        row = locked_comment(conn, comment_id)
        writer(conn, user_id)
        if row.user_id != user_id:
            raise CommentRefused(
                "author", "Seul son auteur peut corriger un commentaire.",
                "Only its author may correct a comment.",
            )  # fmt: skip
        created = aware(row.created_at)
        if row.hidden_at is not None or created is None or now - created > EDIT_WINDOW:
            minutes = int(EDIT_WINDOW.total_seconds() // 60)
            raise CommentRefused(
                "late",
                f"Un commentaire se corrige dans les {minutes} minutes qui suivent son envoi.",
                f"A comment may be corrected within {minutes} minutes of its sending.",
            )
        values = {"body": text, "stance": position, "edited_at": now}
        update_comment(conn, row, values, action="update", by=permissions.author(user_id), now=now)
    return get_comment(db=db, comment_id=comment_id)
