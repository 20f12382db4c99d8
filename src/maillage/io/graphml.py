"""GraphML: actors as nodes, links as edges, and back.

Written: one ``<key>`` per record field (``for="node"`` or ``for="edge"``, ``attr.type``
``string``, ``double`` or ``boolean``; ids ``n_<field>`` and ``e_<field>``), node ``id`` =
actor key (``n<index>`` when missing), ``name`` as a data value, link dates as ISO
strings, ``weight`` as a double. ``edgedefault`` is ``directed`` when any link is; each
edge carries its own ``directed`` value as data (not as the XML attribute, which
readers such as networkx refuse to mix). Reference: http://graphml.graphdrawing.org/
(GraphML 1.0 primer and schema).

Read: GraphML from any tool (yEd extensions and nested graphs ignored); data keys are
mapped to record fields by their ``attr.name`` like spreadsheet headers.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

from maillage.io.flat import ACTOR_COLUMNS, LINK_COLUMNS, cell_text, xml_safe
from maillage.io.reading import table_from_records
from maillage.io.result import ParseResult
from maillage.io.tabular import parse_actor_table, parse_link_table
from maillage.io.unreadable import read_data
from maillage.model.records import ActorRecord, ImportIssue, LinkRecord

__all__ = ["generate_graphml", "parse_graphml", "read_graphml", "write_graphml"]

_DOUBLE = {"latitude", "longitude", "amount", "confidence", "weight"}
NODE_KEYS = tuple(c for c in ACTOR_COLUMNS if c != "key")
EDGE_KEYS = tuple(c for c in LINK_COLUMNS if c not in ("source_key", "target_key"))


def _type(name: str) -> str:
    return "double" if name in _DOUBLE else "boolean" if name == "directed" else "string"


def _data(prefix: str, record: Any, names: tuple[str, ...]) -> str:
    parts = []
    for name in names:
        text = cell_text(getattr(record, name))
        if text:
            parts.append(f'<data key="{prefix}_{name}">{escape(xml_safe(text))}</data>')
    return "".join(parts)


def generate_graphml(actors: Iterable[ActorRecord], links: Iterable[LinkRecord]) -> Iterator[str]:
    """Yield a GraphML document in chunks."""
    link_list = list(links)
    yield '<?xml version="1.0" encoding="UTF-8"?>\n'
    yield (
        '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
        'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">\n'
    )
    for kind, prefix, names in (("node", "n", NODE_KEYS), ("edge", "e", EDGE_KEYS)):
        for name in names:
            yield (
                f'  <key id="{prefix}_{name}" for="{kind}" attr.name="{name}" '
                f'attr.type="{_type(name)}"/>\n'
            )
    edge_default = "directed" if any(x.directed for x in link_list) else "undirected"
    yield f'  <graph id="maillage" edgedefault="{edge_default}">\n'
    for index, actor in enumerate(actors):
        node_id = actor.key if actor.key is not None else f"n{index}"
        yield f"    <node id={quoteattr(xml_safe(node_id))}>{_data('n', actor, NODE_KEYS)}</node>\n"
    for index, link in enumerate(link_list):
        ends = f"source={quoteattr(xml_safe(link.source_key or ''))} "
        ends += f"target={quoteattr(xml_safe(link.target_key or ''))}"
        yield f'    <edge id="e{index}" {ends}>{_data("e", link, EDGE_KEYS)}</edge>\n'
    yield "  </graph>\n</graphml>\n"


def _keys(root: ET.Element, ns: str, domain: str | None = None) -> dict[str, str]:
    """``{key id: attribute name}``, for one domain (``node``/``edge``) or all; yEd
    graphics keys have no ``attr.name`` and are skipped."""
    return {
        str(k.get("id")): str(k.get("attr.name"))
        for k in root.findall(f"{ns}key")
        if k.get("attr.name") and (domain is None or k.get("for") in (domain, "all"))
    }


def _values(element: ET.Element, ns: str, keys: dict[str, str]) -> dict[str, Any]:
    return {
        keys[d.get("key", "")]: d.text or ""
        for d in element.findall(f"{ns}data")
        if d.get("key", "") in keys
    }


def parse_graphml(data: str | bytes, *, file: str | None = None) -> ParseResult:
    """Read a GraphML document: nodes as actors (numbered from 1), edges as links."""
    result = ParseResult()
    try:
        root = ET.fromstring(data)
    except (ET.ParseError, LookupError, ValueError) as error:  # and an unknown encoding
        result.issues.append(ImportIssue(None, None, None, f"XML illisible : {error}", file))
        return result
    ns = root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""
    graph = root.find(f"{ns}graph")
    if graph is None:
        result.issues.append(ImportIssue(None, None, None, "pas d'élément <graph>", file))
        return result
    keys = _keys(root, ns)
    declared = dict.fromkeys(_keys(root, ns, "node").values())  # declared, empty -> None
    nodes = []
    for node in graph.findall(f"{ns}node"):
        values = {**declared, **_values(node, ns, keys)}
        label = values.pop("label", None)
        values["name"] = values.get("name") or label or node.get("id")
        nodes.append({"key": node.get("id"), **values})
    default_directed = graph.get("edgedefault") == "directed"
    edges = []
    for edge in graph.findall(f"{ns}edge"):
        record = {"source_key": edge.get("source"), "target_key": edge.get("target")}
        record.update(_values(edge, ns, keys))
        if "directed" not in record:
            own = edge.get("directed")
            record["directed"] = own if own is not None else str(default_directed).lower()
        edges.append(record)
    result.extend(parse_actor_table(table_from_records(nodes, file=file, start=1)))
    result.extend(parse_link_table(table_from_records(edges, file=file, start=1)))
    return result


def write_graphml(
    path: str | Path, actors: Iterable[ActorRecord], links: Iterable[LinkRecord]
) -> None:
    """Write a GraphML file (UTF-8)."""
    with open(path, "w", encoding="utf-8") as handle:
        handle.writelines(generate_graphml(actors, links))


def read_graphml(path: str | Path) -> ParseResult:
    """Read a GraphML file."""
    data, name = read_data(path)
    return parse_graphml(data, file=name)
