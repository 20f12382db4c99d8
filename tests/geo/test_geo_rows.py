"""Rows for the territory, postcode and EPCI-member tables."""

from __future__ import annotations

import json
from collections import Counter

from maillage.geo import iter_epci_members, iter_postcodes, iter_territories


def test_territory_rows_are_unique_and_parents_come_first() -> None:
    seen: set[str] = set()
    levels: Counter[str] = Counter()
    for row in iter_territories():
        assert row.code not in seen
        assert row.parent_code is None or row.parent_code in seen
        seen.add(row.code)
        levels[row.level] += 1
    assert levels["region"] == 18
    assert levels["departement"] == 101
    assert levels["epci"] == 1255
    assert levels["commune"] == 34969
    assert levels["arrondissement_municipal"] == 45


def test_rows_in_json_text_form() -> None:
    rows = {r.code: r for r in iter_territories(json_text=True)}
    dep = rows["DEP:2A"]
    assert dep.parent_code == "REG:94" and dep.name_folded == "corse du sud"
    assert isinstance(dep.geometry, str) and json.loads(dep.geometry)["type"]
    commune = rows["COM:59350"]
    assert commune.parent_code == "DEP:59" and commune.name == "Lille"
    assert isinstance(commune.extra, str) and "59000" in json.loads(commune.extra)["postcodes"]
    assert commune.geometry is None and commune.latitude is not None
    assert rows["EPCI:200054781"].parent_code == "DEP:75"
    assert rows["COM:98818"].parent_code == "COLL:988"


def test_postcode_and_member_rows() -> None:
    postcodes = set(iter_postcodes())
    assert ("59300", "59606") in postcodes and ("75001", "75101") in postcodes
    members = list(iter_epci_members())
    assert len(members) == 34871
    assert ("200054781", "75056") in members
