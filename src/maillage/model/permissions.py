"""Who may do what: the one permission table, read by the portal and the command line.

Roles come from the ``user_roles`` taxonomy, ordered by their ``rank`` (contributor <
moderator < editor < admin); a visitor has no account and no role. Each permission
names the roles that hold it (:data:`TABLE`). An API token carries a scope
(:data:`SCOPES`): it may do what both its scope and its account's role allow, and never
manages an account (password, e-mail, deletion need a signed-in person).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from maillage.model import taxonomy
from maillage.model.errors import InvalidInput

VISITOR = "visitor"


@cache
def roles() -> tuple[str, ...]:
    """Every role, least trusted first: ``visitor`` then the taxonomy's by rank."""
    ranked = sorted(taxonomy.load("user_roles"), key=lambda t: int(t.data.get("rank", 0)))
    return (VISITOR, *(t.code for t in ranked))


def rank(role: str | None) -> int:
    """The position of ``role`` in :func:`roles` (a visitor, or no role: 0)."""
    found = roles()
    return found.index(role) if role in found else 0


def from_role(role: str) -> frozenset[str]:
    """``role`` and every role above it."""
    return frozenset(roles()[rank(role) :])


@dataclass(frozen=True, slots=True)
class Permission:
    """One line of the table: the roles that hold it, the smallest token scope that
    carries it (None: no token does), what it lets one do."""

    code: str
    roles: frozenset[str]
    scope: str | None
    description_fr: str
    description_en: str


# Token scopes, each carrying the permissions of those before it.
SCOPES: tuple[str, ...] = ("read", "contribute", "moderate", "edit", "admin")


@cache
def table() -> dict[str, Permission]:
    """The permission table: code -> :class:`Permission`."""
    rows = [
        Permission("read", from_role(VISITOR), "read",
                   "Consulter les pages, la carte, le réseau et l'API publique",
                   "Read the pages, the map, the network and the public API"),
        Permission("report", from_role(VISITOR), "read",
                   "Signaler une erreur (sans compte)", "Report an error (no account needed)"),
        Permission("account", from_role("contributor"), None,
                   "Gérer son compte : nom, courriel, mot de passe, export, suppression",
                   "Manage one's account: name, e-mail, password, export, deletion"),
        Permission("contribute", from_role("contributor"), "contribute",
                   "Proposer des acteurs, des liens, des corrections ; commenter",
                   "Propose actors, links, corrections; comment"),
        Permission("moderate", from_role("moderator"), "moderate",
                   "Modérer les propositions et les commentaires ; bloquer des comptes",
                   "Moderate proposals and comments; block accounts"),
        Permission("edit", from_role("editor"), "edit",
                   "Modifier les données directement ; annuler une modification",
                   "Edit the data directly; undo a change"),
        Permission("survey", from_role("editor"), "edit",
                   "Ouvrir des enquêtes sur les relations et en suivre les réponses",
                   "Open relationship surveys and follow their answers"),
        # Coding writes research evidence shown at once on the public hypotheses page,
        # unmoderated: the trust of a direct edit (editors: the researchers).
        Permission("code", from_role("editor"), "edit",
                   "Coder les ressources (codes, passages, mémos) ; exporter le projet",
                   "Code the resources (codes, passages, memos); export the project"),
        Permission("evaluate", from_role("editor"), "edit",
                   "Évaluer les solutions (grille RSO) et les partenariats, preuves à l'appui",
                   "Evaluate solutions (CSR grid) and partnerships, with evidence"),
        Permission("admin", from_role("admin"), "admin",
                   "Gérer les comptes, les rôles et les jetons ; importer",
                   "Manage accounts, roles and tokens; import"),
    ]  # fmt: skip
    return {row.code: row for row in rows}


def permission(code: str) -> Permission:
    """The line of ``code``. Raises KeyError for a permission the table does not have."""
    return table()[code]


def allowed(role: str | None, code: str, *, scope: str | None = None, token: bool = False) -> bool:
    """Whether ``role`` (None: a visitor) may do ``code``; through an API token
    (``token``), only within its ``scope``."""
    line = permission(code)
    if (role or VISITOR) not in line.roles:
        return False
    if not token:
        return True
    if line.scope is None or scope not in SCOPES:
        return False
    return SCOPES.index(scope) >= SCOPES.index(line.scope)


def checked_role(value: str) -> str:
    """``value`` when it is a role an account may hold. Raises InvalidInput."""
    if value not in roles()[1:]:
        choices = ", ".join(roles()[1:])
        raise InvalidInput("role", value, f"un rôle parmi {choices}", f"one role of {choices}")
    return value


def checked_scope(value: str) -> str:
    """``value`` when it is a token scope. Raises InvalidInput."""
    if value not in SCOPES:
        choices = ", ".join(SCOPES)
        raise InvalidInput("scope", value, f"une portée parmi {choices}", f"one of {choices}")
    return value


# What a blocked account may still do: read, report an error, manage (and delete) itself.
BLOCKED_KEEPS = frozenset({"read", "report", "account"})


@dataclass(frozen=True, slots=True)
class Identity:
    """Who is asking: a visitor (no ``account_id``), a signed-in person, or a script
    through an API token (``scope`` set)."""

    account_id: int | None = None
    name: str | None = None
    email: str | None = None
    role: str = VISITOR
    scope: str | None = None
    token_id: int | None = None
    blocked: bool = False  # blocked by a moderator: keeps only :data:`BLOCKED_KEEPS`

    @property
    def signed_in(self) -> bool:
        return self.account_id is not None

    def can(self, code: str) -> bool:
        """Whether this identity holds permission ``code``."""
        if self.blocked and code not in BLOCKED_KEEPS:
            return False
        return allowed(self.role, code, scope=self.scope, token=self.token_id is not None)

    @property
    def audit_user(self) -> str:
        """How the audit log names this author: ``user:12`` (a visitor: ``visitor``)."""
        return author(self.account_id) if self.account_id is not None else VISITOR


def author(account_id: int) -> str:
    """The audit log's name of an account: ``user:12``."""
    return f"user:{account_id}"


def account_of(user: str | None) -> int | None:
    """The account id of an audit author ``user:12``, else None (``cli``, an import)."""
    if user and user.startswith("user:") and user[5:].isdigit():
        return int(user[5:])
    return None
