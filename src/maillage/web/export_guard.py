"""What the public exports may cost: a number of downloads per client, a number of rows.

A client (by address) may start ``export_rate_limit`` exports (``30/minute`` by default,
the notation of the ``limits`` library); beyond, 429 with ``Retry-After``. The count is
kept in memory, per server process. An export holds at most ``export_max_rows`` rows
(actors or links for CSV, features for GeoJSON; 0: no cap); a larger view is refused
with a message that says how large it is and how to narrow it, rather than cut short
without a word. ``maillage export`` on the server has no cap.
"""

from __future__ import annotations

from limits.storage import MemoryStorage
from starlette.requests import Request

from maillage.model import numbers
from maillage.settings import Settings
from maillage.web.errors import Refused
from maillage.web.rate_limit import RateLimit

NAMESPACE = "export"


class ExportGuard:
    """The rate limit and the row cap of the public exports of one application."""

    def __init__(self, settings: Settings, storage: MemoryStorage | None = None) -> None:
        self.max_rows = settings.export_max_rows
        self.rate = RateLimit(
            NAMESPACE, settings.export_rate_limit, "export_rate_limit", storage or MemoryStorage()
        )
        self.rates = self.rate.rates

    def admit(self, request: Request) -> None:
        """Count one export for the client. Raises Refused (429, ``Retry-After``)."""
        self.rate.admit(request)

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
