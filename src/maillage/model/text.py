"""Text folding and French search tokens, shared by every search backend.

``fold`` gives a comparable form of a name (lower case, no accents, no punctuation);
``search_tokens`` turns a text into the stemmed tokens that the full-text indexes store
and that queries are matched with, so that "médiation numérique", "Médiation Numerique"
and "médiations numériques" give the same tokens on SQLite and on PostgreSQL.

Reference: Snowball French stemmer and stop list (https://snowballstem.org/algorithms/french/),
through the ``snowballstemmer`` package. Words are folded before stemming, so the
stemmer sees unaccented words; queries and documents go through the same path.
"""

from __future__ import annotations

import html
import operator
import re
import unicodedata
from collections.abc import Sequence
from functools import cache, lru_cache
from importlib import resources
from itertools import compress, repeat

import snowballstemmer

__all__ = [
    "fold",
    "invisible_in",
    "repair_text",
    "search_tokens",
    "stem",
    "stop_words",
    "strip_invisible",
]

_LIGATURES = str.maketrans(
    {
        "œ": "oe",
        "æ": "ae",
        "ß": "ss",
        "ø": "o",
        "ł": "l",
        "đ": "d",
        "ð": "d",
        "þ": "th",
        "ı": "i",
        "ﬁ": "fi",
        "ﬂ": "fl",
    }
)
_LIGATURE_CHARS = re.compile("[" + "".join(chr(c) for c in _LIGATURES) + "]")
_COMBINING = re.compile(r"[\u0300-\u036f]+")
_NON_WORD = re.compile(r"[\W_]+")


