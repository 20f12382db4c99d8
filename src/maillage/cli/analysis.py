"""``maillage analyse`` and ``maillage recommend actor|territory|evaluate``."""

from __future__ import annotations

from contextlib import nullcontext

import click
from babel.numbers import format_decimal

from maillage.cli.common import (
    console,
    db_option,
    emit_json,
    engine_for,
    handle_errors,
    json_option,
    print_rows,
)
from maillage.model import taxonomy
from maillage.model.errors import InvalidInput
from maillage.services import analysis as service
from maillage.services import graph_filter
from maillage.services.portal import Lang, label

WORLD_CHOICES = click.Choice([term.code for term in taxonomy.load("worlds")])
LANG = click.option(
    "--lang",
    type=click.Choice(["fr", "en"]),
    default="fr",
    show_default=True,
    help="Langue du rapport et des raisons / language of report and reasons.",
)
SEED = click.option(
    "--seed", type=int, default=0, show_default=True, help="Graine / seed (reproducible)."
)
MODE = click.option(
    "--mode",
    type=click.Choice(["likely", "bridging"]),
    help="likely : ce qui arrivera probablement ; bridging : favorise les mondes "
    "complémentaires / likely: what will probably happen; bridging: favours "
    "complementary worlds.",
)


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:.4f}"


def _example(command: str) -> str:
    """An ``--help`` epilog: the example comes last, unwrapped."""
    return f"\b\nExemple : {command}"


