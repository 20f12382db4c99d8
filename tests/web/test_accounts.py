"""Accounts on the portal, on SQLite and PostgreSQL: the whole journey with e-mails read
from a real local SMTP server, lockout, CSRF, rate limits, API tokens, the session
cookie, and the role × route matrix over every route of the application."""

from __future__ import annotations

import email
import html
import re
import socket
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from starlette.routing import Mount

from maillage.model import permissions
from maillage.services import accounts, tokens
from maillage.settings import Settings
from maillage.web.app import create_app
from maillage.web.security import Require, require, throttle

SECRET = "k" * 48
PASSWORD = "correct horse battery"
ROLES = permissions.roles()  # visitor, contributor, moderator, editor, admin


class Inbox:
    """An aiosmtpd handler keeping every message it receives."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=policy.default)  # type: ignore[arg-type]
        )
        return "250 Message accepted for delivery"

    def link(self, to: str) -> str:
        """The path and query of the last link sent to ``to``."""
        mine = [m for m in self.messages if m["To"] == to]
        assert mine, f"no e-mail to {to}"
        body = mine[-1].get_content()
        url = re.search(r"https?://\S+", body)
        assert url is not None, body
        parts = urlsplit(url.group(0))
        return f"{parts.path}?{parts.query}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server on loopback, in a thread."""
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def portal(db: sa.Engine, base_url: str = "http://localhost", **settings: Any) -> TestClient:
    url = db.url.render_as_string(hide_password=False)
    values: dict[str, Any] = {
        "database_url": url, "secret_key": SECRET, "mail_rate_limit": "",
        "login_rate_limit": "", "export_rate_limit": "",
    }  # fmt: skip
    values.update(settings)
    return TestClient(create_app(Settings(**values), engine=db), base_url=base_url)


def csrf(client: TestClient) -> str:
    """The CSRF token of the client's session, from a form."""
    page = client.get("/account/forgot")
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


def post(client: TestClient, path: str, **data: str) -> Any:
    return client.post(path, data={**data, "csrf_token": csrf(client)}, follow_redirects=False)


def signed_in(db: sa.Engine, client: TestClient, role: str, email_: str | None = None) -> int:
    address = email_ or f"{role}@example.org"
    user_id = accounts.create_account(
        db=db, email=address, password=PASSWORD, role=role, verified=True, name=role.title()
    ).id
    answer = post(client, "/account/signin", email=address, password=PASSWORD)
    assert answer.status_code == 303, answer.text
    return user_id


