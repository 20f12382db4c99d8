"""Accounts: sign-up, sign-in with lockout, e-mail verification, password reset,
profile, roles, export and deletion of one's data.

Passwords are hashed with argon2id (argon2-cffi's :class:`PasswordHasher`); a hash made
with older parameters is replaced at the next sign-in. The links sent by e-mail carry a
random secret stored only as its SHA-256, valid once and until its expiry. Every change
to an account is audited (entity ``user_account``) with a state that holds neither the
address, the name nor the hash, so that a deleted account leaves no personal data in
the history. Deleting an account anonymises its row (the changes it made stay, signed
``user:<id>``, shown as « compte supprimé »). Every function takes ``now`` so that
expiries can be tested without waiting.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import re
import secrets
from dataclasses import asdict, dataclass
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from maillage.model import permissions
from maillage.model.errors import Conflict, InvalidInput, MaillageError, NotFound, PermissionDenied
from maillage.storage import audit
from maillage.storage.audit import Context, utcnow
from maillage.storage.engine import transaction
from maillage.storage.tables import (
    api_token,
    change,
    comment,
    comment_report,
    email_token,
    follow,
    notification_setting,
    proposal,
)
from maillage.storage.tables import user as user_account

HASHER = PasswordHasher()  # argon2id, the library's current recommended parameters
MIN_PASSWORD = 10
MAX_PASSWORD = 1024
EMAIL = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;]+$")
ENTITY = "user_account"
SOURCE = "accounts"
PURPOSES = ("verify", "reset")


class AccountRefused(PermissionDenied):
    """A sign-in or a link refused: ``reason`` is ``credentials``, ``locked``,
    ``disabled``, ``unverified`` or ``link``; ``until`` the end of a lock."""

    def __init__(
        self, reason: str, message_fr: str, message_en: str, until: dt.datetime | None = None
    ) -> None:
        self._init_args = (reason, message_fr, message_en, until)  # type: ignore[assignment]
        self.reason, self.until = reason, until
        self.action, self.role = reason, None
        MaillageError.__init__(self, message_fr, message_en)


# One message for a wrong password, an unknown address and a locked account: the
# answer never tells whether an account exists (user trial of issue 20, item 18).
WRONG_CREDENTIALS = (
    "Adresse ou mot de passe incorrect, ou trop d'essais erronés : réessayez plus tard, "
    "ou demandez un nouveau mot de passe.",
    "Wrong e-mail address or password, or too many wrong tries: try again later, or ask "
    "for a new password.",
)


@dataclass(frozen=True, slots=True)
class Account:
    """An account as the portal and the CLI show it (never its password hash)."""

    id: int
    email: str
    name: str | None
    role: str
    created_at: dt.datetime
    email_verified_at: dt.datetime | None
    disabled_at: dt.datetime | None
    locked_until: dt.datetime | None
    last_login_at: dt.datetime | None
    deleted_at: dt.datetime | None
    sessions_valid_after: dt.datetime | None
    blocked_at: dt.datetime | None = None  # blocked by a moderator (services.moderation)

    @property
    def display_name(self) -> str:
        """The name, else the part of the address before ``@``."""
        return self.name or self.email.partition("@")[0]

    @property
    def status(self) -> str:
        """``active``, ``unverified``, ``disabled`` or ``deleted``."""
        if self.deleted_at:
            return "deleted"
        if self.disabled_at:
            return "disabled"
        return "active" if self.email_verified_at else "unverified"


def aware(value: dt.datetime | None) -> dt.datetime | None:
    """A stored time as timezone-aware UTC (SQLite gives it back without a zone)."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)


def account_from_row(row: Any) -> Account:
    m = row._mapping
    dates = {k: aware(m[k]) for k in (
        "created_at", "email_verified_at", "disabled_at", "locked_until", "last_login_at",
        "deleted_at", "sessions_valid_after", "blocked_at",
    )}  # fmt: skip
    return Account(id=m["id"], email=m["email"], name=m["name"], role=m["role"], **dates)  # type: ignore[arg-type]


def _state(row: Any) -> dict[str, Any]:
    """What the audit log keeps of an account: no address, no name, no hash."""
    m = row._mapping
    out: dict[str, Any] = {"id": m["id"], "role": m["role"], "version": m["version"]}
    for key in ("email_verified_at", "disabled_at", "locked_until", "deleted_at"):
        value = aware(m[key])
        out[key] = value.isoformat() if value else None
    return out


