"""Fitted models kept on disk, so that the next question on the same map does not refit.

Fitting the model takes tens of seconds (48 s on the 20,427 ANR partners), scoring
one actor's candidates a fraction of a second. A fitted model depends only on the
graph, the seed and the code that fits it, so it is stored under a key made of the
three: a BLAKE2 digest of every vertex and link field of the graph (in vertex order),
the seed, and the source of the modules that compute the features and grow the trees.
Any change to the map or to that code gives a new key, hence a new fit; a model is
never used for a graph it was not fitted on.

Files are NumPy archives read with ``allow_pickle=False`` (loading runs no code),
written to a temporary name then renamed (a reader never sees half a file). A file
that cannot be read is refitted and replaced. At most ``keep`` files are kept, the
least recently used removed first.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from functools import cache
from pathlib import Path
from typing import Any
from zipfile import BadZipFile

import numpy as np

from maillage.analysis.graph import ActorGraph
from maillage.recommend import affinity, boosting, features, model, sampling, structure
from maillage.recommend.boosting import BoostedTrees, Tree
from maillage.recommend.features import FEATURES
from maillage.recommend.model import Form, LinkModel, Stratum, fit_model

FORMAT = 4  # bump when the archive layout changes
SUFFIX = ".npz"
_CODE = (affinity, boosting, features, model, sampling, structure)
_TREE_PARAMS = ("n_trees", "depth", "learning_rate", "bins", "min_leaf", "l2", "subsample", "seed")


def _framed(values: Iterable[object]) -> str:
    """The texts of ``values``, each preceded by its length (no two lists give the same)."""
    return "".join(f"{len(t)}:{t}" for t in map(str, values))


def _item(value: object) -> str:
    if isinstance(value, set | frozenset):
        return _framed(sorted(map(str, value)))
    if isinstance(value, tuple | list):
        return _framed(value)
    return str(value)


def _field_bytes(value: Any) -> bytes:
    if isinstance(value, np.ndarray):
        data: bytes = np.ascontiguousarray(value).tobytes()
        return f"{value.dtype.str}:".encode() + data
    return _framed(map(_item, value)).encode("utf-8", "surrogatepass")


def graph_digest(graph: ActorGraph) -> str:
    """Hex digest of every field the graph was built from (vertex and link arrays and
    labels, in vertex order): all that the model can read."""
    h = hashlib.blake2b(digest_size=20)
    for f in fields(graph):
        if f.init:
            part = _field_bytes(getattr(graph, f.name))
            h.update(f"{f.name}:{len(part)}:".encode())
            h.update(part)
    return h.hexdigest()


@cache
def _code_digest() -> str:
    """Digest of the fitting code's source (read once per process)."""
    h = hashlib.blake2b(digest_size=20)
    for module in _CODE:
        h.update(Path(str(module.__file__)).read_bytes())
    return h.hexdigest()


def model_key(graph: ActorGraph, seed: int) -> str:
    """The name under which the model of ``graph`` fitted with ``seed`` is stored."""
    h = hashlib.blake2b(digest_size=20)
    h.update(f"{FORMAT}:{seed}:{_code_digest()}:{graph_digest(graph)}".encode())
    return h.hexdigest()


def _stratum_arrays(name: str, stratum: Stratum) -> dict[str, Any]:
    out: dict[str, Any] = {
        f"{name}_offset": np.float64(stratum.offset),
        f"{name}_counts": np.array([stratum.positives, stratum.negatives], dtype=np.int64),
        f"{name}_by_paths": np.bool_(stratum.by_paths),
        f"{name}_fitted": np.bool_(stratum.trees is not None),
    }
    trees = stratum.trees
    if trees is not None:
        out[f"{name}_params"] = np.array([getattr(trees, p) for p in _TREE_PARAMS], np.float64)
        out[f"{name}_base"] = np.float64(trees.base)
        out[f"{name}_edges"] = np.concatenate(trees.edges) if trees.edges else np.zeros(0)
        out[f"{name}_edge_counts"] = np.array([len(e) for e in trees.edges], dtype=np.int64)
        out[f"{name}_feature"] = np.array([t.feature for t in trees.trees], dtype=np.int64)
        out[f"{name}_threshold"] = np.array([t.threshold for t in trees.trees], dtype=np.int64)
        out[f"{name}_leaf"] = np.array([t.leaf for t in trees.trees], dtype=np.float64)
    return out


