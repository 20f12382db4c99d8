"""The EcoIndex of a web page, measured by loading it in Chromium under a network policy.

The measurement follows the reference scraper (``ecoindex-scraper``, cnumr/
ecoindex_python_fullstack ``components/ecoindex/scraper/scrap.py``): a fresh browser
context recording a HAR, its screen 1920 × 1080 (the reference sets the screen only:
the viewport stays Playwright's 1280 × 720), the page loaded until its ``load``
event, a pause, the Down arrow key and a scroll to the bottom, another pause, then

* **DOM elements**: every element of the page (Playwright's ``*`` locator, which
  enters open shadow roots) less the elements inside an ``<svg>``;
* **requests**: the entries of the HAR, the page itself and every subresource,
  redirects included;
* **size**: the sum of their transferred bytes (``_transferSize``: headers and encoded
  body as received), in kilobytes of 1000 bytes;

and the score, grade, greenhouse gases and water of :mod:`maillage.analysis.ecoindex`.

The network policy (:class:`NetworkPolicy`) is checked on every request the browser
makes, the page, its redirects, subresources, frames and workers alike, through the
DevTools ``Fetch`` domain of the whole browser: http and https only; no address that
is not public (private, loopback, link-local, shared, reserved, multicast) unless it
lies in one of the allowed networks; every address a host name resolves to must pass.
Refused requests fail in the browser and are listed in the result. WebSockets are
refused. Service workers are blocked. The page must load within the time limit and
transfer at most the size limit, else the measurement stops with a clear message.
Left open: a host name whose address changes between our check and the browser's own
lookup (DNS rebinding) is checked on the first answer only.

Playwright is an optional dependency (``pip install "maillage[ecoindex]"``), imported
only when a page is measured.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import shutil
import socket
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from maillage.analysis.ecoindex import compute_ecoindex, reference
from maillage.model.errors import InvalidInput, MaillageError
from maillage.settings import Settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

SCHEMES = ("http", "https")
SCREEN = (1920, 1080)  # the reference's window size, given as the screen
VIEWPORT = (1280, 720)  # Playwright's default, which the reference keeps
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


class EcoIndexError(MaillageError):
    """A page could not be measured. ``reason``: ``too_slow``, ``too_large``,
    ``refused`` (the page redirects where the policy refuses), ``status`` (not 200),
    ``not_html``, ``failed`` (the browser's error) or ``browser`` (Playwright or
    Chromium missing)."""

    def __init__(self, reason: str, message_fr: str, message_en: str) -> None:
        self._init_args = (reason, message_fr, message_en)
        self.reason = reason
        super().__init__(message_fr, message_en)


@dataclass(frozen=True, slots=True)
class NetworkPolicy:
    """What a measurement may reach and how long and large a page may be."""

    allowed_networks: tuple[Network, ...] = ()  # non-public networks allowed all the same
    timeout_s: float = 60.0  # the whole measurement of one page
    max_bytes: int = 50_000_000  # bytes the page may transfer, all requests together
    wait_s: float = 1.0  # pause before and after the scroll (the reference's default)

    @classmethod
    def from_settings(cls, settings: Settings, **limits: Any) -> NetworkPolicy:
        """The policy of ``settings.ecoindex_allowed_networks`` with ``limits``."""
        return cls(allowed_networks=parse_networks(settings.ecoindex_allowed_networks), **limits)

    def describe(self) -> dict[str, Any]:
        """The policy as recorded with a measurement."""
        return {
            "schemes": list(SCHEMES),
            "public_addresses_only": True,
            "allowed_networks": [str(net) for net in self.allowed_networks],
            "timeout_s": self.timeout_s,
            "max_bytes": self.max_bytes,
            "wait_s": self.wait_s,
            "screen": f"{SCREEN[0]}x{SCREEN[1]}",
            "viewport": f"{VIEWPORT[0]}x{VIEWPORT[1]}",
        }


@dataclass(frozen=True, slots=True)
class RefusedRequest:
    """A request the policy refused: its URL and why, in French and English."""

    url: str
    reason_fr: str
    reason_en: str


@dataclass(frozen=True, slots=True)
class EcoIndexMeasurement:
    """The EcoIndex of ``url`` measured at ``measured_at`` (UTC): the evidence of the
    environmental criterion. ``size_kb`` in kilobytes of 1000 bytes, ``ges`` in gCO2e,
    ``water`` in cl; ``refused`` the requests the policy stopped (the page was measured
    without them); ``policy`` the policy applied; ``reference`` the reference values'
    version."""

    url: str
    final_url: str
    dom_nodes: int
    requests: int
    size_kb: float
    score: int
    grade: str
    ges: float
    water: float
    measured_at: datetime
    refused: tuple[RefusedRequest, ...] = ()
    policy: dict[str, Any] = field(default_factory=dict)
    reference: str = ""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description (``measured_at`` in ISO 8601)."""
        data = asdict(self)
        data["measured_at"] = self.measured_at.isoformat()
        data["refused"] = [asdict(item) for item in self.refused]
        return data