def digest(secret: str) -> str:
    """The SHA-256 (hex) under which a random secret (a token, a link) is stored."""
    return hashlib.sha256(secret.encode()).hexdigest()


def checked_email(value: str) -> str:
    """``value`` trimmed and lower-cased when it reads as an address. Raises InvalidInput."""
    email = value.strip().lower()
    if len(email) > 300 or not EMAIL.match(email):
        raise InvalidInput("email", value, "une adresse courriel", "an e-mail address")
    return email


def checked_password(password: str, *, email: str | None = None) -> str:
    """``password`` when long enough and not the address. Raises InvalidInput (the
    value itself is never shown)."""
    if len(password) < MIN_PASSWORD or len(password) > MAX_PASSWORD:
        raise InvalidInput(
            "password", "***",
            f"de {MIN_PASSWORD} à {MAX_PASSWORD} caractères",
            f"{MIN_PASSWORD} to {MAX_PASSWORD} characters",
        )  # fmt: skip
    if email and password.strip().lower() == email:
        raise InvalidInput("password", "***", "autre que l'adresse", "not the e-mail address")
    return password


def _name(value: str | None) -> str | None:
    name = " ".join((value or "").split())
    if len(name) > 200:
        raise InvalidInput("name", value, "au plus 200 caractères", "at most 200 characters")
    return name or None


def _row(conn: sa.Connection, user_id: int, *, lock: bool = False) -> Any:
    query = sa.select(user_account).where(
        user_account.c.id == user_id, user_account.c.deleted_at.is_(None)
    )
    row = conn.execute(query.with_for_update() if lock else query).first()
    if row is None:
        raise NotFound("user", user_id)
    return row


def _update(
    conn: sa.Connection, row: Any, values: dict[str, Any], *, by: str, now: dt.datetime,
    action: str = "update",
) -> Any:  # fmt: skip
    """Write ``values`` to the account of ``row`` and audit the change."""
    values = {**values, "version": row.version + 1, "updated_at": now}
    conn.execute(sa.update(user_account).where(user_account.c.id == row.id).values(**values))
    after = conn.execute(sa.select(user_account).where(user_account.c.id == row.id)).one()
    ctx = Context(user=by, source=SOURCE)
    audit.record(
        conn, entity=ENTITY, entity_id=row.id, action=action, before=_state(row),
        after=_state(after), ctx=ctx,
    )  # fmt: skip
    return after


def create_account(
    *,
    db: sa.Engine,
    email: str,
    password: str | None,
    name: str | None = None,
    role: str = "contributor",
    verified: bool = False,
    by: str | None = None,
    now: dt.datetime | None = None,
    hasher: PasswordHasher | None = None,
) -> Account:
    """Create an account (``verified``: its address taken as confirmed). ``password``
    None: the person sets one through a reset link. ``by``: who creates it (``cli``; None:
    the person, who signs up). Raises InvalidInput, Conflict."""
    hasher = _hasher(hasher)
    now = now or utcnow()
    address = checked_email(email)
    secret = hasher.hash(checked_password(password, email=address)) if password else None
    values = {
        "email": address, "name": _name(name), "role": permissions.checked_role(role),
        "password_hash": secret, "created_at": now, "updated_at": now,
        "email_verified_at": now if verified else None,
    }  # fmt: skip
    with transaction(db) as conn:
        taken = conn.execute(
            sa.select(user_account.c.id).where(sa.func.lower(user_account.c.email) == address)
        ).first()
        if taken is not None:
            raise Conflict(
                "un compte existe déjà pour cette adresse ; connectez-vous, ou demandez un "
                "nouveau mot de passe",
                "an account already exists for this address; sign in, or ask for a new password",
            )
        key = conn.execute(sa.insert(user_account).values(**values)).inserted_primary_key
        assert key is not None
        row = _row(conn, int(key[0]))
        ctx = Context(user=by or permissions.author(row.id), source=SOURCE)
        audit.record(
            conn, entity=ENTITY, entity_id=row.id, action="create", before=None,
            after=_state(row), ctx=ctx,
        )  # fmt: skip
        return account_from_row(row)


def get_account(*, db: sa.Engine, user_id: int) -> Account:
    """The live account ``user_id``. Raises NotFound."""
    with db.connect() as conn:
        return account_from_row(_row(conn, user_id))


