"""GEXF 1.3 (Gephi): actors as nodes, links as edges, and back.

Written: ``<graph mode="dynamic" timeformat="date">`` with every record field declared
as a node or edge attribute (``string``, ``double``, ``boolean``; lists joined with
``|``, ``extra`` as JSON), node ``id`` = actor key and ``label`` = name, edge
``weight``, ``kind`` and ``label`` = link kind, link start/end dates as a ``<spell>``,
and a ``<viz:color>`` per node and edge from the actor's world, the colour the portal
draws it in (the worlds taxonomy's ``colour``; the edge takes its source's colour). The default edge type is ``directed`` when any link is directed; each
edge carries its own ``directed`` attribute. An actor without key is written with id
``n<index>``. Reference: ``gephi/gexf`` ``specs/1.3`` (gexf.rnc, dynamics.rnc, viz.rnc).

Read: GEXF 1.1 to 1.3 from any tool; attribute titles are mapped to record fields like
spreadsheet headers (:func:`maillage.io.tabular.parse_actor_table`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

from maillage.io.flat import ACTOR_COLUMNS, LINK_COLUMNS, cell_text, xml_safe
from maillage.io.reading import table_from_records
from maillage.io.result import ParseResult
from maillage.io.tabular import parse_actor_table, parse_link_table
from maillage.io.unreadable import read_data
from maillage.model import taxonomy
from maillage.model.records import ActorRecord, ImportIssue, LinkRecord

__all__ = ["generate_gexf", "parse_gexf", "read_gexf", "write_gexf"]

_DOUBLE = {"latitude", "longitude", "amount", "confidence"}
NODE_ATTRIBUTES = tuple(c for c in ACTOR_COLUMNS if c not in ("name", "key"))
EDGE_ATTRIBUTES = tuple(
    c for c in LINK_COLUMNS
    if c not in ("source_key", "target_key", "weight", "start_date", "end_date")
)  # fmt: skip


def _attr(value: str) -> str:
    return quoteattr(xml_safe(value))


def _type(name: str) -> str:
    return "double" if name in _DOUBLE else "boolean" if name == "directed" else "string"


def _declarations(kind: str, names: tuple[str, ...]) -> Iterator[str]:
    yield f'    <attributes class="{kind}" mode="static">\n'
    for name in names:
        yield f'      <attribute id="{name}" title="{name}" type="{_type(name)}"/>\n'
    yield "    </attributes>\n"


def _attvalues(record: Any, names: tuple[str, ...]) -> str:
    values = [(n, cell_text(getattr(record, n))) for n in names]
    cells = "".join(f'<attvalue for="{n}" value={_attr(t)}/>' for n, t in values if t)
    return f"<attvalues>{cells}</attvalues>" if cells else ""


@cache
def _colour(world: str | None) -> str:
    """``<viz:color>`` of a world (``#c37800`` -> ``r="195" g="120" b="0"``)."""
    hex_colour = taxonomy.colour("worlds", world).removeprefix("#")
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (0, 2, 4))
    return f'<viz:color r="{r}" g="{g}" b="{b}"/>'


def generate_gexf(
    actors: Iterable[ActorRecord], links: Iterable[LinkRecord], *, description: str = ""
) -> Iterator[str]:
    """Yield a GEXF 1.3 document in chunks."""
    actor_list, link_list = list(actors), list(links)
    edge_type = "directed" if any(x.directed for x in link_list) else "undirected"
    yield '<?xml version="1.0" encoding="UTF-8"?>\n'
    yield (
        '<gexf xmlns="http://gexf.net/1.3" xmlns:viz="http://gexf.net/1.3/viz" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="http://gexf.net/1.3 http://gexf.net/1.3/gexf.xsd" version="1.3">\n'
    )
    yield f"  <meta><creator>maillage</creator><description>{escape(xml_safe(description))}"
    yield "</description></meta>\n"
    yield f'  <graph defaultedgetype="{edge_type}" mode="dynamic" timeformat="date">\n'
    yield from _declarations("node", NODE_ATTRIBUTES)
    yield from _declarations("edge", EDGE_ATTRIBUTES)
    yield "    <nodes>\n"
    worlds: dict[str, str | None] = {}
    for index, actor in enumerate(actor_list):
        node_id = actor.key if actor.key is not None else f"n{index}"
        worlds[node_id] = actor.world
        yield f"      <node id={_attr(node_id)} label={_attr(actor.name)}>"
        yield f"{_attvalues(actor, NODE_ATTRIBUTES)}{_colour(actor.world)}</node>\n"
    yield "    </nodes>\n    <edges>\n"
    for index, link in enumerate(link_list):
        yield _edge(index, link, worlds.get(link.source_key or ""))
    yield "    </edges>\n  </graph>\n</gexf>\n"


