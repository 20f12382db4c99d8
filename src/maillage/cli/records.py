"""``maillage actor …``, ``maillage link …``, ``territory``, ``search``, ``history``, ``undo``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from maillage.cli.common import (
    db_option,
    emit_json,
    engine_for,
    handle_errors,
    json_option,
    print_record,
    print_rows,
)
from maillage.model import taxonomy
from maillage.services import actors as actor_service
from maillage.services import geography, history
from maillage.services import links as link_service

F = TypeVar("F", bound=Callable[..., Any])

ACTOR_OPTIONS: list[tuple[str, str, str]] = [
    ("name", "--name", "Nom / name"),
    ("acronym", "--acronym", "Sigle / acronym"),
    ("description", "--description", "Description"),
    ("world", "--world", "Monde : " + ", ".join(t.code for t in taxonomy.load("worlds"))),
    ("category", "--category", "Catégorie d'acteur / actor category"),
    ("digital_profile", "--digital-profile", "native, adopter, traditional, unknown"),
    ("siren", "--siren", "SIREN (9 chiffres)"),
    ("siret", "--siret", "SIRET (14 chiffres)"),
    ("rna", "--rna", "RNA (W + 9 chiffres)"),
    ("legal_form", "--legal-form", "Catégorie juridique INSEE (4 chiffres)"),
    ("naf", "--naf", "Code NAF"),
    ("address", "--address", "Adresse"),
    ("postcode", "--postcode", "Code postal"),
    ("commune_code", "--commune", "Code commune INSEE (ex. 59350)"),
    ("latitude", "--latitude", "Latitude (WGS84)"),
    ("longitude", "--longitude", "Longitude (WGS84)"),
    ("website", "--website", "Site web"),
    ("email", "--email", "Courriel"),
    ("phone", "--phone", "Téléphone"),
    ("source", "--source", "Source de l'information"),
]
ACTOR_MULTI = [("themes", "--theme"), ("sdgs", "--sdg"), ("territories", "--territory")]

LINK_OPTIONS: list[tuple[str, str, str]] = [
    ("kind", "--kind", "Type de lien (partnership, funding, public_contract, …)"),
    ("form", "--form", "Forme de partenariat (mecenat, pratiques_responsables, …)"),
    ("subtype", "--subtype", "Sous-type de mécénat"),
    ("weight", "--weight", "Poids"),
    ("amount", "--amount", "Montant en euros"),
    ("status", "--status", "proposed, active, ended"),
    ("start_date", "--start", "Début (AAAA-MM-JJ ou AAAA)"),
    ("end_date", "--end", "Fin (AAAA-MM-JJ ou AAAA)"),
    ("territory_code", "--territory", "Territoire (ex. DEP:59)"),
    ("purpose", "--purpose", "Objet"),
    ("evidence", "--evidence", "Preuve (document, enregistrement source)"),
    ("evidence_url", "--evidence-url", "URL de la preuve"),
    ("confidence", "--confidence", "Confiance entre 0 et 1"),
    ("source", "--source", "Source de l'information"),
]


def field_options(
    options: list[tuple[str, str, str]], multi: list[tuple[str, str]]
) -> Callable[[F], F]:
    def decorate(func: F) -> F:
        for dest, flag, help_text in reversed(options):
            func = click.option(flag, dest, default=None, help=help_text)(func)
        for dest, flag in reversed(multi):
            func = click.option(flag, dest, multiple=True, help="Répétable / repeatable")(func)
        return func

    return decorate


def _given(fields: dict[str, Any], multi: list[tuple[str, str]]) -> dict[str, Any]:
    multi_names = {m for m, _ in multi}
    return {
        k: (list(v) if k in multi_names else v)
        for k, v in fields.items()
        if (v if k in multi_names else v is not None)
    }


def _show(record: dict[str, Any], as_json: bool, title: str) -> None:
    if as_json:
        emit_json(record)
    else:
        print_record(record, title=title)


@click.group("actor")
def actor_group() -> None:
    """Acteurs : créer, voir, lister, modifier, supprimer. / Actors."""


@actor_group.command("add")
@field_options(ACTOR_OPTIONS, ACTOR_MULTI)
@db_option
@json_option
@handle_errors
def actor_add(db_url: str, as_json: bool, **fields: Any) -> None:
    """Ajouter un acteur. / Add an actor.

    Exemple : maillage actor add --name "Emmaüs Connect" --world associative
    --commune 59350 --theme inclusion-numerique

    Un SIRET est vérifié (clé de Luhn) : --siret 73282932000074. / A SIRET is checked.
    """
    record = actor_service.create_actor(db=engine_for(db_url), values=_given(fields, ACTOR_MULTI))
    _show(record, as_json, f"Acteur {record['id']} créé")


@actor_group.command("show")
@click.argument("actor_id", type=int)
@db_option
@json_option
@handle_errors
def actor_show(actor_id: int, db_url: str, as_json: bool) -> None:
    """Afficher un acteur. / Show an actor.

    Exemple : maillage actor show 42 --json
    """
    _show(
        actor_service.get_actor(db=engine_for(db_url), actor_id=actor_id),
        as_json,
        f"Acteur {actor_id}",
    )


@actor_group.command("list")
@click.option("--world", default=None)
@click.option("--commune", default=None)
@click.option("--territory", "territory_code", default=None, help="ex. DEP:59")
@click.option("--limit", type=click.IntRange(1, None), default=50, show_default=True)
@click.option("--offset", type=click.IntRange(0, None), default=0)
@db_option
@json_option
@handle_errors
def actor_list(db_url: str, as_json: bool, **filters: Any) -> None:
    """Lister les acteurs. / List actors.

    Exemple : maillage actor list --world associative --commune 59350
    """
    rows = actor_service.list_actors(db=engine_for(db_url), **filters)
    if as_json:
        emit_json(rows)
    else:
        print_rows(rows, ["id", "name", "world", "category", "commune_code", "siret", "version"])


@actor_group.command("update")
@click.argument("actor_id", type=int)
@click.option(
    "--version",
    "expected_version",
    type=int,
    default=None,
    help="Version lue (refus si elle est périmée) / version read (conflict if stale)",
)
@field_options(ACTOR_OPTIONS, ACTOR_MULTI)
@db_option
@json_option
@handle_errors
def actor_update(
    actor_id: int, expected_version: int | None, db_url: str, as_json: bool, **fields: Any
) -> None:
    """Modifier un acteur. / Update an actor.

    Exemple : maillage actor update 42 --version 3 --website https://exemple.fr
    """
    record = actor_service.update_actor(
        db=engine_for(db_url),
        actor_id=actor_id,
        changes=_given(fields, ACTOR_MULTI),
        expected_version=expected_version,
    )
    _show(record, as_json, f"Acteur {actor_id} modifié (version {record['version']})")


@actor_group.command("delete")
@click.argument("actor_id", type=int)
@click.option("--version", "expected_version", type=int, default=None)
@db_option
@json_option
@handle_errors
def actor_delete(actor_id: int, expected_version: int | None, db_url: str, as_json: bool) -> None:
    """Supprimer (logiquement) un acteur ; annulable. / Soft-delete an actor.

    Exemple : maillage actor delete 42
    """
    record = actor_service.delete_actor(
        db=engine_for(db_url), actor_id=actor_id, expected_version=expected_version
    )
    if as_json:
        emit_json(record)
    else:
        click.echo(f"Acteur {actor_id} supprimé (annulable avec « maillage undo »).")


@actor_group.command("restore")
@click.argument("actor_id", type=int)
@click.option("--version", "expected_version", type=int, default=None)
@db_option
@json_option
@handle_errors
def actor_restore(actor_id: int, expected_version: int | None, db_url: str, as_json: bool) -> None:
    """Rétablir un acteur supprimé. / Restore a deleted actor.

    Exemple : maillage actor restore 42
    """
    record = actor_service.restore_actor(
        db=engine_for(db_url), actor_id=actor_id, expected_version=expected_version
    )
    _show(record, as_json, f"Acteur {actor_id} rétabli (version {record['version']})")


@click.group("link")
def link_group() -> None:
    """Liens entre acteurs. / Links between actors."""


@link_group.command("add")
@click.argument("source_id", type=int)
@click.argument("target_id", type=int)
@click.option("--directed/--undirected", default=None)
@click.option("--theme", "themes", multiple=True)
@field_options(LINK_OPTIONS, [])
@db_option
@json_option
@handle_errors
def link_add(
    source_id: int,
    target_id: int,
    directed: bool | None,
    themes: tuple[str, ...],
    db_url: str,
    as_json: bool,
    **fields: Any,
) -> None:
    """Relier deux acteurs. / Link two actors.

    Exemple : maillage link add 12 34 --kind partnership --form mecenat --start 2019
    """
    values = {k: v for k, v in fields.items() if v is not None}
    values.update(source_id=source_id, target_id=target_id, themes=list(themes))
    values.setdefault("kind", "partnership")
    if directed is not None:
        values["directed"] = directed
    record = link_service.create_link(db=engine_for(db_url), values=values)
    _show(record, as_json, f"Lien {record['id']} créé")


@link_group.command("show")
@click.argument("link_id", type=int)
@db_option
@json_option
@handle_errors
def link_show(link_id: int, db_url: str, as_json: bool) -> None:
    """Afficher un lien. / Show a link.

    Exemple : maillage link show 7
    """
    _show(link_service.get_link(db=engine_for(db_url), link_id=link_id), as_json, f"Lien {link_id}")


@link_group.command("list")
@click.option("--actor", "actor_id", type=int, default=None)
@click.option("--kind", default=None)
@click.option("--limit", type=click.IntRange(1, None), default=50, show_default=True)
@click.option("--offset", type=click.IntRange(0, None), default=0)
@db_option
@json_option
@handle_errors
def link_list(db_url: str, as_json: bool, **filters: Any) -> None:
    """Lister les liens. / List links.

    Exemple : maillage link list --actor 12
    """
    rows = link_service.list_links(db=engine_for(db_url), **filters)
    if as_json:
        emit_json(rows)
    else:
        print_rows(rows, ["id", "source_id", "target_id", "kind", "form", "start_date", "status"])


@link_group.command("delete")
@click.argument("link_id", type=int)
@click.option("--version", "expected_version", type=int, default=None)
@db_option
@json_option
@handle_errors
def link_delete(link_id: int, expected_version: int | None, db_url: str, as_json: bool) -> None:
    """Supprimer (logiquement) un lien. / Soft-delete a link.

    Exemple : maillage link delete 7
    """
    record = link_service.delete_link(
        db=engine_for(db_url), link_id=link_id, expected_version=expected_version
    )
    if as_json:
        emit_json(record)
    else:
        click.echo(f"Lien {link_id} supprimé (annulable avec « maillage undo »).")


@link_group.command("restore")
@click.argument("link_id", type=int)
@click.option("--version", "expected_version", type=int, default=None)
@db_option
@json_option
@handle_errors
def link_restore(link_id: int, expected_version: int | None, db_url: str, as_json: bool) -> None:
    """Rétablir un lien supprimé. / Restore a deleted link.

    Exemple : maillage link restore 7
    """
    record = link_service.restore_link(
        db=engine_for(db_url), link_id=link_id, expected_version=expected_version
    )
    _show(record, as_json, f"Lien {link_id} rétabli (version {record['version']})")


@click.group("territory")
def territory_group() -> None:
    """Géographie française. / French geography."""


@territory_group.command("show")
@click.argument("code")
@db_option
@json_option
@handle_errors
def territory_show(code: str, db_url: str, as_json: bool) -> None:
    """Afficher un territoire par code, nom ou code postal. / Show a territory.

    Cinq chiffres se lisent d'abord comme un code commune INSEE, puis comme un code
    postal (59100 est Bousignies, pas le code postal de Roubaix : écrivez « Roubaix »).
    / Five digits are read as an INSEE commune code first, then as a postcode.

    Exemple : maillage territory show DEP:59   (ou 59350, « Roubaix », 59000)
    """
    record = geography.show_territory(db=engine_for(db_url), key=code)
    if as_json:
        emit_json(record)
    else:
        shown = {k: v for k, v in record.items() if k not in ("geometry", "children")}
        shown["children"] = len(record.get("children") or [])
        print_record(shown, title=f"{record['name']} ({record['code']})")


@click.command("search")
@click.argument("text")
@click.option("--limit", type=click.IntRange(1, None), default=20, show_default=True)
@db_option
@json_option
@handle_errors
def search_command(text: str, limit: int, db_url: str, as_json: bool) -> None:
    """Recherche plein texte en français. / French full-text search.

    Exemple : maillage search "médiation numérique"
    """
    rows = actor_service.search_actors(db=engine_for(db_url), query=text, limit=limit)
    if as_json:
        emit_json(rows)
    else:
        print_rows(rows, ["id", "name", "world", "commune_code"], title=f"{len(rows)} résultat(s)")


@click.command("history")
@click.argument("entity")
@click.argument("entity_id", type=int)
@db_option
@json_option
@handle_errors
def history_command(entity: str, entity_id: int, db_url: str, as_json: bool) -> None:
    """Historique d'une entité. / History of an entity.

    Exemple : maillage history actor 42
    """
    rows = history.entity_history(db=engine_for(db_url), entity=entity, entity_id=entity_id)
    if as_json:
        emit_json(rows)
        return
    for row in rows:
        row["fields"] = ", ".join(row["fields"])
    print_rows(
        rows,
        ["id", "at", "action", "author", "source", "batch_id", "fields"],
        title=f"{entity} {entity_id}",
    )


@click.command("undo")
@click.argument("change_id", type=int, required=False)
@click.option("--batch", "batch_id", type=int, default=None, help="Annuler tout un lot (import).")
@db_option
@json_option
@handle_errors
def undo_command(change_id: int | None, batch_id: int | None, db_url: str, as_json: bool) -> None:
    """Annuler un changement ou un lot entier. / Undo a change or a whole batch.

    Exemple : maillage undo 128    ou    maillage undo --batch 3
    """
    engine = engine_for(db_url)
    if (change_id is None) == (batch_id is None):
        raise click.UsageError("donnez un numéro de changement ou --batch N")
    if batch_id is not None:
        undone = history.undo_batch(db=engine, batch_id=batch_id)
        message = f"Lot {batch_id} annulé : {len(undone)} changement(s)."
    else:
        assert change_id is not None
        undone = [history.undo_change(db=engine, change_id=change_id)]
        message = f"Changement {change_id} annulé (changement {undone[0]})."
    if as_json:
        emit_json({"undo_changes": undone})
    else:
        click.echo(message)
