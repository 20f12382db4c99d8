"""Fitted models kept on disk: read back exactly, only for the graph they were fitted on."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from maillage.analysis import build_graph
from maillage.analysis.graph import WORLDS, ActorGraph
from maillage.model.records import ActorRecord, LinkRecord
from maillage.recommend import fit_model
from maillage.recommend.features import pair_context
from maillage.recommend.store import ModelStore, load_model, model_key, save_model
from maillage.services.analysis import model_store
from maillage.settings import model_cache_dir


def growing_map(extra: int = 0) -> tuple[list[ActorRecord], list[LinkRecord]]:
    """150 actors tied year after year, mostly to partners of partners (enough ties for
    both strata to grow trees); ``extra`` more ties at the end."""
    rng = np.random.default_rng(7)
    n = 150
    actors = [
        ActorRecord(
            name=f"Acteur {i}",
            key=f"k{i}",
            world=WORLDS[i % 4],
            territories=[f"DEP:{59 + i % 3}"],
            themes=["inclusion"] if i % 2 else ["emploi"],
        )
        for i in range(n)
    ]
    ties: set[tuple[int, int]] = set()
    partners: dict[int, set[int]] = {i: set() for i in range(n)}
    links = []
    for year in range(2010, 2021):
        for _ in range(60 + (extra if year == 2020 else 0)):
            a = int(rng.integers(n))
            near = [c for b in partners[a] for c in partners[b] if c != a]
            b = int(rng.choice(near)) if near and rng.random() < 0.6 else int(rng.integers(n))
            if a == b or (min(a, b), max(a, b)) in ties:
                continue
            ties.add((min(a, b), max(a, b)))
            partners[a].add(b)
            partners[b].add(a)
            links.append(LinkRecord(f"k{a}", f"k{b}", start_date=dt.date(year, 1, 1)))
    return actors, links


def graph(extra: int = 0) -> ActorGraph:
    return build_graph(*growing_map(extra))


def all_pairs(g: ActorGraph) -> tuple[np.ndarray, np.ndarray]:
    u, v = np.triu_indices(g.n, 1)
    return u.astype(np.int64), v.astype(np.int64)


def test_a_saved_model_scores_every_pair_exactly_as_the_fitted_one(tmp_path: Path) -> None:
    g = graph()
    fitted = fit_model(g, seed=3)
    assert fitted.near.trees is not None and fitted.far.trees is not None
    save_model(fitted, tmp_path / "m.npz")
    loaded = load_model(tmp_path / "m.npz")
    ctx = pair_context(g)
    u, v = all_pairs(g)
    assert np.array_equal(loaded.log_odds(ctx, u, v), fitted.log_odds(ctx, u, v))
    assert loaded.info == fitted.info and loaded.inner_year == fitted.inner_year
    assert (loaded.near.positives, loaded.far.negatives) == (
        fitted.near.positives,
        fitted.far.negatives,
    )


def test_the_store_reads_a_model_back_for_the_same_map_only(tmp_path: Path) -> None:
    store = ModelStore(tmp_path)
    first = store.fitted(graph(), seed=0)
    files = list(tmp_path.glob("*.npz"))
    assert len(files) == 1
    inode = files[0].stat().st_ino
    again = graph()  # the same map, read again: a new object, no fit kept in memory
    ctx = pair_context(again)
    u, v = all_pairs(again)
    assert np.array_equal(store.fitted(again, 0).log_odds(ctx, u, v), first.log_odds(ctx, u, v))
    assert files[0].stat().st_ino == inode  # read, not fitted and written again
    assert model_key(again, 1) != model_key(again, 0)
    grown = graph(extra=5)
    assert model_key(grown, 0) != model_key(again, 0)
    store.fitted(grown, 0)
    assert len(list(tmp_path.glob("*.npz"))) == 2


def test_an_unreadable_or_foreign_file_is_refitted_and_replaced(tmp_path: Path) -> None:
    store = ModelStore(tmp_path)
    g = graph()
    expected = store.fitted(g, 0)
    path = store.path(model_key(g, 0))
    ctx = pair_context(g)
    u, v = all_pairs(g)
    path.write_bytes(path.read_bytes()[:100])  # cut short
    with pytest.raises(ValueError, match="unreadable"):
        load_model(path)
    assert np.array_equal(store.fitted(g, 0).log_odds(ctx, u, v), expected.log_odds(ctx, u, v))
    load_model(path)  # replaced by a whole file
    with np.load(path) as z:
        arrays = dict(z)
    arrays["features"] = np.array(["another", "feature", "list"])
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match="another version"):
        load_model(path)
    assert np.array_equal(store.fitted(g, 0).log_odds(ctx, u, v), expected.log_odds(ctx, u, v))


def test_the_store_keeps_the_most_recently_used_models_only(tmp_path: Path) -> None:
    store = ModelStore(tmp_path, keep=2)
    maps = [graph(extra=k) for k in (0, 3, 6)]
    for g in maps:
        store.fitted(g, 0)
    kept = {p.name for p in tmp_path.glob("*.npz")}
    assert kept == {store.path(model_key(g, 0)).name for g in maps[1:]}


def test_where_models_are_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILLAGE_CACHE_DIR", "")
    assert model_store() is None  # switched off
    monkeypatch.setenv("MAILLAGE_CACHE_DIR", str(tmp_path / "here"))
    assert model_store() == ModelStore(tmp_path / "here")
    monkeypatch.delenv("MAILLAGE_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert model_cache_dir() == tmp_path / "xdg" / "maillage" / "models"


@pytest.mark.parametrize(
    "change",
    [
        {"name": "Acteur renommé"},
        {"world": "public"},
        {"territories": ["DEP:75"]},
        {"themes": ["culture"]},
    ],
)
def test_any_change_to_an_actor_gives_another_key(change: dict[str, object]) -> None:
    actors, links = growing_map()
    before = model_key(build_graph(actors, links), 0)
    actors[5] = dataclasses.replace(actors[5], **change)
    assert model_key(build_graph(actors, links), 0) != before
