"""Street addresses to coordinates through an address geocoder, when one is configured.

The portal never needs one: postcodes, commune names and INSEE codes are read offline
(:mod:`maillage.services.geography`). A deployment may name a BAN-compatible endpoint
(``serve --geocoder-url``, ``MAILLAGE_GEOCODER_URL``): the national Base Adresse
Nationale API (``https://api-adresse.data.gouv.fr/search/``) or the IGN Géoplateforme's
(``https://data.geopf.fr/geocodage/search``), which both answer ``GET ?q=…&limit=…``
with a GeoJSON FeatureCollection of points whose properties hold ``label``, ``score``
(0 to 1), ``type`` (``housenumber``, ``street``, ``locality``, ``municipality``),
``postcode``, ``citycode`` (INSEE) and ``city``.

:class:`Geocoder` asks such an endpoint with short timeouts and a deadline for the whole
exchange, reads at most :data:`MAX_ANSWER_BYTES`, keeps its answers in memory, and after
a failure stops asking for :data:`RETRY_SECONDS` so that a geocoder that is down costs
one page one timeout, not every page. :func:`parse_answer` reads an answer (pure).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

from maillage import __version__
from maillage.model.text import fold

log = logging.getLogger("maillage.geocoding")

TIMEOUT_SECONDS = 2.5
"""The longest a page waits for the geocoder, connection and answer together."""
MAX_ANSWER_BYTES = 200_000
"""A BAN answer of 5 features is about 3 kB; anything beyond this bound is refused."""
MIN_SCORE = 0.5
"""Below this BAN score the best feature is a guess, not the address typed."""
CACHE_SECONDS = 24 * 3600
CACHE_SIZE = 2048
RETRY_SECONDS = 30.0
MIN_QUERY, MAX_QUERY = 3, 200  # the BAN refuses shorter or longer queries

# Street types as folded text (see fold: "lieu-dit" is "lieu dit"), abbreviations included.
# fmt: off
STREET_WORDS = (
    "allee", "allees", "av", "ave", "avenue", "bd", "boulevard", "carrefour", "ch", "chaussee",
    "chemin", "cite", "clos", "cours", "domaine", "esplanade", "faubourg", "fg", "hameau", "imp",
    "impasse", "lieu dit", "lotissement", "mail", "montee", "parvis", "passage", "pl", "place",
    "placette", "promenade", "quai", "quartier", "rampe", "residence", "rond point", "route",
    "rte", "rue", "ruelle", "sentier", "square", "traverse", "venelle", "villa", "voie",
)
# fmt: on
_ADDRESS = re.compile(
    r"(?:^|\s)\d{1,4}(?:\s?(?:bis|ter|quater|[a-d]))?\s+(?:" + "|".join(STREET_WORDS) + r")\b"
)


def looks_like_address(text: str) -> bool:
    """True for a street address: a number then a street word (``10 rue de Paris``,
    ``3 bis av. Foch``), accents and case aside."""
    return _ADDRESS.search(fold(text)) is not None


@dataclass(frozen=True, slots=True)
class Address:
    """The point a geocoder found for a text, with the address as it writes it."""

    label: str  # "10 Rue de Paris 59000 Lille"
    latitude: float
    longitude: float
    score: float
    kind: str | None  # housenumber, street, locality, municipality
    postcode: str | None
    citycode: str | None
    city: str | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class GeocoderUnavailable(Exception):
    """The geocoder gave no usable answer in time (``reason`` says why, for the logs)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_answer(body: bytes) -> Address | None:
    """The best feature of a BAN answer scoring at least :data:`MIN_SCORE`, or None when
    it found nothing close. Raises GeocoderUnavailable for an answer that is not a GeoJSON
    FeatureCollection or whose features hold no readable point."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise GeocoderUnavailable("the answer is not JSON") from None
    features = data.get("features") if isinstance(data, dict) else None
    if not isinstance(features, list):
        raise GeocoderUnavailable("the answer is not a GeoJSON FeatureCollection")
    found = [a for a in map(_address, features) if a is not None]
    if features and not found:
        raise GeocoderUnavailable("no feature of the answer holds a point and a label")
    best = max(found, key=lambda a: a.score, default=None)
    return best if best is not None and best.score >= MIN_SCORE else None


def _address(feature: Any) -> Address | None:
    try:
        properties = feature["properties"]
        lon, lat = (float(v) for v in feature["geometry"]["coordinates"][:2])
        label = str(properties["label"]).strip()
        score = float(properties.get("score", 0))
    except (KeyError, TypeError, ValueError, IndexError):
        return None
    if not label or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None

    def text(name: str) -> str | None:
        value = properties.get(name)
        return str(value).strip() or None if value is not None else None

    return Address(
        label[:200], lat, lon, score, text("type"), text("postcode"), text("citycode"), text("city")
    )


class Geocoder:
    """A BAN-compatible endpoint at ``url``, asked at most once per text a day (answers
    cached) and not at all for :data:`RETRY_SECONDS` after a failure. Thread-safe."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float = TIMEOUT_SECONDS,
        max_bytes: int = MAX_ANSWER_BYTES,
        retry_seconds: float = RETRY_SECONDS,
    ) -> None:
        self.url = url
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.retry_seconds = retry_seconds
        self._answers: OrderedDict[str, tuple[float, Address | None]] = OrderedDict()
        self._down_until = 0.0
        self._lock = threading.Lock()
        # The page waits on a worker for at most ``timeout``: httpx's timeouts bound each
        # step of the exchange, this bounds them all together.
        self._workers = ThreadPoolExecutor(max_workers=4, thread_name_prefix="geocoder")

    @property
    def host(self) -> str:
        """The geocoder's host, for messages (never its query string)."""
        return urlsplit(self.url).hostname or self.url

    def geocode(self, text: str) -> Address | None:
        """The point of the address ``text``, or None when the geocoder knows no such
        address. Raises GeocoderUnavailable when it cannot tell (down, slow, garbled)."""
        query = " ".join(text.split())[:MAX_QUERY]
        key = fold(query)
        if len(query) < MIN_QUERY:
            return None
        now = time.monotonic()
        with self._lock:
            cached = self._answers.get(key)
            if cached is not None and cached[0] > now:
                self._answers.move_to_end(key)
                return cached[1]
            if self._down_until > now:
                raise GeocoderUnavailable("it failed a moment ago; not asked again yet")
        try:
            try:
                body = self._workers.submit(self._ask, query).result(timeout=self.timeout)
            except FutureTimeout:
                raise GeocoderUnavailable(f"no answer within {self.timeout:g} s") from None
            found = parse_answer(body)
        except GeocoderUnavailable as error:
            log.warning("geocoder %s unavailable: %s", self.host, error.reason)
            with self._lock:
                self._down_until = time.monotonic() + self.retry_seconds
            raise
        with self._lock:
            self._answers[key] = (time.monotonic() + CACHE_SECONDS, found)
            self._answers.move_to_end(key)
            while len(self._answers) > CACHE_SIZE:
                self._answers.popitem(last=False)
        return found

    def _ask(self, query: str) -> bytes:
        """The raw answer to ``query`` (each step within :attr:`timeout` seconds; a body
        still coming after them is refused)."""
        deadline = time.monotonic() + self.timeout
        params = {"q": query, "limit": "5", "autocomplete": "0"}
        # Identity encoding: the size bound holds for the bytes received, not a zip bomb.
        headers = {
            "Accept": "application/json",
            "Accept-Encoding": "identity",
            "User-Agent": f"maillage/{__version__}",
        }
        body = bytearray()
        try:
            with (
                httpx.Client(timeout=self.timeout, follow_redirects=False) as client,
                client.stream("GET", self.url, params=params, headers=headers) as answer,
            ):
                if answer.status_code != 200:
                    raise GeocoderUnavailable(f"HTTP status {answer.status_code}")
                if answer.headers.get("content-encoding", "identity") != "identity":
                    raise GeocoderUnavailable("a compressed answer, though none was asked")
                size = answer.headers.get("content-length", "0")
                if not size.isdigit() or int(size) > self.max_bytes:
                    raise GeocoderUnavailable(f"an answer over {self.max_bytes} bytes")
                for chunk in answer.iter_raw():
                    body += chunk
                    if len(body) > self.max_bytes:
                        raise GeocoderUnavailable(f"an answer over {self.max_bytes} bytes")
                    if time.monotonic() > deadline:
                        raise GeocoderUnavailable(f"no full answer within {self.timeout:g} s")
        except httpx.TimeoutException:
            raise GeocoderUnavailable(f"no answer within {self.timeout:g} s") from None
        except httpx.HTTPError as error:
            raise GeocoderUnavailable(f"{type(error).__name__}: {error}") from None
        return bytes(body)
