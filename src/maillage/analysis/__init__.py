"""Network analysis of the actor map: plain records in, plain dicts out.

Build once with :func:`build_graph`, restrict with :class:`GraphFilter`, run every
measure with :func:`analyse` and print it with :func:`render_report`.
"""

from maillage.analysis.brokers import betweenness, brokerage_roles, brokers, constraint
from maillage.analysis.communities import communities, leiden
from maillage.analysis.coverage import NeedRecord, SolutionRecord, coverage
from maillage.analysis.explanations import EXPLANATIONS, explain
from maillage.analysis.filter import GraphFilter, apply_filter, parse_period
from maillage.analysis.graph import WORLDS, ActorGraph, build_graph
from maillage.analysis.mixing import ei_index, mixing
from maillage.analysis.report import analyse, render_report
from maillage.analysis.structure import structure
from maillage.analysis.timeline import timeline

__all__ = [
    "EXPLANATIONS",
    "WORLDS",
    "ActorGraph",
    "GraphFilter",
    "NeedRecord",
    "SolutionRecord",
    "analyse",
    "apply_filter",
    "betweenness",
    "brokerage_roles",
    "brokers",
    "build_graph",
    "communities",
    "constraint",
    "coverage",
    "ei_index",
    "explain",
    "leiden",
    "mixing",
    "parse_period",
    "render_report",
    "structure",
    "timeline",
]
