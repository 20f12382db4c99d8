"""Themes of a grant or a public contract read from its object text.

The keyword rules are data: the ``objet-mots-cles`` vocabulary of the themes taxonomy
(``data/taxonomies/themes.json``), each keyword the terms it gives. A keyword matches
as whole words of the folded text (case, accents and punctuation aside): "Marché de
formation au numérique" gives ``se-former`` and ``numerique``.
"""

from __future__ import annotations

import re
from functools import cache

from maillage.model import taxonomy
from maillage.model.text import fold

__all__ = ["OBJECT_KEYWORDS", "object_themes"]

OBJECT_KEYWORDS = "objet-mots-cles"
"""The vocabulary of the themes taxonomy holding the keyword rules."""


@cache
def _rules() -> tuple[tuple[str, tuple[str, ...]], ...]:
    vocab = taxonomy.vocabulary("themes", OBJECT_KEYWORDS)
    return tuple((_words(k), codes) for k, codes in vocab.values.items())


def _words(text: str) -> str:
    return " " + " ".join(re.findall(r"[a-z0-9]+", fold(text))) + " "


def object_themes(text: str | None) -> tuple[list[str], list[str]]:
    """The theme codes the object ``text`` gives, each once in the order of the rules,
    and the keywords that gave them (the evidence)."""
    if not text:
        return [], []
    words = _words(text)
    themes: dict[str, None] = {}
    keywords = []
    for keyword, codes in _rules():
        if keyword in words:
            keywords.append(keyword.strip())
            themes.update(dict.fromkeys(codes))
    return list(themes), keywords
