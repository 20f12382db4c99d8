"""Measuring the EcoIndex of pages loaded in Chromium, under the network policy.

One Chromium for the whole module; pages of known DOM size, requests and bytes, served
by a local server that counts what it sends."""

from __future__ import annotations

import ipaddress
import sys
from collections.abc import Iterator

import pytest

from ecoindex_pages import (
    Page,
    Resource,
    Site,
    build_page,
    reference_ecoindex,
    require_chromium,
    serve,
)
from maillage.model.errors import InvalidInput
from maillage.services.ecoindex import (
    EcoIndexBrowser,
    EcoIndexError,
    NetworkPolicy,
    check_url,
    ecoindex_browser,
    find_chromium,
)

LOOPBACK = (ipaddress.ip_network("127.0.0.1/32"),)
LOCAL = NetworkPolicy(allowed_networks=LOOPBACK, timeout_s=30, wait_s=0)


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    with serve(Site()) as served:
        yield served


@pytest.fixture(scope="module")
def browser() -> Iterator[EcoIndexBrowser]:
    with ecoindex_browser(policy=LOCAL, chromium=require_chromium()) as opened:
        yield opened


def test_measured_pages_match_their_known_counts_and_the_reference(
    site: Site, browser: EcoIndexBrowser
) -> None:
    pages: list[Page] = [
        build_page(site, "tiny", inline=1),
        build_page(site, "svg", inline=40, svg_shapes=200, styles=(2_000,), images=3),
        build_page(
            site,
            "medium",
            inline=600,
            scripts=(30_000, 150_000),
            styles=(20_000,),
            images=20,
            redirected_scripts=2,
        ),
        build_page(site, "large", inline=1_500, scripts=(900_000,), images=60),
        build_page(site, "scripted", inline=10, scripted_nodes=3_000, images=150),
    ]
    grades = set()
    for page in pages:
        found = browser.measure(site.origin + page.path)
        served, sent = site.bytes_sent(page.path)
        assert (found.dom_nodes, found.requests) == (page.dom_nodes, page.requests), page
        assert served == page.requests and found.size_kb == sent / 1000, page
        assert (found.score, found.grade, found.ges, found.water) == reference_ecoindex(
            found.dom_nodes, found.requests, found.size_kb
        )
        assert found.refused == () and found.final_url == site.origin + page.path
        grades.add(found.grade)
    assert len(grades) >= 3  # from light pages to heavy ones


def test_loopback_is_refused_unless_allowed(site: Site) -> None:
    page = build_page(site, "plain", inline=2)
    with pytest.raises(InvalidInput, match="non publique 127.0.0.1"):
        check_url(site.origin + page.path, NetworkPolicy())
    check_url(site.origin + page.path, LOCAL)  # allowed by configuration


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.org/", "data:text/html,<p>x</p>", "javascript:1"]
)
def test_other_schemes_are_refused(url: str) -> None:
    with pytest.raises(InvalidInput, match="http et https seulement"):
        check_url(url, LOCAL)


def test_private_link_local_and_mapped_addresses_are_refused() -> None:
    for url in (
        "http://10.1.2.3/",
        "http://192.168.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://100.64.0.1/",
    ):
        with pytest.raises(InvalidInput, match="non publique"):
            check_url(url, NetworkPolicy())
    check_url(
        "http://10.1.2.3/", NetworkPolicy(allowed_networks=(ipaddress.ip_network("10.0.0.0/8"),))
    )


