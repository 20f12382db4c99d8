"""``maillage user …`` and ``maillage token …`` as an administrator runs them."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from maillage.cli.main import cli
from maillage.services import accounts, actors, history, tokens

PASSWORD = "correct horse battery"


def run(db_url: str, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, [*args, "--db", db_url], input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_add_list_role_disable(db: sa.Engine, db_url: str) -> None:
    code, out, _ = run(
        db_url, "user", "add", "Camille@Example.org", "--name", "Camille", "--role",
        "moderator", "--password-stdin", "--json", stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert code == 0
    added = json.loads(out)
    assert (added["email"], added["role"], added["status"]) == (
        "camille@example.org", "moderator", "active",
    )  # fmt: skip
    # The password given on stdin opens the account.
    assert accounts.authenticate(db=db, email="camille@example.org", password=PASSWORD).id
    code, _, err = run(db_url, "user", "add", "camille@example.org", "--no-password")
    assert code == 1 and "un compte existe déjà" in err
    code, out, _ = run(db_url, "user", "role", "camille@example.org", "editor", "--json")
    assert code == 0 and json.loads(out)["role"] == "editor"
    code, _, err = run(db_url, "user", "role", str(added["id"]), "boss")
    assert code == 1 and "un rôle parmi contributor, moderator, editor, admin" in err
    code, out, _ = run(db_url, "user", "list", "--role", "editor", "--json")
    assert [row["email"] for row in json.loads(out)] == ["camille@example.org"]
    code, out, _ = run(db_url, "user", "disable", "camille@example.org", "--json")
    assert code == 0 and json.loads(out)["status"] == "disabled"
    with pytest.raises(accounts.AccountRefused, match="désactivé"):
        accounts.authenticate(db=db, email="camille@example.org", password=PASSWORD)
    code, out, _ = run(db_url, "user", "disable", "camille@example.org", "--enable", "--json")
    assert json.loads(out)["status"] == "active"
    # Each change to the account is audited, signed by the command that made it.
    with db.connect() as conn:
        authors = (
            conn.execute(
                sa.text("SELECT DISTINCT \"user\" FROM change WHERE entity = 'user_account'")
            )
            .scalars()
            .all()
        )
    assert authors == ["cli"]


def test_tokens_created_listed_and_revoked(db: sa.Engine, db_url: str) -> None:
    user_id = accounts.create_account(db=db, email="bot@example.org", password=None).id
    code, out, _ = run(
        db_url, "token", "create", "bot@example.org", "--name", "nightly import",
        "--scope", "contribute", "--days", "30", "--json",
    )  # fmt: skip
    assert code == 0
    created = json.loads(out)
    secret = created["token"]
    account, token = tokens.authenticate_token(db=db, secret=secret)
    assert (account.id, token.scope) == (user_id, "contribute")
    code, out, _ = run(db_url, "token", "list", "--json")
    listed = json.loads(out)
    assert [t["name"] for t in listed] == ["nightly import"]
    assert secret not in out  # the secret is shown once, at creation
    code, out, _ = run(db_url, "token", "revoke", str(created["id"]))
    assert code == 0 and "révoqué" in out
    with pytest.raises(accounts.AccountRefused):
        tokens.authenticate_token(db=db, secret=secret)
    code, _, err = run(db_url, "token", "create", "1", "--name", "x", "--scope", "root")
    assert code == 1 and "scope" in err


def test_history_shows_the_account_name(db: sa.Engine, db_url: str) -> None:
    user_id = accounts.create_account(
        db=db, email="dom@example.org", password=None, name="Dominique"
    ).id
    actor = actors.create_actor(db=db, values={"name": "Café associatif"}, user=f"user:{user_id}")
    code, out, _ = run(db_url, "history", "actor", str(actor["id"]), "--json")
    assert code == 0
    (row,) = json.loads(out)
    assert (row["user"], row["author"]) == (f"user:{user_id}", "Dominique")
    assert history.entity_history(db=db, entity="actor", entity_id=actor["id"])[0]["author"] == (
        "Dominique"
    )


def test_roles_table() -> None:
    result = CliRunner().invoke(cli, ["user", "roles", "--json"])
    rows = {row["permission"]: row for row in json.loads(result.stdout)}
    assert rows["moderate"]["moderator"] == "✓" and rows["moderate"]["contributor"] == ""
    assert rows["read"]["visitor"] == "✓" and rows["account"]["visitor"] == ""


def test_the_list_shows_every_address_whole_on_80_columns(db: sa.Engine, db_url: str) -> None:
    """An administrator reads the addresses off the table: a long one is folded onto the
    next lines of its cell, never cut with « … » (user trial, issue 20)."""
    address = "camille.dupont-lefebvre@centres-sociaux-du-nord.example.org"
    accounts.create_account(db=db, email=address, password=None, role="moderator",
                            name="Camille Dupont-Lefebvre", verified=True)  # fmt: skip
    code, out, _ = run(db_url, "user", "list")
    assert code == 0 and "…" not in out and "1 compte" in out
    cells = [line.split("│")[2].strip() for line in out.splitlines() if line.startswith("│")]
    assert "".join(cells) == address
    assert max(len(line) for line in out.splitlines()) <= 80
