"""One repository per editable entity, with its collections and index hooks."""

from __future__ import annotations

from maillage.storage import search
from maillage.storage import tables as t
from maillage.storage.evaluations import evaluations
from maillage.storage.repository import Collection, Repository
from maillage.storage.search import resources as resource_search

actors = Repository(
    "actor",
    t.actor,
    collections={
        "themes": Collection(t.actor_theme, "actor_id", "theme"),
        "sdgs": Collection(t.actor_sdg, "actor_id", "sdg"),
        "territories": Collection(t.actor_territory, "actor_id", "territory_code"),
        "identifiers": Collection(t.actor_identifier, "actor_id", "identifier"),
    },
    on_write=search.index_actors,
    bulk_index=search.ACTOR_BULK_INDEX,
    on_remove=search.remove_actors,
)
links = Repository(
    "link", t.link, collections={"themes": Collection(t.link_theme, "link_id", "theme")}
)
needs = Repository("need", t.need)
indicators = Repository("indicator", t.indicator)
maturities = Repository("maturity", t.maturity)
solutions = Repository(
    "solution",
    t.solution,
    collections={
        "carriers": Collection(t.solution_carrier, "solution_id", "actor_id"),
        "territories": Collection(t.solution_territory, "solution_id", "territory_code"),
        "themes": Collection(t.solution_theme, "solution_id", "theme"),
        "needs": Collection(t.solution_need, "solution_id", "need_id"),
    },
)
resources = Repository(
    "resource",
    t.resource,
    collections={
        "themes": Collection(t.resource_theme, "resource_id", "theme"),
        "territories": Collection(t.resource_territory, "resource_id", "territory_code"),
        "actors": Collection(t.resource_actor, "resource_id", "actor_id"),
        "sdgs": Collection(t.resource_sdg, "resource_id", "sdg"),
        "links": Collection(t.resource_link, "resource_id", "link_id"),
    },
    on_write=resource_search.index_resources,
    bulk_index=resource_search.RESOURCE_BULK_INDEX,
    on_remove=resource_search.remove_resources,
)
excerpts = Repository(
    "excerpt", t.excerpt, collections={"themes": Collection(t.excerpt_theme, "excerpt_id", "theme")}
)
comments = Repository("comment", t.comment)
proposals = Repository("proposal", t.proposal)
users = Repository("user", t.user)

REPOSITORIES: dict[str, Repository] = {
    r.entity: r
    for r in (
        actors,
        links,
        needs,
        indicators,
        maturities,
        solutions,
        resources,
        excerpts,
        evaluations,
        comments,
        proposals,
        users,
    )
}


def repository(entity: str) -> Repository:
    """The repository of ``entity`` (``actor``, ``link``, ...)."""
    from maillage.model.errors import InvalidInput

    try:
        return REPOSITORIES[entity]
    except KeyError:
        raise InvalidInput(
            "entity",
            entity,
            "entités connues : " + ", ".join(REPOSITORIES),
            "known entities: " + ", ".join(REPOSITORIES),
        ) from None
