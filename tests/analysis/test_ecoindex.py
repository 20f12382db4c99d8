"""The EcoIndex computation against the reference implementation (ecoindex-compute)."""

from __future__ import annotations

import pytest
from ecoindex import data as reference_data
from hypothesis import given, settings
from hypothesis import strategies as st

from ecoindex_pages import reference_ecoindex
from maillage.analysis.ecoindex import compute_ecoindex, reference


def test_shipped_values_are_the_reference_implementations() -> None:
    ref = reference()
    assert list(ref.quantiles["dom"]) == reference_data.quantiles_dom
    assert list(ref.quantiles["requests"]) == reference_data.quantiles_req
    assert list(ref.quantiles["size_kb"]) == reference_data.quantiles_size
    thresholds = {grade: above for grade, above in ref.grades if above is not None}
    assert thresholds == {g: getattr(reference_data, g) for g in "ABCDEF"}


# Quantile boundaries, just under and over them, both ends, and the published examples.
EDGES = [
    (0, 0, 0.0),
    (47, 2, 1.37),
    (46, 1, 1.36),
    (600, 40, 1024.0),
    (693, 78, 2420.0),
    (2479, 281, 8037.54),
    (594601, 3920, 223212.26),
    (10**7, 10**5, 10.0**7),
    (240, 20, 331.3),
]


@pytest.mark.parametrize(("dom", "requests", "size_kb"), EDGES)
def test_edges_match_the_reference(dom: int, requests: int, size_kb: float) -> None:
    ours = compute_ecoindex(dom_nodes=dom, requests=requests, size_kb=size_kb)
    assert (ours.score, ours.grade, ours.ges, ours.water) == reference_ecoindex(
        dom, requests, size_kb
    )


@settings(max_examples=300, deadline=None)
@given(
    dom=st.integers(0, 5000),
    requests=st.integers(0, 400),
    size_kb=st.floats(0, 12000, allow_nan=False, allow_infinity=False),
)
def test_any_page_matches_the_reference(dom: int, requests: int, size_kb: float) -> None:
    ours = compute_ecoindex(dom_nodes=dom, requests=requests, size_kb=size_kb)
    assert (ours.score, ours.grade, ours.ges, ours.water) == reference_ecoindex(
        dom, requests, size_kb
    )


def test_every_grade_is_reached_and_better_pages_score_higher() -> None:
    small = compute_ecoindex(dom_nodes=30, requests=3, size_kb=50)
    heavy = compute_ecoindex(dom_nodes=3000, requests=300, size_kb=9000)
    assert small.grade == "A" and heavy.grade == "G"
    assert small.score > heavy.score and small.ges < heavy.ges and small.water < heavy.water
    grades = {
        compute_ecoindex(dom_nodes=d, requests=d // 10, size_kb=d * 3.0).grade
        for d in range(0, 3000, 10)
    }
    assert grades == set("ABCDEFG")


def test_a_negative_metric_is_refused() -> None:
    with pytest.raises(ValueError, match="requests"):
        compute_ecoindex(dom_nodes=10, requests=-1, size_kb=1)