def parse_networks(
    texts: Sequence[str], source: str = "ecoindex_allowed_networks"
) -> tuple[Network, ...]:
    """The networks of ``texts`` (``10.0.0.0/8``, ``127.0.0.1``, ``::1/128``); raises
    :class:`InvalidInput` naming ``source`` and the one that is not a network."""
    found = []
    for text in texts:
        try:
            found.append(ipaddress.ip_network(text.strip(), strict=False))
        except ValueError:
            raise InvalidInput(
                source,
                text,
                "un réseau IP attendu, ex. 10.0.0.0/8 ou 127.0.0.1",
                "an IP network expected, e.g. 10.0.0.0/8 or 127.0.0.1",
            ) from None
    return tuple(found)


def _address_refusal(address: Address, policy: NetworkPolicy) -> RefusedRequest | None:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if any(address in net for net in policy.allowed_networks):
        return None
    if address.is_global and not address.is_multicast:
        return None
    return RefusedRequest(
        "",
        f"adresse non publique {address} (privée, locale ou réservée) non autorisée ; "
        "l'administrateur peut autoriser son réseau (MAILLAGE_ECOINDEX_ALLOWED_NETWORKS, "
        "ou --allow-network en ligne de commande)",
        f"non-public address {address} (private, loopback or reserved) not allowed; "
        "the administrator may allow its network (MAILLAGE_ECOINDEX_ALLOWED_NETWORKS, or "
        "--allow-network on the command line)",
    )


async def refusal(
    url: str, policy: NetworkPolicy, resolved: dict[str, list[Address]] | None = None
) -> RefusedRequest | None:
    """Why ``policy`` refuses a request to ``url``, or None when it may go.

    ``resolved`` keeps the addresses of the host names looked up (one measurement's):
    each name is looked up once and every later request to it checked on that answer."""
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES:
        return RefusedRequest(
            url,
            f"schéma « {parts.scheme} » refusé : http et https seulement",
            f"scheme '{parts.scheme}' refused: http and https only",
        )
    host = parts.hostname or ""
    resolved = {} if resolved is None else resolved
    if host not in resolved:
        try:
            resolved[host] = await _addresses(host)
        except (OSError, UnicodeError):
            return RefusedRequest(
                url, f"nom d'hôte introuvable « {host} »", f"host name not found '{host}'"
            )
    for address in resolved[host]:
        refused = _address_refusal(address, policy)
        if refused is not None:
            return RefusedRequest(url, refused.reason_fr, refused.reason_en)
    return None


async def _addresses(host: str) -> list[Address]:
    """The addresses of ``host``: itself if an IP address, else every one it resolves to."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
        return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


def check_url(url: str, policy: NetworkPolicy) -> None:
    """Raise :class:`InvalidInput` when ``policy`` refuses the page ``url`` itself (not
    from inside a running event loop)."""
    refused = asyncio.run(refusal(url, policy))
    _raise_refused(url, refused)


def _raise_refused(url: str, refused: RefusedRequest | None) -> None:
    if refused is not None:
        raise InvalidInput("url", url, refused.reason_fr, refused.reason_en)


def find_chromium() -> str:
    """The Chromium binary (``chromium`` on the PATH, Debian's /usr/bin/chromium)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        raise EcoIndexError(
            "browser",
            "Chromium est introuvable : installez-le (Debian : apt-get install chromium)",
            "Chromium not found: install it (Debian: apt-get install chromium)",
        )
    return found


