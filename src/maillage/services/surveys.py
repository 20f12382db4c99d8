"""Relationship surveys (as Polinode does): each invited actor declares its partners
through a personal link, and every declared link becomes a proposal.

- A facilitator (permission ``survey``) **opens** a survey for a set of actors, chosen by
  a territory and theme filter (the explore view's, :mod:`.filters`) or listed, with an
  optional closing date. Each invited actor gets a **personal link**: a random secret
  (``enq_`` and 43 characters) shown once, stored as its SHA-256, revocable and
  re-issuable; it works without an account. A caller may draw the secrets from a
  ``seed`` of its own (:func:`seeded_token`): the portal keeps the seed in the
  facilitator's session to show the links on the page it redirects to
  (:func:`seeded_invitations`), never in the database nor in a URL.
- Through the link, the respondent **declares partners**: an actor of the map or a new
  one (name, commune), the kind of link (``link_kinds``), its intensity (1 occasional,
  2 regular, 3 strong, 4 essential) and since when (a year); they may change or
  withdraw a declaration until the survey closes.
- Each pair of actors declared on the map is **one proposal** of a new link
  (:func:`maillage.services.proposals.propose`, so moderation, validation, audit and
  undo are those of any proposal), its evidence "déclaré par X dans l'enquête Y"
  (the link's ``evidence`` field, the proposal's message and a plain-text document);
  declared by both sides, it says "déclaré par les deux parties". While pending it
  follows the answers; a withdrawn declaration refuses it (decided by ``survey:N``).
  It is signed by its declarers (``Camille pour Atelier A``, the proposal's
  ``declared_by``), sent in the name of the facilitator who opened the survey (the
  account told of the decision).
- A new partner (not on the map) is kept with the answer and listed for the
  facilitator to add; it becomes no proposal by itself.

Every write to the survey tables is audited (entities ``survey``,
``survey_respondent``, ``survey_answer``).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from maillage.model import permissions, taxonomy
from maillage.model.errors import Conflict, InvalidInput, MaillageError, NotFound
from maillage.services import links as link_service
from maillage.services import proposals
from maillage.services.accounts import aware, digest
from maillage.services.filters import actor_scope, clean_filters
from maillage.services.validation import clean_text
from maillage.storage import audit
from maillage.storage.audit import Context, utcnow
from maillage.storage.engine import transaction
from maillage.storage.registry import proposals as proposal_repository
from maillage.storage.tables import actor, proposal, proposal_document
from maillage.storage.tables import survey as survey_table
from maillage.storage.tables import survey_answer as answer_table
from maillage.storage.tables import survey_respondent as respondent_table

PREFIX = "enq_"
INTENSITIES: dict[int, tuple[str, str]] = {
    1: ("ponctuelle", "occasional"), 2: ("régulière", "regular"),
    3: ("forte", "strong"), 4: ("essentielle", "essential"),
}  # fmt: skip
MAX_RESPONDENTS = 500
MAX_PARTNERS = 200  # declarations per respondent
YEAR_MIN = 1900
COMMUNE = re.compile(r"^(?:\d{5}|2[AB]\d{3})$")
WITHDRAWN = "Déclaration retirée par le répondant"


class SurveyNotFound(NotFound):
    """A survey, or a personal link that is unknown or revoked (never says which)."""

    def __init__(self, key: object = None) -> None:
        self._init_args = (key,)  # type: ignore[assignment]
        self.entity, self.key = "survey", key
        MaillageError.__init__(
            self,
            "Introuvable : cette enquête, ou ce lien personnel (révoqué ou erroné). Demandez "
            "un nouveau lien à la personne qui vous l'a envoyé.",
            "Not found: this survey, or this personal link (revoked or mistyped). Ask the "
            "person who sent it to you for a new link.",
        )


@dataclass(frozen=True, slots=True)
class Invitation:
    """An invited actor and its personal link's secret (shown once)."""

    respondent_id: int
    actor_id: int
    actor_name: str
    email: str | None
    token: str


# --- small helpers ------------------------------------------------------------------


def new_token() -> tuple[str, str]:
    """A personal link's secret and the digest it is stored under."""
    secret = PREFIX + secrets.token_urlsafe(32)
    return secret, digest(secret)


def seeded_token(seed: bytes, respondent_id: int) -> str:
    """The personal link's secret of ``respondent_id`` drawn from ``seed`` (HMAC-SHA256 of
    the respondent's number: as unpredictable as :func:`new_token` while the seed is
    secret, the seed being 32 random bytes)."""
    mac = hmac.new(seed, f"survey-link:{respondent_id}".encode(), hashlib.sha256).digest()
    return PREFIX + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def _secret(seed: bytes | None, respondent_id: int) -> tuple[str, str]:
    if seed is None:
        return new_token()
    secret = seeded_token(seed, respondent_id)
    return secret, digest(secret)