def find_account(*, db: sa.Engine, email: str) -> Account:
    """The live account of address ``email``. Raises NotFound."""
    address = email.strip().lower()
    with db.connect() as conn:
        row = conn.execute(
            sa.select(user_account).where(
                user_account.c.email == address, user_account.c.deleted_at.is_(None)
            )
        ).first()
    if row is None:
        raise NotFound("user", email)
    return account_from_row(row)


def list_accounts(*, db: sa.Engine, role: str | None = None) -> list[Account]:
    """Every live account, oldest first (``role``: only those)."""
    query = sa.select(user_account).where(user_account.c.deleted_at.is_(None))
    if role:
        query = query.where(user_account.c.role == permissions.checked_role(role))
    with db.connect() as conn:
        return [account_from_row(r) for r in conn.execute(query.order_by(user_account.c.id))]


DELETED_NAME = "compte supprimé"


def author_names(*, db: sa.Engine, users: set[str]) -> dict[str, str]:
    """The name shown for each audit author of ``users`` that names an account
    (``user:12`` -> its name, « compte supprimé » once deleted); the others (``cli``,
    ``import``) are left out."""
    ids = {i for i in map(permissions.account_of, users) if i is not None}
    if not ids:
        return {}
    with db.connect() as conn:
        rows = conn.execute(sa.select(user_account).where(user_account.c.id.in_(sorted(ids))))
        found = [account_from_row(r) for r in rows]
    return {
        permissions.author(a.id): DELETED_NAME if a.deleted_at else a.display_name for a in found
    }


# --- signing in -------------------------------------------------------------------


_DUMMY_HASH: list[str] = []


def _hasher(given: PasswordHasher | None) -> PasswordHasher:
    """``given``, else :data:`HASHER` as it is when called (the tests lower its cost)."""
    return given or HASHER


def _dummy_verify(hasher: PasswordHasher, password: str) -> None:
    """Spend the time of one verification, so that an unknown address takes as long
    to refuse as a wrong password."""
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(hasher.hash(secrets.token_urlsafe(16)))
    with contextlib.suppress(VerificationError, InvalidHashError):
        hasher.verify(_DUMMY_HASH[0], password)


def authenticate(
    *,
    db: sa.Engine,
    email: str,
    password: str,
    max_failures: int = 5,
    lockout: dt.timedelta = dt.timedelta(minutes=15),
    now: dt.datetime | None = None,
    hasher: PasswordHasher | None = None,
) -> Account:
    """The account of ``email`` when ``password`` is its own. A hash made with older
    parameters is replaced; ``max_failures`` wrong passwords in a row lock the account
    for ``lockout``. Raises AccountRefused (the same message for an unknown address and
    a wrong password)."""
    hasher = _hasher(hasher)
    now = now or utcnow()
    with transaction(db) as conn:  # a wrong password is counted: written, then refused
        outcome = _check_sign_in(conn, email, password, max_failures, lockout, now, hasher)
    if isinstance(outcome, AccountRefused):
        raise outcome
    return outcome


def _check_sign_in(
    conn: sa.Connection, email: str, password: str, max_failures: int,
    lockout: dt.timedelta, now: dt.datetime, hasher: PasswordHasher,
) -> Account | AccountRefused:  # fmt: skip
    row = conn.execute(
        sa.select(user_account)
        .where(user_account.c.email == email.strip().lower(), user_account.c.deleted_at.is_(None))
        .with_for_update()
    ).first()
    if row is None or not row.password_hash:
        _dummy_verify(hasher, password)
        return AccountRefused("credentials", *WRONG_CREDENTIALS)
    locked = aware(row.locked_until)
    if locked and locked > now:
        return _locked(locked)
    try:
        hasher.verify(row.password_hash, password)
    except (VerificationError, InvalidHashError):
        until = _count_failure(conn, row, max_failures, lockout, now)
        return _locked(until) if until else AccountRefused("credentials", *WRONG_CREDENTIALS)
    if row.disabled_at:
        return AccountRefused(
            "disabled",
            "Ce compte est désactivé ; écrivez à l'équipe du portail.",
            "This account is disabled; write to the portal's team.",
        )
    if not row.email_verified_at:
        return AccountRefused(
            "unverified",
            "Confirmez d'abord votre adresse par le lien reçu par courriel.",
            "First confirm your address with the link you received by e-mail.",
        )
    values: dict[str, Any] = {"failed_logins": 0, "locked_until": None, "last_login_at": now}
    if hasher.check_needs_rehash(row.password_hash):
        values["password_hash"] = hasher.hash(password)
    conn.execute(sa.update(user_account).where(user_account.c.id == row.id).values(**values))
    return account_from_row(_row(conn, row.id))