def _stratum(name: str, z: Any) -> Stratum:
    positives, negatives = (int(c) for c in z[f"{name}_counts"])
    trees = None
    if bool(z[f"{name}_fitted"]):
        params = dict(zip(_TREE_PARAMS, z[f"{name}_params"].tolist(), strict=True))
        for p in ("n_trees", "depth", "bins", "seed"):
            params[p] = int(params[p])
        trees = BoostedTrees(**params)
        trees.base = float(z[f"{name}_base"])
        bounds = np.cumsum(z[f"{name}_edge_counts"])[:-1]
        trees.edges = list(np.split(z[f"{name}_edges"], bounds))
        trees.trees = [
            Tree(f, t, leaf)
            for f, t, leaf in zip(
                z[f"{name}_feature"], z[f"{name}_threshold"], z[f"{name}_leaf"], strict=True
            )
        ]
    return Stratum(
        trees, float(z[f"{name}_offset"]), positives, negatives, bool(z[f"{name}_by_paths"])
    )


def save_model(fitted: LinkModel, path: Path) -> None:
    """Write ``fitted`` to ``path`` atomically (see the module docstring)."""
    arrays = {
        "format": np.int64(FORMAT),
        "features": np.array(FEATURES),
        "inner_year": np.int64(-1 if fitted.inner_year is None else fitted.inner_year),
        "info": np.array(json.dumps(fitted.info, sort_keys=True)),
        "form": np.array(json.dumps(asdict(fitted.form), sort_keys=True)),
        "bridging_form": np.array(json.dumps(asdict(fitted.bridging_form), sort_keys=True)),
        "actor_form": np.array(json.dumps(asdict(fitted.actor_form), sort_keys=True)),
        **_stratum_arrays("near", fitted.near),
        **_stratum_arrays("far", fitted.far),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".model-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_model(path: Path) -> LinkModel:
    """Read a model written by :func:`save_model`; ``ValueError`` when it cannot be used."""
    try:
        with np.load(path, allow_pickle=False) as z:
            same = int(z["format"]) == FORMAT and tuple(z["features"].tolist()) == FEATURES
            inner = int(z["inner_year"])
            found = (
                LinkModel(
                    near=_stratum("near", z),
                    far=_stratum("far", z),
                    inner_year=None if inner < 0 else inner,
                    info=json.loads(str(z["info"])),
                    form=Form(**json.loads(str(z["form"]))),
                    bridging_form=Form(**json.loads(str(z["bridging_form"]))),
                    actor_form=Form(**json.loads(str(z["actor_form"]))),
                )
                if same
                else None
            )
    except (OSError, ValueError, KeyError, EOFError, TypeError, IndexError, BadZipFile) as exc:
        raise ValueError(f"{path}: unreadable model ({exc})") from exc
    if found is None:
        raise ValueError(f"{path}: written by another version of maillage")
    return found


@dataclass(frozen=True)
class ModelStore:
    """A directory of fitted models (module docstring); ``keep``: files kept at most."""

    directory: Path
    keep: int = 8

    def path(self, key: str) -> Path:
        return self.directory / f"{key}{SUFFIX}"

    def fitted(self, graph: ActorGraph, seed: int = 0) -> LinkModel:
        """The model of ``graph`` for ``seed``: read from the store, else fitted and stored."""
        path = self.path(model_key(graph, seed))
        if path.is_file():
            try:
                found = load_model(path)
            except ValueError:
                pass  # refitted and replaced below
            else:
                os.utime(path)  # most recently used
                return found
        fitted = fit_model(graph, seed=seed)
        try:
            save_model(fitted, path)
            self._prune()
        except OSError:
            pass  # a read-only or full cache costs the next question a fit, nothing else
        return fitted

    def _prune(self) -> None:
        files = sorted(
            self.directory.glob(f"*{SUFFIX}"), key=lambda p: p.stat().st_mtime, reverse=True
        )
        for old in files[self.keep :]:
            old.unlink(missing_ok=True)