def is_open(survey: Mapping[Any, Any], now: dt.datetime | None = None) -> bool:
    """Whether ``survey`` still takes answers: not closed, its closing time not past."""
    now = now or utcnow()
    closes = aware(survey["closes_at"])
    return survey["closed_at"] is None and (closes is None or now < closes)


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date | dt.datetime) else value


def _state(row: Any, drop: Iterable[str] = ("token_hash",)) -> dict[str, Any]:
    return {k: _iso(aware(v) if isinstance(v, dt.datetime) else v)
            for k, v in row._mapping.items() if k not in drop}  # fmt: skip


def _audit(
    conn: sa.Connection, table: sa.Table, row_id: int, action: str, before: Any, by: str,
    survey_id: int,
) -> None:  # fmt: skip
    after = conn.execute(sa.select(table).where(table.c.id == row_id)).first()
    audit.record(
        conn, entity=table.name, entity_id=row_id, action=action,
        before=_state(before) if before is not None else None,
        after=_state(after) if after is not None else None,
        ctx=Context(user=by, source=f"survey:{survey_id}"),
    )  # fmt: skip


def _survey(conn: sa.Connection, survey_id: int) -> Any:
    row = conn.execute(sa.select(survey_table).where(survey_table.c.id == survey_id)).first()
    if row is None:
        raise SurveyNotFound(survey_id)
    return row


