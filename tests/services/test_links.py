"""Link use cases on both engines."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from builders import make_actor, make_link
from maillage.model.errors import InvalidInput
from maillage.services import actors, history, links
from storage.dump import dump


@pytest.fixture
def pair(db: sa.Engine) -> tuple[int, int]:
    a = actors.create_actor(db=db, values=make_actor(world="economic"))
    b = actors.create_actor(db=db, values=make_actor(world="associative"))
    return a["id"], b["id"]


def test_create_dated_partnership(db: sa.Engine, pair: tuple[int, int]) -> None:
    created = links.create_link(
        db=db,
        values=make_link(
            *pair, form="mecenat", subtype="competences", start_date="2019", amount="1500,50"
        ),
    )
    assert created["start_date"] == "2019-01-01"
    assert created["amount"] == 1500.5
    assert created["directed"] is False
    funding = links.create_link(db=db, values=make_link(*pair, kind="funding"))
    assert funding["directed"] is True
    assert links.list_links(db=db, actor_id=pair[0])[0]["id"] == created["id"]


@pytest.mark.parametrize(
    ("field", "values"),
    [
        ("target_id", {"target_id": None}),
        ("kind", {"kind": "friendship"}),
        ("form", {"kind": "funding", "form": "mecenat"}),
        ("end_date", {"start_date": "2020-05-01", "end_date": "2019-01-01"}),
        ("confidence", {"confidence": 2}),
        ("start_date", {"start_date": "0218-10-29"}),  # a typing slip for 2018
        ("end_date", {"end_date": "2918"}),
    ],
)
def test_invalid_links_are_rejected(
    db: sa.Engine, pair: tuple[int, int], field: str, values: dict[str, object]
) -> None:
    before = dump(db)
    data = {**make_link(*pair), **values}
    if data["target_id"] is None:  # a link from an actor to itself
        data["target_id"] = pair[0]
    with pytest.raises(InvalidInput) as info:
        links.create_link(db=db, values=data)
    assert info.value.field == field
    assert dump(db) == before


def test_link_to_deleted_actor_is_rejected(db: sa.Engine, pair: tuple[int, int]) -> None:
    actors.delete_actor(db=db, actor_id=pair[1])
    with pytest.raises(InvalidInput, match="target_id"):
        links.create_link(db=db, values=make_link(*pair))


def test_undo_link_update_restores_dates(db: sa.Engine, pair: tuple[int, int]) -> None:
    created = links.create_link(db=db, values=make_link(*pair, start_date=dt.date(2018, 3, 12)))
    before = dump(db)
    links.update_link(
        db=db, link_id=created["id"], changes={"status": "ended", "end_date": "2021-06-30"}
    )
    change_id = history.entity_history(db=db, entity="link", entity_id=created["id"])[-1]["id"]
    history.undo_change(db=db, change_id=change_id)
    assert dump(db) == before


def test_links_of_a_deleted_actor_leave_the_list_and_come_back_with_it(
    db: sa.Engine, pair: tuple[int, int]
) -> None:
    created = links.create_link(db=db, values=make_link(*pair))
    assert [item["id"] for item in links.list_links(db=db)] == [created["id"]]
    actors.delete_actor(db=db, actor_id=pair[1])
    assert links.list_links(db=db) == [] and links.list_links(db=db, actor_id=pair[0]) == []
    actors.restore_actor(db=db, actor_id=pair[1])
    assert [item["id"] for item in links.list_links(db=db)] == [created["id"]]


def test_a_link_stored_with_an_unchecked_territory_can_still_be_restored(
    db: sa.Engine, pair: tuple[int, int]
) -> None:
    from maillage.storage.tables import link

    created = links.create_link(db=db, values=make_link(*pair))
    with db.begin() as conn:  # as an import of a file with a loose territory column stores it
        conn.execute(sa.update(link).where(link.c.id == created["id"]).values(territory_code="59"))
    links.delete_link(db=db, link_id=created["id"])
    assert links.restore_link(db=db, link_id=created["id"])["territory_code"] == "59"
    with pytest.raises(InvalidInput, match="territory_code"):
        links.update_link(db=db, link_id=created["id"], changes={"territory_code": "DEP:999"})