def _count_failure(
    conn: sa.Connection, row: Any, max_failures: int, lockout: dt.timedelta, now: dt.datetime
) -> dt.datetime | None:
    """Count one wrong password; the end of the lock when this one locks the account."""
    failures = row.failed_logins + 1
    if failures < max_failures:
        conn.execute(
            sa.update(user_account)
            .where(user_account.c.id == row.id)
            .values(failed_logins=failures)
        )
        return None
    until = now + lockout
    _update(conn, row, {"failed_logins": 0, "locked_until": until}, by=SOURCE, now=now)
    return until


def _locked(until: dt.datetime) -> AccountRefused:
    """A locked account is refused with the words of a wrong password (``reason`` and
    ``until`` say more to the caller, never to the person signing in)."""
    return AccountRefused("locked", *WRONG_CREDENTIALS, until)


def session_account(*, db: sa.Engine, user_id: int, issued_at: dt.datetime) -> Account | None:
    """The account of a session opened at ``issued_at``, None when it may no longer
    act (deleted, disabled, or every session closed since: a password change)."""
    with db.connect() as conn:
        row = conn.execute(
            sa.select(user_account).where(
                user_account.c.id == user_id,
                user_account.c.deleted_at.is_(None),
                user_account.c.disabled_at.is_(None),
            )
        ).first()
    if row is None:
        return None
    account = account_from_row(row)
    closed = account.sessions_valid_after
    return None if closed and issued_at < closed else account


# --- links sent by e-mail ---------------------------------------------------------


def issue_link(
    *, db: sa.Engine, user_id: int, purpose: str, valid_for: dt.timedelta,
    now: dt.datetime | None = None,
) -> str:  # fmt: skip
    """A one-time secret for ``purpose`` (``verify`` the address, ``reset`` the
    password) valid for ``valid_for``: put it in a link; only its hash is stored."""
    if purpose not in PURPOSES:
        raise InvalidInput("purpose", purpose, " ou ".join(PURPOSES), " or ".join(PURPOSES))
    now = now or utcnow()
    secret = secrets.token_urlsafe(32)
    with transaction(db) as conn:
        row = _row(conn, user_id)
        conn.execute(
            sa.insert(email_token).values(
                user_id=row.id, purpose=purpose, token_hash=digest(secret), email=row.email,
                created_at=now, expires_at=now + valid_for,
            )
        )  # fmt: skip
    return secret


def _link_refused() -> AccountRefused:
    return AccountRefused(
        "link",
        "Ce lien n'est pas valable : il a expiré ou a déjà servi. Demandez-en un nouveau.",
        "This link is not valid: it has expired or was already used. Ask for a new one.",
    )


def _use_link(conn: sa.Connection, secret: str, purpose: str, now: dt.datetime) -> Any:
    """The account of a link, the link marked used. Raises AccountRefused."""
    link = conn.execute(
        sa.select(email_token)
        .where(email_token.c.token_hash == digest(secret), email_token.c.purpose == purpose)
        .with_for_update()
    ).first()
    expires = aware(link.expires_at) if link else None
    if link is None or link.used_at is not None or expires is None or expires <= now:
        raise _link_refused()
    row = conn.execute(
        sa.select(user_account).where(
            user_account.c.id == link.user_id, user_account.c.deleted_at.is_(None)
        )
    ).first()
    if row is None or row.email != link.email:  # the address changed since: a stale link
        raise _link_refused()
    done = conn.execute(
        sa.update(email_token)
        .where(email_token.c.id == link.id, email_token.c.used_at.is_(None))
        .values(used_at=now)
    )
    if done.rowcount != 1:  # used at the same moment by another request
        raise _link_refused()
    return row


def verify_email(*, db: sa.Engine, secret: str, now: dt.datetime | None = None) -> Account:
    """Confirm the address of the account a verification link was sent for (once).
    Raises AccountRefused for an unknown, used or expired link."""
    now = now or utcnow()
    with transaction(db) as conn:
        row = _use_link(conn, secret, "verify", now)
        if row.email_verified_at:
            return account_from_row(row)
        by = permissions.author(row.id)
        return account_from_row(_update(conn, row, {"email_verified_at": now}, by=by, now=now))