def measure_ecoindex(
    url: str, *, policy: NetworkPolicy, chromium: str | None = None
) -> EcoIndexMeasurement:
    """The EcoIndex of the page ``url`` loaded under ``policy`` (one browser for it).

    Raises :class:`InvalidInput` when the policy refuses ``url``, :class:`EcoIndexError`
    when the page cannot be measured (time or size limit, status, not HTML, browser)."""
    check_url(url, policy)  # before starting a browser
    with ecoindex_browser(policy=policy, chromium=chromium) as browser:
        return browser.measure(url)


@contextmanager
def ecoindex_browser(
    *, policy: NetworkPolicy, chromium: str | None = None
) -> Iterator[EcoIndexBrowser]:
    """One Chromium to measure several pages with :meth:`EcoIndexBrowser.measure`, each in
    a fresh context (empty cache, as the reference's fresh browser). Not from inside a
    running event loop: call it from a thread there."""
    browser = EcoIndexBrowser(policy, chromium or find_chromium())
    try:
        browser.start()
        yield browser
    finally:
        browser.close()


class EcoIndexBrowser:
    """A Chromium under a network policy; see :func:`ecoindex_browser`."""

    def __init__(self, policy: NetworkPolicy, chromium: str) -> None:
        self._default = self.policy = policy  # self.policy: the measurement's
        self.chromium = chromium
        self._loop = asyncio.new_event_loop()
        self._playwright: Any = None
        self._browser: Any = None
        self._refused: dict[str, RefusedRequest] = {}
        self._received: _Received | None = None  # of the page being measured
        self._resolved: dict[str, list[Address]] = {}  # host names it looked up

    def start(self) -> None:
        self._loop.run_until_complete(self._start())

    def close(self) -> None:
        try:
            self._loop.run_until_complete(self._close())
        finally:
            self._loop.close()

    def measure(self, url: str, *, policy: NetworkPolicy | None = None) -> EcoIndexMeasurement:
        """The EcoIndex of ``url`` under ``policy`` (default: the browser's); see
        :func:`measure_ecoindex`."""
        self.policy = policy = policy or self._default
        self._refused, self._resolved = {}, {}
        _raise_refused(url, self._loop.run_until_complete(refusal(url, policy, self._resolved)))
        measured_at = datetime.now(UTC)
        try:
            nodes, entries, final_url = self._loop.run_until_complete(
                asyncio.wait_for(self._load(url), policy.timeout_s)
            )
        except TimeoutError:
            raise _too_slow(url, policy) from None
        requests, size = _count(entries, self._refused)
        if size > policy.max_bytes:
            raise _too_large(url, policy)
        score = compute_ecoindex(dom_nodes=nodes, requests=requests, size_kb=size / 1000)
        return EcoIndexMeasurement(
            url=url,
            final_url=final_url,
            dom_nodes=nodes,
            requests=requests,
            size_kb=size / 1000,
            score=score.score,
            grade=score.grade,
            ges=score.ges,
            water=score.water,
            measured_at=measured_at,
            refused=tuple(self._refused.values()),
            policy=policy.describe(),
            reference=reference().version,
        )

    async def _start(self) -> None:
        try:
            from playwright.async_api import async_playwright
        except ImportError:
            raise EcoIndexError(
                "browser",
                'Playwright manque pour mesurer l\'EcoIndex : pip install "maillage[ecoindex]"',
                'Playwright is missing to measure the EcoIndex: pip install "maillage[ecoindex]"',
            ) from None
        self._playwright = await async_playwright().start()
        self._browser = await self._playwright.chromium.launch(
            executable_path=self.chromium, args=CHROMIUM_ARGS
        )
        # The whole browser's requests, redirects included, pause here for the policy.
        session = await self._browser.new_browser_cdp_session()
        session.on("Fetch.requestPaused", lambda event: self._decide(session, event))
        stages = [{"urlPattern": "*", "requestStage": stage} for stage in ("Request", "Response")]
        await session.send("Fetch.enable", {"patterns": stages})

    async def _close(self) -> None:
        if self._browser is not None:
            await self._browser.close()
        if self._playwright is not None:
            await self._playwright.stop()

    async def _decide(self, session: Any, event: dict[str, Any]) -> None:
        """A paused request: refused or let go (request stage); a response announcing
        more bytes than the size limit stops the page (response stage)."""
        url = event["request"]["url"]
        if "responseStatusCode" in event or "responseErrorReason" in event:
            if self._received is not None:
                self._received.announce(event.get("responseHeaders") or [])
            await _send(session, "Fetch.continueRequest", requestId=event["requestId"])
            return
        refused = await refusal(url, self.policy, self._resolved)
        if refused is None:
            await _send(session, "Fetch.continueRequest", requestId=event["requestId"])
            return
        self._refused.setdefault(url, refused)
        await _send(
            session,
            "Fetch.failRequest",
            requestId=event["requestId"],
            errorReason="BlockedByClient",
        )

    async def _load(self, url: str) -> tuple[int, list[dict[str, Any]], str]:
        with tempfile.TemporaryDirectory(prefix="maillage-ecoindex-") as folder:
            har = Path(folder) / "page.har"
            context = await self._browser.new_context(
                viewport={"width": VIEWPORT[0], "height": VIEWPORT[1]},
                screen={"width": SCREEN[0], "height": SCREEN[1]},
                record_har_path=str(har),
                record_har_content="omit",
                service_workers="block",
            )
            try:
                await context.route_web_socket("**/*", self._refuse_websocket)
                page = await context.new_page()
                nodes, final_url = await self._visit(page, url)
            finally:
                await context.close()  # writes the HAR
            entries: list[dict[str, Any]] = json.loads(har.read_text("utf-8"))["log"]["entries"]
        return nodes, entries, final_url

    async def _visit(self, page: Any, url: str) -> tuple[int, str]:
        """Load, scroll and count ``page``, stopped as soon as the bytes received or
        announced pass the size limit."""
        self._received = received = _Received(self.policy.max_bytes)
        session = await page.context.new_cdp_session(page)
        session.on("Network.dataReceived", received.add)
        session.on("Network.loadingFinished", received.finish)
        await session.send("Network.enable")
        loading = asyncio.ensure_future(self._scroll(page, url))
        exceeded = asyncio.ensure_future(received.exceeded.wait())
        try:
            await asyncio.wait({loading, exceeded}, return_when=asyncio.FIRST_COMPLETED)
            if not loading.done():
                raise _too_large(url, self.policy)
            return loading.result()
        finally:
            self._received = None
            for task in (loading, exceeded):
                task.cancel()
            await asyncio.gather(loading, exceeded, return_exceptions=True)

    async def _scroll(self, page: Any, url: str) -> tuple[int, str]:
        from playwright.async_api import Error as PlaywrightError

        try:
            response = await page.goto(url, timeout=self.policy.timeout_s * 1000)
            await page.wait_for_load_state()
        except PlaywrightError as error:
            first = str(error).splitlines()[0]
            if "ERR_BLOCKED_BY_CLIENT" in first and self._refused:
                refused = next(iter(self._refused.values()))  # the page's redirect
                raise EcoIndexError(
                    "refused",
                    f"la page {url} mène à {refused.url}, refusée : {refused.reason_fr}",
                    f"the page {url} leads to {refused.url}, refused: {refused.reason_en}",
                ) from None
            raise EcoIndexError(
                "failed",
                f"la page {url} n'a pas pu être chargée : {first}",
                f"the page {url} could not be loaded: {first}",
            ) from None
        _check_response(url, response)
        await asyncio.sleep(self.policy.wait_s)
        await page.keyboard.press("ArrowDown")
        await page.evaluate(
            "window.scrollTo({ top: document.body.scrollHeight, behavior: 'smooth' })"
        )
        await asyncio.sleep(self.policy.wait_s)
        elements = await page.locator("*").count()
        in_svg = await page.locator("//*[local-name()='svg']//*").count()
        return elements - in_svg, page.url

    async def _refuse_websocket(self, socket_route: Any) -> None:
        url = socket_route.url
        self._refused.setdefault(
            url,
            RefusedRequest(
                url,
                "WebSocket refusé : http et https seulement",
                "WebSocket refused: http and https only",
            ),
        )
        await socket_route.close()


