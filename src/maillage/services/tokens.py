"""API tokens: a secret for scripts, scoped, revocable, with an expiry.

The secret (``mlg_`` and 43 random characters) is shown once, when created; the
database keeps its SHA-256 and its first characters (to recognise it in a list). A
token acts for its account within its scope (:mod:`maillage.model.permissions`); it
stops when revoked, expired, or when its account is disabled or deleted.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from maillage.model import permissions
from maillage.model.errors import InvalidInput, NotFound
from maillage.services.accounts import Account, AccountRefused, account_from_row, aware, digest
from maillage.storage import audit
from maillage.storage.audit import Context, utcnow
from maillage.storage.engine import transaction
from maillage.storage.tables import api_token
from maillage.storage.tables import user as user_account

PREFIX = "mlg_"
TOUCH_EVERY = dt.timedelta(minutes=1)  # how often last_used_at is written


@dataclass(frozen=True, slots=True)
class Token:
    """A token as listed (never its secret)."""

    id: int
    user_id: int
    name: str
    scope: str
    prefix: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None

    def active(self, now: dt.datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


def _token(row: Any) -> Token:
    m = dict(row._mapping)
    for key in ("created_at", "expires_at", "last_used_at", "revoked_at"):
        m[key] = aware(m[key])
    return Token(**{k: m[k] for k in Token.__slots__})


def _state(row: Any) -> dict[str, Any]:
    token = _token(row)
    return {
        "id": token.id, "user_id": token.user_id, "name": token.name, "scope": token.scope,
        "prefix": token.prefix,
        "expires_at": token.expires_at.isoformat() if token.expires_at else None,
        "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
    }  # fmt: skip


def create_token(
    *, db: sa.Engine, user_id: int, name: str, scope: str = "read", days: int | None = 90,
    by: str = "cli", now: dt.datetime | None = None,
) -> tuple[Token, str]:  # fmt: skip
    """A new token of account ``user_id``, valid ``days`` days (None: until revoked).
    Returns the token and its secret, shown this once. Raises NotFound, InvalidInput."""
    now = now or utcnow()
    label = " ".join(name.split())
    if not label or len(label) > 200:
        raise InvalidInput(
            "name", name, "un nom de 1 à 200 caractères", "a 1 to 200 character name"
        )
    if days is not None and days < 1:
        raise InvalidInput("days", days, "au moins 1 jour", "at least 1 day")
    secret = PREFIX + secrets.token_urlsafe(32)
    with transaction(db) as conn:
        owner = conn.execute(
            sa.select(user_account.c.id).where(
                user_account.c.id == user_id, user_account.c.deleted_at.is_(None)
            )
        ).first()
        if owner is None:
            raise NotFound("user", user_id)
        values = {
            "user_id": user_id, "name": label, "scope": permissions.checked_scope(scope),
            "token_hash": digest(secret), "prefix": secret[:10], "created_at": now,
            "expires_at": now + dt.timedelta(days=days) if days else None,
        }  # fmt: skip
        key = conn.execute(sa.insert(api_token).values(**values)).inserted_primary_key
        assert key is not None
        row = conn.execute(sa.select(api_token).where(api_token.c.id == key[0])).one()
        audit.record(
            conn, entity="api_token", entity_id=row.id, action="create", before=None,
            after=_state(row), ctx=Context(user=by, source="accounts"),
        )  # fmt: skip
        return _token(row), secret


def list_tokens(*, db: sa.Engine, user_id: int | None = None) -> list[Token]:
    """The tokens (of account ``user_id``), oldest first."""
    query = sa.select(api_token).order_by(api_token.c.id)
    if user_id is not None:
        query = query.where(api_token.c.user_id == user_id)
    with db.connect() as conn:
        return [_token(r) for r in conn.execute(query)]


def revoke_token(
    *, db: sa.Engine, token_id: int, user_id: int | None = None, by: str = "cli",
    now: dt.datetime | None = None,
) -> Token:  # fmt: skip
    """Revoke token ``token_id`` (``user_id``: only if it is that account's). Raises
    NotFound."""
    now = now or utcnow()
    with transaction(db) as conn:
        query = sa.select(api_token).where(api_token.c.id == token_id)
        if user_id is not None:
            query = query.where(api_token.c.user_id == user_id)
        row = conn.execute(query).first()
        if row is None:
            raise NotFound("api_token", token_id)
        if row.revoked_at is not None:
            return _token(row)
        conn.execute(sa.update(api_token).where(api_token.c.id == row.id).values(revoked_at=now))
        after = conn.execute(sa.select(api_token).where(api_token.c.id == row.id)).one()
        audit.record(
            conn, entity="api_token", entity_id=row.id, action="update", before=_state(row),
            after=_state(after), ctx=Context(user=by, source="accounts"),
        )  # fmt: skip
        return _token(after)


def _refused() -> AccountRefused:
    return AccountRefused(
        "token",
        "Jeton d'API inconnu, expiré ou révoqué.",
        "Unknown, expired or revoked API token.",
    )


def authenticate_token(
    *, db: sa.Engine, secret: str, now: dt.datetime | None = None
) -> tuple[Account, Token]:
    """The account and token of ``secret``. Raises AccountRefused when the token is
    unknown, revoked or expired, or its account disabled or deleted."""
    now = now or utcnow()
    if not secret.startswith(PREFIX) or len(secret) > 100:
        raise _refused()
    with db.connect() as conn:
        row = conn.execute(
            sa.select(api_token).where(api_token.c.token_hash == digest(secret))
        ).first()
        owner = (
            conn.execute(sa.select(user_account).where(user_account.c.id == row.user_id)).first()
            if row is not None
            else None
        )
    if row is None or owner is None:
        raise _refused()
    token, account = _token(row), account_from_row(owner)
    if not token.active(now) or account.deleted_at or account.disabled_at:
        raise _refused()
    if token.last_used_at is None or now - token.last_used_at > TOUCH_EVERY:
        with transaction(db) as conn:
            conn.execute(
                sa.update(api_token).where(api_token.c.id == token.id).values(last_used_at=now)
            )
    return account, token
