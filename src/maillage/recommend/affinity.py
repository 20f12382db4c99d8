"""Affinities of two actors beyond their shared partners.

* :func:`communities`: the community of every actor found by Leiden (Traag, Waltman &
  van Eck 2019; modularity with a resolution parameter, Reichardt & Bornholdt 2006) on
  the ties known at a date, at the resolutions :data:`RESOLUTIONS` (coarse to fine),
  iterated until the partition is stable (at most :data:`MAX_PASSES` passes).
  Two actors of the same community belong to the same region of the map even when no
  partner joins them: community co-membership is a classic link-prediction signal
  (e.g. Soundarajan & Hopcroft 2012, "Using community information to improve the
  precision of link prediction methods"). Leiden runs on a canonical vertex order (by
  actor id) with a fixed seed, so the communities do not depend on how the vertices
  happen to be numbered. Leiden costs about a minute per resolution on a million
  actors and it runs once per training snapshot, so above :data:`MAX_TIES` known ties
  every actor is left alone in its community (the columns are then constant and the
  trees ignore them).
* :func:`name_words`: the words of the actors' names weighted by their rarity (TF-IDF,
  Salton & Buckley 1988), each row of unit length, so that the dot product of two rows
  is the cosine similarity of two names. Organisations whose names share rare words
  often belong to the same institution or place ("Université de Lyon", "INRAE
  Centre Occitanie"), which a map's territory codes do not always say (content-based
  link prediction, e.g. Lü & Zhou 2011, section 4).
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import igraph as ig
import numpy as np
import scipy.sparse as sp

from maillage.analysis.graph import ActorGraph, FloatArray, IntArray

RESOLUTIONS: tuple[float, ...] = (0.25, 1.0, 4.0)
MAX_TIES = 200_000  # communities are computed up to this many known ties (cost bound)
MAX_PASSES = 3  # Leiden passes at most, when the partition does not settle (cost bound)
WORD = re.compile(r"[a-z0-9]{3,}")  # words of three letters or more, accents removed


def canonical_order(ids: Sequence[Hashable]) -> IntArray:
    """Vertex indices sorted by actor id (as text): the same actors in the same order
    whatever the numbering of the vertices."""
    return np.argsort(np.array([str(i) for i in ids], dtype=object), kind="stable").astype(np.int64)


def communities(
    n: int,
    src: IntArray,
    dst: IntArray,
    order: IntArray,
    seed: int = 0,
    resolutions: tuple[float, ...] = RESOLUTIONS,
) -> tuple[IntArray, FloatArray]:
    """Community of every vertex (``n x len(resolutions)``) and the size of that
    community, from the undirected ties ``src[i] - dst[i]``; ``order`` is the canonical
    vertex order (:func:`canonical_order`). Above :data:`MAX_TIES` ties, every vertex
    is its own community."""
    membership = np.repeat(np.arange(n, dtype=np.int64)[:, None], len(resolutions), axis=1)
    size = np.ones((n, len(resolutions)))
    if len(src) > MAX_TIES:
        return membership, size
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n, dtype=np.int64)
    a, b = rank[src], rank[dst]
    a, b = np.minimum(a, b), np.maximum(a, b)
    edges = np.column_stack([a, b])[np.lexsort((b, a))]
    g = ig.Graph(n=n, edges=edges, directed=False)
    for j, resolution in enumerate(resolutions):
        ig.set_random_number_generator(random.Random(seed))
        try:
            found = np.asarray(_leiden(g, resolution), dtype=np.int64)[rank]
        finally:
            ig.set_random_number_generator(random)  # igraph's default generator
        membership[:, j] = found
        size[:, j] = np.bincount(found)[found]
    return membership, size


def _leiden(g: ig.Graph, resolution: float) -> list[int]:
    """Leiden passes until the partition is stable, at most :data:`MAX_PASSES` of them:
    a map with clear communities settles in a few passes, while on a map without them
    each pass still moves some actors and the passes would go on for minutes."""
    membership: list[int] | None = None
    for _ in range(MAX_PASSES):
        part = g.community_leiden(
            objective_function="modularity",
            resolution=resolution,
            n_iterations=1,
            initial_membership=membership,
        )
        if part.membership == membership:
            break
        membership = part.membership
    assert membership is not None
    return membership


def words_of(name: str) -> set[str]:
    """The words of a name: lower case, accents removed, three letters or more."""
    plain = unicodedata.normalize("NFKD", name.lower()).encode("ascii", "ignore").decode()
    return set(WORD.findall(plain))


@dataclass(frozen=True)
class NameWords:
    """The words of the actors' names: the TF-IDF matrix (:func:`name_words`) and, for
    the reasons given in words, how many names hold each word."""

    matrix: sp.csr_matrix
    counts: dict[str, int]


def graph_name_words(graph: ActorGraph) -> NameWords:
    """:func:`name_words` of the graph's actors, computed once per graph."""
    if "name_words" not in graph.cache:
        graph.cache["name_words"] = name_words(graph.names)
    found: NameWords = graph.cache["name_words"]
    return found


def name_words(names: Sequence[str]) -> NameWords:
    """Actors x words TF-IDF matrix of the names, rows of unit length (module
    docstring), and the number of names holding each word. Words are numbered in
    alphabetical order, so a row does not depend on the other actors' order."""
    per_actor = [words_of(name or "") for name in names]
    vocab = {w: i for i, w in enumerate(sorted(set().union(*per_actor)))}
    rows = np.repeat(np.arange(len(names)), [len(w) for w in per_actor])
    cols = np.fromiter((vocab[w] for ws in per_actor for w in sorted(ws)), np.int64, len(rows))
    x = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(names), max(len(vocab), 1)))
    held = np.bincount(cols, minlength=x.shape[1])
    x = x @ sp.diags(np.log(max(len(names), 1) / np.maximum(held, 1)))
    norm = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    x = sp.diags(1.0 / np.where(norm > 0, norm, 1.0)) @ x
    out: sp.csr_matrix = sp.csr_matrix(x)
    out.sort_indices()
    return NameWords(out, dict(zip(vocab, held.tolist(), strict=False)))


def row_dot(x: sp.csr_matrix, u: IntArray, v: IntArray) -> FloatArray:
    """Dot products of rows ``u[i]`` and ``v[i]`` of ``x``."""
    return np.asarray(x[u].multiply(x[v]).sum(axis=1), dtype=np.float64).ravel()
