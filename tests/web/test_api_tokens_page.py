"""The page « Jetons d'accès à l'API » (/account/tokens), on SQLite and PostgreSQL: a
signed-in person creates a token (its secret shown once), uses it against the API,
revokes it after a confirmation; nobody else sees or revokes it; CSRF; escaping."""

from __future__ import annotations

import html
import re
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient
from test_accounts import csrf, portal, post, signed_in

from maillage.services import tokens
from maillage.storage import audit

SECRET = re.compile(r'<code id="token-secret" class="token-value">(mlg_[A-Za-z0-9_-]+)</code>')


def _create(client: TestClient, **form: str) -> Any:
    return post(client, "/account/tokens?lang=en", **form)


def _secret(page: str) -> str:
    found = SECRET.search(page)
    assert found is not None, page
    return found.group(1)


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def test_create_use_and_revoke_a_token_from_the_account_page(db: sa.Engine) -> None:
    client = portal(db)
    user_id = signed_in(db, client, "contributor")
    account = client.get("/account?lang=en").text
    assert 'href="/account/tokens"' in account and "API access tokens" in account
    assert "You have no token yet." in client.get("/account/tokens?lang=en").text

    created = _create(client, name="nightly export", scope="contribute", days="30")
    assert created.status_code == 201
    assert created.headers["cache-control"] == "no-store"  # the secret kept in no cache
    page = created.text
    secret = _secret(page)
    assert "Copy it now: it will not be shown again." in page
    assert f'curl -H "Authorization: Bearer {secret}"' in page
    # Listed (name, scope, prefix, never the secret), and not shown again on a reload.
    again = client.get("/account/tokens?lang=en").text
    assert secret not in again and "Copy it now" not in again
    assert "nightly export" in again and secret[:10] in again and "contribute" in again
    assert "<td>never</td>" in again  # not used yet

    # The secret opens the API as this account, within its scope; no session needed.
    script = portal(db)
    me = script.get("/api/account", headers=_bearer(secret)).json()
    assert (me["id"], me["role"], me["scope"]) == (user_id, "contributor", "contribute")
    assert "contribute" in me["permissions"] and "moderate" not in me["permissions"]
    listed = client.get("/account/tokens?lang=en").text
    assert "<td>never</td>" not in listed and " UTC</td>" in listed  # last used, now

    # Revoking goes through a confirmation that says what follows, then a POST.
    (token,) = tokens.list_tokens(db=db, user_id=user_id)
    assert '<details class="confirm"><summary>Revoke' in listed
    assert "Scripts using the token “nightly export” will be refused at once" in listed
    revoked = post(client, "/account/tokens/revoke?lang=en", token_id=str(token.id))
    assert revoked.status_code == 200
    assert "Token “nightly export” revoked" in revoked.text and "revoked on" in revoked.text
    assert '<details class="confirm">' not in revoked.text  # nothing left to revoke
    refused = script.get("/api/account", headers=_bearer(secret))
    assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"

    # Both changes are in the history, signed by the account.
    with db.connect() as conn:
        changes = audit.history(conn, entity="api_token", entity_id=token.id)
    assert [(c["action"], c["user"]) for c in changes] == [
        ("create", f"user:{user_id}"),
        ("update", f"user:{user_id}"),
    ]
    assert all(secret not in str(c) for c in changes)


def test_a_token_of_one_person_is_out_of_reach_of_another(db: sa.Engine) -> None:
    owner, other = portal(db), portal(db)
    owner_id = signed_in(db, owner, "editor")
    signed_in(db, other, "admin", "admin@example.org")  # even an admin: the CLI is theirs
    secret = _secret(_create(owner, name="owner's script", scope="edit", days="90").text)
    (token,) = tokens.list_tokens(db=db, user_id=owner_id)
    theirs = other.get("/account/tokens?lang=en").text
    assert "owner's script" not in html.unescape(theirs) and secret[:10] not in theirs
    answer = post(other, "/account/tokens/revoke", token_id=str(token.id))
    assert answer.status_code == 404
    assert owner.get("/api/account", headers=_bearer(secret)).json()["id"] == owner_id
    (still,) = tokens.list_tokens(db=db, user_id=owner_id)
    assert still.revoked_at is None
    # A visitor is sent to sign in; a token cannot reach the page (an account's business).
    visitor = portal(db)
    assert (
        "/account/signin?next="
        in visitor.get("/account/tokens", follow_redirects=False).headers["location"]
    )
    assert owner.get("/account/tokens", headers=_bearer(secret)).status_code == 403
    assert owner.post("/account/tokens", headers=_bearer(secret),
                      data={"name": "more"}).status_code == 403  # fmt: skip


