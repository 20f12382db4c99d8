"""Rate limits of the portal, one mechanism for all: exports, sign-in, contributions,
EcoIndex measurements.

A :class:`RateLimit` holds rates in the notation of the ``limits`` library
(``"10/minute;100/hour"``) and counts hits per key (a client address, an account) in
memory, per server process, with a moving window. Beyond a rate: 429 with
``Retry-After`` and a message in French and English saying what was limited.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.requests import Request

from maillage.web.deployment import rate_limits_of
from maillage.web.errors import Refused

# What is limited, per namespace: (French, English) of "too many …".
WHAT = {
    "export": ("Trop de téléchargements", "Too many downloads"),
    "login": ("Trop de tentatives de connexion", "Too many sign-in attempts"),
    "contribution": ("Trop de contributions", "Too many contributions"),
    "mail": ("Trop de courriels demandés", "Too many e-mails asked for"),
    "ecoindex": ("Trop de mesures EcoIndex", "Too many EcoIndex measurements"),
}


def client_key(request: Request) -> str:
    """The client's address (as the server sees it: behind a proxy, uvicorn's
    ``--forwarded-allow-ips`` makes it the real one)."""
    return request.client.host if request.client else "-"


class RateLimit:
    """Rates counted per key under one namespace (``export``, ``login``…)."""

    def __init__(self, namespace: str, rates: str, field: str, storage: MemoryStorage) -> None:
        self.namespace = namespace
        self.rates: list[RateLimitItem] = rate_limits_of(rates, field)
        self.limiter = MovingWindowRateLimiter(storage)

    def admit(self, request: Request, key: str | None = None) -> None:
        """Count one hit for ``key`` (default: the client's address).
        Raises Refused (429, ``Retry-After``)."""
        who = key or client_key(request)
        for rate in self.rates:
            if not self.limiter.hit(rate, self.namespace, who):
                reset = self.limiter.get_window_stats(rate, self.namespace, who).reset_time
                wait = max(1, math.ceil(reset - time.time()))
                fr, en = WHAT.get(self.namespace, ("Trop de demandes", "Too many requests"))
                raise Refused(
                    429,
                    "TooManyRequests",
                    f"{fr} depuis votre adresse ({rate.amount} par {per(rate, 'fr')}) : "
                    f"réessayez dans {wait} s.",
                    f"{en} from your address ({rate.amount} per {per(rate, 'en')}): "
                    f"try again in {wait} s.",
                    {"Retry-After": str(wait)},
                )


def per(rate: RateLimitItem, lang: str) -> str:
    """``minute`` / ``5 minutes`` of a rate, in French or English."""
    units = {
        "second": ("seconde", "second"),
        "minute": ("minute", "minute"),
        "hour": ("heure", "hour"),
        "day": ("jour", "day"),
        "month": ("mois", "month"),
        "year": ("an", "year"),
    }
    word = units.get(rate.GRANULARITY.name, (rate.GRANULARITY.name,) * 2)[lang == "en"]
    if rate.multiples == 1:
        return word
    plural = word if word.endswith("s") else word + "s"
    return f"{rate.multiples} {plural}"
