"""Accounts and tokens (services.accounts, services.tokens) on SQLite and PostgreSQL:
passwords, lockout, one-time links, deletion, tokens, the author of each change."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from maillage.model.errors import Conflict, InvalidInput
from maillage.services import accounts, actors, history, tokens
from maillage.storage.tables import change
from maillage.storage.tables import user as user_account

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
PASSWORD = "correct horse battery"
# Cheap parameters where the test is not about them (argon2id all the same).
FAST = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)


def make_account(db: sa.Engine, email: str = "camille@example.org", **kw: object) -> int:
    values: dict[str, object] = {"password": PASSWORD, "verified": True, "hasher": FAST}
    values.update(kw)
    return accounts.create_account(db=db, email=email, **values).id  # type: ignore[arg-type]


def sign_in(db: sa.Engine, password: str = PASSWORD, **kw: object) -> accounts.Account:
    return accounts.authenticate(
        db=db,
        email="Camille@Example.org ",
        password=password,
        hasher=FAST,
        **kw,  # type: ignore[arg-type]
    )


def test_password_is_hashed_with_argon2id_and_rehashed_when_the_parameters_change(
    db: sa.Engine,
) -> None:
    user_id = make_account(db)
    with db.connect() as conn:
        stored = conn.execute(
            sa.select(user_account.c.password_hash).where(user_account.c.id == user_id)
        ).scalar_one()
    assert stored.startswith("$argon2id$") and "m=8192" in stored and PASSWORD not in stored
    stronger = PasswordHasher(time_cost=2, memory_cost=16384, parallelism=1)
    accounts.authenticate(db=db, email="camille@example.org", password=PASSWORD, hasher=stronger)
    with db.connect() as conn:
        rehashed = conn.execute(
            sa.select(user_account.c.password_hash).where(user_account.c.id == user_id)
        ).scalar_one()
    assert "m=16384,t=2" in rehashed
    # The new hash still opens the account.
    assert (
        accounts.authenticate(
            db=db, email="camille@example.org", password=PASSWORD, hasher=stronger
        ).id
        == user_id
    )


def test_sign_up_rules(db: sa.Engine) -> None:
    make_account(db)
    with pytest.raises(Conflict):
        make_account(db, email="CAMILLE@example.org")
    with pytest.raises(InvalidInput, match="password"):
        make_account(db, email="dom@example.org", password="short")
    with pytest.raises(InvalidInput, match="email"):
        make_account(db, email="not an address")
    with pytest.raises(InvalidInput, match="role"):
        make_account(db, email="dom@example.org", role="boss")
    unverified = make_account(db, email="dom@example.org", verified=False)
    with pytest.raises(accounts.AccountRefused) as refused:
        accounts.authenticate(db=db, email="dom@example.org", password=PASSWORD, hasher=FAST)
    assert refused.value.reason == "unverified"
    assert accounts.get_account(db=db, user_id=unverified).status == "unverified"


def test_lockout_after_repeated_failures_then_released_by_time(db: sa.Engine) -> None:
    user_id = make_account(db)
    rules = {"max_failures": 3, "lockout": dt.timedelta(minutes=15)}
    for _ in range(2):
        with pytest.raises(accounts.AccountRefused) as wrong:
            sign_in(db, "wrong password!", now=T0, **rules)
        assert wrong.value.reason == "credentials"
    with pytest.raises(accounts.AccountRefused) as locked:
        sign_in(db, "wrong password!", now=T0, **rules)
    assert locked.value.reason == "locked"
    assert locked.value.until == T0 + dt.timedelta(minutes=15)
    # Locked: even the right password is refused, until the lock ends.
    with pytest.raises(accounts.AccountRefused) as still:
        sign_in(db, now=T0 + dt.timedelta(minutes=14), **rules)
    assert still.value.reason == "locked"
    # ... in the words of a wrong password: nobody learns that the account exists.
    with pytest.raises(accounts.AccountRefused) as unknown:
        accounts.authenticate(db=db, email="nobody@example.org", password="wrong password!")
    assert str(still.value) == str(locked.value) == str(unknown.value)
    account = sign_in(db, now=T0 + dt.timedelta(minutes=16), **rules)
    assert account.id == user_id and account.last_login_at == T0 + dt.timedelta(minutes=16)
    # The lock is in the account's history; the failures before it are not.
    with db.connect() as conn:
        actions = conn.execute(
            sa.select(change.c.action, change.c.after)
            .where(change.c.entity == "user_account", change.c.entity_id == user_id)
            .order_by(change.c.id)
        ).all()
    assert [a for a, _ in actions] == ["create", "update"]
    assert actions[1][1]["locked_until"].startswith("2026-03-02T09:15")


def test_unknown_address_and_wrong_password_are_refused_alike(db: sa.Engine) -> None:
    make_account(db)
    messages = []
    for email, password in (("nobody@example.org", PASSWORD), ("camille@example.org", "nope")):
        with pytest.raises(accounts.AccountRefused) as refused:
            accounts.authenticate(db=db, email=email, password=password, hasher=FAST)
        messages.append(str(refused.value))
    assert messages[0] == messages[1] == accounts.WRONG_CREDENTIALS[0]


def test_reset_link_is_single_use_and_expires(db: sa.Engine) -> None:
    user_id = make_account(db)
    hour = dt.timedelta(hours=1)
    old = accounts.issue_link(db=db, user_id=user_id, purpose="reset", valid_for=hour, now=T0)
    with pytest.raises(accounts.AccountRefused, match="expiré"):
        accounts.reset_password(
            db=db, secret=old, password="brand new secret", now=T0 + hour, hasher=FAST
        )
    link = accounts.issue_link(db=db, user_id=user_id, purpose="reset", valid_for=hour, now=T0)
    later = T0 + dt.timedelta(minutes=5)
    account = accounts.reset_password(
        db=db, secret=link, password="brand new secret", now=later, hasher=FAST
    )
    assert account.sessions_valid_after == later  # every session signed out
    with pytest.raises(accounts.AccountRefused, match="déjà servi"):
        accounts.reset_password(db=db, secret=link, password="yet another one", now=later)
    with pytest.raises(accounts.AccountRefused):
        sign_in(db)
    assert sign_in(db, "brand new secret").id == user_id
    # A session opened before the reset may no longer act; one opened after may.
    assert accounts.session_account(db=db, user_id=user_id, issued_at=T0) is None
    assert accounts.session_account(db=db, user_id=user_id, issued_at=later + hour) is not None
    # The link is stored hashed: its secret is nowhere in the database.
    with db.connect() as conn:
        stored = conn.execute(sa.text("SELECT token_hash FROM email_token")).scalars().all()
    assert link not in stored and accounts.digest(link) in stored


def test_verification_link_confirms_once_and_not_after_the_address_changed(
    db: sa.Engine,
) -> None:
    user_id = make_account(db, verified=False)
    day = dt.timedelta(days=2)
    link = accounts.issue_link(db=db, user_id=user_id, purpose="verify", valid_for=day, now=T0)
    assert accounts.verify_email(db=db, secret=link, now=T0).email_verified_at == T0
    with pytest.raises(accounts.AccountRefused):
        accounts.verify_email(db=db, secret=link, now=T0)
    link = accounts.issue_link(db=db, user_id=user_id, purpose="verify", valid_for=day, now=T0)
    account, moved = accounts.update_profile(
        db=db, user_id=user_id, name="Camille D.", email="camille@other.example",
        password=PASSWORD, hasher=FAST,
    )  # fmt: skip
    assert moved and account.email_verified_at is None
    with pytest.raises(accounts.AccountRefused):  # sent to the old address
        accounts.verify_email(db=db, secret=link, now=T0)
    with pytest.raises(InvalidInput, match="current_password"):
        accounts.update_profile(
            db=db, user_id=user_id, name=None, email="x@example.org", password="bad",
            hasher=FAST,
        )  # fmt: skip


def test_export_then_delete_leaves_no_personal_data(db: sa.Engine) -> None:
    user_id = make_account(db, name="Camille Dupont")
    other = make_account(db, email="dom@example.org", role="admin")
    accounts.set_role(db=db, user_id=user_id, role="moderator", by=f"user:{other}")
    _, secret = tokens.create_token(db=db, user_id=user_id, name="script", scope="read")
    created = actors.create_actor(db=db, values={"name": "Tiers-lieu"}, user=f"user:{user_id}")
    data = accounts.export_data(db=db, user_id=user_id)
    assert data["account"]["email"] == "camille@example.org"
    assert data["account"]["role"] == "moderator"
    assert [t["name"] for t in data["api_tokens"]] == ["script"]
    assert "token_hash" not in data["api_tokens"][0]
    assert {(c["entity"], c["action"]) for c in data["changes"]} >= {
        ("actor", "create"), ("user_account", "create"),
    }  # fmt: skip
    # The history names the author by its account's name...
    trail = history.entity_history(db=db, entity="actor", entity_id=created["id"])
    assert trail[0]["user"] == f"user:{user_id}" and trail[0]["author"] == "Camille Dupont"
    accounts.delete_account(db=db, user_id=user_id, password=PASSWORD, hasher=FAST)
    # ... and, once the account is deleted, says so.
    trail = history.entity_history(db=db, entity="actor", entity_id=created["id"])
    assert trail[0]["author"] == "compte supprimé"
    with pytest.raises(accounts.AccountRefused):
        sign_in(db)
    with pytest.raises(accounts.AccountRefused):
        tokens.authenticate_token(db=db, secret=secret)
    with db.connect() as conn:
        text = " ".join(
            str(row) for table in ("user_account", "change", "api_token")
            for row in conn.execute(sa.text(f"SELECT * FROM {table}"))
        )  # fmt: skip
    assert "camille@example.org" not in text and "Camille Dupont" not in text
    # The address is free again.
    assert make_account(db) != user_id


def test_tokens_scoped_revocable_and_expiring(db: sa.Engine) -> None:
    user_id = make_account(db, role="editor")
    token, secret = tokens.create_token(
        db=db, user_id=user_id, name="nightly", scope="contribute", days=30, now=T0
    )
    assert secret.startswith("mlg_") and token.prefix == secret[:10]
    account, found = tokens.authenticate_token(db=db, secret=secret, now=T0)
    assert (account.id, found.scope) == (user_id, "contribute")
    assert tokens.list_tokens(db=db, user_id=user_id)[0].last_used_at == T0
    with pytest.raises(accounts.AccountRefused):
        tokens.authenticate_token(db=db, secret=secret, now=T0 + dt.timedelta(days=31))
    with pytest.raises(accounts.AccountRefused):
        tokens.authenticate_token(db=db, secret=secret[:-1] + "x", now=T0)
    tokens.revoke_token(db=db, token_id=token.id, by="cli")
    with pytest.raises(accounts.AccountRefused):
        tokens.authenticate_token(db=db, secret=secret, now=T0)
    _, other = tokens.create_token(db=db, user_id=user_id, name="other", scope="read")
    accounts.set_disabled(db=db, user_id=user_id)
    with pytest.raises(accounts.AccountRefused):
        tokens.authenticate_token(db=db, secret=other)
    with pytest.raises(InvalidInput):
        tokens.create_token(db=db, user_id=user_id, name="x", scope="everything")


def test_retention_purges_unconfirmed_accounts_and_old_links(db: sa.Engine) -> None:
    stale = make_account(db, email="old@example.org", verified=False, now=T0)
    kept = make_account(db, email="new@example.org", verified=False, now=T0 + dt.timedelta(days=20))
    accounts.issue_link(
        db=db, user_id=kept, purpose="verify", valid_for=dt.timedelta(hours=1), now=T0
    )
    counts = accounts.purge(db=db, unverified_days=30, token_days=5, now=T0 + dt.timedelta(days=31))
    assert counts == {"accounts": 1, "links": 1, "tokens": 0}
    assert [a.id for a in accounts.list_accounts(db=db)] == [kept]
    assert stale != kept
