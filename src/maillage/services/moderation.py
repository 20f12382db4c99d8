"""Moderation of the debate: reports of comments, hiding with a trace, blocking accounts.

As Decidim does: any signed-in person may report a comment once, with a reason
(:data:`REASONS`) and, for ``other``, a few words. Moderators see the reported comments
in a queue (:func:`report_queue`) and either hide the comment, with a reason kept
beside it (who, when, why: shown to everyone in place of its text), or dismiss the
reports. A moderator or an administrator blocks an account that abuses the debate:
it can no longer comment nor contribute (``Identity.can``), until unblocked. Every
write is audited (entities ``comment``, ``comment_report``, ``user_account``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from maillage.model import permissions
from maillage.model.errors import Conflict, InvalidInput, NotFound
from maillage.services.accounts import aware
from maillage.services.comments import (
    Comment,
    CommentRefused,
    get_comment,
    locked_comment,
    update_comment,
    writer,
)
from maillage.storage import audit
from maillage.storage.audit import Context, utcnow
from maillage.storage.engine import transaction
from maillage.storage.tables import comment, comment_report
from maillage.storage.tables import user as user_account

REASONS = ("spam", "offensive", "off_topic", "personal_data", "other")
MAX_DETAILS = 1000
MAX_REASON = 500
SOURCE = "moderation"


@dataclass(frozen=True, slots=True)
class Report:
    """One person's report of a comment."""

    id: int
    comment_id: int
    user_id: int
    reason: str
    details: str | None
    created_at: dt.datetime
    resolution: str | None  # None (open), hidden, dismissed


@dataclass(frozen=True, slots=True)
class QueueItem:
    """A reported comment waiting for a moderator, with its open reports."""

    comment: Comment
    reports: list[Report]


@dataclass(frozen=True, slots=True)
class Blocked:
    """A blocked account: who blocked it, when, why."""

    user_id: int
    name: str | None
    email: str
    blocked_at: dt.datetime
    blocked_by: int | None
    reason: str | None


def _text(field: str, value: str | None, limit: int, *, required: bool) -> str | None:
    text = " ".join((value or "").split())
    if (required and not text) or len(text) > limit:
        rule = f"de 1 à {limit} caractères" if required else f"au plus {limit} caractères"
        rule_en = f"1 to {limit} characters" if required else f"at most {limit} characters"
        raise InvalidInput(field, value, rule, rule_en)
    return text or None


def _report(row: Any) -> Report:
    m = row._mapping
    return Report(
        id=m["id"], comment_id=m["comment_id"], user_id=m["user_id"], reason=m["reason"],
        details=m["details"], created_at=aware(m["created_at"]),  # type: ignore[arg-type]
        resolution=m["resolution"],
    )  # fmt: skip


def _record(conn: sa.Connection, entity: str, entity_id: int, action: str, before: Any,
            after: Any, by: str) -> None:  # fmt: skip
    audit.record(
        conn, entity=entity, entity_id=entity_id, action=action, before=before, after=after,
        ctx=Context(user=by, source=SOURCE),
    )  # fmt: skip


def _report_state(row: Any) -> dict[str, Any]:
    m = row._mapping
    out = {k: m[k] for k in ("id", "comment_id", "user_id", "reason", "details", "resolution",
                             "resolved_by")}  # fmt: skip
    for key in ("created_at", "resolved_at"):
        value = aware(m[key])
        out[key] = value.isoformat() if value else None
    return out


# --- reports ----------------------------------------------------------------------


