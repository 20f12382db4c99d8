"""``maillage evaluate ecoindex URL``, run as a user would against a local page."""

from __future__ import annotations

import json

import pytest

from cli.invoke import run
from ecoindex_pages import Site, build_page, reference_ecoindex, require_chromium


def test_a_local_page_is_measured_when_its_network_is_allowed(site: Site) -> None:
    require_chromium()
    page = build_page(site, "page", inline=300, scripts=(40_000,), images=4)
    url = site.origin + page.path
    code, out, _ = run(
        "evaluate", "ecoindex", url, "--allow-network", "127.0.0.0/8", "--wait", "0", "--json"
    )
    assert code == 0
    found = json.loads(out)
    assert (found["dom_nodes"], found["requests"]) == (page.dom_nodes, page.requests)
    assert found["size_kb"] == site.bytes_sent(page.path)[1] / 1000
    assert (found["score"], found["grade"], found["ges"], found["water"]) == reference_ecoindex(
        found["dom_nodes"], found["requests"], found["size_kb"]
    )
    assert found["policy"]["allowed_networks"] == ["127.0.0.0/8"] and found["refused"] == []


def test_loopback_is_refused_by_default_in_one_line(site: Site) -> None:
    page = build_page(site, "page", inline=3)
    code, out, err = run("evaluate", "ecoindex", site.origin + page.path)
    assert code == 1 and out == ""
    assert "adresse non publique 127.0.0.1" in err and site.sent == []


def test_a_bad_network_is_named_and_other_schemes_are_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MAILLAGE_ECOINDEX_ALLOWED_NETWORKS", "10.0.0.0/8, nowhere")
    code, _, err = run("evaluate", "ecoindex", "http://10.0.0.1/")
    assert code == 1 and "'nowhere'" in err and "MAILLAGE_ECOINDEX_ALLOWED_NETWORKS" in err
    monkeypatch.delenv("MAILLAGE_ECOINDEX_ALLOWED_NETWORKS")
    code, _, err = run("evaluate", "ecoindex", "file:///etc/passwd")
    assert code == 1 and "schéma « file » refusé" in err
