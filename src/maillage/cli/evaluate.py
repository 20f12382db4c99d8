"""``maillage evaluate``: evaluating digital solutions; ``evaluate ecoindex URL`` measures
the EcoIndex of a page."""

from __future__ import annotations

import click

from maillage.cli.common import console, emit_json, handle_errors, json_option, print_record
from maillage.services import ecoindex as service
from maillage.settings import Settings


@click.group("evaluate")
def evaluate_group() -> None:
    """Évaluer les solutions numériques (RSE, EcoIndex). / Evaluate digital solutions."""


@evaluate_group.command(
    "ecoindex",
    epilog="\b\nExemple : maillage evaluate ecoindex https://www.example.org/ --json",
)
@click.argument("url")
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
@json_option
@handle_errors
def ecoindex_command(
    url: str, allowed: tuple[str, ...], timeout: float, max_kb: int, wait: float, as_json: bool
) -> None:
    """Mesurer l'EcoIndex d'une page chargée dans Chromium : éléments du DOM, requêtes,
    octets transférés, note et classe (A à G). Adresses http(s) publiques seulement, sauf
    réseaux autorisés. / Measure the EcoIndex of a page loaded in Chromium (public http(s)
    addresses only, unless allowed).
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
    found = service.measure_ecoindex(url, policy=policy)
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
