"""Errors carry one clear French line, an English twin and JSON-ready details."""

from __future__ import annotations

from maillage.model.errors import Conflict, InvalidInput, MaillageError, NotFound, PermissionDenied


def test_invalid_input_is_one_french_line_with_english_twin() -> None:
    error = InvalidInput("rna", "W123", "W suivi de 9 chiffres", "W followed by 9 digits")
    assert str(error) == "Valeur invalide pour le champ « rna » : 'W123' — W suivi de 9 chiffres"
    assert error.message_en == "Invalid value for field 'rna': 'W123' — W followed by 9 digits"
    assert error.to_dict()["field"] == "rna"
    assert isinstance(error, ValueError) and isinstance(error, MaillageError)


def test_long_values_are_shortened() -> None:
    error = InvalidInput("description", "x" * 500, "trop long")
    assert len(str(error)) < 150


def test_other_errors() -> None:
    assert str(NotFound("actor", 42)) == "Introuvable : acteur 42"
    assert NotFound("actor", 42).message_en == "Not found: actor 42"
    conflict = Conflict("version 3 attendue, 4 trouvée", "expected version 3, found 4")
    assert str(conflict).startswith("Conflit : ")
    assert conflict.message_en.startswith("Conflict: ")
    assert "editor" in str(PermissionDenied("supprimer un acteur", "editor"))
