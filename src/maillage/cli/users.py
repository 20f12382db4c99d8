"""``maillage user …`` and ``maillage token …``: accounts, roles and API tokens."""

from __future__ import annotations

import sys
from typing import Any

import click

from maillage.cli.common import (
    console,
    counted,
    db_option,
    emit_json,
    engine_for,
    handle_errors,
    json_option,
    print_rows,
)
from maillage.model import permissions
from maillage.services import accounts, tokens
from maillage.settings import Settings
from maillage.web import deployment

ROLES = ", ".join(permissions.roles()[1:])
COLUMNS = ["id", "email", "name", "role", "status", "created_at", "last_login_at"]


def _row(account: accounts.Account) -> dict[str, Any]:
    return {
        "id": account.id, "email": account.email, "name": account.name, "role": account.role,
        "status": account.status,
        "created_at": account.created_at.isoformat(timespec="seconds"),
        "last_login_at": account.last_login_at.isoformat(timespec="seconds")
        if account.last_login_at else None,
    }  # fmt: skip


def _account_id(db: Any, who: str) -> int:
    """An account by id or by e-mail address."""
    if who.isdigit():
        return int(who)
    return accounts.find_account(db=db, email=who).id


@click.group("user")
def user_group() -> None:
    """Comptes du portail et rôles. / Portal accounts and roles.

    Rôles / roles : contributor, moderator, editor, admin (voir / see « maillage user roles »).
    """


@user_group.command("add")
@click.argument("email")
@click.option("--name", help="Nom affiché / display name.")
@click.option("--role", default="contributor", show_default=True, help=f"Rôle / role : {ROLES}.")
@click.option(
    "--password-stdin", is_flag=True,
    help="Lire le mot de passe sur l'entrée standard / read the password from stdin.",
)  # fmt: skip
@click.option(
    "--no-password", is_flag=True,
    help="Sans mot de passe : la personne en choisit un par « mot de passe oublié » / "
    "none: the person sets one through « forgot password ».",
)  # fmt: skip
@db_option
@json_option
@handle_errors
def user_add(
    email: str, name: str | None, role: str, password_stdin: bool, no_password: bool,
    db_url: str, as_json: bool,
) -> None:  # fmt: skip
    """Créer un compte (adresse tenue pour confirmée). / Create an account (address
    taken as confirmed). Without --password-stdin or --no-password, the password is
    asked for (hidden).

    Exemple : maillage user add camille@example.org --name "Camille" --role moderator
    """
    if no_password:
        password = None
    elif password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt(
            "Mot de passe / password", hide_input=True, confirmation_prompt=True
        )
    account = accounts.create_account(
        db=engine_for(db_url), email=email, password=password, name=name, role=role,
        verified=True, by="cli",
    )  # fmt: skip
    if as_json:
        emit_json(_row(account))
        return
    console.print(f"Compte {account.id} créé : {account.email} ({account.role}).", highlight=False)


@user_group.command("list")
@click.option("--role", help=f"Seulement ce rôle / only this role : {ROLES}.")
@db_option
@json_option
@handle_errors
def user_list(role: str | None, db_url: str, as_json: bool) -> None:
    """Lister les comptes. / List the accounts.

    Exemple : maillage user list --role admin
    """
    rows = [_row(a) for a in accounts.list_accounts(db=engine_for(db_url), role=role)]
    if as_json:
        emit_json(rows)
        return
    shown = [{**r, "created_at": r["created_at"][:10],  # the day: the table fits 80 columns
              "last_login_at": (r["last_login_at"] or "")[:10]} for r in rows]  # fmt: skip
    print_rows(shown, COLUMNS, title=counted(len(rows), "compte", "comptes"),
               headers={"created_at": "created", "last_login_at": "last sign-in"})  # fmt: skip


@user_group.command("role")
@click.argument("who")
@click.argument("role")
@db_option
@json_option
@handle_errors
def user_role(who: str, role: str, db_url: str, as_json: bool) -> None:
    """Donner le rôle ROLE au compte WHO (id ou adresse). / Give account WHO (id or
    address) the role ROLE.

    Exemple : maillage user role camille@example.org editor
    """
    db = engine_for(db_url)
    account = accounts.set_role(db=db, user_id=_account_id(db, who), role=role, by="cli")
    if as_json:
        emit_json(_row(account))
        return
    console.print(f"Compte {account.id} ({account.email}) : rôle {account.role}.", highlight=False)


@user_group.command("disable")
@click.argument("who")
@click.option("--enable", is_flag=True, help="Réactiver le compte / enable it again.")
@db_option
@json_option
@handle_errors
def user_disable(who: str, enable: bool, db_url: str, as_json: bool) -> None:
    """Désactiver le compte WHO : ses sessions et jetons s'arrêtent aussitôt. / Disable
    account WHO: its sessions and tokens stop at once.

    Exemple : maillage user disable 12
    """
    db = engine_for(db_url)
    account = accounts.set_disabled(
        db=db, user_id=_account_id(db, who), disabled=not enable, by="cli"
    )
    if as_json:
        emit_json(_row(account))
        return
    console.print(f"Compte {account.id} ({account.email}) : {account.status}.", highlight=False)


