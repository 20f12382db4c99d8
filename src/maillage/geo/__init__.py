"""French reference geography (COG 2026) loaded from the open data shipped in the package.

Typical use::

    from maillage.geo import load_geography, iter_territories

    geo = load_geography()
    geo.get("DEP:2A").name                  # 'Corse-du-Sud'
    geo.find_by_name("saint etienne")       # [Commune(code='42218', ...)]
    geo.communes_by_postcode("59300")       # Valenciennes, Aulnoy-lez-Valenciennes, Famars
    geo.communes_named("Ambleville", departement="16")  # [OtherName(kind='delegated',
                                            #   commune='16186', ...)]: Lignières-Ambleville
"""

from maillage.geo.geography import (
    CentroidCoverage,
    Geography,
    OtherName,
    build_geography,
    load_geography,
)
from maillage.geo.model import Commune, Departement, Epci, Region, Territory
from maillage.geo.rows import (
    EpciMemberRow,
    PostcodeRow,
    TerritoryRow,
    iter_epci_members,
    iter_postcodes,
    iter_territories,
)

__all__ = [
    "CentroidCoverage",
    "Commune",
    "Departement",
    "Epci",
    "EpciMemberRow",
    "Geography",
    "OtherName",
    "PostcodeRow",
    "Region",
    "Territory",
    "TerritoryRow",
    "build_geography",
    "iter_epci_members",
    "iter_postcodes",
    "iter_territories",
    "load_geography",
]
