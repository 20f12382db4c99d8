"""Taxonomies shipped as data files (``maillage/data/taxonomies/<name>.json``).

Each file holds ``{"taxonomy", "description", "source", "terms": [...]}``; every term has
a stable ``code``, ``label_fr`` and ``label_en``, and any further keys (descriptions,
``default_world``, ``directed``, ``depth``...) land in :attr:`Term.data`. Files are read
once through ``importlib.resources`` and cached; nothing is read at import time.

The worlds and the link kinds also say how they are shown: each term has a ``colour``
(``#rrggbb``, the one the portal, the widgets and the GEXF export draw) and a short
lower-case name for sentences (``short_fr``, ``short_en``), and the file has an
``unknown`` entry (label, colour) for a record with no value: :func:`colour`,
:func:`colours` and :func:`unknown` read them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from types import MappingProxyType
from typing import Any, Literal

from maillage.model.errors import InvalidInput, NotFound
from maillage.model.text import fold

__all__ = [
    "Taxonomy",
    "Term",
    "codes",
    "colour",
    "colours",
    "info",
    "label",
    "load",
    "names",
    "resolve",
    "term",
    "unknown",
]

Lang = Literal["fr", "en"]


@dataclass(frozen=True, slots=True)
class Term:
    """One entry of a taxonomy: stable code, French and English labels, extra data."""

    code: str
    label_fr: str
    label_en: str
    data: MappingProxyType[str, Any]

    @property
    def description_fr(self) -> str | None:
        """Return the French description, if any."""
        return self.data.get("description_fr")

    @property
    def description_en(self) -> str | None:
        """Return the English description, if any."""
        return self.data.get("description_en")

    @property
    def colour(self) -> str | None:
        """Return the colour (``#rrggbb``) the term is drawn in, if it has one."""
        return self.data.get("colour")

    def label(self, lang: Lang = "fr") -> str:
        """Return the label in ``lang`` (``"fr"`` or ``"en"``)."""
        return self.label_en if lang == "en" else self.label_fr

    def short(self, lang: Lang = "fr") -> str:
        """Return the short lower-case name used inside sentences (``short_fr`` or
        ``short_en``: "économique"), the label when the term has none."""
        found = self.data.get(f"short_{'en' if lang == 'en' else 'fr'}")
        return str(found) if found else self.label(lang)


@dataclass(frozen=True, slots=True)
class Taxonomy:
    """A whole taxonomy file: its name, what it is, where it comes from, its terms, and
    the entry for a record with no value when the file has one (``unknown``)."""

    name: str
    description: str
    source: str
    terms: tuple[Term, ...]
    unknown: Term | None = None


def _directory() -> Traversable:
    """Return the packaged taxonomy folder."""
    return resources.files("maillage").joinpath("data", "taxonomies")


@cache
def names() -> tuple[str, ...]:
    """Return the names of the shipped taxonomies, sorted (``"worlds"``, ``"sdgs"``...)."""
    return tuple(
        sorted(
            p.name.removesuffix(".json") for p in _directory().iterdir() if p.name.endswith(".json")
        )
    )


def _term(raw: dict[str, Any]) -> Term:
    """Build a :class:`Term` from one JSON object."""
    extra = {k: v for k, v in raw.items() if k not in ("code", "label_fr", "label_en")}
    return Term(str(raw["code"]), raw["label_fr"], raw["label_en"], MappingProxyType(extra))


@cache
def info(name: str) -> Taxonomy:
    """Return the taxonomy ``name`` with its description and source (cached).

    Raises ``NotFound`` if no such taxonomy is shipped.
    """
    if name not in names():
        raise NotFound("taxonomy", name)
    raw = json.loads(_directory().joinpath(f"{name}.json").read_text(encoding="utf-8"))
    terms = tuple(_term(t) for t in raw["terms"])
    missing = _term(raw["unknown"]) if "unknown" in raw else None
    return Taxonomy(name, raw.get("description", ""), raw.get("source", ""), terms, missing)


def load(name: str) -> list[Term]:
    """Return the terms of taxonomy ``name``, in file order. Raises ``NotFound``."""
    return list(info(name).terms)


@cache
def _by_code(name: str) -> dict[str, Term]:
    """Return code -> term for taxonomy ``name`` (cached)."""
    return {t.code: t for t in info(name).terms}


@cache
def codes(name: str) -> frozenset[str]:
    """Return the set of codes of taxonomy ``name`` (cached). Raises ``NotFound``."""
    return frozenset(_by_code(name))


def term(name: str, code: str) -> Term:
    """Return the term ``code`` of taxonomy ``name``. Raises ``NotFound``."""
    found = _by_code(name).get(code)
    if found is None:
        raise NotFound("taxonomy_term", f"{name}/{code}")
    return found


def label(name: str, code: str, lang: Lang = "fr") -> str:
    """Return the French (default) or English label of a code. Raises ``NotFound``."""
    return term(name, code).label(lang)


def unknown(name: str) -> Term:
    """Return the entry of taxonomy ``name`` for a record with no value (code
    ``unknown``, "Non renseigné" / "Not given", its colour). Raises ``NotFound`` when the
    taxonomy has none."""
    found = info(name).unknown
    if found is None:
        raise NotFound("taxonomy_term", f"{name}/unknown")
    return found


@cache
def colours(name: str) -> MappingProxyType[str, str]:
    """Return code -> colour (``#rrggbb``) of every term of taxonomy ``name`` that has
    one, in file order (cached). Raises ``NotFound``."""
    return MappingProxyType({t.code: t.colour for t in info(name).terms if t.colour})


def colour(name: str, code: str | None) -> str:
    """Return the colour (``#rrggbb``) in which ``code`` of taxonomy ``name`` is drawn:
    the colour of the taxonomy's ``unknown`` entry for no code or a code it does not
    know. Raises ``NotFound`` when neither has a colour."""
    found = colours(name).get(code or "") or unknown(name).colour
    if found is None:
        raise NotFound("taxonomy_term", f"{name}/{code}/colour")
    return found


@cache
def _aliases(name: str) -> dict[str, str]:
    """Return folded code / French label / English label -> code (cached)."""
    index: dict[str, str] = {}
    for entry in info(name).terms:
        short = entry.data.get("short_fr")
        for alias in (
            entry.label_en,
            entry.label_fr,
            short,
            entry.code,
            *entry.data.get("aliases", ()),
        ):
            if alias:
                index[fold(str(alias))] = entry.code
    return index


def resolve(name: str, value: object, *, field: str | None = None) -> str:
    """Return the code of taxonomy ``name`` that ``value`` names.

    ``value`` may be a code or a French or English label, in any case, with or without
    accents (``"Service de l'État"`` -> ``"service_de_l_etat"``). Raises
    ``InvalidInput`` listing the allowed codes.
    """
    text = str(value).strip()
    if text in _by_code(name):
        return text
    found = _aliases(name).get(fold(text))
    if found is None:
        allowed = ", ".join(sorted(codes(name)))
        raise InvalidInput(
            field or name, value, f"valeurs admises : {allowed}", f"allowed values: {allowed}"
        )
    return found