def report_comment(
    *, db: sa.Engine, comment_id: int, user_id: int, reason: str, details: str | None = None,
    now: dt.datetime | None = None,
) -> Report:  # fmt: skip
    """Report comment ``comment_id`` for ``reason`` (``other`` needs ``details``); once
    per person and comment. Raises NotFound, InvalidInput, Conflict, CommentRefused."""
    now = now or utcnow()
    if reason not in REASONS:
        raise InvalidInput("reason", reason, "un de " + ", ".join(REASONS),
                           "one of " + ", ".join(REASONS))  # fmt: skip
    text = _text("details", details, MAX_DETAILS, required=reason == "other")
    with transaction(db) as conn:
        found = conn.execute(
            sa.select(comment.c.id).where(
                comment.c.id == comment_id, comment.c.deleted_at.is_(None)
            )
        ).first()
        if found is None:
            raise NotFound("comment", comment_id)
        writer(conn, user_id)
        done = conn.execute(
            sa.select(comment_report.c.id).where(
                comment_report.c.comment_id == comment_id, comment_report.c.user_id == user_id
            )
        ).first()
        if done is not None:
            raise Conflict("vous avez déjà signalé ce commentaire",
                           "you have already reported this comment")  # fmt: skip
        values = {"comment_id": comment_id, "user_id": user_id, "reason": reason,
                  "details": text, "created_at": now}  # fmt: skip
        key = conn.execute(sa.insert(comment_report).values(**values)).inserted_primary_key
        assert key is not None
        row = conn.execute(sa.select(comment_report).where(comment_report.c.id == key[0])).one()
        _record(conn, "comment_report", row.id, "create", None, _report_state(row),
                permissions.author(user_id))  # fmt: skip
    return _report(row)


def reported_by(*, db: sa.Engine, user_id: int, comment_ids: list[int]) -> set[int]:
    """Which of ``comment_ids`` the person ``user_id`` has reported already."""
    if not comment_ids:
        return set()
    with db.connect() as conn:
        rows = conn.execute(
            sa.select(comment_report.c.comment_id).where(
                comment_report.c.user_id == user_id, comment_report.c.comment_id.in_(comment_ids)
            )
        )
        return {int(r[0]) for r in rows}


def report_queue(*, db: sa.Engine) -> list[QueueItem]:
    """The comments with open reports, the most reported first (then the oldest)."""
    with db.connect() as conn:
        rows = conn.execute(
            sa.select(comment_report)
            .where(comment_report.c.resolved_at.is_(None))
            .order_by(comment_report.c.created_at, comment_report.c.id)
        ).all()
    by_comment: dict[int, list[Report]] = {}
    for row in rows:
        by_comment.setdefault(row.comment_id, []).append(_report(row))
    items = [
        QueueItem(get_comment(db=db, comment_id=cid, moderator=True), found)
        for cid, found in by_comment.items()
    ]
    return sorted(items, key=lambda i: (-len(i.reports), i.reports[0].created_at))


def _resolve(conn: sa.Connection, comment_id: int, resolution: str, by: int,
             now: dt.datetime) -> int:  # fmt: skip
    rows = conn.execute(
        sa.select(comment_report).where(
            comment_report.c.comment_id == comment_id, comment_report.c.resolved_at.is_(None)
        )
    ).all()
    for row in rows:
        values = {"resolved_at": now, "resolved_by": by, "resolution": resolution}
        conn.execute(
            sa.update(comment_report).where(comment_report.c.id == row.id).values(**values)
        )
        after = conn.execute(sa.select(comment_report).where(comment_report.c.id == row.id)).one()
        _record(conn, "comment_report", row.id, "update", _report_state(row), _report_state(after),
                permissions.author(by))  # fmt: skip
    return len(rows)


def hide_comment(
    *, db: sa.Engine, comment_id: int, by: int, reason: str, now: dt.datetime | None = None
) -> Comment:
    """Hide comment ``comment_id`` for ``reason`` (moderator ``by``): its place in the
    thread says « masqué par la modération : reason »; its open reports are resolved.
    Raises NotFound, InvalidInput."""
    now = now or utcnow()
    why = _text("reason", reason, MAX_REASON, required=True)
    with transaction(db) as conn:
        row = locked_comment(conn, comment_id)
        values = {"hidden_at": now, "hidden_by": by, "hidden_reason": why, "status": "hidden"}
        update_comment(conn, row, values, action="hide", by=permissions.author(by), now=now)
        _resolve(conn, comment_id, "hidden", by, now)
    return get_comment(db=db, comment_id=comment_id, moderator=True)


