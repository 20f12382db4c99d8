"""Node-link JSON for the network widget, laid out on the server.

Nodes carry ``x``/``y`` from the seeded Fruchterman-Reingold layout of
:func:`maillage.analysis.layout.layout`, computed on the view's links for every year so
that the timeline replays links without moving the nodes (in a year, the nodes are the
actors linked that year: :attr:`~maillage.services.filters.Filters.on_links`).
Large views are aggregated: one node per (commune or département, world).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from typing import Any, Literal, NotRequired, TypedDict

import sqlalchemy as sa

from maillage.analysis.layout import layout
from maillage.services.filters import Filters, actor_conditions, clean_filters
from maillage.services.portal.view import (
    UNPLACED,
    VIEW_LIMIT,
    Aggregate,
    aggregate,
    aggregated_links,
    count_actors,
    departements_of,
    view_links,
)
from maillage.storage.tables import actor

LINK_LIMIT = 10_000  # link bundles an aggregated network may hold (the heaviest are kept)


class ActorNode(TypedDict):
    """An actor of the view, placed, with its links in the view (``degree``), those
    across worlds, and its radius in pixels."""

    id: str  # a<actor id>
    actor_id: int
    label: str
    world: str | None
    degree: int
    cross_world: int
    size: float
    x: float
    y: float


class ActorLink(TypedDict):
    """A link between two actor nodes; ``directed`` only when true."""

    id: str  # l<link id>
    source: str
    target: str
    kind: str
    start_year: int | None
    end_year: int | None
    directed: NotRequired[bool]


class GroupNode(TypedDict):
    """The actors of one world in one commune or département."""

    id: str  # g:<territory>:<world>
    territory: str | None
    label: str
    world: str | None
    count: int
    degree: int  # links to the other groups
    size: float
    x: float
    y: float


class BundleLink(TypedDict):
    """The links between two groups."""

    id: str
    source: str
    target: str
    count: int


class NetworkMeta(TypedDict):
    """What a network answer holds (see :func:`network_json`); ``bundles`` (the link
    bundles before the heaviest ``LINK_LIMIT`` are kept) when aggregated."""

    mode: Literal["actors", "aggregated"]
    level: str | None
    bundles: NotRequired[int]
    total: int
    limit: int
    filters: dict[str, str]


class NetworkAnswer(TypedDict):
    """Node-link JSON of a view (the node-link format of networkx)."""

    directed: bool
    multigraph: bool
    nodes: list[ActorNode] | list[GroupNode]
    links: list[ActorLink] | list[BundleLink]
    meta: NetworkMeta


def _size(degree: int) -> float:
    """Node radius in pixels: grows with the square root of the degree, capped."""
    return round(min(2.5 + 1.6 * math.sqrt(degree), 18.0), 2)


def _view_nodes(conn: sa.Connection, filters: Filters) -> list[tuple[int, str, str | None]]:
    """Id, name and world of the actors of the view (all a network node needs: no place)."""
    query = (
        sa.select(actor.c.id, actor.c.name, actor.c.world)
        .where(*actor_conditions(conn, filters))
        .order_by(actor.c.id)
    )
    return [(i, name, world) for i, name, world in conn.execute(query)]


def _actor_graph(conn: sa.Connection, filters: Filters) -> tuple[list[ActorNode], list[ActorLink]]:
    everyday_filters = filters.without_timeline()
    nodes = _view_nodes(conn, everyday_filters)  # laid out over every year: nodes stay put
    index = {n[0]: i for i, n in enumerate(nodes)}
    everyday = view_links(conn, everyday_filters)
    shown = view_links(conn, filters) if filters.year is not None else everyday
    positions = layout(
        len(nodes), [(index[e["source_id"]], index[e["target_id"]]) for e in everyday]
    )
    # In a year, the actors linked that year (the rule of the filters: map and counts too).
    linked = {i for e in shown for i in (e["source_id"], e["target_id"])}
    degree = [0] * len(nodes)
    crossing = [0] * len(nodes)
    for e in shown:
        a, b = index[e["source_id"]], index[e["target_id"]]
        degree[a] += 1
        degree[b] += 1
        if nodes[a][2] != nodes[b][2]:
            crossing[a] += 1
            crossing[b] += 1
    out_nodes: list[ActorNode] = [
        {
            "id": f"a{actor_id}",
            "actor_id": actor_id,
            "label": name,
            "world": world,
            "degree": degree[i],
            "cross_world": crossing[i],
            "size": _size(degree[i]),
            "x": x,
            "y": y,
        }
        for i, ((actor_id, name, world), (x, y)) in enumerate(zip(nodes, positions, strict=True))
        if filters.year is None or actor_id in linked
    ]
    return out_nodes, [_link(e) for e in shown]


def _link(e: dict[str, Any]) -> ActorLink:
    """One link, lean (a 5,000-actor view holds tens of thousands): ``directed`` only when true."""
    out: ActorLink = {
        "id": f"l{e['id']}",
        "source": f"a{e['source_id']}",
        "target": f"a{e['target_id']}",
        "kind": e["kind"],
        "start_year": e["start_year"],
        "end_year": e["end_year"],
    }
    if e["directed"]:
        out["directed"] = True
    return out


def _group_key(place: str, world: str) -> str:
    return f"g:{place or '-'}:{world or '-'}"


def _group_weights(
    conn: sa.Connection,
    rows: list[tuple[str, str, str, str, int]],
    agg: Aggregate,
    index: dict[tuple[str, str], int],
) -> Counter[tuple[int, int]]:
    """Links counted between groups (node indexes); links inside a group are left out."""
    mapping: dict[str, str] = {}
    if agg.level == "departement":
        mapping = departements_of(conn, {c for r in rows for c in (r[0], r[2]) if c})

    def group(commune: str) -> str:
        if agg.level == "commune":
            return "COM:" + commune if commune else UNPLACED
        return mapping.get(commune, UNPLACED)

    weights: Counter[tuple[int, int]] = Counter()
    for sc, sw, tc, tw, n in rows:
        a, b = index.get((group(sc), sw)), index.get((group(tc), tw))
        if a is not None and b is not None and a != b:
            weights[(min(a, b), max(a, b))] += n
    return weights


def _aggregated_graph(
    conn: sa.Connection, filters: Filters, limit: int
) -> tuple[list[GroupNode], list[BundleLink], str, int]:
    """Groups (territory x world) as nodes, link bundles between them as links; by
    département when communes give more than ``limit`` nodes or ``LINK_LIMIT`` bundles.
    Also the level of the groups and the number of bundles before the cut."""
    rows = aggregated_links(conn, filters)
    agg = aggregate(conn, filters, limit=limit, per_world=True)
    keys = [(g, w) for g in sorted(agg.counts) for w in sorted(agg.counts[g])]
    weights = _group_weights(conn, rows, agg, {k: i for i, k in enumerate(keys)})
    if agg.level == "commune" and len(weights) > LINK_LIMIT:
        agg = aggregate(conn, filters, limit=limit, per_world=True, level="departement")
        keys = [(g, w) for g in sorted(agg.counts) for w in sorted(agg.counts[g])]
        weights = _group_weights(conn, rows, agg, {k: i for i, k in enumerate(keys)})
    bundles = len(weights)
    if bundles > LINK_LIMIT:
        weights = Counter(dict(weights.most_common(LINK_LIMIT)))
    positions = layout(len(keys), list(weights))
    strength: defaultdict[int, int] = defaultdict(int)
    for (a, b), n in weights.items():
        strength[a] += n
        strength[b] += n
    nodes: list[GroupNode] = [
        {
            "id": _group_key(place, world),
            "territory": place or None,
            "label": (agg.places.get(place) or {}).get("name") or "?",
            "world": world or None,
            "count": agg.counts[place][world],
            "degree": strength[i],
            "size": round(min(3 + 1.5 * math.sqrt(agg.counts[place][world]), 24.0), 2),
            "x": x,
            "y": y,
        }
        for i, ((place, world), (x, y)) in enumerate(zip(keys, positions, strict=True))
    ]
    links: list[BundleLink] = [
        {"id": f"e{a}-{b}", "source": nodes[a]["id"], "target": nodes[b]["id"], "count": n}
        for (a, b), n in sorted(weights.items())
    ]
    return nodes, links, agg.level, bundles


def network_json(
    *, db: sa.Engine, filters: Filters | dict[str, Any], limit: int = VIEW_LIMIT
) -> NetworkAnswer:
    """Node-link JSON (``nodes``, ``links``, ``meta``) of the view.

    ``meta.mode`` is ``actors`` (node ids ``a<actor id>``) or ``aggregated`` (node
    ids ``g:<territory>:<world>``, ``meta.level`` commune or departement).
    """
    with db.connect() as conn:
        if not isinstance(filters, Filters):
            filters = clean_filters(conn, filters)
        total = count_actors(conn, filters)
        laid_out = count_actors(conn, filters.without_timeline()) if filters.year else total
        nodes: list[ActorNode] | list[GroupNode]
        links: list[ActorLink] | list[BundleLink]
        if laid_out <= limit:
            nodes, links = _actor_graph(conn, filters)
            meta = NetworkMeta(
                mode="actors", level=None, total=total, limit=limit, filters=filters.query()
            )
        else:
            nodes, links, level, bundles = _aggregated_graph(conn, filters, limit)
            meta = NetworkMeta(
                mode="aggregated",
                level=level,
                bundles=bundles,
                total=total,
                limit=limit,
                filters=filters.query(),
            )
    return NetworkAnswer(directed=False, multigraph=True, nodes=nodes, links=links, meta=meta)