def reset_password(
    *, db: sa.Engine, secret: str, password: str, now: dt.datetime | None = None,
    hasher: PasswordHasher | None = None,
) -> Account:  # fmt: skip
    """Set a new password through a reset link (once). Every session is signed out, any
    lock lifted, the address taken as confirmed, the other reset links cancelled.
    Raises AccountRefused, InvalidInput."""
    hasher = _hasher(hasher)
    now = now or utcnow()
    with transaction(db) as conn:
        row = _use_link(conn, secret, "reset", now)
        checked_password(password, email=row.email)
        values = {
            "password_hash": hasher.hash(password), "sessions_valid_after": now,
            "failed_logins": 0, "locked_until": None,
            "email_verified_at": row.email_verified_at or now,
        }  # fmt: skip
        conn.execute(
            sa.update(email_token)
            .where(email_token.c.user_id == row.id, email_token.c.used_at.is_(None))
            .values(used_at=now)
        )
        return account_from_row(_update(conn, row, values, by=permissions.author(row.id), now=now))


# --- one's own account ------------------------------------------------------------


def _check_password(row: Any, password: str, hasher: PasswordHasher) -> None:
    try:
        hasher.verify(row.password_hash or "", password)
    except (VerificationError, InvalidHashError):
        raise InvalidInput(
            "current_password", "***", "le mot de passe actuel", "the current password"
        ) from None


def update_profile(
    *, db: sa.Engine, user_id: int, name: str | None, email: str,
    password: str | None = None, now: dt.datetime | None = None,
    hasher: PasswordHasher | None = None,
) -> tuple[Account, bool]:  # fmt: skip
    """Change the name and the address; a new address needs the current ``password``
    and a new verification. Returns the account and whether the address changed.
    Raises InvalidInput, Conflict."""
    hasher = _hasher(hasher)
    now = now or utcnow()
    address = checked_email(email)
    with transaction(db) as conn:
        row = _row(conn, user_id, lock=True)
        values: dict[str, Any] = {"name": _name(name)}
        moved = address != row.email
        if moved:
            _check_password(row, password or "", hasher)
            taken = conn.execute(
                sa.select(user_account.c.id).where(user_account.c.email == address)
            ).first()
            if taken is not None:
                raise Conflict("cette adresse est déjà prise", "this address is already taken")
            values.update(email=address, email_verified_at=None)
        after = _update(conn, row, values, by=permissions.author(user_id), now=now)
        return account_from_row(after), moved


def change_password(
    *, db: sa.Engine, user_id: int, current: str, new: str, now: dt.datetime | None = None,
    hasher: PasswordHasher | None = None,
) -> Account:  # fmt: skip
    """Replace the password (the current one asked again); the other sessions are
    signed out. Raises InvalidInput."""
    hasher = _hasher(hasher)
    now = now or utcnow()
    with transaction(db) as conn:
        row = _row(conn, user_id, lock=True)
        _check_password(row, current, hasher)
        values = {
            "password_hash": hasher.hash(checked_password(new, email=row.email)),
            "sessions_valid_after": now,
        }
        return account_from_row(_update(conn, row, values, by=permissions.author(user_id), now=now))


def export_data(*, db: sa.Engine, user_id: int) -> dict[str, Any]:
    """Everything kept about account ``user_id``, as JSON-ready data: the account, its
    tokens (never their secrets), the changes it made, its comments and proposals."""
    with db.connect() as conn:
        account = account_from_row(_row(conn, user_id))
        tokens = conn.execute(
            sa.select(
                api_token.c.id, api_token.c.name, api_token.c.scope, api_token.c.prefix,
                api_token.c.created_at, api_token.c.expires_at, api_token.c.last_used_at,
                api_token.c.revoked_at,
            ).where(api_token.c.user_id == user_id).order_by(api_token.c.id)
        )  # fmt: skip
        changes = conn.execute(
            sa.select(change.c.id, change.c.entity, change.c.entity_id, change.c.action,
                      change.c.at)
            .where(change.c.user == permissions.author(user_id))
            .order_by(change.c.id)
        )  # fmt: skip
        comments = conn.execute(sa.select(comment).where(comment.c.user_id == user_id))
        proposals = conn.execute(sa.select(proposal).where(proposal.c.user_id == user_id))
        reports = conn.execute(sa.select(comment_report).where(comment_report.c.user_id == user_id))
        follows = conn.execute(sa.select(follow).where(follow.c.user_id == user_id))
        data = {
            "account": {**asdict(account), "status": account.status},
            "api_tokens": [dict(r._mapping) for r in tokens],
            "changes": [dict(r._mapping) for r in changes],
            "comments": [dict(r._mapping) for r in comments],
            "proposals": [dict(r._mapping) for r in proposals],
            "comment_reports": [dict(r._mapping) for r in reports],
            "follows": [dict(r._mapping) for r in follows],
        }
    exported: dict[str, Any] = _jsonable(data)
    return exported


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.datetime):
        return (aware(value) or value).isoformat()
    return value