def unhide_comment(
    *, db: sa.Engine, comment_id: int, by: int, now: dt.datetime | None = None
) -> Comment:
    """Show comment ``comment_id`` again (the hiding stays in the audit log).
    Raises NotFound."""
    now = now or utcnow()
    with transaction(db) as conn:
        row = locked_comment(conn, comment_id)
        if row.hidden_at is not None:
            values = {"hidden_at": None, "hidden_by": None, "hidden_reason": None,
                      "status": "published"}  # fmt: skip
            update_comment(conn, row, values, action="unhide", by=permissions.author(by), now=now)
    return get_comment(db=db, comment_id=comment_id, moderator=True)


def dismiss_reports(
    *, db: sa.Engine, comment_id: int, by: int, now: dt.datetime | None = None
) -> int:
    """Close the open reports of comment ``comment_id``, the comment kept as it is;
    returns how many. Raises NotFound."""
    now = now or utcnow()
    with transaction(db) as conn:
        locked_comment(conn, comment_id)
        return _resolve(conn, comment_id, "dismissed", by, now)


# --- blocking accounts --------------------------------------------------------------


def _account_state(row: Any) -> dict[str, Any]:
    """What the audit log keeps of a block (no address, no name)."""
    m = row._mapping
    blocked = aware(m["blocked_at"])
    return {
        "id": m["id"], "role": m["role"], "version": m["version"],
        "blocked_at": blocked.isoformat() if blocked else None,
        "blocked_by": m["blocked_by"], "blocked_reason": m["blocked_reason"],
    }  # fmt: skip


def _set_block(
    db: sa.Engine, user_id: int, by: int, values: dict[str, Any], action: str, now: dt.datetime
) -> None:
    with transaction(db) as conn:
        target = conn.execute(
            sa.select(user_account)
            .where(user_account.c.id == user_id, user_account.c.deleted_at.is_(None))
            .with_for_update()
        ).first()
        if target is None:
            raise NotFound("user", user_id)
        actor = conn.execute(sa.select(user_account.c.role).where(user_account.c.id == by)).first()
        if (
            by == user_id
            or actor is None
            or (permissions.rank(actor.role) <= permissions.rank(target.role))
        ):
            raise CommentRefused(
                "rank", "Seul un rôle supérieur au sien peut bloquer ou débloquer un compte.",
                "Only a role above its own may block or unblock an account.",
            )  # fmt: skip
        if (target.blocked_at is None) == (values["blocked_at"] is None):
            return  # already so
        values = {**values, "version": target.version + 1, "updated_at": now}
        conn.execute(sa.update(user_account).where(user_account.c.id == user_id).values(**values))
        after = conn.execute(sa.select(user_account).where(user_account.c.id == user_id)).one()
        _record(conn, "user_account", user_id, action, _account_state(target),
                _account_state(after), permissions.author(by))  # fmt: skip


def block_account(
    *, db: sa.Engine, user_id: int, by: int, reason: str, now: dt.datetime | None = None
) -> None:
    """Block account ``user_id`` (by ``by``, whose role must rank above it) for
    ``reason``: it can no longer comment nor contribute. Raises NotFound,
    InvalidInput, CommentRefused."""
    now = now or utcnow()
    why = _text("reason", reason, MAX_REASON, required=True)
    values = {"blocked_at": now, "blocked_by": by, "blocked_reason": why}
    _set_block(db, user_id, by, values, "block", now)


def unblock_account(
    *, db: sa.Engine, user_id: int, by: int, now: dt.datetime | None = None
) -> None:
    """Lift the block of account ``user_id``. Raises NotFound, CommentRefused."""
    now = now or utcnow()
    values = {"blocked_at": None, "blocked_by": None, "blocked_reason": None}
    _set_block(db, user_id, by, values, "unblock", now)


def blocked_accounts(*, db: sa.Engine) -> list[Blocked]:
    """The blocked accounts, the latest block first."""
    with db.connect() as conn:
        rows = conn.execute(
            sa.select(user_account)
            .where(user_account.c.blocked_at.is_not(None), user_account.c.deleted_at.is_(None))
            .order_by(user_account.c.blocked_at.desc())
        )
        return [
            Blocked(
                r.id,
                r.name,
                r.email,
                aware(r.blocked_at) or utcnow(),
                r.blocked_by,
                r.blocked_reason,
            )  # fmt: skip
            for r in rows
        ]