class _Received:
    """Bytes a page received so far (each request's chunks, then its total when it
    ends); ``exceeded`` is set once they, or a response's announced length, pass
    ``limit``. Chromium reports chunks for some requests only: the announced length
    (Content-Length) and the time limit stop the others."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.by_request: dict[str, int] = {}
        self.exceeded = asyncio.Event()

    def add(self, event: dict[str, Any]) -> None:
        chunk = int(event.get("encodedDataLength") or event.get("dataLength") or 0)
        self.by_request[event["requestId"]] = self.by_request.get(event["requestId"], 0) + chunk
        self._check(0)

    def finish(self, event: dict[str, Any]) -> None:
        self.by_request[event["requestId"]] = int(event.get("encodedDataLength") or 0)
        self._check(0)

    def announce(self, headers: list[dict[str, str]]) -> None:
        length = next((h["value"] for h in headers if h["name"].lower() == "content-length"), "")
        self._check(int(length) if length.strip().isdigit() else 0)

    def _check(self, coming: int) -> None:
        if sum(self.by_request.values()) + coming > self.limit:
            self.exceeded.set()


async def _send(session: Any, method: str, **params: Any) -> None:
    """A DevTools command whose request may have gone meanwhile (page closed)."""
    from playwright.async_api import Error as PlaywrightError

    with suppress(PlaywrightError):
        await session.send(method, params)


def _count(entries: list[dict[str, Any]], refused: dict[str, RefusedRequest]) -> tuple[int, int]:
    """(requests, transferred bytes) of the HAR ``entries``, as the reference counts them
    (an entry without a transfer size counts its response's JSON), less the requests
    the policy refused (they never left the browser)."""
    requests = size = 0
    for entry in entries:
        response = entry["response"]
        if entry["request"]["url"] in refused and response.get("status", 0) <= 0:
            continue
        requests += 1
        transferred = response.get("_transferSize", -1)
        size += transferred if transferred != -1 else len(json.dumps(response).encode("utf-8"))
    return requests, size


def _check_response(url: str, response: Any) -> None:
    """The reference measures an HTML page answered 200 only."""
    if response is None:
        return
    if response.status != 200:
        raise EcoIndexError(
            "status",
            f"la page {url} a répondu {response.status} {response.status_text} (200 attendu)",
            f"the page {url} answered {response.status} {response.status_text} (200 expected)",
        )
    kind = response.headers.get("content-type")
    if kind and "text/html" not in kind:
        raise EcoIndexError(
            "not_html",
            f"{url} n'est pas une page HTML ({kind})",
            f"{url} is not an HTML page ({kind})",
        )


def _too_slow(url: str, policy: NetworkPolicy) -> EcoIndexError:
    return EcoIndexError(
        "too_slow",
        f"la page {url} n'a pas été mesurée en {policy.timeout_s:g} s (limite de temps)",
        f"the page {url} was not measured within {policy.timeout_s:g} s (time limit)",
    )


def _too_large(url: str, policy: NetworkPolicy) -> EcoIndexError:
    limit = policy.max_bytes / 1000
    return EcoIndexError(
        "too_large",
        f"la page {url} dépasse {limit:g} Ko transférés (limite de taille) : mesure arrêtée",
        f"the page {url} transfers more than {limit:g} KB (size limit): measurement stopped",
    )
