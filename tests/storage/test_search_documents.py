"""Search documents of a bulk insert: the same tokens as one actor at a time.

``Repository.create_many`` indexes actors through ``_documents``, which reads each
field as a column and tokenises all texts in one pass; ``index_actors`` (a single
edit) goes through ``document_tokens``. Both must store the same tokens.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from maillage.storage.search import _documents, document_tokens

COMMUNES = {"59350": "lill", "75056": "pari"}
TEXTS = [None, "", "Médiation numérique", "l'Association des Tiers-Lieux", "ANR", "  ", "7 rue"]


def _row() -> st.SearchStrategy[dict[str, Any]]:
    optional = {
        "acronym": st.sampled_from(TEXTS),
        "description": st.sampled_from(TEXTS),
        "commune_code": st.sampled_from([None, "", "59350", "75056", "01001"]),
    }
    return st.fixed_dictionaries({"name": st.sampled_from(TEXTS[2:])}, optional=optional)


@settings(max_examples=200, deadline=None)
@given(st.lists(_row(), max_size=8))
def test_bulk_documents_match_single_documents(rows: list[dict[str, Any]]) -> None:
    expected = [
        document_tokens(
            r.get("name"), r.get("acronym"), r.get("description"),
            COMMUNES.get(r.get("commune_code") or ""),
        )
        for r in rows
    ]  # fmt: skip
    assert _documents(COMMUNES, rows) == expected


def test_names_alone_and_with_acronyms() -> None:
    rows = [{"name": "Médiation numérique", "commune_code": "59350"}, {"name": "Mairie"}]
    assert _documents(COMMUNES, rows) == ["mediat numer lill", "mair"]
    rows[1]["acronym"] = "ANR"
    assert _documents(COMMUNES, rows) == ["mediat numer lill", "mair anr"]