def _closes_at(closes_on: dt.date | None, now: dt.datetime) -> dt.datetime | None:
    """The end (UTC) of the closing day; refused when already past."""
    if closes_on is None:
        return None
    end = dt.datetime.combine(closes_on + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    if end <= now:
        raise InvalidInput("closes_on", closes_on.isoformat(), "une date à venir", "a date to come")
    return end


def _chosen_actors(
    conn: sa.Connection, territory: str | None, theme: str | None, actor_ids: Sequence[int]
) -> list[int]:
    chosen: set[int] = set()
    if territory or theme:
        filters = clean_filters(conn, {"territory": territory, "theme": theme})
        scoped: list[Any] = list(conn.execute(actor_scope(conn, filters)).scalars())
        chosen |= {int(i) for i in scoped}
    listed = {int(i) for i in actor_ids}
    live = set(
        conn.execute(
            sa.select(actor.c.id).where(
                actor.c.id.in_(sorted(listed)),
                actor.c.deleted_at.is_(None),
                actor.c.merged_into_id.is_(None),
            )  # fmt: skip
        ).scalars()
    )
    if listed - live:
        raise InvalidInput(
            "actor_ids", min(listed - live), "un acteur de la carte", "an actor of the map"
        )
    chosen |= live
    if len(chosen) < 2:
        raise InvalidInput(
            "actor_ids", len(chosen), "au moins deux acteurs à interroger",
            "at least two actors to ask",
        )  # fmt: skip
    if len(chosen) > MAX_RESPONDENTS:
        raise InvalidInput(
            "actor_ids", len(chosen), f"au plus {MAX_RESPONDENTS} acteurs : affinez le filtre",
            f"at most {MAX_RESPONDENTS} actors: narrow the filter",
        )  # fmt: skip
    return sorted(chosen)


# --- the facilitator's side -------------------------------------------------------------


def open_survey(
    *, db: sa.Engine, user_id: int, title: str, territory: str | None = None,
    theme: str | None = None, actor_ids: Sequence[int] = (), closes_on: dt.date | None = None,
    now: dt.datetime | None = None, seed: bytes | None = None,
) -> tuple[dict[str, Any], list[Invitation]]:  # fmt: skip
    """Open a survey for the actors of ``territory``/``theme`` and those of
    ``actor_ids``; returns it and one invitation (personal link) per actor, its secret
    drawn from ``seed`` when given (:func:`seeded_token`), else at random.
    Raises InvalidInput (no title, fewer than two actors, an unknown actor, a past date)."""
    now = now or utcnow()
    name = clean_text("title", title, 200) if title else ""
    if not name:
        raise InvalidInput("title", title, "donnez un titre à l'enquête", "give the survey a title")
    closes_at = _closes_at(closes_on, now)
    by = permissions.author(user_id)
    with transaction(db) as conn:
        chosen = _chosen_actors(conn, territory, theme, actor_ids)
        values = {
            "title": name, "territory_code": territory or None, "theme": theme or None,
            "closes_at": closes_at, "created_by": user_id, "created_at": now, "updated_at": now,
        }  # fmt: skip
        key = conn.execute(sa.insert(survey_table).values(**values)).inserted_primary_key
        assert key is not None
        survey_id = int(key[0])
        _audit(conn, survey_table, survey_id, "create", None, by, survey_id)
        people = conn.execute(
            sa.select(actor.c.id, actor.c.name, actor.c.email).where(actor.c.id.in_(chosen))
        ).all()
        invitations = []
        for actor_id, actor_name, address in sorted(people):
            secret, hashed = new_token()
            made = conn.execute(
                sa.insert(respondent_table).values(
                    survey_id=survey_id, actor_id=actor_id, token_hash=hashed, created_at=now
                )
            ).inserted_primary_key
            assert made is not None
            if seed is not None:  # the secret drawn from the seed needs the number
                secret, hashed = _secret(seed, int(made[0]))
                conn.execute(
                    sa.update(respondent_table).where(respondent_table.c.id == int(made[0]))
                    .values(token_hash=hashed)
                )  # fmt: skip
            _audit(conn, respondent_table, int(made[0]), "create", None, by, survey_id)
            invitations.append(Invitation(int(made[0]), actor_id, actor_name, address, secret))
        created = _state(_survey(conn, survey_id))
    return created, invitations


def _respondent_of(conn: sa.Connection, survey_id: int, respondent_id: int) -> Any:
    row = conn.execute(
        sa.select(respondent_table).where(
            respondent_table.c.id == respondent_id, respondent_table.c.survey_id == survey_id
        )
    ).first()
    if row is None:
        raise SurveyNotFound(respondent_id)
    return row


def reissue_link(
    *, db: sa.Engine, survey_id: int, respondent_id: int, user_id: int,
    seed: bytes | None = None,
) -> Invitation:  # fmt: skip
    """A new personal link for a respondent (the old one stops working), drawn from
    ``seed`` when given (:func:`seeded_token`)."""
    secret, hashed = _secret(seed, respondent_id)
    with transaction(db) as conn:
        before = _respondent_of(conn, survey_id, respondent_id)
        conn.execute(
            sa.update(respondent_table).where(respondent_table.c.id == respondent_id)
            .values(token_hash=hashed, revoked_at=None)
        )  # fmt: skip
        _audit(conn, respondent_table, respondent_id, "update", before,
               permissions.author(user_id), survey_id)  # fmt: skip
        found = conn.execute(
            sa.select(actor.c.name, actor.c.email).where(actor.c.id == before.actor_id)
        ).one()
    return Invitation(respondent_id, before.actor_id, found.name, found.email, secret)


def seeded_invitations(
    *, db: sa.Engine, survey_id: int, seed: bytes, respondent_ids: Iterable[int] | None = None
) -> list[Invitation]:
    """The invitations of ``survey_id`` whose live personal link was drawn from ``seed``
    (those of ``respondent_ids`` only, when given): a link re-issued or revoked since
    is not among them. Raises SurveyNotFound."""
    wanted = None if respondent_ids is None else set(respondent_ids)
    with db.connect() as conn:
        _survey(conn, survey_id)
        rows = conn.execute(
            sa.select(respondent_table.c.id, respondent_table.c.token_hash, actor.c.id.label("actor_id"),
                      actor.c.name, actor.c.email)
            .join(actor, actor.c.id == respondent_table.c.actor_id)
            .where(respondent_table.c.survey_id == survey_id, respondent_table.c.revoked_at.is_(None))
            .order_by(actor.c.id)
        ).all()  # fmt: skip
    out = []
    for row in rows:
        secret = seeded_token(seed, row.id)
        if (wanted is None or row.id in wanted) and hmac.compare_digest(
            digest(secret), row.token_hash
        ):
            out.append(Invitation(row.id, row.actor_id, row.name, row.email, secret))
    return out


def revoke_link(*, db: sa.Engine, survey_id: int, respondent_id: int, user_id: int) -> None:
    """Stop a respondent's personal link (:func:`reissue_link` gives a new one)."""
    with transaction(db) as conn:
        before = _respondent_of(conn, survey_id, respondent_id)
        conn.execute(
            sa.update(respondent_table).where(respondent_table.c.id == respondent_id)
            .values(revoked_at=utcnow())
        )  # fmt: skip
        _audit(conn, respondent_table, respondent_id, "update", before,
               permissions.author(user_id), survey_id)  # fmt: skip


def close_survey(*, db: sa.Engine, survey_id: int, user_id: int) -> dict[str, Any]:
    """Close a survey now: its links no longer take answers. Returns it."""
    with transaction(db) as conn:
        before = _survey(conn, survey_id)
        if before.closed_at is None:
            now = utcnow()
            conn.execute(
                sa.update(survey_table).where(survey_table.c.id == survey_id)
                .values(closed_at=now, updated_at=now)
            )  # fmt: skip
            _audit(conn, survey_table, survey_id, "update", before,
                   permissions.author(user_id), survey_id)  # fmt: skip
        return _state(_survey(conn, survey_id))


def list_surveys(*, db: sa.Engine) -> list[dict[str, Any]]:
    """Every survey, newest first, with its counts of invited and answering actors."""
    live = respondent_table.c.revoked_at.is_(None)
    counts = (
        sa.select(
            respondent_table.c.survey_id,
            sa.func.count().label("invited"),
            sa.func.count(respondent_table.c.answered_at).label("answered"),
        ).where(live).group_by(respondent_table.c.survey_id).subquery()
    )  # fmt: skip
    query = (
        sa.select(survey_table, counts.c.invited, counts.c.answered)
        .outerjoin(counts, counts.c.survey_id == survey_table.c.id)
        .order_by(survey_table.c.id.desc())
    )
    with db.connect() as conn:
        rows = conn.execute(query).all()
    out = []
    for row in rows:
        item = _state(row)
        item["invited"], item["answered"] = int(row.invited or 0), int(row.answered or 0)
        item["open"] = is_open(row._mapping)
        out.append(item)
    return out


# --- the respondent's side --------------------------------------------------------------


def _by_token(conn: sa.Connection, token: str) -> tuple[Any, Any]:
    """(respondent, survey) of a live personal link. Raises SurveyNotFound."""
    if not isinstance(token, str) or not token.startswith(PREFIX) or len(token) > 100:
        raise SurveyNotFound()
    row = conn.execute(
        sa.select(respondent_table).where(respondent_table.c.token_hash == digest(token))
    ).first()
    if row is None or row.revoked_at is not None:
        raise SurveyNotFound()
    return row, _survey(conn, row.survey_id)


def _names(conn: sa.Connection, ids: Iterable[int]) -> dict[int, str]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return dict(
        conn.execute(sa.select(actor.c.id, actor.c.name).where(actor.c.id.in_(wanted))).all()
    )


def _answers(conn: sa.Connection, respondent_ids: Sequence[int]) -> list[Any]:
    if not respondent_ids:
        return []
    return list(
        conn.execute(
            sa.select(answer_table).where(answer_table.c.respondent_id.in_(respondent_ids))
            .order_by(answer_table.c.id)
        )
    )  # fmt: skip


def _statuses(conn: sa.Connection, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    query = sa.select(proposal.c.id, proposal.c.status).where(proposal.c.id.in_(wanted))
    return {int(i): str(s) for i, s in conn.execute(query)}


def respondent_view(*, db: sa.Engine, token: str) -> dict[str, Any]:
    """What a respondent sees through their link: the survey, their actor, their
    declarations (with the proposal each became), the other invited actors.
    Raises SurveyNotFound."""
    with db.connect() as conn:
        me, survey = _by_token(conn, token)
        answers = _answers(conn, [me.id])
        others = conn.execute(
            sa.select(actor.c.id, actor.c.name)
            .join(respondent_table, respondent_table.c.actor_id == actor.c.id)
            .where(respondent_table.c.survey_id == survey.id, actor.c.id != me.actor_id)
            .order_by(actor.c.name)
        ).all()  # fmt: skip
        names = _names(conn, [me.actor_id, *(a.partner_id for a in answers if a.partner_id)])
        statuses = _statuses(conn, (a.proposal_id for a in answers))
        both = _both_sides(conn, survey.id)
    declared = []
    for a in answers:
        item = _state(a)
        item["partner"] = names.get(a.partner_id) if a.partner_id else a.partner_name
        item["proposal_status"] = statuses.get(a.proposal_id) if a.proposal_id else None
        item["both_sides"] = a.partner_id is not None and _pair(me.actor_id, a.partner_id) in both
        declared.append(item)
    return {
        "survey": {**_state(survey), "open": is_open(survey._mapping)},
        "respondent": _state(me), "actor": {"id": me.actor_id, "name": names[me.actor_id]},
        "answers": declared, "invited": [{"id": i, "name": n} for i, n in others],
    }  # fmt: skip


def _pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def _both_sides(conn: sa.Connection, survey_id: int) -> set[tuple[int, int]]:
    """The pairs of actors of ``survey_id`` each declaring the other."""
    query = (
        sa.select(respondent_table.c.actor_id, answer_table.c.partner_id)
        .join(respondent_table, respondent_table.c.id == answer_table.c.respondent_id)
        .where(respondent_table.c.survey_id == survey_id, answer_table.c.partner_id.is_not(None),
               respondent_table.c.revoked_at.is_(None))
    )  # fmt: skip
    declared = {(int(a), int(b)) for a, b in conn.execute(query)}
    return {_pair(a, b) for a, b in declared if (b, a) in declared}


def _checked_declaration(
    conn: sa.Connection, me: Any, *, partner_id: int | None, partner_name: str | None,
    partner_commune: str | None, kind: str, intensity: int, since_year: int | None,
    now: dt.datetime,
) -> dict[str, Any]:  # fmt: skip
    if kind not in taxonomy.codes("link_kinds"):
        listed = ", ".join(sorted(taxonomy.codes("link_kinds")))
        raise InvalidInput("kind", kind, f"valeurs admises : {listed}", f"allowed values: {listed}")
    if intensity not in INTENSITIES:
        raise InvalidInput("intensity", intensity, "de 1 à 4", "from 1 to 4")
    if since_year is not None and not YEAR_MIN <= since_year <= now.year:
        raise InvalidInput(
            "since_year", since_year, f"une année de {YEAR_MIN} à {now.year}",
            f"a year from {YEAR_MIN} to {now.year}",
        )  # fmt: skip
    values: dict[str, Any] = {"kind": kind, "intensity": intensity, "since_year": since_year}
    if partner_id is not None:
        live = conn.execute(
            sa.select(actor.c.id).where(
                actor.c.id == partner_id,
                actor.c.deleted_at.is_(None),
                actor.c.merged_into_id.is_(None),
            )  # fmt: skip
        ).first()
        if live is None or partner_id == me.actor_id:
            raise InvalidInput(
                "partner_id", partner_id, "un autre acteur de la carte",
                "another actor of the map",
            )  # fmt: skip
        return {**values, "partner_id": partner_id, "partner_name": None, "partner_commune": None}
    name = clean_text("partner_name", partner_name, 200) if partner_name else ""
    if not name:
        raise InvalidInput(
            "partner_name", partner_name, "choisissez un acteur ou nommez le nouveau partenaire",
            "choose an actor or name the new partner",
        )  # fmt: skip
    commune = (partner_commune or "").strip().upper()
    if not COMMUNE.match(commune):
        raise InvalidInput(
            "partner_commune", partner_commune, "un code commune INSEE (5 caractères)",
            "an INSEE commune code (5 characters)",
        )  # fmt: skip
    return {**values, "partner_id": None, "partner_name": name, "partner_commune": commune}


def _same_partner(row: Any, values: Mapping[str, Any]) -> bool:
    if values["partner_id"] is not None:
        return bool(row.partner_id == values["partner_id"])
    return (
        row.partner_id is None
        and (row.partner_name or "").casefold() == values["partner_name"].casefold()
        and row.partner_commune == values["partner_commune"]
    )


def declare(
    *, db: sa.Engine, token: str, kind: str, intensity: int, partner_id: int | None = None,
    partner_name: str | None = None, partner_commune: str | None = None,
    since_year: int | None = None, respondent_name: str | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Declare (or change) one partner of the respondent of ``token``; a partner on
    the map makes (or updates) the proposal of the pair. Returns the answer.
    Raises SurveyNotFound, Conflict (survey closed), InvalidInput."""
    now = now or utcnow()
    signed = clean_text("respondent_name", respondent_name, 200) if respondent_name else None
    with transaction(db) as conn:
        me, survey = _by_token(conn, token)
        _check_open(survey, now)
        values = _checked_declaration(
            conn, me, partner_id=partner_id, partner_name=partner_name,
            partner_commune=partner_commune, kind=kind, intensity=intensity,
            since_year=since_year, now=now,
        )  # fmt: skip
        mine = _answers(conn, [me.id])
        found = next((row for row in mine if _same_partner(row, values)), None)
        if found is None and len(mine) >= MAX_PARTNERS:
            raise InvalidInput("partner_id", partner_id, f"au plus {MAX_PARTNERS} partenaires",
                               f"at most {MAX_PARTNERS} partners")  # fmt: skip
        by = f"survey:{survey.id}"
        if found is None:
            key = conn.execute(
                sa.insert(answer_table).values(
                    respondent_id=me.id, created_at=now, updated_at=now, **values
                )
            ).inserted_primary_key
            assert key is not None
            answer_id = int(key[0])
            _audit(conn, answer_table, answer_id, "create", None, by, survey.id)
        else:
            answer_id = found.id
            conn.execute(sa.update(answer_table).where(answer_table.c.id == answer_id)
                         .values(updated_at=now, **values))  # fmt: skip
            _audit(conn, answer_table, answer_id, "update", found, by, survey.id)
        changes = {"answered_at": now} | ({"name": signed} if signed else {})
        conn.execute(sa.update(respondent_table).where(respondent_table.c.id == me.id)
                     .values(**changes))  # fmt: skip
        _audit(conn, respondent_table, me.id, "update", me, by, survey.id)
        pair = (me.actor_id, values["partner_id"]) if values["partner_id"] else None
    if pair is not None:
        sync_pair(db=db, survey_id=survey.id, pair=pair)
    with db.connect() as conn:
        return _state(
            conn.execute(sa.select(answer_table).where(answer_table.c.id == answer_id)).one()
        )


def withdraw(*, db: sa.Engine, token: str, answer_id: int, now: dt.datetime | None = None) -> None:
    """Withdraw one declaration of the respondent of ``token``; its pending proposal
    follows (kept for the other side's declaration, else refused).
    Raises SurveyNotFound, Conflict (survey closed)."""
    now = now or utcnow()
    with transaction(db) as conn:
        me, survey = _by_token(conn, token)
        _check_open(survey, now)
        found = next((row for row in _answers(conn, [me.id]) if row.id == answer_id), None)
        if found is None:
            raise SurveyNotFound(answer_id)
        conn.execute(sa.delete(answer_table).where(answer_table.c.id == answer_id))
        _audit(conn, answer_table, answer_id, "delete", found, f"survey:{survey.id}", survey.id)
    if found.partner_id is not None:
        sync_pair(db=db, survey_id=survey.id, pair=(me.actor_id, found.partner_id),
                  known=found.proposal_id)  # fmt: skip


def mark_answered(*, db: sa.Engine, token: str, respondent_name: str | None = None) -> None:
    """Record that the respondent of ``token`` answered (with no partner, perhaps)."""
    signed = clean_text("respondent_name", respondent_name, 200) if respondent_name else None
    now = utcnow()
    with transaction(db) as conn:
        me, survey = _by_token(conn, token)
        _check_open(survey, now)
        changes = {"answered_at": me.answered_at or now} | ({"name": signed} if signed else {})
        conn.execute(sa.update(respondent_table).where(respondent_table.c.id == me.id)
                     .values(**changes))  # fmt: skip
        _audit(conn, respondent_table, me.id, "update", me, f"survey:{survey.id}", survey.id)


def _check_open(survey: Any, now: dt.datetime) -> None:
    if not is_open(survey._mapping, now):
        raise Conflict(
            "cette enquête est close : les réponses ne peuvent plus changer",
            "this survey is closed: the answers can no longer change",
        )


# --- answers become proposals -------------------------------------------------------------


def _pair_answers(conn: sa.Connection, survey_id: int, pair: tuple[int, int]) -> list[Any]:
    """The live declarations of ``pair`` in the survey, either way, oldest first."""
    a, b = pair
    query = (
        sa.select(answer_table, respondent_table.c.actor_id.label("declarer_id"),
                  respondent_table.c.name.label("respondent_name"))
        .join(respondent_table, respondent_table.c.id == answer_table.c.respondent_id)
        .where(
            respondent_table.c.survey_id == survey_id, respondent_table.c.revoked_at.is_(None),
            sa.or_(
                sa.and_(respondent_table.c.actor_id == a, answer_table.c.partner_id == b),
                sa.and_(respondent_table.c.actor_id == b, answer_table.c.partner_id == a),
            ),
        )
        .order_by(answer_table.c.created_at, answer_table.c.id)
    )  # fmt: skip
    return list(conn.execute(query))


def declared_by(name: str | None, actor_name: str) -> str:
    """How the evidence names a respondent: ``Camille pour Atelier A``, else the actor."""
    return f"{name} pour {actor_name}" if name else actor_name


def signature(rows: Sequence[Any], names: Mapping[int, str]) -> str:
    """Who declared a pair's link, as its proposal is signed: ``Camille pour Atelier A``,
    ``Camille pour Atelier A et Asso B`` when both sides did."""
    return " et ".join(declared_by(r.respondent_name, names[r.declarer_id]) for r in rows)


def evidence_text(survey: Any, rows: Sequence[Any], names: Mapping[int, str]) -> tuple[str, str]:
    """(the evidence of a pair's link, the proposal's message with each side's answer)."""
    who = [declared_by(r.respondent_name, names[r.declarer_id]) for r in rows]
    where = f"dans l'enquête « {survey.title} » (n° {survey.id})"
    if len(rows) > 1:
        evidence = f"Déclaré par les deux parties, {who[0]} et {who[1]}, {where}"
    else:
        evidence = f"Déclaré par {who[0]} {where}"
    kinds = {t.code: t.label("fr") for t in taxonomy.load("link_kinds")}
    lines = [
        f"{w} : {kinds.get(r.kind, r.kind)}, intensité {r.intensity}/4 "
        f"({INTENSITIES[r.intensity][0]}), depuis {r.since_year or 'une année non dite'}"
        for w, r in zip(who, rows, strict=True)
    ]
    return evidence, evidence + ".\n" + "\n".join(lines)


def _link_values(rows: Sequence[Any], evidence: str) -> dict[str, Any]:
    first = rows[0]
    years = [r.since_year for r in rows if r.since_year]
    values: dict[str, Any] = {
        "source_id": first.declarer_id, "target_id": first.partner_id, "kind": first.kind,
        "evidence": evidence,
    }  # fmt: skip
    if years:
        values["start_date"] = f"{min(years)}-01-01"
    return values


def _reusable(row: Mapping[str, Any], survey_id: int) -> bool:
    """A proposal the pair keeps: pending, or decided by a moderator (not withdrawn)."""
    return bool(row["status"] == "pending" or row["decided_by"] != f"survey:{survey_id}")


def sync_pair(
    *, db: sa.Engine, survey_id: int, pair: tuple[int, int], known: int | None = None
) -> int | None:
    """Bring the proposal of ``pair`` in line with its declarations: made when the
    first side declares, its evidence and values following the answers while it is
    pending, refused (by ``survey:N``) when no declaration is left. ``known``: a
    proposal of the pair no answer points at any more. Returns the proposal's id."""
    by = f"survey:{survey_id}"
    with transaction(db) as conn:
        survey = _survey(conn, survey_id)
        rows = _pair_answers(conn, survey_id, pair)
        ids = sorted({r.proposal_id for r in rows if r.proposal_id} | ({known} if known else set()))
        found = [proposal_repository.get(conn, i) for i in ids]
        kept = next((p for p in found if p["status"] == "pending"), None) or next(
            (p for p in found if _reusable(p, survey_id)), None
        )
        if not rows:
            if kept is not None and kept["status"] == "pending":
                _withdraw_proposal(conn, kept, by)
            return None
        names = _names(conn, pair)
        evidence, message = evidence_text(survey, rows, names)
        values = _link_values(rows, evidence)
        if kept is not None:
            if kept["status"] == "pending":
                _update_proposal(conn, kept, values, message, by, signature(rows, names))
            _attach(conn, rows, int(kept["id"]))
            return int(kept["id"])
        creator, signed = int(survey.created_by), signature(rows, names)
    created = proposals.propose(
        db=db, action="create", entity="link", values=values, message=message,
        document=proposals.Document("declaration.txt", message.encode()), user_id=creator,
        declared_by=signed,
    )  # fmt: skip
    with transaction(db) as conn:
        _attach(conn, _pair_answers(conn, survey_id, pair), int(created["id"]))
    return int(created["id"])


def _attach(conn: sa.Connection, rows: Sequence[Any], proposal_id: int) -> None:
    ids = [r.id for r in rows if r.proposal_id != proposal_id]
    if ids:
        conn.execute(
            sa.update(answer_table)
            .where(answer_table.c.id.in_(ids))
            .values(proposal_id=proposal_id)
        )


def _jsonable(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _iso(v) for k, v in values.items() if v not in (None, [], "")}


def _update_proposal(
    conn: sa.Connection, row: Mapping[str, Any], values: Mapping[str, Any], message: str, by: str,
    signed: str,
) -> None:  # fmt: skip
    """A pending proposal follows the answers: its values, message, signature, document."""
    checked = _jsonable(link_service.checked_new_link(conn, values))
    payload = {**row["payload"], "values": checked}
    signed = signed[:200]
    if payload == row["payload"] and row["message"] == message and row["author_name"] == signed:
        return
    proposal_repository.update(
        conn, int(row["id"]), {"payload": payload, "message": message, "author_name": signed},
        ctx=Context(user=by, source=f"proposal:{row['id']}"), expected_version=row["version"],
    )  # fmt: skip
    content = message.encode()
    conn.execute(
        sa.update(proposal_document).where(proposal_document.c.proposal_id == row["id"])
        .values(content=content, size=len(content), sha256=hashlib.sha256(content).hexdigest())
    )  # fmt: skip


def _withdraw_proposal(conn: sa.Connection, row: Mapping[str, Any], by: str) -> None:
    decision = {"status": "refused", "decided_by": by, "decided_at": utcnow(), "reason": WITHDRAWN}
    proposal_repository.update(
        conn, int(row["id"]), decision, ctx=Context(user=by, source=f"proposal:{row['id']}"),
        expected_version=row["version"],
    )  # fmt: skip


# --- the survey page --------------------------------------------------------------------


def survey_report(*, db: sa.Engine, survey_id: int) -> dict[str, Any]:
    """A survey's page: its response rate (respondents who answered / invited, revoked
    links left out), the links declared by both sides, those declared by one side only
    (the other side named, to follow up), the new partners to add to the map.
    Raises SurveyNotFound."""
    with db.connect() as conn:
        survey = _survey(conn, survey_id)
        people = conn.execute(
            sa.select(respondent_table, actor.c.name.label("actor_name"),
                      actor.c.email.label("actor_email"))
            .join(actor, actor.c.id == respondent_table.c.actor_id)
            .where(respondent_table.c.survey_id == survey_id).order_by(actor.c.name)
        ).all()  # fmt: skip
        live = [p for p in people if p.revoked_at is None]
        answers = _answers(conn, [p.id for p in live])
        names = _names(
            conn, [p.actor_id for p in people] + [a.partner_id for a in answers if a.partner_id]
        )
        statuses = _statuses(conn, (a.proposal_id for a in answers))
    by_respondent = {p.id: p for p in live}
    answered = {p.actor_id for p in live if p.answered_at is not None}
    invited = {p.actor_id for p in live}
    declared = {
        (by_respondent[a.respondent_id].actor_id, a.partner_id): a for a in answers if a.partner_id
    }
    both, one_side = [], []
    for (a, b), row in sorted(declared.items()):
        entry = {
            "declarer_id": a, "declarer": names.get(a), "partner_id": b, "partner": names.get(b),
            "kind": row.kind, "intensity": row.intensity, "since_year": row.since_year,
            "proposal_id": row.proposal_id, "proposal_status": statuses.get(row.proposal_id or 0),
        }  # fmt: skip
        if (b, a) in declared:
            if a < b:
                other = declared[(b, a)]
                both.append(
                    {**entry, "partner_kind": other.kind, "partner_intensity": other.intensity}
                )
        else:
            entry["partner_invited"] = b in invited
            entry["partner_answered"] = b in answered
            one_side.append(entry)
    new = [
        {"declarer": names.get(by_respondent[a.respondent_id].actor_id), "name": a.partner_name,
         "commune": a.partner_commune, "kind": a.kind, "intensity": a.intensity,
         "since_year": a.since_year}
        for a in answers if a.partner_id is None
    ]  # fmt: skip
    respondents = [
        {**_state(p, drop=("token_hash", "actor_email")), "actor_name": p.actor_name,
         "has_email": bool(p.actor_email),
         "declared": sum(1 for a in answers if a.respondent_id == p.id)}
        for p in people
    ]  # fmt: skip
    count = len(invited)
    return {
        "survey": {**_state(survey), "open": is_open(survey._mapping)},
        "invited": count, "answered": len(answered),
        "rate": len(answered) / count if count else None,
        "respondents": respondents, "both_sides": both, "one_side": one_side, "new_partners": new,
    }  # fmt: skip


ANSWER_COLUMNS = [
    "survey_id", "survey", "respondent_actor_id", "respondent_actor", "respondent_name",
    "partner_id", "partner", "partner_commune", "new_partner", "kind", "intensity",
    "since_year", "both_sides", "proposal_id", "proposal_status", "updated_at",
]  # fmt: skip


def answer_rows(*, db: sa.Engine, survey_id: int) -> list[dict[str, Any]]:
    """One row per declared partner (revoked links left out), for the CSV export."""
    with db.connect() as conn:
        survey = _survey(conn, survey_id)
        people = {
            p.id: p
            for p in conn.execute(
                sa.select(respondent_table).where(
                    respondent_table.c.survey_id == survey_id,
                    respondent_table.c.revoked_at.is_(None),
                )
            )
        }
        answers = _answers(conn, sorted(people))
        names = _names(
            conn,
            [p.actor_id for p in people.values()] + [a.partner_id for a in answers if a.partner_id],
        )
        statuses = _statuses(conn, (a.proposal_id for a in answers))
        both = _both_sides(conn, survey_id)
    rows = []
    for a in answers:
        me = people[a.respondent_id]
        rows.append({
            "survey_id": survey.id, "survey": survey.title, "respondent_actor_id": me.actor_id,
            "respondent_actor": names.get(me.actor_id), "respondent_name": me.name,
            "partner_id": a.partner_id,
            "partner": names.get(a.partner_id) if a.partner_id else a.partner_name,
            "partner_commune": a.partner_commune, "new_partner": a.partner_id is None,
            "kind": a.kind, "intensity": a.intensity, "since_year": a.since_year,
            "both_sides": a.partner_id is not None and _pair(me.actor_id, a.partner_id) in both,
            "proposal_id": a.proposal_id, "proposal_status": statuses.get(a.proposal_id or 0),
            "updated_at": _iso(aware(a.updated_at)),
        })  # fmt: skip
    return rows