def _period(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    try:
        return graph_filter.parse_period(text)
    except ValueError:
        raise InvalidInput(
            "--period", text, "forme attendue AAAA:AAAA, début ≤ fin", "expected YYYY:YYYY"
        ) from None


@click.command(
    "analyse", epilog=_example("maillage analyse --territory DEP:59 --period 2015:2020 --lang en")
)
@db_option
@click.option(
    "--territory",
    help="Territoire : code (DEP:59), code postal ou nom / territory: code, postcode or name.",
)
@click.option("--theme", help="Thème / theme.")
@click.option("--world", type=WORLD_CHOICES, help="Monde / world.")
@click.option("--kind", help="Type de lien / link kind (partnership, funding, …).")
@click.option("--period", help="Années des liens / link years, ex. 2015:2020.")
@SEED
@LANG
@json_option
@handle_errors
def analyse_command(
    db_url: str,
    territory: str | None,
    theme: str | None,
    world: str | None,
    kind: str | None,
    period: str | None,
    seed: int,
    lang: str,
    as_json: bool,
) -> None:
    """Analyser le maillage : taille, mélange des mondes, courtiers, communautés,
    couverture des besoins, évolution. / Analyse the map or a filtered part.
    """
    flt = graph_filter.GraphFilter(
        territory=territory, theme=theme, world=world, kind=kind, period=_period(period)
    )
    result = service.analyse_map(db=engine_for(db_url), flt=flt, seed=seed)
    if as_json:
        emit_json(result)
    else:
        click.echo(service.analysis_report(result, lang), nl=False)


@click.group("recommend", epilog=_example("maillage recommend actor 42 --top 10 --mode bridging"))
def recommend_group() -> None:
    """Alliances à créer, expliquées, et leur qualité mesurée.
    / Recommended alliances, explained, and their measured quality.

    Le modèle ajusté est gardé dans MAILLAGE_CACHE_DIR (~/.cache/maillage/models,
    vide : rien n'est gardé) et relu tant que la carte ne change pas.
    / The fitted model is kept in MAILLAGE_CACHE_DIR and read back while the map is
    unchanged.
    """


@recommend_group.command(
    "actor", epilog=_example("maillage recommend actor 42 --top 10 --mode likely --json")
)
@click.argument("actor_id", type=int)
@db_option
@click.option("--top", type=click.IntRange(1, 1000), default=10, show_default=True)
@MODE
@SEED
@LANG
@json_option
@handle_errors
def recommend_actor_command(
    actor_id: int, db_url: str, top: int, mode: str | None, seed: int, lang: str, as_json: bool
) -> None:
    """Nouveaux partenaires pour un acteur, avec leurs raisons.
    / New partners for an actor, with reasons.
    """
    result = service.recommend_actor(
        db=engine_for(db_url),
        actor_id=actor_id,
        top=top,
        mode=mode or "likely",
        lang=lang,
        seed=seed,
        store=service.model_store(),
    )
    if as_json:
        emit_json(result)
        return
    console.print(f"[bold]{result['actor']['name']}[/bold] (#{actor_id}, {result['mode']})")
    rows = [
        {
            "rank": i,
            "id": r["id"],
            "name": r["name"],
            "world": label("worlds", r["world"] or "unknown", _lang(lang)),
            "score": _score(r["score"], lang),
            "reasons": _joined(r["reasons"], lang),
        }
        for i, r in enumerate(result["recommendations"], 1)
    ]
    columns = ["rank", "id", "name", "world", "score", "reasons"]
    print_rows(rows, columns, headers=HEADERS[_lang(lang)])


@recommend_group.command(
    "territory", epilog=_example("maillage recommend territory DEP:59 --top 20 --mode bridging")
)
@click.argument("code")
@db_option
@click.option("--top", type=click.IntRange(1, 1000), default=20, show_default=True)
@MODE
@SEED
@LANG
@json_option
@handle_errors
def recommend_territory_command(
    code: str, db_url: str, top: int, mode: str | None, seed: int, lang: str, as_json: bool
) -> None:
    """Liens manquants les plus utiles dans un territoire, solutions à essaimer pour
    ses besoins non couverts, et couverture de ses besoins (lieux les plus proches,
    acteurs du thème qui y agissent). / Missing links inside a territory, solutions to
    replicate, and the coverage of its needs (nearest places, actors acting there).
    """
    result = service.recommend_territory(
        db=engine_for(db_url),
        code=code,
        top=top,
        mode=mode or "bridging",
        lang=lang,
        seed=seed,
        store=service.model_store(),
    )
    if as_json:
        emit_json(result)
        return
    _print_territory(result, lang)


HEADERS: dict[Lang, dict[str, str]] = {
    "fr": {
        "rank": "rang",
        "name": "nom",
        "world": "monde",
        "source": "acteur",
        "target": "partenaire",
        "score": "score",
        "reasons": "raisons",
    },
    "en": {"rank": "rank", "source": "actor", "target": "partner"},
}


def _lang(lang: str) -> Lang:
    return "en" if lang == "en" else "fr"


def _named(end: service.PairEnd, lang: str) -> str:
    """An actor of a proposed link: its name and its world, in the reader's language."""
    return f"{end['name']} ({label('worlds', end['world'] or 'unknown', _lang(lang))})"


def _score(score: float, lang: str) -> str:
    """A score to three significant digits (scores of rare ties are small: 0,000260)."""
    return format_decimal(score, format="@@@", locale=_lang(lang))


def _joined(reasons: list[str], lang: str) -> str:
    """Reasons on one line, with the French space before the semicolon in French."""
    return (" ; " if lang == "fr" else "; ").join(reasons)


def _print_territory(result: service.TerritoryAdvice, lang: str) -> None:
    rows = [
        {
            "rank": i,
            "source": _named(r["source"], lang),
            "target": _named(r["target"], lang),
            "score": _score(r["score"], lang),
            "reasons": _joined(r["reasons"], lang),
        }
        for i, r in enumerate(result["links"], 1)
    ]
    columns = ["rank", "source", "target", "score", "reasons"]
    print_rows(rows, columns, title=result["territory"], headers=HEADERS[_lang(lang)])
    colon = " : " if lang == "fr" else ": "
    for entry in result["solutions"]:
        names = ", ".join(s["name"] for s in entry["solutions"]) or "—"
        console.print(f"{entry['territory']} / {entry['theme']}{colon}{names}", highlight=False)
    if result["coverage"]["cells"]:
        click.echo("\n" + service.coverage_report(result["coverage"], lang), nl=False)


@recommend_group.command(
    "evaluate", epilog=_example("maillage recommend evaluate --split-year 2019 --seed 0 --json")
)
@db_option
@click.option("--split-year", type=int, required=True, help="Année de coupure / split year.")
@SEED
@json_option
@handle_errors
def evaluate_command(db_url: str, split_year: int, seed: int, as_json: bool) -> None:
    """Qualité mesurée : apprend sur les liens d'avant l'année Y, note ceux formés
    depuis (AUC, précision@L, hits@10, MRR, intervalles bootstrap à 95 %), face aux
    prédicteurs classiques (voisins communs, Jaccard, Adamic-Adar, allocation de
    ressources, attachement préférentiel). / Measured quality on a temporal split,
    against every classic predictor, with bootstrap 95 % intervals.

    Avec --json, la dernière ligne est un objet JSON par méthode (model,
    common_neighbours, jaccard, adamic_adar, resource_allocation,
    preferential_attachment), avec "intervals" et "versus_best_classic".
    """
    with nullcontext() if as_json else console.status("Évaluation…", spinner="dots"):
        result = service.evaluate_map(db=engine_for(db_url), split_year=split_year, seed=seed)
    if as_json:
        emit_json(result)
        return
    rows = [
        {"method": name, **{k: _number(result[name][k]) for k in service.QUALITY_KEYS}}
        for name in service.QUALITY_METHODS
    ]
    print_rows(rows, ["method", *service.QUALITY_KEYS], title=f"split {split_year}")
    console.print(
        f"L = {result['l']}, train_links = {result['train_links']}, "
        f"test_links = {result['test_links']}",
        highlight=False,
    )