def test_a_token_never_gets_a_scope_above_its_owner_s_role(db: sa.Engine) -> None:
    client = portal(db)
    user_id = signed_in(db, client, "contributor")
    page = client.get("/account/tokens?lang=en").text
    offered = re.findall(r'name="scope" value="([a-z]+)"', page)
    assert offered == ["read", "contribute"]
    refused = _create(client, name="too much", scope="edit", days="90")
    assert refused.status_code == 403
    assert "Your role does not allow a token of this scope." in refused.text
    assert tokens.list_tokens(db=db, user_id=user_id) == []
    # An editor may give one the edit scope, not the admin one.
    editor = portal(db)
    signed_in(db, editor, "editor")
    offered = re.findall(r'name="scope" value="([a-z]+)"', editor.get("/account/tokens").text)
    assert offered == ["read", "contribute", "moderate", "edit"]


def test_the_label_is_escaped_and_csrf_is_required(db: sa.Engine) -> None:
    client = portal(db)
    user_id = signed_in(db, client, "contributor")
    label = '<script>alert("x")</script>'
    created = _create(client, name=label, scope="read", days="0")
    assert created.status_code == 201
    page = created.text
    for shown in (page, client.get("/account/tokens?lang=en").text):
        assert label not in shown and "&lt;script&gt;" in shown
    assert "until revoked" in page
    # In French too, and in the message after revoking.
    (token,) = tokens.list_tokens(db=db, user_id=user_id)
    assert token.expires_at is None
    done = post(client, "/account/tokens/revoke?lang=fr", token_id=str(token.id)).text
    assert label not in done and "Jeton « &lt;script&gt;" in done
    # No CSRF token, or another session's: refused, nothing created.
    form = {"name": "forged", "scope": "read", "days": "90"}
    assert client.post("/account/tokens", data=form).status_code == 403
    stranger = portal(db)
    assert (
        client.post("/account/tokens", data={**form, "csrf_token": csrf(stranger)}).status_code
        == 403
    )
    second = _create(client, name="kept", scope="read", days="90").text
    (kept,) = [t for t in tokens.list_tokens(db=db, user_id=user_id) if t.revoked_at is None]
    assert client.post("/account/tokens/revoke", data={"token_id": str(kept.id)}).status_code == 403
    assert [t.name for t in tokens.list_tokens(db=db, user_id=user_id)] == [label, "kept"]
    assert client.get("/api/account", headers=_bearer(_secret(second))).status_code == 200


def test_the_answer_sent_again_creates_no_second_token_and_names_say_what_scopes_are(
    db: sa.Engine,
) -> None:
    """What the user trial saw: a reload of the creation's answer (the browser offers to
    send the form again) made a second token of the same name; the scopes were raw codes
    on a French page; the API page did not say how to use a token."""
    client = portal(db)
    user_id = signed_in(db, client, "contributor")
    page = client.get("/account/tokens").text
    key = re.search(r'name="form_key" value="([^"]+)"', page)
    assert key is not None
    assert "<strong>Lecture</strong> (<code>read</code>)" in page
    assert "<strong>Contribution</strong> (<code>contribute</code>)" in page
    first = post(client, "/account/tokens", name="Export nocturne", form_key=key.group(1))
    assert first.status_code == 201 and _secret(first.text)
    assert 'href="/developers"' in first.text
    again = post(client, "/account/tokens", name="Export nocturne", form_key=key.group(1))
    assert again.status_code == 409 and "a déjà créé son jeton" in again.text
    assert SECRET.search(again.text) is None
    assert [t.name for t in tokens.list_tokens(db=db, user_id=user_id)] == ["Export nocturne"]
    fresh = re.search(r'name="form_key" value="([^"]+)"', again.text)
    assert fresh is not None and fresh.group(1) != key.group(1)
    assert post(client, "/account/tokens", name="Autre", form_key=fresh.group(1)).status_code == 201
    developers = client.get("/developers").text
    assert "Authorization: Bearer" in developers and 'href="/account/tokens"' in developers
