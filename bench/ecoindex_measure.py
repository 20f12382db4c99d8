"""EcoIndex measurement: a page measured under the network policy vs the same page loaded
by a bare Playwright context in another Chromium of the same build, in the same run.

The measurement pauses every request twice in the DevTools Fetch domain (the policy's
check, then the size limit's look at the response), records a HAR, scrolls and counts
the DOM; the reference only opens a context, loads the page and closes it. Both load the
same local page (``--images`` small images, ``--elements`` elements), ``--runs`` times,
alternately; the ratio of their median wall-clock times is printed (a browser works in
other processes: CPU time of this one would not tell).

    .venv/bin/python bench/ecoindex_measure.py [--runs 10] [--images 100] [--elements 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from ecoindex_pages import Site, build_page, serve  # noqa: E402
from maillage.services.ecoindex import (  # noqa: E402
    CHROMIUM_ARGS,
    EcoIndexBrowser,
    NetworkPolicy,
    ecoindex_browser,
    find_chromium,
)


async def bare_load(browser: Any, url: str) -> None:
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(url)
    await context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--images", type=int, default=100)
    parser.add_argument("--elements", type=int, default=2000)
    args = parser.parse_args()
    policy = NetworkPolicy(allowed_networks=(ipaddress.ip_network("127.0.0.1/32"),), wait_s=0)
    with serve(Site()) as site, ecoindex_browser(policy=policy, chromium=find_chromium()) as meter:
        page = build_page(site, "bench", inline=args.elements, images=args.images)
        url = site.origin + page.path
        measured, bare = [], []
        # The reference: another Chromium of the same build, without the Fetch domain on.
        loop: asyncio.AbstractEventLoop = meter._loop
        browser = loop.run_until_complete(
            meter._playwright.chromium.launch(executable_path=meter.chromium, args=CHROMIUM_ARGS)
        )
        for _ in range(args.runs):
            start = time.perf_counter()
            found = EcoIndexBrowser.measure(meter, url)
            measured.append(time.perf_counter() - start)
            start = time.perf_counter()
            loop.run_until_complete(bare_load(browser, url))
            bare.append(time.perf_counter() - start)
        loop.run_until_complete(browser.close())
    assert (found.dom_nodes, found.requests) == (page.dom_nodes, page.requests)
    m, b = statistics.median(measured), statistics.median(bare)
    print(
        f"page: {page.dom_nodes} elements, {page.requests} requests, {found.size_kb:.1f} kB; "
        f"EcoIndex {found.score} {found.grade}"
    )
    print(f"measured under the policy: median {m * 1000:.0f} ms over {args.runs} runs")
    print(f"bare Playwright load:      median {b * 1000:.0f} ms")
    print(f"ratio measured / bare: {m / b:.2f}")


if __name__ == "__main__":
    main()