def _edge(index: int, link: LinkRecord, world: str | None) -> str:
    """One ``<edge>`` element with its attributes, spell and colour."""
    head = f'      <edge id="e{index}" source={_attr(link.source_key or "")} '
    head += (
        f"target={_attr(link.target_key or '')} kind={_attr(link.kind)} label={_attr(link.kind)}"
    )
    if link.weight is not None:
        head += f' weight="{link.weight!r}"'
    spell = ""
    if link.start_date or link.end_date:
        bounds = "".join(
            f' {name}="{day.isoformat()}"'
            for name, day in (("start", link.start_date), ("end", link.end_date))
            if day is not None
        )
        spell = f"<spells><spell{bounds}/></spells>"
    return f"{head}>{_attvalues(link, EDGE_ATTRIBUTES)}{spell}{_colour(world)}</edge>\n"


def _ns(root: ET.Element) -> str:
    return root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""


def _titles(graph: ET.Element, ns: str, kind: str) -> dict[str, str]:
    titles: dict[str, str] = {}
    for block in graph.findall(f"{ns}attributes"):
        if block.get("class") == kind:
            for attribute in block.findall(f"{ns}attribute"):
                ident = str(attribute.get("id", ""))
                titles[ident] = str(attribute.get("title") or ident)
    return titles


def _values(element: ET.Element, ns: str, titles: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for value in element.iterfind(f"{ns}attvalues/{ns}attvalue"):
        key = value.get("for") or value.get("id") or ""
        values[titles.get(key, key)] = value.get("value")
    return values


def parse_gexf(data: str | bytes, *, file: str | None = None) -> ParseResult:
    """Read a GEXF document: nodes as actors (numbered from 1), edges as links."""
    result = ParseResult()
    try:
        root = ET.fromstring(data)
    except (ET.ParseError, LookupError, ValueError) as error:  # and an unknown encoding
        result.issues.append(_fatal(f"XML illisible : {error}", file))
        return result
    ns = _ns(root)
    graph = root.find(f"{ns}graph")
    if graph is None:
        result.issues.append(_fatal("pas d'élément <graph>", file))
        return result
    node_titles = _titles(graph, ns, "node")
    declared = dict.fromkeys(node_titles.values())  # declared but empty reads as None
    nodes = [
        {**declared, "key": n.get("id"), "name": n.get("label") or n.get("id"),
         **_values(n, ns, node_titles)}
        for n in graph.iterfind(f"{ns}nodes/{ns}node")
    ]  # fmt: skip
    default_directed = graph.get("defaultedgetype") == "directed"
    edges = [
        _edge_record(e, ns, _titles(graph, ns, "edge"), default_directed)
        for e in graph.iterfind(f"{ns}edges/{ns}edge")
    ]
    result.extend(parse_actor_table(table_from_records(nodes, file=file, start=1)))
    result.extend(parse_link_table(table_from_records(edges, file=file, start=1)))
    return result


def _edge_record(
    edge: ET.Element, ns: str, titles: dict[str, str], default_directed: bool
) -> dict[str, Any]:
    """An edge as a link row: ends, weight, spell dates and attributes."""
    record: dict[str, Any] = {"source_key": edge.get("source"), "target_key": edge.get("target")}
    if edge.get("weight") is not None:
        record["weight"] = edge.get("weight")
    spell = edge.find(f"{ns}spells/{ns}spell")
    start = spell.get("start") if spell is not None else edge.get("start")
    end = spell.get("end") if spell is not None else edge.get("end")
    record.update(start_date=start, end_date=end)
    record.update(_values(edge, ns, titles))
    record.setdefault("kind", edge.get("kind") or edge.get("label"))
    if "directed" not in record:
        edge_type = edge.get("type")
        record["directed"] = edge_type == "directed" if edge_type else default_directed
    return record


def _fatal(message: str, file: str | None) -> ImportIssue:
    return ImportIssue(None, None, None, message, file)


def write_gexf(
    path: str | Path, actors: Iterable[ActorRecord], links: Iterable[LinkRecord]
) -> None:
    """Write a GEXF 1.3 file (UTF-8)."""
    with open(path, "w", encoding="utf-8") as handle:
        handle.writelines(generate_gexf(actors, links))


def read_gexf(path: str | Path) -> ParseResult:
    """Read a GEXF file."""
    data, name = read_data(path)
    return parse_gexf(data, file=name)
