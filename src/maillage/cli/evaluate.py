"""``maillage evaluate``: evaluating digital solutions; ``evaluate ecoindex URL`` measures
the EcoIndex of a page, and with ``--solution`` records the mean of a solution's pages as
an evaluator's answer."""

from __future__ import annotations

import click

from maillage.cli.common import (
    console,
    db_option,
    emit_json,
    engine_for,
    handle_errors,
    json_option,
    print_record,
)
from maillage.model.errors import InvalidInput
from maillage.services import accounts, evaluation
from maillage.services import ecoindex as service
from maillage.settings import Settings


@click.group("evaluate")
def evaluate_group() -> None:
    """Évaluer les solutions numériques (RSE, EcoIndex). / Evaluate digital solutions."""


@evaluate_group.command(
    "ecoindex",
    epilog="\b\nExemples :\n  maillage evaluate ecoindex https://www.example.org/ --json\n"
    "  maillage evaluate ecoindex --solution 12 --evaluator camille@example.org\n"
    "  maillage evaluate ecoindex https://a.example/ https://a.example/aide --solution 12 "
    "--evaluator camille@example.org",
)
@click.argument("urls", nargs=-1, metavar="[URL]...")
@click.option(
    "--solution",
    "solution_id",
    type=click.IntRange(1, None),
    default=None,
    help="Enregistrer la moyenne des pages comme réponse EcoIndex de cette solution (pages : "
    "les URL données, sinon son site) / record the pages' mean as this solution's answer.",
)
@click.option(
    "--evaluator",
    default=None,
    metavar="EMAIL",
    help="Compte de l'évaluateur (avec --solution) / the evaluator's account.",
)
@click.option(
    "--allow-network",
    "allowed",
    multiple=True,
    metavar="CIDR",
    help="Réseau non public autorisé (répétable), en plus de "
    "MAILLAGE_ECOINDEX_ALLOWED_NETWORKS / non-public network allowed (repeatable).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(1, 600),
    default=60,
    show_default=True,
    help="Limite de temps de la mesure, en secondes / time limit in seconds.",
)
@click.option(
    "--max-kb",
    type=click.IntRange(1, 1_000_000),
    default=50_000,
    show_default=True,
    help="Limite de taille transférée, en Ko / transferred size limit in KB.",
)
@click.option(
    "--wait",
    type=click.FloatRange(0, 30),
    default=1.0,
    show_default=True,
    help="Pause avant et après le défilement, en secondes / pause around the scroll.",
)
@db_option
@json_option
@handle_errors
def ecoindex_command(
    urls: tuple[str, ...],
    solution_id: int | None,
    evaluator: str | None,
    allowed: tuple[str, ...],
    timeout: float,
    max_kb: int,
    wait: float,
    db_url: str,
    as_json: bool,
) -> None:
    """Mesurer l'EcoIndex d'une page chargée dans Chromium : éléments du DOM, requêtes,
    octets transférés, note et classe (A à G). Adresses http(s) publiques seulement, sauf
    réseaux autorisés. Avec --solution et --evaluator : les pages de la solution (au plus
    5) mesurées dans un même Chromium, la moyenne de leurs notes enregistrée comme
    réponse EcoIndex dans l'évaluation de l'évaluateur (auditée). / Measure the EcoIndex
    of a page loaded in Chromium (public http(s) addresses only, unless allowed); with
    --solution and --evaluator, record the mean of the solution's pages as the
    evaluator's EcoIndex answer.
    """
    networks = service.parse_networks(
        Settings().ecoindex_allowed_networks + allowed,
        "--allow-network / MAILLAGE_ECOINDEX_ALLOWED_NETWORKS",
    )
    policy = service.NetworkPolicy(
        allowed_networks=networks,
        timeout_s=timeout,
        max_bytes=max_kb * 1000,
        wait_s=wait,
    )
    if solution_id is not None:
        _record(urls, solution_id, evaluator, policy, db_url, as_json)
        return
    if evaluator is not None:
        raise InvalidInput("--evaluator", evaluator, "avec --solution seulement",
                           "with --solution only")  # fmt: skip
    if len(urls) != 1:
        raise InvalidInput("URL", len(urls), "une adresse (plusieurs : avec --solution)",
                           "one address (several: with --solution)")  # fmt: skip
    found = service.measure_ecoindex(urls[0], policy=policy)
    if as_json:
        emit_json(found.to_dict())
        return
    print_record(
        {
            "URL": found.url
            if found.final_url == found.url
            else f"{found.url} → {found.final_url}",
            "EcoIndex": f"{found.score} / 100",
            "Classe / grade": found.grade,
            "Éléments du DOM / DOM elements": found.dom_nodes,
            "Requêtes / requests": found.requests,
            "Taille / size": f"{found.size_kb:.1f} Ko",
            "GES / GHG": f"{found.ges:.2f} gCO2e",
            "Eau / water": f"{found.water:.2f} cl",
            "Mesurée le / measured at": found.measured_at.isoformat(timespec="seconds"),
            "Référence / reference": found.reference,
        }
    )
    for refused in found.refused:
        console.print(f"Requête refusée / refused request : {refused.url} — {refused.reason_fr}")


def _record(
    urls: tuple[str, ...],
    solution_id: int,
    evaluator: str | None,
    policy: service.NetworkPolicy,
    db_url: str,
    as_json: bool,
) -> None:
    """Measure a solution's pages and record the mean as the evaluator's answer."""
    if not evaluator:
        raise InvalidInput("--evaluator", None, "l'adresse du compte de l'évaluateur",
                           "the evaluator's account address")  # fmt: skip
    db = engine_for(db_url)
    account = accounts.find_account(db=db, email=evaluator)
    site, made = evaluation.measure_solution_ecoindex(
        db=db, solution_id=solution_id, policy=policy, pages=urls,
        evaluator_id=account.id, evaluator=account.display_name or account.email,
    )  # fmt: skip
    if as_json:
        emit_json({
            "evaluation": made["id"], "solution": solution_id, "score": site.score,
            "grade": site.grade, "measured_at": site.measured_at.isoformat(),
            "pages": [p.to_dict() for p in site.pages],
        })  # fmt: skip
        return
    for p in site.pages:
        console.print(f"{p.url} : {p.score} ({p.grade}) — DOM {p.dom_nodes}, "
                      f"{p.requests} requêtes / requests, {p.size_kb:.1f} Ko")  # fmt: skip
    console.print(
        f"EcoIndex {site.score:.2f} ({site.grade}) enregistré dans l'évaluation {made['id']} "
        f"de {made['evaluator']} / recorded in evaluation {made['id']}"
    )
