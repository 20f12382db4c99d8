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

A taxonomy may be a tree: a term's ``parent`` names the term above it (the themes:
digital mediation, online procedures and equipment under digital inclusion, itself
under digital). It may also map the vocabularies of its sources onto its terms
(``vocabularies``: each with its name, ``kind``, description, source and ``values``):
a ``same_as`` value is one that records carry as given and that means a term (the
services of a lieu de médiation numérique, the data·inclusion sub-thematiques); an
``implies`` value is a label that gives a record terms when it is read (a national
programme label). :func:`matching` is the one rule by which a filter on a term finds
the records of the terms under it and of the source values meaning them;
:func:`tree` gives the terms in tree order with their depth, :func:`implied` the terms
a label implies.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
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
    "Vocabulary",
    "codes",
    "colour",
    "colours",
    "descendants",
    "implied",
    "info",
    "label",
    "load",
    "matching",
    "meaning",
    "names",
    "resolve",
    "term",
    "tree",
    "unknown",
    "vocabulary",
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
    def parent(self) -> str | None:
        """Return the code of the term above this one in its taxonomy's tree, if any."""
        return self.data.get("parent")

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
class Vocabulary:
    """A source's vocabulary mapped onto a taxonomy: ``values`` gives the codes each
    source value stands for. ``kind`` is ``"same_as"`` (records carry the value as
    given; it means that one term) or ``"implies"`` (a label that gives a record those
    terms when it is read)."""

    name: str
    kind: Literal["same_as", "implies"]
    description: str
    source: str
    values: MappingProxyType[str, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class Taxonomy:
    """A whole taxonomy file: its name, what it is, where it comes from, its terms, the
    entry for a record with no value when the file has one (``unknown``), and the source
    vocabularies mapped onto it."""

    name: str
    description: str
    source: str
    terms: tuple[Term, ...]
    unknown: Term | None = None
    vocabularies: tuple[Vocabulary, ...] = ()


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
    vocabularies = tuple(_vocabulary(v) for v in raw.get("vocabularies", ()))
    _check_tree(name, terms, vocabularies)
    return Taxonomy(
        name, raw.get("description", ""), raw.get("source", ""), terms, missing, vocabularies
    )


def _vocabulary(raw: dict[str, Any]) -> Vocabulary:
    """Build a :class:`Vocabulary` from one JSON object (a value maps to a code or a list)."""
    values = {str(k): (v,) if isinstance(v, str) else tuple(v) for k, v in raw["values"].items()}
    return Vocabulary(
        raw["name"],
        raw["kind"],
        raw.get("description", ""),
        raw["source"],
        MappingProxyType(values),
    )


def _check_tree(name: str, terms: tuple[Term, ...], vocabularies: tuple[Vocabulary, ...]) -> None:
    """Raise ``ValueError`` when a shipped file names a parent or maps a value to a code it
    does not have, or when its parents loop."""
    known = {t.code for t in terms}
    parents = {t.code: t.parent for t in terms if t.parent is not None}
    for code, first in parents.items():
        if first not in known:
            raise ValueError(f"taxonomy {name}: {code} has unknown parent {first}")
        seen, above = {code}, parents.get(code)
        while above is not None:
            if above in seen:
                raise ValueError(f"taxonomy {name}: parents of {code} loop")
            seen.add(above)
            above = parents.get(above)
    for vocab in vocabularies:
        if vocab.kind not in ("same_as", "implies"):
            raise ValueError(f"taxonomy {name}: vocabulary {vocab.name} has kind {vocab.kind}")
        for value, mapped in vocab.values.items():
            if not mapped or not set(mapped) <= known:
                raise ValueError(f"taxonomy {name}: {vocab.name} maps {value!r} to {mapped}")


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


# --- trees and source vocabularies ---------------------------------------------------


@cache
def _children(name: str) -> dict[str | None, tuple[str, ...]]:
    """Return parent code (``None`` for the roots) -> child codes in file order (cached)."""
    found: dict[str | None, list[str]] = {}
    for entry in info(name).terms:
        found.setdefault(entry.parent, []).append(entry.code)
    return {k: tuple(v) for k, v in found.items()}


def tree(name: str) -> list[tuple[Term, int]]:
    """Return the terms of taxonomy ``name`` in tree order (each root in file order, then
    the terms under it), each with its depth (0 for a root). A flat taxonomy gives its
    terms in file order, all at depth 0. Raises ``NotFound``."""
    children = _children(name)
    found: list[tuple[Term, int]] = []

    def walk(code: str, depth: int) -> None:
        found.append((term(name, code), depth))
        for child in children.get(code, ()):
            walk(child, depth + 1)

    for root in children.get(None, ()):
        walk(root, 0)
    return found


@cache
def descendants(name: str, code: str) -> frozenset[str]:
    """Return ``code`` and the codes of every term under it in taxonomy ``name`` (just
    ``code`` for a leaf or a code the taxonomy does not know). Raises ``NotFound`` for an
    unknown taxonomy."""
    children = _children(name)
    found, todo = {code}, [code]
    while todo:
        for child in children.get(todo.pop(), ()):
            found.add(child)
            todo.append(child)
    return frozenset(found)


def vocabulary(name: str, vocab: str) -> Vocabulary:
    """Return the source vocabulary ``vocab`` mapped onto taxonomy ``name``. Raises
    ``NotFound``."""
    for found in info(name).vocabularies:
        if found.name == vocab:
            return found
    raise NotFound("taxonomy_vocabulary", f"{name}/{vocab}")


@cache
def _same_as(name: str) -> dict[str, str]:
    """Return source value -> the code it means, over the ``same_as`` vocabularies."""
    return {
        value: mapped[0]
        for vocab in info(name).vocabularies
        if vocab.kind == "same_as"
        for value, mapped in vocab.values.items()
    }


def meaning(name: str, value: str) -> str | None:
    """Return the code of taxonomy ``name`` that a value carried by records means: the
    value itself when it is a code, the term a ``same_as`` vocabulary maps it to
    (``"Aide aux démarches administratives"`` -> ``"demarches-en-ligne"``), else
    ``None``. Raises ``NotFound`` for an unknown taxonomy."""
    return value if value in codes(name) else _same_as(name).get(value)


@cache
def matching(name: str, code: str) -> frozenset[str]:
    """Return every value a record may carry that a filter on ``code`` finds: ``code``,
    the codes of the terms under it, and the source values (``same_as`` vocabularies)
    that mean one of them. A code the taxonomy does not know finds only itself. The one
    rule of every theme filter (SQL and graph). Raises ``NotFound`` for an unknown
    taxonomy."""
    below = descendants(name, code)
    return below | {value for value, meant in _same_as(name).items() if meant in below}


@cache
def _implied(name: str, vocab: str) -> dict[str, tuple[str, ...]]:
    """Return folded label -> codes of an ``implies`` vocabulary (cached)."""
    return {fold(k): v for k, v in vocabulary(name, vocab).values.items()}


def implied(name: str, vocab: str, labels: Iterable[str]) -> list[str]:
    """Return the codes of taxonomy ``name`` that ``labels`` imply through vocabulary
    ``vocab``, each once in the order met (labels are compared folded: case, accents
    and spacing aside; a label the vocabulary does not hold implies nothing). Raises
    ``NotFound`` for an unknown taxonomy or vocabulary."""
    table = _implied(name, vocab)
    found: dict[str, None] = {}
    for text in labels:
        for code in table.get(fold(text), ()):
            found[code] = None
    return list(found)
