"""Who is told of a new comment, by e-mail: follows, preferences, unsubscribe keys.

The author of a comment is told of each answer to it; the followers of a subject (an
actor, a territory... that they "suivent") are told of each new comment on it. Nobody
is told of their own comment, nor twice of one comment; accounts blocked, disabled,
deleted or not yet confirmed are told nothing, nor anyone who turned notifications
off (on "my account", or by the unsubscribe link of any notification: a random key
per account, valid until used to turn them back on and off again). The messages
themselves are written by the portal (:mod:`maillage.web.routes.comments`).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from maillage.model import permissions
from maillage.services.comments import Comment, subject_of
from maillage.storage import audit
from maillage.storage.audit import Context, utcnow
from maillage.storage.engine import transaction
from maillage.storage.tables import comment, follow, notification_setting
from maillage.storage.tables import user as user_account

SOURCE = "notifications"


@dataclass(frozen=True, slots=True)
class Recipient:
    """One person to tell of a comment: ``why`` is ``reply`` or ``follow``; ``key``
    goes into the unsubscribe link."""

    user_id: int
    email: str
    why: str
    key: str


# --- follows ---------------------------------------------------------------------


def is_following(*, db: sa.Engine, user_id: int, entity: str, ref: str) -> bool:
    """Whether ``user_id`` follows ``entity``/``ref``."""
    with db.connect() as conn:
        found = conn.execute(
            sa.select(follow.c.id).where(
                follow.c.user_id == user_id, follow.c.entity == entity, follow.c.entity_ref == ref
            )
        ).first()
    return found is not None


def set_following(
    *, db: sa.Engine, user_id: int, entity: str, ref: str, on: bool,
    now: dt.datetime | None = None,
) -> bool:  # fmt: skip
    """Follow (``on``) or stop following ``entity``/``ref``; returns whether anything
    changed. Raises NotFound, InvalidInput."""
    now = now or utcnow()
    with transaction(db) as conn:
        subject_of(conn, entity, ref)
        where = (follow.c.user_id == user_id, follow.c.entity == entity, follow.c.entity_ref == ref)
        row = conn.execute(sa.select(follow).where(*where)).first()
        if (row is not None) == on:
            return False
        state = {"user_id": user_id, "entity": entity, "entity_ref": ref}
        if on:
            key = conn.execute(
                sa.insert(follow).values(**state, created_at=now)
            ).inserted_primary_key
            assert key is not None
            follow_id, before, after, action = int(key[0]), None, state, "create"
        else:
            assert row is not None
            conn.execute(sa.delete(follow).where(*where))
            follow_id, before, after, action = row.id, state, None, "delete"
        audit.record(conn, entity="follow", entity_id=follow_id, action=action, before=before,
                     after=after, ctx=Context(user=permissions.author(user_id), source=SOURCE))  # fmt: skip
    return True


# --- preferences -------------------------------------------------------------------


def _setting(conn: sa.Connection, user_id: int, now: dt.datetime) -> Any:
    row = conn.execute(
        sa.select(notification_setting).where(notification_setting.c.user_id == user_id)
    ).first()
    if row is None:
        values = {"user_id": user_id, "enabled": True, "updated_at": now,
                  "unsubscribe_key": secrets.token_urlsafe(32)}  # fmt: skip
        conn.execute(sa.insert(notification_setting).values(**values))
        row = conn.execute(
            sa.select(notification_setting).where(notification_setting.c.user_id == user_id)
        ).one()
    return row


def enabled(*, db: sa.Engine, user_id: int) -> bool:
    """Whether ``user_id`` receives notifications (yes until turned off)."""
    with db.connect() as conn:
        value = conn.execute(
            sa.select(notification_setting.c.enabled).where(
                notification_setting.c.user_id == user_id
            )
        ).scalar()
    return value is None or bool(value)


def set_enabled(
    *, db: sa.Engine, user_id: int, on: bool, by: str | None = None,
    now: dt.datetime | None = None,
) -> None:  # fmt: skip
    """Turn the notifications of ``user_id`` on or off (audited, entity
    ``notification_setting``)."""
    now = now or utcnow()
    with transaction(db) as conn:
        row = _setting(conn, user_id, now)
        if bool(row.enabled) == on:
            return
        conn.execute(
            sa.update(notification_setting)
            .where(notification_setting.c.user_id == user_id)
            .values(enabled=on, updated_at=now)
        )
        audit.record(
            conn, entity="notification_setting", entity_id=user_id, action="update",
            before={"enabled": bool(row.enabled)}, after={"enabled": on},
            ctx=Context(user=by or permissions.author(user_id), source=SOURCE),
        )  # fmt: skip


def unsubscribe(*, db: sa.Engine, key: str, now: dt.datetime | None = None) -> bool:
    """Turn off the notifications of the account whose unsubscribe key is ``key``;
    False for an unknown key."""
    with db.connect() as conn:
        user_id = conn.execute(
            sa.select(notification_setting.c.user_id).where(
                notification_setting.c.unsubscribe_key == key
            )
        ).scalar()
    if user_id is None:
        return False
    set_enabled(db=db, user_id=int(user_id), on=False, by="unsubscribe-link", now=now)
    return True


# --- recipients --------------------------------------------------------------------


def recipients(*, db: sa.Engine, item: Comment, now: dt.datetime | None = None) -> list[Recipient]:
    """The people to tell of comment ``item``: the author of the comment it answers,
    then the followers of its subject; each once, never its own author."""
    now = now or utcnow()
    wanted: dict[int, str] = {}
    with transaction(db) as conn:
        if item.parent_id is not None:
            parent_author = conn.execute(
                sa.select(comment.c.user_id).where(comment.c.id == item.parent_id)
            ).scalar()
            if parent_author is not None:
                wanted[int(parent_author)] = "reply"
        followers = conn.execute(
            sa.select(follow.c.user_id)
            .where(follow.c.entity == item.entity, follow.c.entity_ref == item.ref)
            .order_by(follow.c.id)
        )
        for (user_id,) in followers:
            wanted.setdefault(int(user_id), "follow")
        wanted.pop(item.user_id or 0, None)
        if not wanted:
            return []
        accounts = conn.execute(
            sa.select(user_account.c.id, user_account.c.email).where(
                user_account.c.id.in_(wanted),
                user_account.c.deleted_at.is_(None),
                user_account.c.disabled_at.is_(None),
                user_account.c.blocked_at.is_(None),
                user_account.c.email_verified_at.is_not(None),
            )
        ).all()
        found = []
        for user_id, address in sorted(accounts):
            setting = _setting(conn, user_id, now)
            if setting.enabled:
                found.append(Recipient(user_id, address, wanted[user_id], setting.unsubscribe_key))
    return found
