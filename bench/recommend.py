"""Benchmark of the recommendations on the six real development networks (issue 24).

For each network (ANR co-partnerships and the five CORDIS Horizon 2020 country networks,
read from ``--data``), in one run and at one split year: the model is fitted on the ties
formed before the split (timed), then :func:`maillage.recommend.evaluate_graph` (the one
place of the metrics) ranks the ties formed from the split on and prints, for the model
and every classic predictor, AUC, precision@L, hits@10 and MRR with their bootstrap 95 %
intervals (see :mod:`maillage.recommend.evaluation` for what is resampled), the ratio of
the model's precision@L to the best classic's with its paired interval, and the bridging
(cross-world) precision@L of the model's bridging mode against Adamic-Adar's. The
geometric mean of the six ratios closes the table.

When a folder holds ``links_by_project.csv.gz`` (one row per pair and shared project,
column ``project_rcn``), its rows are given to the model as the ties' projects.

    PYTHONPATH=src .venv/bin/python bench/recommend.py            # all six, split 2019
    PYTHONPATH=src .venv/bin/python bench/recommend.py --only cordis-h2020-uk --json out.json
    PYTHONPATH=src .venv/bin/python bench/recommend.py --seeds 1 2   # the model's variance

``--seeds`` refits the model with other seeds (the evaluation keeps ``--seed``) and
prints, per network, the precision@L ratio and the bridging ratio to Adamic-Adar of
each seed with their mean and minimum: how much of a difference comes from the draws
of the training rows rather than from the model.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gzip
import json
import math
import time
from pathlib import Path
from typing import Any

from maillage.analysis.graph import ActorGraph, build_graph
from maillage.model.records import ActorRecord, LinkRecord
from maillage.recommend import evaluate_graph, fit_model
from maillage.recommend.evaluation import METHODS, METRICS
from maillage.recommend.projects import attach_projects

NETWORKS = (
    "anr-partenariats",
    "cordis-h2020-de",
    "cordis-h2020-es",
    "cordis-h2020-it",
    "cordis-h2020-nl",
    "cordis-h2020-uk",
)
SHORT = {
    "anr-partenariats": "ANR",
    **{f"cordis-h2020-{c}": c.upper() for c in ["de", "es", "it", "nl", "uk"]},
}


def _rows(path: Path) -> list[dict[str, str]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def load(folder: Path) -> ActorGraph:
    """The network of ``folder`` as records would give it (départements as territories),
    with its per-project rows attached when the folder has them."""
    actors = [
        ActorRecord(
            name=row["name"],
            key=row["id"],
            world=row["world"] or None,
            territories=[f"DEP:{row['territory_code']}"] if row.get("territory_code") else [],
        )
        for row in _rows(folder / "actors.csv")
    ]
    links = [
        LinkRecord(
            source_key=row["source"],
            target_key=row["target"],
            kind=row.get("kind") or "partnership",
            start_date=dt.date(int(row["start_year"]), 1, 1) if row.get("start_year") else None,
        )
        for row in _rows(folder / "links.csv")
    ]
    graph = build_graph(actors, links)
    projects = folder / "links_by_project.csv.gz"
    if projects.exists():
        rows = _rows(projects)
        attach_projects(
            graph,
            [r["source"] for r in rows],
            [r["target"] for r in rows],
            [r["project_rcn"] for r in rows],
            [int(r["start_year"]) if r.get("start_year") else None for r in rows],
        )
    return graph


def run(folder: Path, split_year: int, seed: int, fit_seed: int | None = None) -> dict[str, Any]:
    """Fit (timed, with ``fit_seed``, else ``seed``) and evaluate one network."""
    graph = load(folder)
    start, cpu = time.perf_counter(), time.process_time()
    model = fit_model(graph, split_year, seed=seed if fit_seed is None else fit_seed)
    fit_seconds, fit_cpu = time.perf_counter() - start, time.process_time() - cpu
    result = evaluate_graph(graph, split_year, seed, model=model)
    result["fit_seconds"] = fit_seconds
    result["fit_cpu_seconds"] = fit_cpu
    result["network"] = folder.name
    return result


def _cell(value: float, interval: list[float]) -> str:
    return f"{value:.3f} [{interval[0]:.3f}, {interval[1]:.3f}]"


def report(result: dict[str, Any]) -> None:
    """Print one network's table."""
    name = SHORT.get(result["network"], result["network"])
    print(
        f"\n## {name}  (L = {result['l']}, train ties {result['train_links']}, "
        f"actors ranked {result['actors_ranked']}, fit {result['fit_seconds']:.1f} s "
        f"(CPU {result['fit_cpu_seconds']:.1f} s), "
        f"form {result['training'].get('form', 'model')}, per actor "
        f"{result['training'].get('actor_form', 'model')}, bridging "
        f"{result['training'].get('bridging_form', 'model')})"
    )
    print("| method | " + " | ".join(METRICS) + " |")
    print("|---|" + "---|" * len(METRICS))
    for method in METHODS:
        cells = [_cell(result[method][m], result["intervals"][method][m]) for m in METRICS]
        print(f"| {method} | " + " | ".join(cells) + " |")
    for m in METRICS:
        v = result["versus_best_classic"][m]
        lo, hi = v["ratio_interval"]
        dlo, dhi = v["difference_interval"]
        print(
            f"model / best classic ({v['best_classic']}) {m}: {v['ratio']:.3f}x "
            f"[{lo:.3f}, {hi:.3f}], difference [{dlo:+.4f}, {dhi:+.4f}]"
        )
    b = result["bridging"]
    print(
        f"bridging precision@L (L_cross = {b['l_cross']}): model "
        f"{_cell(b['model_precision_at_l'], b['model_interval'])}, Adamic-Adar "
        f"{_cell(b['adamic_adar_precision_at_l'], b['adamic_adar_interval'])}, difference "
        f"[{b['difference_interval'][0]:+.4f}, {b['difference_interval'][1]:+.4f}]"
    )