def test_subresources_and_redirects_to_refused_addresses_never_leave(
    site: Site, browser: EcoIndexBrowser
) -> None:
    other = Site()
    with serve(other, host="127.0.0.2"):
        other.resources["/evil.js"] = Resource(b"var evil=1;", "text/javascript")
        other.resources["/frame.html"] = Resource(b"<!DOCTYPE html><p>framed</p>")
        site.resources["/mixed/hop.js"] = Resource(
            b"", "text/plain", status=302, location=f"{other.origin}/evil.js"
        )
        site.resources["/mixed/"] = Resource(
            (
                '<!DOCTYPE html><html><head><title>m</title><script src="/mixed/hop.js"></script>'
                f'<script src="{other.origin}/evil.js?direct"></script></head>'
                f'<body><iframe src="{other.origin}/frame.html"></iframe></body></html>'
            ).encode()
        )
        found = browser.measure(site.origin + "/mixed/")
        assert other.sent == []  # nothing reached 127.0.0.2
        assert sorted(r.url for r in found.refused) == [
            f"{other.origin}/evil.js",
            f"{other.origin}/evil.js?direct",
            f"{other.origin}/frame.html",
        ]
        assert all("127.0.0.2" in r.reason_fr for r in found.refused)
        assert found.requests == 2  # the page and the redirect; refused ones not loaded
        wider = NetworkPolicy(
            allowed_networks=(ipaddress.ip_network("127.0.0.0/8"),), timeout_s=30, wait_s=0
        )
        allowed = browser.measure(site.origin + "/mixed/", policy=wider)
        assert allowed.refused == () and allowed.requests == 5
        assert sorted(path for path, _ in other.sent) == [
            "/evil.js",
            "/evil.js?direct",
            "/frame.html",
        ]
        # A page that itself redirects there is not measured, and says where it led.
        site.resources["/away/"] = Resource(
            b"", "text/plain", status=302, location=f"{other.origin}/evil.js"
        )
        sent_before = len(other.sent)
        with pytest.raises(
            EcoIndexError, match=f"mène à {other.origin}/evil.js, refusée"
        ) as caught:
            browser.measure(site.origin + "/away/")
        assert caught.value.reason == "refused" and len(other.sent) == sent_before


def test_an_oversize_page_is_stopped(site: Site, browser: EcoIndexBrowser) -> None:
    page = build_page(site, "heavy", inline=3, scripts=(3_000_000,))
    small = NetworkPolicy(allowed_networks=LOOPBACK, max_bytes=1_000_000, timeout_s=30, wait_s=0)
    with pytest.raises(EcoIndexError, match="dépasse 1000 Ko transférés") as caught:
        browser.measure(site.origin + page.path, policy=small)
    assert caught.value.reason == "too_large"
    assert "1000 KB (size limit)" in caught.value.message_en


def test_a_slow_page_is_stopped(site: Site, browser: EcoIndexBrowser) -> None:
    site.resources["/slow/"] = Resource(b"<!DOCTYPE html><p>late</p>", delay_s=5)
    hasty = NetworkPolicy(allowed_networks=LOOPBACK, timeout_s=1, wait_s=0)
    with pytest.raises(EcoIndexError, match="n'a pas été mesurée en 1 s") as caught:
        browser.measure(site.origin + "/slow/", policy=hasty)
    assert caught.value.reason == "too_slow"
    # The browser measures the next page as usual.
    page = build_page(site, "after", inline=5)
    assert browser.measure(site.origin + page.path).dom_nodes == page.dom_nodes


def test_a_page_that_is_not_found_or_not_html_is_not_measured(
    site: Site, browser: EcoIndexBrowser
) -> None:
    with pytest.raises(EcoIndexError, match="404") as caught:
        browser.measure(site.origin + "/missing/")
    assert caught.value.reason == "status"
    site.resources["/data.json"] = Resource(b"{}", "application/json")
    with pytest.raises(EcoIndexError, match="pas une page HTML"):
        browser.measure(site.origin + "/data.json")


def test_a_missing_playwright_or_chromium_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "playwright.async_api", None)  # as if not installed
    with (
        pytest.raises(EcoIndexError, match=r'pip install "maillage\[ecoindex\]"') as caught,
        ecoindex_browser(policy=LOCAL, chromium="/usr/bin/chromium"),
    ):
        pass
    assert caught.value.reason == "browser"
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(EcoIndexError, match="apt-get install chromium"):
        find_chromium()