@user_group.command("roles")
@json_option
def user_roles(as_json: bool) -> None:
    """Qui peut faire quoi : la table des permissions. / Who may do what: the
    permission table.

    Exemple : maillage user roles
    """
    roles = permissions.roles()
    rows = [
        {"permission": line.code, **{r: "✓" if r in line.roles else "" for r in roles},
         "scope": line.scope or "—", "description": line.description_fr}
        for line in permissions.table().values()
    ]  # fmt: skip
    if as_json:
        emit_json(rows)
        return
    print_rows(rows, ["permission", *roles, "scope", "description"], title="Permissions")


@user_group.command("purge")
@db_option
@json_option
@handle_errors
def user_purge(db_url: str, as_json: bool) -> None:
    """Appliquer les durées de conservation (MAILLAGE_UNVERIFIED_ACCOUNT_DAYS,
    MAILLAGE_TOKEN_RETENTION_DAYS). / Apply the retention periods: delete the accounts
    never confirmed, erase old links and tokens.

    Exemple : maillage user purge
    """
    settings: Settings = deployment.from_environment()
    counts = accounts.purge(
        db=engine_for(db_url), unverified_days=settings.unverified_account_days,
        token_days=settings.token_retention_days,
    )  # fmt: skip
    if as_json:
        emit_json(counts)
        return
    console.print(
        f"{counts['accounts']} compte(s) jamais confirmé(s) supprimé(s), {counts['links']} "
        f"lien(s) et {counts['tokens']} jeton(s) effacé(s).",
        highlight=False,
    )


@click.group("token")
def token_group() -> None:
    """Jetons d'API pour les scripts. / API tokens for scripts.

    Portées / scopes : read, contribute, moderate, edit, admin.
    """


def _token_row(token: tokens.Token) -> dict[str, Any]:
    def when(value: Any) -> str | None:
        return value.isoformat(timespec="seconds") if value else None

    return {
        "id": token.id, "user_id": token.user_id, "name": token.name, "scope": token.scope,
        "prefix": token.prefix, "expires_at": when(token.expires_at),
        "last_used_at": when(token.last_used_at), "revoked_at": when(token.revoked_at),
    }  # fmt: skip


@token_group.command("create")
@click.argument("who")
@click.option("--name", required=True, help="À quoi il sert / what it is for.")
@click.option(
    "--scope", default="read", show_default=True,
    help="Portée / scope : " + ", ".join(permissions.SCOPES) + ".",
)  # fmt: skip
@click.option(
    "--days", type=int, default=90, show_default=True,
    help="Durée de validité en jours (0 : jusqu'à révocation) / days valid (0: until revoked).",
)  # fmt: skip
@db_option
@json_option
@handle_errors
def token_create(who: str, name: str, scope: str, days: int, db_url: str, as_json: bool) -> None:
    """Créer un jeton pour le compte WHO ; le secret n'est montré qu'une fois. / Create
    a token for account WHO; its secret is shown this once.

    Exemple : maillage token create camille@example.org --name "import nightly" --scope contribute
    """
    db = engine_for(db_url)
    token, secret = tokens.create_token(
        db=db, user_id=_account_id(db, who), name=name, scope=scope, days=days or None, by="cli"
    )
    if as_json:
        emit_json({**_token_row(token), "token": secret})
        return
    console.print(f"Jeton {token.id} ({token.scope}) : {secret}", highlight=False)
    console.print("Gardez-le : il ne sera plus montré. / Keep it: it will not be shown again.")


@token_group.command("list")
@click.option("--user", "who", help="Seulement ce compte (id ou adresse) / only this account.")
@db_option
@json_option
@handle_errors
def token_list(who: str | None, db_url: str, as_json: bool) -> None:
    """Lister les jetons (jamais leur secret). / List the tokens (never their secret).

    Exemple : maillage token list --user 12
    """
    db = engine_for(db_url)
    user_id = _account_id(db, who) if who else None
    rows = [_token_row(t) for t in tokens.list_tokens(db=db, user_id=user_id)]
    if as_json:
        emit_json(rows)
        return
    print_rows(rows, list(rows[0]) if rows else ["id"], title=f"{len(rows)} jeton(s)")


@token_group.command("revoke")
@click.argument("token_id", type=int)
@db_option
@json_option
@handle_errors
def token_revoke(token_id: int, db_url: str, as_json: bool) -> None:
    """Révoquer le jeton TOKEN_ID. / Revoke token TOKEN_ID.

    Exemple : maillage token revoke 3
    """
    token = tokens.revoke_token(db=engine_for(db_url), token_id=token_id, by="cli")
    if as_json:
        emit_json(_token_row(token))
        return
    console.print(f"Jeton {token.id} révoqué.", highlight=False)
