"""Property: undoing every change in reverse order restores the exact initial state.

Random sequences of create, update and delete on actors and links, on SQLite
and on PostgreSQL. Each example undoes what it did, so the database returns to
its initial state and is reused by the next example.
"""

from __future__ import annotations

import contextlib
from typing import Any

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builders import make_actor, valid_siret
from maillage.model.errors import MaillageError
from maillage.services import actors, history, links
from maillage.storage.tables import change
from storage.dump import dump

names = st.text(alphabet="abcdeéèàçôœ -'", min_size=1, max_size=20).filter(lambda s: s.strip())
actor_fields = st.fixed_dictionaries(
    {},
    optional={
        "name": names,
        "acronym": st.none() | names,
        "description": st.none() | st.text(max_size=40),
        "world": st.sampled_from(["economic", "associative", "public", "academic"]),
        "siret": st.integers(1, 5000).map(valid_siret),
        "commune_code": st.sampled_from(["59350", "2A004", "97411", "75056"]),
        "themes": st.lists(st.sampled_from(["emploi", "sante", "numerique"]), max_size=3),
        "sdgs": st.lists(st.integers(1, 17), max_size=3),
        "latitude": st.just(48.85),
    },
).map(lambda d: {**d, "longitude": 2.35} if "latitude" in d else d)

operation = st.one_of(
    st.tuples(st.just("create_actor"), actor_fields),
    st.tuples(st.just("update_actor"), st.integers(0, 10), actor_fields),
    st.tuples(st.just("delete_actor"), st.integers(0, 10)),
    st.tuples(
        st.just("create_link"),
        st.integers(0, 10),
        st.integers(0, 10),
        st.sampled_from(["partnership", "funding", "membership"]),
        st.none() | st.integers(2000, 2024),
    ),
    st.tuples(st.just("update_link"), st.integers(0, 10), st.sampled_from(["active", "ended"])),
    st.tuples(st.just("delete_link"), st.integers(0, 10)),
)


def _apply(db: sa.Engine, op: tuple[Any, ...], made: dict[str, list[int]]) -> None:
    kind = op[0]
    pick = lambda pool, i: pool[i % len(pool)] if pool else None  # noqa: E731
    if kind == "create_actor":
        made["actor"].append(actors.create_actor(db=db, values=make_actor(**op[1]))["id"])
    elif kind == "update_actor" and made["actor"]:
        actors.update_actor(db=db, actor_id=pick(made["actor"], op[1]), changes=op[2])
    elif kind == "delete_actor" and made["actor"]:
        actors.delete_actor(db=db, actor_id=pick(made["actor"], op[1]))
    elif kind == "create_link" and len(made["actor"]) >= 2:
        values = {
            "source_id": pick(made["actor"], op[1]),
            "target_id": pick(made["actor"], op[2]),
            "kind": op[3],
            "start_date": op[4],
        }
        made["link"].append(links.create_link(db=db, values=values)["id"])
    elif kind == "update_link" and made["link"]:
        links.update_link(db=db, link_id=pick(made["link"], op[1]), changes={"status": op[2]})
    elif kind == "delete_link" and made["link"]:
        links.delete_link(db=db, link_id=pick(made["link"], op[1]))


def _last_change(db: sa.Engine) -> int:
    with db.connect() as conn:
        return conn.execute(sa.select(sa.func.coalesce(sa.func.max(change.c.id), 0))).scalar_one()


def test_undo_in_reverse_order_restores_initial_state(db: sa.Engine) -> None:
    actors.create_actor(db=db, values=make_actor(name="Acteur préexistant"))

    @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(operation, min_size=1, max_size=12))
    def run(ops: list[tuple[Any, ...]]) -> None:
        initial, mark = dump(db), _last_change(db)
        made: dict[str, list[int]] = {"actor": [], "link": []}
        for op in ops:
            with contextlib.suppress(MaillageError):  # rejected operations write nothing
                _apply(db, op, made)
        with db.connect() as conn:
            done = (
                conn.execute(
                    sa.select(change.c.id).where(change.c.id > mark).order_by(change.c.id.desc())
                )
                .scalars()
                .all()
            )
        for change_id in done:
            history.undo_change(db=db, change_id=change_id)
        assert dump(db) == initial

    run()
