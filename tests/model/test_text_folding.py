"""Folding and French search tokens, as seen from a search box."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from maillage.model.text import (
    fold,
    invisible_in,
    search_tokens,
    search_tokens_many,
    stop_words,
    strip_invisible,
)


def test_fold_removes_case_accents_ligatures_and_punctuation() -> None:
    assert fold("Saint-Étienne") == "saint etienne"
    assert fold("L'Œuvre — Cœur & Æther !") == "l oeuvre coeur aether"
    assert fold("  Île-de-France  ") == "ile de france"
    assert fold("cafe\u0301") == "cafe"  # decomposed accent
    assert fold("") == ""


def test_variants_of_mediation_numerique_give_same_tokens() -> None:
    expected = search_tokens("médiation numérique")
    assert expected == "mediat numer"
    assert search_tokens("Médiation Numerique") == expected
    assert search_tokens("médiations numériques") == expected
    assert search_tokens("MÉDIATION NUMÉRIQUE.") == expected


def test_stop_words_are_dropped() -> None:
    assert search_tokens("l'association de la ville et des habitants") == "associ vill habit"
    assert "a" in stop_words() and "ete" in stop_words()
    assert search_tokens(None) == "" and search_tokens("le la les") == ""


@given(st.text(max_size=200))
def test_tokens_are_folded_words(text: str) -> None:
    tokens = search_tokens(text)
    assert tokens == tokens.strip()
    assert "  " not in tokens
    assert fold(tokens) == tokens


@given(st.text(max_size=100))
def test_fold_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)


_WORDS = ["Médiation", "numérique", "l'association", "des", "Tiers-Lieux", "123", "\x00", "  "]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.lists(st.sampled_from(_WORDS), max_size=5).map(" ".join),
            st.text(max_size=12),
        ),
        max_size=8,
    )
)
def test_many_texts_give_the_tokens_of_each(texts: list[str | None]) -> None:
    """Bulk indexing tokenises all texts in one pass: the same tokens as one by one,
    also for missing texts and texts holding the NUL the pass joins them with."""
    assert search_tokens_many(texts) == [search_tokens(t) for t in texts]


def test_strip_invisible_removes_direction_and_zero_width_characters_only() -> None:
    hidden = "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff\u2060\u061c"
    assert strip_invisible(f"Asso{hidden}ciation") == "Association"
    assert invisible_in("a\u202eb\u202ec\u200b") == ["U+202E", "U+200B"]
    # Letters, accents, no-break spaces and line breaks are text, not hidden marks.
    kept = "Œuvre d'Émile\u00a0Zola\u202fà Lille\nحسن 中文"
    assert strip_invisible(kept) == kept and invisible_in(kept) == []


@given(st.text())
@settings(max_examples=200)
def test_strip_invisible_leaves_nothing_to_strip(text: str) -> None:
    cleaned = strip_invisible(text)
    assert invisible_in(cleaned) == [] and strip_invisible(cleaned) == cleaned
    assert len(text) - len(cleaned) == sum(text.count(c) for c in map(_char, invisible_in(text)))


def _char(code: str) -> str:
    return chr(int(code[2:], 16))