# Characters that change how a text is shown or compared without being seen: zero-width
# spaces and joiners, direction marks, embeddings, overrides and isolates (Unicode
# Bidirectional Algorithm, UAX #9), word joiners and invisible operators, the byte
# order mark. A name holding them can pass for another one (U+202E shows
# "abc\u202efdp.exe" as "abcexe.pdf"); they are removed from stored text.
_INVISIBLE = re.compile("[\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


def strip_invisible(text: str) -> str:
    """Return ``text`` without its invisible formatting characters (zero-width,
    direction marks, embeddings, overrides and isolates, BOM; see ``_INVISIBLE``).

    The one rule for stored text: ``strip_invisible("Asso\u202eciation")`` is
    ``"Association"``. An ASCII text is returned as it is, at no cost.
    """
    if text.isascii():
        return text
    return _INVISIBLE.sub("", text)


def invisible_in(text: str) -> list[str]:
    """The distinct characters :func:`strip_invisible` removes from ``text``, as
    ``U+XXXX`` codes in the order met (empty for a clean text)."""
    if text.isascii():
        return []
    return list(dict.fromkeys(f"U+{ord(c):04X}" for c in _INVISIBLE.findall(text)))


# An HTML entity left in a text by an export (``DIGITAL &amp; ETHICS``, ``&#039;``).
_ENTITY = re.compile(r"&(?:[a-zA-Z][a-zA-Z0-9]{1,30}|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});")
# An elided article whose apostrophe was lost (``l ecole``, ``d Azur``, ``L ATELIER``):
# ``l``, ``d`` or ``qu`` alone before a word of two letters or more that starts with a
# vowel or an h. Only where it cannot be an initial or a letter of a code: in lower case,
# at the start of the text, or in a text written all in capitals (``Vitamine D Active``
# and ``S A R L`` are left alone; ``n``, ``s``, ``t`` too: ``Rock n Roll``).
_VOWEL = "aeiouyhàâäéèêëîïôöûüùæœAEIOUYHÀÂÄÉÈÊËÎÏÔÖÛÜÙÆŒ"
_ELIDED = re.compile(rf"(?:(?<=^)|(?<=[\s(\-/]))(qu|Qu|QU|[ldLD]) (?=[{_VOWEL}][^\W\d_]+)")


def repair_text(text: str) -> tuple[str, list[str]]:
    """Return ``text`` with its HTML entities decoded and the apostrophes of its elided
    articles put back, and what was repaired (``["entités HTML"]``, ``["apostrophes"]``,
    empty for a clean text).

    ``repair_text("DIGITAL &amp; ETHICS")`` is ``("DIGITAL & ETHICS", ["entités HTML"])``;
    ``repair_text("Côte d Azur")`` is ``("Côte d'Azur", ["apostrophes"])``. An apostrophe
    is put back only where no initial or code can be meant (see ``_ELIDED``).
    """
    done: list[str] = []
    if "&" in text and _ENTITY.search(text):
        decoded = html.unescape(text)
        if decoded != text:
            text, done = decoded, ["entités HTML"]
    if " " in text:
        upper = text.upper() == text
        repaired = _ELIDED.sub(
            lambda m: (
                m.group(0)
                if not (m.group(1).islower() or m.start() == 0 or upper)
                else m.group(1) + "'"
            ),
            text,
        )
        if repaired != text:
            text = repaired
            done.append("apostrophes")
    return text, done


def fold(text: str) -> str:
    """Return ``text`` lower-cased, without accents, ligatures or punctuation.

    Accents are removed through Unicode NFKD decomposition; ``œ`` -> ``oe``,
    ``æ`` -> ``ae``; every run of non-alphanumeric characters becomes one space;
    the result has no leading or trailing space. ``fold("Saint-Étienne")`` is
    ``"saint etienne"``.
    """
    text = text.lower()
    if not text.isascii():
        if _LIGATURE_CHARS.search(text):
            text = text.translate(_LIGATURES)
        text = _COMBINING.sub("", unicodedata.normalize("NFKD", text)).lower()
    return _NON_WORD.sub(" ", text).strip()


@cache
def stop_words() -> frozenset[str]:
    """Return the folded Snowball French stop words shipped with the package."""
    path = resources.files("maillage.data.taxonomies").joinpath("stopwords_fr.txt")
    words = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        word = line.strip()
        if word and not word.startswith("#"):
            words.add(fold(word))
    return frozenset(words)


@cache
def _stemmer() -> snowballstemmer.stemmer:
    """Return the Snowball French stemmer (built once, on first use)."""
    return snowballstemmer.stemmer("french")


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Return the Snowball French stem of an already folded ``word`` (cached).

    Numbers are kept as they are. With PyStemmer installed (a dependency),
    snowballstemmer runs the C implementation of the same algorithm.
    """
    if word.isdigit():
        return word
    return str(_stemmer().stemWord(word))


@lru_cache(maxsize=1 << 18)
def _chunk_tokens(chunk: str) -> str:
    """Return the search tokens of one whitespace-separated chunk (cached).

    A chunk such as ``"l'association,"`` may hold several words once folded.
    """
    stops = stop_words()
    return " ".join([stem(word) for word in fold(chunk).split() if word not in stops])


def search_tokens(text: str | None) -> str:
    """Return the search tokens of ``text``: folded, stop words dropped, stemmed.

    Tokens are joined by single spaces, in text order, duplicates kept (they carry
    weight for ranking). ``None`` or an empty text gives ``""``. Each distinct
    whitespace-separated chunk is processed once and cached, so a call on a typical
    name + description costs a few microseconds.
    """
    if not text:
        return ""
    return " ".join(filter(None, _chunks_tokens(text.replace(_SEPARATOR, " ").split())))


def search_tokens_many(texts: Sequence[str | None]) -> list[str]:
    """:func:`search_tokens` of many texts at once (bulk indexing).

    The texts are joined around a NUL separator (validation refuses NUL in a
    text) and split, looked up and joined once, so the per-word work runs in C;
    the separator's own tokens are a line break, where the result is cut back
    into one string per text.
    """
    if not texts:
        return []
    separator = f" {_SEPARATOR} "
    joined = separator.join(texts) if None not in texts else None  # type: ignore[arg-type]
    if joined is None or joined.count(_SEPARATOR) != len(texts) - 1:  # None, or a NUL
        joined = separator.join([(t or "").replace(_SEPARATOR, " ") for t in texts])
    tokens = _chunks_tokens(joined.split())
    return list(map(str.strip, " ".join(filter(None, tokens)).split("\n")))


def _chunks_tokens(chunks: list[str]) -> list[str]:
    """The tokens of each chunk: cache hits resolved in C; the distinct misses picked
    out (also in C), tokenised once each and cached."""
    tokens = list(map(_CHUNK_CACHE.get, chunks))
    if None not in tokens:
        return tokens  # type: ignore[return-value]  # no None left
    missing = set(compress(chunks, map(operator.is_, tokens, repeat(None))))
    found = {chunk: _tokens_of(chunk) for chunk in missing}
    if len(_CHUNK_CACHE) + len(found) <= _CHUNK_CACHE_SIZE:
        _CHUNK_CACHE.update(found)
        return list(map(_CHUNK_CACHE.__getitem__, chunks))
    return [found[c] if t is None else t for t, c in zip(tokens, chunks, strict=True)]


def _tokens_of(chunk: str) -> str:
    """Tokens of a chunk not in the cache (numbers stand for themselves)."""
    if chunk.isascii() and chunk.isdigit():
        return chunk
    return _chunk_tokens(chunk)


# A plain dict in front of the LRU cache: a hit costs one lookup, which matters
# when 100k actors are indexed in one import.
_CHUNK_CACHE: dict[str, str] = {}
_CHUNK_CACHE_SIZE = 1 << 19
# The document separator of search_tokens_many, cached as a line break where the
# joined result is cut back into documents. A NUL within a text is read as a space
# (search_tokens replaces it; search_tokens_many too, before joining).
_SEPARATOR = "\x00"
_CHUNK_CACHE[_SEPARATOR] = "\n"
