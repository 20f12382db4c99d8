"""What the public exports may cost: a number of downloads per client, a number of rows.

A client (by address) may start ``export_rate_limit`` exports (``30/minute`` by default,
the notation of the ``limits`` library); beyond, 429 with ``Retry-After``. The count is
kept in memory, per server process. An export holds at most ``export_max_rows`` rows
(actors or links for CSV, features for GeoJSON; 0: no cap); a larger view is refused
with a message that says how large it is and how to narrow it, rather than cut short
without a word. ``maillage export`` on the server has no cap.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.requests import Request

from maillage.model import numbers
from maillage.settings import Settings
from maillage.web.deployment import rate_limits_of
from maillage.web.errors import Refused

NAMESPACE = "export"


class ExportGuard:
    """The rate limit and the row cap of the public exports of one application."""

    def __init__(self, settings: Settings) -> None:
        self.max_rows = settings.export_max_rows
        self.rates: list[RateLimitItem] = rate_limits_of(settings.export_rate_limit)
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    def admit(self, request: Request) -> None:
        """Count one export for the client. Raises Refused (429, ``Retry-After``)."""
        client = request.client.host if request.client else "-"
        for rate in self.rates:
            if not self.limiter.hit(rate, NAMESPACE, client):
                reset = self.limiter.get_window_stats(rate, NAMESPACE, client).reset_time
                wait = max(1, math.ceil(reset - time.time()))
                raise Refused(
                    429,
                    "TooManyRequests",
                    f"Trop de téléchargements depuis votre adresse ({rate.amount} par "
                    f"{_per(rate, 'fr')}) : réessayez dans {wait} s.",
                    f"Too many downloads from your address ({rate.amount} per "
                    f"{_per(rate, 'en')}): try again in {wait} s.",
                    {"Retry-After": str(wait)},
                )

    def check_size(self, rows: int) -> None:
        """Refuse an export of more than ``max_rows`` rows. Raises Refused (422)."""
        if not self.max_rows or rows <= self.max_rows:
            return
        fr = numbers.number(rows, "fr"), numbers.number(self.max_rows, "fr")
        en = numbers.number(rows, "en"), numbers.number(self.max_rows, "en")
        raise Refused(
            422,
            "ExportTooLarge",
            f"Cette vue compte {fr[0]} lignes à exporter ; un export public en contient "
            f"au plus {fr[1]}. Affinez les filtres (territoire, monde, période), ou exportez "
            "sur le serveur avec « maillage export ».",
            f"This view holds {en[0]} rows to export; a public export holds at most "
            f"{en[1]}. Narrow the filters (territory, world, period), or export on the "
            "server with `maillage export`.",
        )


def _per(rate: RateLimitItem, lang: str) -> str:
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