def test_sign_up_verify_sign_in_export_delete(db: sa.Engine, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    client = portal(db, smtp_host="127.0.0.1", smtp_port=port, smtp_security="none")
    page = post(
        client, "/account/signup?lang=en", email="Camille@Example.org", password=PASSWORD,
        name="Camille <b>D</b>",
    )  # fmt: skip
    # Post/redirect/get (user trial, issue 20): a reload shows the page again, no conflict.
    assert page.status_code == 303 and page.headers["location"] == "/account/signup?sent=1"
    for _reload in range(2):
        shown = client.get("/account/signup?sent=1&lang=en")
        assert "We sent a link to camille@example.org" in shown.text
    assert len(inbox.messages) == 1
    assert "Create an account" in portal(db).get("/account/signup?sent=1&lang=en").text
    # Not confirmed yet: signing in is refused, with a way to get the link again.
    refused = post(client, "/account/signin", email="camille@example.org", password=PASSWORD)
    assert refused.status_code == 403 and "Send the confirmation link again" in refused.text
    message = inbox.messages[-1]
    assert message["Subject"] == "Confirm your address on maillage"
    link = inbox.link("camille@example.org")
    assert link.startswith("/account/verify?token=")
    # Opening the link spends nothing (a mail scanner may follow it); the button does.
    assert "Confirm my address" in client.get(link).text
    token = link.split("token=")[1]
    confirmed = post(client, "/account/verify", token=token)
    assert (
        confirmed.status_code == 303 and confirmed.headers["location"] == "/account/verify?done=1"
    )
    for _reload in range(2):  # a reload says it again, not "this link is not valid"
        shown = client.get("/account/verify?done=1&lang=en")
        assert "Your address is confirmed." in shown.text and 'href="/account/signin"' in shown.text
    assert post(client, "/account/verify", token=token).status_code == 400  # once only
    signed = post(client, "/account/signin", email="camille@example.org", password=PASSWORD)
    assert signed.status_code == 303 and signed.headers["location"] == "/account"
    home = client.get("/")
    # The header shows who is signed in, escaped.
    assert 'class="account-name">Camille &lt;b&gt;D&lt;/b&gt;</a>' in home.text
    exported = client.get("/account/export")
    assert exported.status_code == 200
    assert "attachment" in exported.headers["content-disposition"]
    data = exported.json()
    assert data["account"]["email"] == "camille@example.org"
    assert data["account"]["email_verified_at"] is not None
    assert "password_hash" not in str(data)
    assert post(client, "/account/delete", password="not the password").status_code == 422
    deleted = post(client, "/account/delete", password=PASSWORD)
    assert deleted.status_code == 200 and "Account deleted" in deleted.text
    assert client.get("/account", follow_redirects=False).status_code == 303
    again = post(client, "/account/signin", email="camille@example.org", password=PASSWORD)
    assert again.status_code == 403


def test_forgotten_password_by_e_mail(db: sa.Engine, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    client = portal(db, smtp_host="127.0.0.1", smtp_port=port, smtp_security="none")
    other = portal(db)
    signed_in(db, other, "contributor", "dom@example.org")
    unknown = post(client, "/account/forgot", email="nobody@example.org")
    known = post(client, "/account/forgot", email="dom@example.org")
    # The same answer whether or not the address has an account; one e-mail only.
    assert unknown.text.replace("nobody", "") == known.text.replace("dom", "")
    assert [m["To"] for m in inbox.messages] == ["dom@example.org"]
    link = inbox.link("dom@example.org")
    assert inbox.messages[0]["Subject"] == "Choisir un nouveau mot de passe sur maillage"
    token = link.split("token=")[1]
    assert (
        post(client, "/account/reset", token=token, password="new password 2026").status_code == 200
    )
    assert (
        post(client, "/account/reset", token=token, password="other password 1").status_code == 403
    )
    # The session opened before the reset is signed out.
    assert other.get("/account", follow_redirects=False).status_code == 303
    ok = post(client, "/account/signin", email="dom@example.org", password="new password 2026")
    assert ok.status_code == 303


def _error_text(page: str) -> str:
    """The words of a form's error (``<p class="form-error">``)."""
    found = re.search(r'<p class="form-error" role="alert">(.*?)</p>', page, re.S)
    return html.unescape(found[1]) if found else ""


def test_lockout_after_repeated_failures(db: sa.Engine) -> None:
    client = portal(db, login_max_failures=3, login_lockout_minutes=15)
    accounts.create_account(db=db, email="dom@example.org", password=PASSWORD, verified=True)
    for _ in range(2):
        wrong = post(client, "/account/signin", email="dom@example.org", password="wrong one!")
        assert "Adresse ou mot de passe incorrect" in wrong.text
    locked = post(client, "/account/signin", email="dom@example.org", password="wrong one!")
    right = post(client, "/account/signin", email="dom@example.org", password=PASSWORD)
    assert right.status_code == locked.status_code == 403  # even the right password
    assert accounts.find_account(db=db, email="dom@example.org").locked_until is not None
    # Locked or unknown, the same words: nobody learns whether an account exists.
    unknown = post(client, "/account/signin", email="nobody@example.org", password="wrong one!")
    said = {_error_text(page.text) for page in (locked, right, unknown)}
    assert len(said) == 1 and "trop d'essais erronés" in said.pop()


def test_csrf_token_is_required_on_every_form(db: sa.Engine) -> None:
    client = portal(db)
    accounts.create_account(db=db, email="dom@example.org", password=PASSWORD, verified=True)
    form = {"email": "dom@example.org", "password": PASSWORD}
    assert client.post("/account/signin", data=form).status_code == 403
    forged = client.post("/account/signin", data={**form, "csrf_token": "forged"})
    assert forged.status_code == 403 and "Formulaire expiré" in forged.text
    assert post(client, "/account/signin", **form).status_code == 303
    # htmx sends the token as a header.
    token = csrf(client)
    assert client.post("/account/signout", headers={"X-CSRF-Token": token},
                       follow_redirects=False).status_code == 303  # fmt: skip
    # Another session's token is not this one's.
    stranger = portal(db)
    theirs = csrf(stranger)
    assert client.post("/account/signin", data={**form, "csrf_token": theirs}).status_code == 403


def test_session_cookie_flags(db: sa.Engine) -> None:
    client = portal(db)
    signed_in(db, client, "contributor")
    cookie = client.cookies.jar
    assert [c.name for c in cookie] == ["maillage_session"]
    answer = post(portal(db), "/account/signin", email="contributor@example.org",
                  password=PASSWORD)  # fmt: skip
    flags = answer.headers["set-cookie"].lower()
    assert "httponly" in flags and "samesite=lax" in flags and "secure" not in flags
    assert PASSWORD not in answer.headers["set-cookie"]
    public = portal(db, "https://localhost", public_url="https://carte.example.org")
    answer = post(public, "/account/signin", email="contributor@example.org", password=PASSWORD)
    assert "; secure" in answer.headers["set-cookie"].lower()


def test_sign_in_is_rate_limited(db: sa.Engine) -> None:
    client = portal(db, login_rate_limit="3/minute")
    for _ in range(3):
        post(client, "/account/signin", email="x@example.org", password="whatever 123")
    refused = post(client, "/account/signin", email="x@example.org", password="whatever 123")
    assert refused.status_code == 429 and "Trop de tentatives de connexion" in refused.text
    assert int(refused.headers["retry-after"]) >= 1


def _contribution_route(client: TestClient) -> None:
    """A write route as the contribution routes will be declared."""

    def propose() -> dict[str, bool]:
        return {"ok": True}

    client.app.add_api_route(  # type: ignore[attr-defined]
        "/api/test-proposals", propose, methods=["POST"],
        dependencies=[require("contribute"), throttle("contribution")],
    )  # fmt: skip


def test_api_tokens_scopes_and_contribution_rate_limit(db: sa.Engine) -> None:
    client = portal(db, contribution_rate_limit="2/hour")
    _contribution_route(client)
    user_id = accounts.create_account(
        db=db, email="bot@example.org", password=PASSWORD, role="editor", verified=True
    ).id
    _, read = tokens.create_token(db=db, user_id=user_id, name="r", scope="read")
    _, write = tokens.create_token(db=db, user_id=user_id, name="w", scope="contribute")
    me = client.get("/api/account", headers={"Authorization": f"Bearer {read}"}).json()
    assert (me["id"], me["role"], me["scope"]) == (user_id, "editor", "read")
    assert me["permissions"] == ["read", "report"]
    as_read = {"Authorization": f"Bearer {read}"}
    as_write = {"Authorization": f"Bearer {write}"}
    assert client.post("/api/test-proposals", headers=as_read).status_code == 403
    # A bearer token needs no CSRF token; two contributions an hour, then 429.
    assert client.post("/api/test-proposals", headers=as_write).json() == {"ok": True}
    assert client.post("/api/test-proposals", headers=as_write).status_code == 200
    assert client.post("/api/test-proposals", headers=as_write).status_code == 429
    # A token never manages an account.
    assert client.get("/account/export", headers=as_write).status_code == 403
    bad = client.get("/api/home", headers={"Authorization": "Bearer mlg_nope"})
    assert bad.status_code == 401 and bad.headers["www-authenticate"] == "Bearer"
    # A visitor writing without a session gets 401, not a redirect.
    visitor = portal(db)
    _contribution_route(visitor)
    assert visitor.post("/api/test-proposals", headers={"X-CSRF-Token": csrf(visitor)}
                        ).status_code == 401  # fmt: skip


# --- the role × route matrix ------------------------------------------------------------

PATH_VALUES = {
    "actor_id": "1", "link_id": "1", "code": "DEP:59", "level": "departement", "proposal_id": "1",
    "entity": "actor", "ref": "1", "comment_id": "1", "user_id": "1",  # the debate
    "survey_id": "1", "respondent_id": "1",  # relationship surveys
    "resource_id": "1", "coding_id": "1",  # qualitative coding
    "solution_id": "1", "subject_type": "link", "subject_id": "1",  # solutions, evaluations
}  # fmt: skip
FRAMEWORK = {"openapi", "static"}  # FastAPI's schema and the static files: public reads


def _requires(dependant: Any) -> list[str]:
    found = []
    for sub in dependant.dependencies:
        if isinstance(sub.call, Require):
            found.append(sub.call.permission)
        found += _requires(sub)
    return found


def every_route(app: Any) -> list[tuple[str, str, str, str]]:
    """(method, path, name, permission) of every route, HTML pages included."""
    out = []
    for route in app.routes:
        contexts = getattr(route, "effective_route_contexts", None)
        for r in contexts() if contexts else [route]:
            if r.name in FRAMEWORK:
                assert isinstance(r, Mount) or r.name == "openapi"
                out.append(("GET", r.path if r.name == "openapi" else "/static/css/site.css",
                            r.name, "read"))  # fmt: skip
                continue
            required = _requires(r.dependant)
            assert len(required) == 1, f"{r.path} must declare one permission: {required}"
            path = r.path_format.format(**{k: PATH_VALUES[k] for k in r.param_convertors})
            for method in sorted(r.methods - {"HEAD"}) or ["HEAD"]:
                out.append((method, path, r.name, required[0]))
    # Signing out last: it ends the session the other routes are asked with.
    return sorted(out, key=lambda row: row[2] == "signout")


def test_every_route_answers_each_role_as_the_permission_table_says(db: sa.Engine) -> None:
    clients = {role: portal(db) for role in ROLES}
    for role, client in clients.items():
        if role != permissions.VISITOR:
            signed_in(db, client, role)
    routes = every_route(clients["visitor"].app)
    assert {name for _, _, name, _ in routes} >= {
        "home", "actor", "account", "signup_post", "comment_add", "comment_report",
        "comment_hide", "comment_reports", "account_block", "api_comment_add", "unsubscribe",
        "surveys", "survey_open", "survey", "survey_csv", "survey_respond", "survey_declare",
        "api_survey_open", "api_survey_declare", "proposal_undo",
        "coding_resource", "coding_add", "coding_delete", "coding_memo", "codebook", "code_add",
        "codebook_import", "coding_import", "codebook_qdc", "coding_qdpx", "hypotheses",
        "hypotheses_csv", "api_hypotheses", "api_codebook", "api_coding_agreement",
        "api_coding_add",
        "solutions", "solution_evaluate_post",
        "solution_report_pdf", "partnership_evaluate_post", "api_evaluation_submit",
        "solution_ecoindex_post",
        "first_km", "first_km_needs",
    }  # fmt: skip
    tokens_ = {role: csrf(client) for role, client in clients.items()}
    wrong = []
    for method, path, _name, permission in routes:
        for role, client in clients.items():
            if method == "GET":
                answer = client.get(path, follow_redirects=False)
            else:  # an empty form: an allowed route answers 422 (or does its work)
                answer = client.request(method, path, data={"csrf_token": tokens_[role]},
                                        follow_redirects=False)  # fmt: skip
            to_sign_in = (
                answer.status_code == 303
                and "/account/signin?next=" in answer.headers.get("location", "")
            )
            refused = answer.status_code in (401, 403) or to_sign_in
            if permissions.allowed(role, permission):
                ok = not refused and answer.status_code < 500
            elif role == permissions.VISITOR:
                ok = (
                    to_sign_in
                    if method == "GET" and not path.startswith("/api/")
                    else (answer.status_code == 401)
                )
            else:
                ok = answer.status_code == 403
            if not ok:
                wrong.append((role, method, path, permission, answer.status_code))
    assert wrong == []