def summary(results: list[dict[str, Any]]) -> None:
    """The table of ratios and the geometric mean."""
    print("\n## Summary: model / best classic, precision@L")
    print(
        "| network | model P@L | best classic | its P@L | ratio [95 %] | AUC ratio | hits@10 ratio | bridging model / AA | fit s | fit CPU s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    logs = []
    for r in results:
        v = r["versus_best_classic"]["precision_at_l"]
        best = v["best_classic"]
        logs.append(math.log(max(v["ratio"], 1e-12)))
        b = r["bridging"]
        print(
            f"| {SHORT.get(r['network'], r['network'])} | {r['model']['precision_at_l']:.4f} | {best} "
            f"| {r[best]['precision_at_l']:.4f} | {v['ratio']:.3f} [{v['ratio_interval'][0]:.3f}, "
            f"{v['ratio_interval'][1]:.3f}] | {r['versus_best_classic']['auc']['ratio']:.3f} "
            f"| {r['versus_best_classic']['hits_at_10']['ratio']:.3f} "
            f"| {b['model_precision_at_l']:.4f} / {b['adamic_adar_precision_at_l']:.4f} "
            f"| {r['fit_seconds']:.1f} | {r['fit_cpu_seconds']:.1f} |"
        )
    if logs:
        print(f"\ngeometric mean of the precision@L ratios: {math.exp(sum(logs) / len(logs)):.3f}x")


def variance(
    folder: Path, split_year: int, seed: int, first: dict[str, Any], seeds: list[int]
) -> list[dict[str, Any]]:
    """The ratios of the model refitted with each of ``seeds`` (``first``: ``seed``'s)."""
    rows = [(seed, first)] + [(s, run(folder, split_year, seed, fit_seed=s)) for s in seeds]
    ratios, hits, bridging = [], [], []
    for s, r in rows:
        b = r["bridging"]
        versus = r["versus_best_classic"]
        ratios.append(versus["precision_at_l"]["ratio"])
        hits.append(versus["hits_at_10"]["ratio"])
        bridging.append(b["model_precision_at_l"] / max(b["adamic_adar_precision_at_l"], 1e-12))
        lo, hi = versus["precision_at_l"]["ratio_interval"]
        hlo, hhi = versus["hits_at_10"]["ratio_interval"]
        print(
            f"  fit seed {s}: precision@L / best classic {ratios[-1]:.3f} [{lo:.3f}, {hi:.3f}], "
            f"hits@10 / best classic {hits[-1]:.3f} [{hlo:.3f}, {hhi:.3f}], "
            f"bridging / Adamic-Adar {bridging[-1]:.3f}, fit {r['fit_seconds']:.1f} s "
            f"(CPU {r['fit_cpu_seconds']:.1f} s), "
            f"forms {r['training'].get('form')} | {r['training'].get('actor_form')} "
            f"| {r['training'].get('bridging_form')}"
        )
    print(
        f"  over {len(rows)} seeds: precision@L ratio mean {sum(ratios) / len(rows):.3f} "
        f"min {min(ratios):.3f}; hits@10 ratio mean {sum(hits) / len(rows):.3f} "
        f"min {min(hits):.3f}; bridging ratio mean {sum(bridging) / len(rows):.3f} "
        f"min {min(bridging):.3f}"
    )
    return [r for _, r in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("/work/shared/data/networks"))
    parser.add_argument("--only", nargs="*", default=list(NETWORKS))
    parser.add_argument("--split-year", type=int, default=2019)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="write every result here")
    parser.add_argument("--seeds", type=int, nargs="*", default=[], help="refit with these seeds")
    args = parser.parse_args()
    results, by_seed = [], []
    for name in args.only:
        result = run(args.data / name, args.split_year, args.seed)
        report(result)
        if args.seeds:
            by_seed.append(
                variance(args.data / name, args.split_year, args.seed, result, args.seeds)
            )
        results.append(result)
        if args.json:
            args.json.write_text(json.dumps(results, indent=1, default=str))
    summary(results)
    for k, s in enumerate(args.seeds):
        print(f"\n### fit seed {s}")
        summary([rows[k + 1] for rows in by_seed])


if __name__ == "__main__":
    main()
