"""``maillage review …``: identity resolution, its review queue and its measure; the
measure of the classification of actors (worlds, categories)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from maillage.cli.common import (
    console,
    db_option,
    emit_json,
    engine_for,
    handle_errors,
    json_option,
    print_rows,
)
from maillage.services import classification, review


@click.group("review")
def review_group() -> None:
    """Doublons d'acteurs : fusion sûre, file de revue, mesure.

    Duplicate actors: sure merges, a review queue, and how good it is.

    Exemple : maillage review run && maillage review list
    """


@review_group.command("run")
@click.option(
    "--merge-threshold",
    type=float,
    default=review.MERGE_THRESHOLD,
    show_default=True,
    help="Score à partir duquel on fusionne sans demander.",
)
@click.option(
    "--review-threshold",
    type=float,
    default=review.REVIEW_THRESHOLD,
    show_default=True,
    help="Score à partir duquel la paire va en revue.",
)
@click.option("--dry-run", is_flag=True, help="Montrer sans rien écrire.")
@db_option
@json_option
@handle_errors
def review_run(merge_threshold: float, review_threshold: float, dry_run: bool, db_url: str,
               as_json: bool) -> None:  # fmt: skip
    """Chercher les doublons, fusionner les sûrs, mettre les autres en revue.

    Find duplicates, merge the sure ones, queue the others for review.

    Exemple : maillage review run --dry-run
    """
    report = review.run(db=engine_for(db_url), merge_threshold=merge_threshold,
                        review_threshold=review_threshold, dry_run=dry_run)  # fmt: skip
    if as_json:
        emit_json({"candidates": report.candidates, "merged": report.merged,
                   "queued": report.queued, "skipped_decided": report.skipped_decided,
                   "dry_run": dry_run, "merges": report.merges})  # fmt: skip
        return
    verb = "fusionnerait" if dry_run else "a fusionné"
    console.print(f"{report.candidates} paires candidates ; {verb} {report.merged} acteur(s) "
                  f"en {len(report.merges)} groupe(s) ; {report.queued} paire(s) en revue.")  # fmt: skip
    for merge in report.merges[:20]:
        undo = f" — annuler : maillage undo --batch {merge.batch_id}" if merge.batch_id else ""
        console.print(f"  {merge.merged_ids} -> {merge.survivor_id}{undo}", highlight=False)


@review_group.command("list")
@click.option("--limit", type=click.IntRange(1, None), default=50, show_default=True)
@click.option("--offset", type=click.IntRange(0, None), default=0)
@db_option
@json_option
@handle_errors
def review_list(limit: int, offset: int, db_url: str, as_json: bool) -> None:
    """Lister les paires en attente de décision. / List the pairs awaiting a decision.

    Exemple : maillage review list --limit 20
    """
    items = review.list_pending(db=engine_for(db_url), limit=limit, offset=offset)
    if as_json:
        emit_json(items)
        return
    rows: list[dict[str, Any]] = [
        {"paire": f"{i.left['id']} {i.right['id']}", "score": f"{i.score:.2f}",
         "acteur 1": _label(i.left), "acteur 2": _label(i.right),
         "raisons": ", ".join(i.reasons)}
        for i in items
    ]  # fmt: skip
    print_rows(rows, ["paire", "score", "acteur 1", "acteur 2", "raisons"],
               title="Paires à revoir (maillage review accept|reject ID1 ID2)")  # fmt: skip


def _label(actor: dict[str, Any]) -> str:
    where = " ".join(str(actor[k]) for k in ("address", "postcode") if actor.get(k))
    return f"{actor['name']} ({where})" if where else str(actor["name"])


@review_group.command("accept")
@click.argument("left_id", type=int)
@click.argument("right_id", type=int)
@db_option
@json_option
@handle_errors
def review_accept(left_id: int, right_id: int, db_url: str, as_json: bool) -> None:
    """Déclarer deux acteurs identiques et les fusionner (annulable).

    Declare two actors the same and merge them (undoable).

    Exemple : maillage review accept 12 57
    """
    result = review.accept(db=engine_for(db_url), left_id=left_id, right_id=right_id)
    if as_json:
        emit_json(result)
        return
    click.echo(f"Acteur(s) {result.merged_ids} fusionné(s) dans {result.survivor_id}. "
               f"Annuler : maillage undo --batch {result.batch_id}")  # fmt: skip


@review_group.command("reject")
@click.argument("left_id", type=int)
@click.argument("right_id", type=int)
@db_option
@json_option
@handle_errors
def review_reject(left_id: int, right_id: int, db_url: str, as_json: bool) -> None:
    """Déclarer deux acteurs différents (décision retenue pour la suite).

    Declare two actors different (remembered: never proposed or merged again).

    Exemple : maillage review reject 12 57
    """
    decided = review.reject(db=engine_for(db_url), left_id=left_id, right_id=right_id)
    if as_json:
        emit_json(decided)
        return
    click.echo(f"Paire {decided.left_id}-{decided.right_id} : différents (retenu).")


@review_group.command("evaluate")
@click.argument(
    "sample", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--merge-threshold", type=float, default=review.MERGE_THRESHOLD, show_default=True)
@click.option("--review-threshold", type=float, default=review.REVIEW_THRESHOLD, show_default=True)
@json_option
@handle_errors
def review_evaluate(sample: Path | None, merge_threshold: float, review_threshold: float,
                    as_json: bool) -> None:  # fmt: skip
    """Mesurer précision et rappel sur un échantillon de paires étiquetées.

    Measure precision and recall on a labelled sample of pairs; without SAMPLE, on the
    two samples shipped in maillage/data/resolution (see its README): ``lieux``, the
    mediation places and France Services, and ``sources``, pairs across the demo's
    sources (ANR, places, France Services, DECP, holding structures). Each is given
    whole, then by half (dev: thresholds chosen there; test: held out) and stratum.

    Exemple : maillage review evaluate --json
    """
    samples = {"": sample} if sample else review.SAMPLES
    reports = {name: review.evaluate_sample(path=path, merge_threshold=merge_threshold,
                                            review_threshold=review_threshold)
               for name, path in samples.items()}  # fmt: skip
    if as_json:
        emit_json(reports[""].to_dict() if sample else
                  {name: report.to_dict() for name, report in reports.items()})  # fmt: skip
        return
    for name, report in reports.items():
        _print_evaluation(name, report, merge_threshold, review_threshold)


def _print_evaluation(name: str, report: review.SampleReport, merge_threshold: float,
                      review_threshold: float) -> None:  # fmt: skip
    parts = [*report.splits.items(), *report.strata.items()]
    rows = [{"partie": part, "paires": ev.pairs, "mêmes": ev.positives, "VP": ev.true_positives,
             "FP": ev.false_positives, "FN": ev.false_negatives,
             "précision": f"{ev.precision:.3f}", "rappel": f"{ev.recall:.3f}"}
            for part, ev in parts]  # fmt: skip
    title = f"Échantillon « {name} » : " if name else ""
    print_rows(rows, list(rows[0]) if rows else [],
               title=f"{title}fusion automatique au seuil {merge_threshold} "
                     "(parties, puis strates)")  # fmt: skip
    overall = report.splits["all"]
    console.print(f"Précision {overall.precision:.3f}, rappel {overall.recall:.3f} sur "
                  f"{overall.pairs} paires ({report.unsure} « incertaines » écartées) ; "
                  f"{report.review_recall:.1%} des paires identiques atteignent au moins la "
                  f"revue (seuil {review_threshold}).")  # fmt: skip
    if report.chosen_on_dev:
        console.print(f"Seuils que la moitié dev choisit : fusion {report.chosen_on_dev[0]}, "
                      f"revue {report.chosen_on_dev[1]}.")  # fmt: skip


@review_group.command("classification")
@click.argument("sample", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--mistakes", is_flag=True, help="Lister les erreurs / list the mistakes.")
@json_option
@handle_errors
def review_classification(sample: Path, mistakes: bool, as_json: bool) -> None:
    """Mesurer mondes et catégories sur un échantillon d'acteurs étiquetés.

    Measure the worlds and categories the rules give on a sample of labelled actors
    (precision on the labelled ones, coverage on all; halves dev and test, strata).

    Exemple : maillage review classification tests/data/classification/actors.csv
    """
    parts = classification.evaluate_classification(path=sample)
    if as_json:
        emit_json({k: v.to_dict() for k, v in parts.items()})
        return
    rows = [{"partie": name, "acteurs": ev.actors,
             "précision mondes": f"{ev.world_precision:.3f}",
             "couverture mondes": f"{ev.world_coverage:.1%}",
             "précision catégories": f"{ev.category_precision:.3f}",
             "couverture catégories": f"{ev.category_coverage:.1%}"}
            for name, ev in parts.items()]  # fmt: skip
    print_rows(rows, list(rows[0]) if rows else [], title="Mondes et catégories")
    if mistakes and "all" in parts:
        print_rows(parts["all"].mistakes, ["id", "name", "rule", "world", "category"],
                   title="Erreurs")  # fmt: skip
