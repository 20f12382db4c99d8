"""Library errors shared by every layer.

The web layer maps them in one place (``NotFound`` -> 404, ``InvalidInput`` -> 422,
``PermissionDenied`` -> 403, ``Conflict`` -> 409); the CLI prints ``str(error)`` as one
line and exits non-zero. Messages are French first; each error also carries an English
``message_en``.
"""

from __future__ import annotations

from typing import Any


class MaillageError(Exception):
    """Base class of the errors raised on purpose by maillage.

    ``str(error)`` is the French message; ``message_en`` the English one.
    """

    message_fr: str
    message_en: str

    def __init__(self, message_fr: str, message_en: str | None = None) -> None:
        super().__init__(message_fr)
        self.message_fr = message_fr
        self.message_en = message_en if message_en is not None else message_fr

    def __str__(self) -> str:
        return self.message_fr

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # Errors cross process boundaries (parallel bulk loads): rebuild them
        # from the arguments they were created with.
        return (type(self), getattr(self, "_init_args", (self.message_fr, self.message_en)))

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready description: error kind and both messages."""
        return {
            "error": type(self).__name__,
            "message": self.message_fr,
            "message_en": self.message_en,
        }


def _show(value: object) -> str:
    """Render a value for a message: repr of strings, shortened when long."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


class InvalidInput(MaillageError, ValueError):
    """A value was rejected by a validation rule; nothing was written.

    ``field`` names the input field (``"siret"``), ``value`` is what was given,
    ``rule`` says what was expected, in French (``rule_en`` in English).
    """

    def __init__(
        self,
        field: str,
        value: object,
        rule: str,
        rule_en: str | None = None,
    ) -> None:
        self._init_args = (field, value, rule, rule_en)
        self.field = field
        self.value = value
        self.rule = rule
        self.rule_en = rule_en if rule_en is not None else rule
        shown = _show(value)
        super().__init__(
            f"Valeur invalide pour le champ « {field} » : {shown} — {rule}",
            f"Invalid value for field '{field}': {shown} — {self.rule_en}",
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-ready description with field, value and rule."""
        data = super().to_dict()
        data.update(field=self.field, value=_jsonable(self.value), rule=self.rule)
        return data


def _jsonable(value: object) -> Any:
    """Return ``value`` if it is a JSON scalar, else its string form."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


# What each kind of entity is called in French and in English, keyed by its code (the
# names of the repositories and of the audit log).
ENTITY_NAMES: dict[str, tuple[str, str]] = {
    "actor": ("acteur", "actor"),
    "link": ("lien", "link"),
    "need": ("besoin", "need"),
    "indicator": ("indicateur", "indicator"),
    "maturity": ("maturité", "maturity"),
    "solution": ("solution", "solution"),
    "resource": ("ressource", "resource"),
    "excerpt": ("extrait", "excerpt"),
    "evaluation": ("évaluation", "evaluation"),
    "comment": ("commentaire", "comment"),
    "proposal": ("proposition", "proposal"),
    "user": ("utilisateur", "user"),
    "change": ("changement", "change"),
    "batch": ("lot", "batch"),
    "territory": ("territoire", "territory"),
    "commune": ("commune", "commune"),
    "measure": ("mesure", "measure"),
    "taxonomy": ("taxonomie", "taxonomy"),
    "taxonomy_term": ("terme de taxonomie", "taxonomy term"),
}


class NotFound(MaillageError, LookupError):
    """An entity asked for by key does not exist (or is deleted).

    ``entity`` is a code of :data:`ENTITY_NAMES` (any other text is shown as it is).
    """

    def __init__(self, entity: str, key: object) -> None:
        self._init_args = (entity, key)
        self.entity = entity
        self.key = key
        shown = _show(key)
        french, english = ENTITY_NAMES.get(entity, (entity, entity))
        super().__init__(
            f"Introuvable : {french} {shown}",
            f"Not found: {english} {shown}",
        )


class Conflict(MaillageError):
    """A write clashes with the current state (stale version, duplicate key...)."""

    def __init__(self, message_fr: str, message_en: str | None = None) -> None:
        self._init_args = (message_fr, message_en)
        super().__init__(f"Conflit : {message_fr}", f"Conflict: {message_en or message_fr}")


class PermissionDenied(MaillageError, PermissionError):
    """The current user may not perform the action."""

    def __init__(self, action: str, role: str | None = None) -> None:
        self._init_args = (action, role)
        self.action = action
        self.role = role
        who = f" (rôle : {role})" if role else ""
        who_en = f" (role: {role})" if role else ""
        super().__init__(
            f"Action non autorisée : {action}{who}",
            f"Permission denied: {action}{who_en}",
        )


class DuplicateIdentity(Conflict):
    """A write would give a second live holder to a SIRET, an RNA number or an
    identifier (a source key): the database refuses it. ``holder`` is the actor that
    holds it, where known. Raised to the loser of two concurrent writes too: an
    import then plans again and finds the winner's actor."""

    _LABELS = {  # noqa: RUF012
        "siret": ("ce SIRET", "this SIRET"),
        "rna": ("ce numéro RNA", "this RNA number"),
        "identifier": ("cet identifiant", "this identifier"),
    }

    def __init__(self, field: str, value: object = None, holder: object = None) -> None:
        self._init_args = (field, value, holder)  # type: ignore[assignment]
        self.field, self.value, self.holder = field, value, holder
        french, english = self._LABELS.get(field, (field, field))
        shown = f" ({_show(value)})" if value is not None else ""
        by_fr = f"l'acteur {_show(holder)}" if holder is not None else "un autre acteur"
        by_en = f"actor {_show(holder)}" if holder is not None else "another actor"
        MaillageError.__init__(
            self,
            f"Conflit : {french}{shown} est déjà porté par {by_fr} ; fusionnez-les ou "
            "indiquez-le comme numéro de la structure porteuse",
            f"Conflict: {english}{shown} is already held by {by_en}; merge them or give it "
            "as the holding structure's number",
        )
