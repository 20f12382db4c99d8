"""Names a file gives for a current commune other than its own (issue 24): communes
déléguées and associées, former communes La Poste still lists, La Poste's line 5, and
« St » for saint; looked up within one département only."""

from __future__ import annotations

import pytest

from maillage.geo import Geography, load_geography


@pytest.fixture(scope="module")
def geo() -> Geography:
    return load_geography()


def _found(geo: Geography, name: str, dep: str, postcode: str | None = None) -> list[tuple]:
    return [(n.kind, n.commune) for n in geo.communes_named(name, departement=dep,
                                                            postcode=postcode)]  # fmt: skip


def test_a_commune_deleguee_names_its_commune_nouvelle(geo: Geography) -> None:
    assert _found(geo, "Ambleville", "16") == [("delegated", "16186")]  # Lignières-Ambleville
    assert _found(geo, "AMBLEVILLE", "95") == []  # the current Ambleville is found by name
    assert _found(geo, "Ambleville", "33") == []  # never in another département


def test_la_poste_line_5_and_abbreviated_saints(geo: Geography) -> None:
    assert _found(geo, "MALAVILLE", "16") == [("laposte_line_5", "16204")]  # Bellevigne
    assert _found(geo, "Barbezieux St Hilaire", "16") == [("current", "16028")]
    # an official former commune wins over a line 5 of the same name
    assert _found(geo, "ST HILAIRE", "16", "16300") == [("associated", "16028")]


def test_a_name_of_several_communes_is_narrowed_by_the_postcode(geo: Geography) -> None:
    # « Pont-Réan » (La Poste line 5) lies on both banks: Bruz 35170 and Guichen 35580
    assert _found(geo, "Pont-Réan", "35") == [
        ("laposte_line_5", "35047"), ("laposte_line_5", "35126")
    ]  # fmt: skip
    assert _found(geo, "PONT REAN", "35", "35580") == [("laposte_line_5", "35126")]
