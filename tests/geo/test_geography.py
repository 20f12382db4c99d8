"""The shipped 2026 geography: counts, centroids and lookups a user relies on."""

from __future__ import annotations

import gzip
import json
from importlib import resources

import pytest

from maillage.geo import Commune, Geography, load_geography
from maillage.model.errors import InvalidInput, NotFound


@pytest.fixture(scope="module")
def geo() -> Geography:
    return load_geography()


def _raw(name: str) -> list[dict[str, object]]:
    data = resources.files("maillage").joinpath("data", "geo", name).read_bytes()
    return list(json.loads(gzip.decompress(data)))


def test_counts_of_regions_and_departements(geo: Geography) -> None:
    assert len(geo.regions) == 18
    assert len(geo.departements) == 101
    assert len(geo.collectivities) == 8
    assert {"2A", "2B", "971", "976"} <= set(geo.departements)
    assert "975" not in geo.departements and geo.collectivities["975"].zone == "com"


def test_every_epci_and_every_current_commune_is_loaded(geo: Geography) -> None:
    epcis = _raw("epci.json.gz")
    assert len(geo.epcis) == len(epcis) == 1255
    assert sum(len(e.members) for e in geo.epcis.values()) == 34871
    raw = _raw("communes.json.gz")
    current = {c["code"] for c in raw if c["type"] == "commune-actuelle"}
    assert len(current) == 34969
    assert current <= {c.code for c in geo.communes.values() if c.kind == "current"}


def test_centroid_coverage(geo: Geography) -> None:
    coverage = geo.centroid_coverage()
    print(
        f"centroid coverage: {coverage.with_centroid}/{coverage.total} current communes "
        f"outside COM = {coverage.ratio:.4%} {coverage.by_source}"
    )
    assert coverage.total == 34875
    assert coverage.ratio > 0.99


def test_lookup_by_name_ignores_accents_case_and_hyphens(geo: Geography) -> None:
    found = geo.find_by_name("saint etienne")
    assert found[0].code == "42218" and found[0].name == "Saint-Étienne"
    assert geo.find_by_name("SAINT-ÉTIENNE") == found


def test_homonyms_are_all_returned_largest_first(geo: Geography) -> None:
    found = geo.find_by_name("Saint-Denis", level="commune")
    assert len(found) > 2
    populations = [c.population or 0 for c in found]
    assert populations == sorted(populations, reverse=True)
    assert {c.departement for c in found if isinstance(c, Commune)} >= {"93", "974"}


def test_lookup_by_postcode(geo: Geography) -> None:
    names = [c.name for c in geo.communes_by_postcode("59300")]
    assert names[0] == "Valenciennes"
    assert "Famars" in names
    assert geo.communes_by_postcode("00000") == []


def test_corsica_codes(geo: Geography) -> None:
    assert geo.get("DEP:2A").name == "Corse-du-Sud"
    assert geo.get("DEP:2B").name == "Haute-Corse"
    ajaccio = geo.commune("2a004")
    assert ajaccio.name == "Ajaccio" and ajaccio.departement == "2A"
    assert ajaccio.latitude is not None and 41.8 < ajaccio.latitude < 42.0


def test_paris_and_its_arrondissements(geo: Geography) -> None:
    paris = geo.get("COM:75056")
    assert isinstance(paris, Commune) and paris.kind == "current"
    assert "200054781" in paris.epcis
    arrondissements = [c for c in geo.communes.values() if c.parent == "75056"]
    assert len(arrondissements) == 20
    assert all(c.kind == "municipal_arrondissement" for c in arrondissements)
    first = geo.commune("75101")
    assert first.territory_code == "COM:75101" and first.postcodes == ("75001",)
    assert [c.code for c in geo.communes_by_postcode("75001")] == ["75056", "75101"]


def test_former_codes_resolve(geo: Geography) -> None:
    delegated = geo.former_communes["01015"]
    assert delegated.kind == "delegated" and delegated.territory_code == "COMD:01015"
    assert geo.commune("01015").kind == "current"  # the current commune wins
    some_current = next(c for c in geo.communes.values() if c.former_codes)
    old = some_current.former_codes[0]
    assert geo.commune(old).code in (old, some_current.code)
    assert geo.get("REG:988").territory_code == "COLL:988"


def test_unknown_and_malformed_codes(geo: Geography) -> None:
    with pytest.raises(NotFound):
        geo.get("DEP:99")
    with pytest.raises(NotFound):
        geo.commune("59999")
    with pytest.raises(InvalidInput):
        geo.commune("ABCDE")
    assert geo.get_or_none("REG:00") is None
    assert "2A004" in geo.known_commune_codes()


def test_populations_and_geometries(geo: Geography) -> None:
    france = sum(r.population for r in geo.regions.values())
    assert 67_000_000 < france < 70_000_000
    assert geo.regions["84"].geometry is not None
    assert all(d.geometry is not None for d in geo.departements.values())
    assert geo.departements["59"].geometry["type"] in ("Polygon", "MultiPolygon")  # type: ignore[index]