def delete_account(
    *, db: sa.Engine, user_id: int, by: str | None = None, password: str | None = None,
    now: dt.datetime | None = None, hasher: PasswordHasher | None = None,
) -> None:  # fmt: skip
    """Delete account ``user_id``: its address, name and password are erased (the row
    stays, anonymised, for the changes it signed), its tokens and links removed.
    ``password``: asked again when the person deletes their own account.
    Raises NotFound, InvalidInput."""
    hasher = _hasher(hasher)
    now = now or utcnow()
    with transaction(db) as conn:
        row = _row(conn, user_id, lock=True)
        if password is not None:
            _check_password(row, password, hasher)
        conn.execute(sa.delete(api_token).where(api_token.c.user_id == user_id))
        conn.execute(sa.delete(email_token).where(email_token.c.user_id == user_id))
        conn.execute(sa.delete(follow).where(follow.c.user_id == user_id))
        conn.execute(
            sa.delete(notification_setting).where(notification_setting.c.user_id == user_id)
        )
        values = {
            "email": f"deleted-{user_id}@invalid", "name": None, "password_hash": None,
            "deleted_at": now, "email_verified_at": None, "last_login_at": None,
            "sessions_valid_after": now, "locked_until": None,
        }  # fmt: skip
        _update(conn, row, values, by=by or permissions.author(user_id), now=now, action="delete")


# --- administration -------------------------------------------------------------


def set_role(
    *, db: sa.Engine, user_id: int, role: str, by: str = "cli", now: dt.datetime | None = None
) -> Account:
    """Give account ``user_id`` the role ``role``. Raises NotFound, InvalidInput."""
    now = now or utcnow()
    checked = permissions.checked_role(role)
    with transaction(db) as conn:
        row = _row(conn, user_id, lock=True)
        if row.role == checked:
            return account_from_row(row)
        return account_from_row(_update(conn, row, {"role": checked}, by=by, now=now))


def set_disabled(
    *, db: sa.Engine, user_id: int, disabled: bool = True, by: str = "cli",
    now: dt.datetime | None = None,
) -> Account:  # fmt: skip
    """Disable account ``user_id`` (its sessions and tokens stop at once) or enable it
    again. Raises NotFound."""
    now = now or utcnow()
    with transaction(db) as conn:
        row = _row(conn, user_id, lock=True)
        values: dict[str, Any] = {"disabled_at": now if disabled else None}
        if disabled:
            values["sessions_valid_after"] = now
        return account_from_row(_update(conn, row, values, by=by, now=now))


def purge(
    *, db: sa.Engine, unverified_days: int, token_days: int, now: dt.datetime | None = None
) -> dict[str, int]:
    """Apply the retention periods: accounts never verified after ``unverified_days``
    are deleted; used or expired links, and revoked or expired tokens, are erased
    ``token_days`` after. Returns the counts."""
    now = now or utcnow()
    old = now - dt.timedelta(days=token_days)
    stale = [
        a.id
        for a in list_accounts(db=db)
        if a.email_verified_at is None and a.created_at < now - dt.timedelta(days=unverified_days)
    ]
    for user_id in stale:
        delete_account(db=db, user_id=user_id, by="retention", now=now)
    with transaction(db) as conn:
        links = conn.execute(sa.delete(email_token).where(email_token.c.expires_at < old)).rowcount
        tokens = conn.execute(
            sa.delete(api_token).where(
                sa.or_(api_token.c.revoked_at < old, api_token.c.expires_at < old)
            )
        ).rowcount
    return {"accounts": len(stale), "links": links, "tokens": tokens}
