"""Contributions with moderation: propose an actor, a link or an edit, report an error
(no account needed), the moderation queue (diff, evidence, accept, amend, refuse), the
community's votes, "my proposals", the history of a record; and their ``/api`` twins.

Each route declares its permission (:mod:`maillage.model.permissions`); writes are
rate-limited (``contribution``) and carry the CSRF token (pages) or an API token. The
deciding goes through :mod:`maillage.services.proposals`; the proposer is told of the
decision by e-mail (:mod:`maillage.services.mail`). Documents given as evidence are
served to moderators as downloads, with their sniffed type, never as a page.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import logging
from collections.abc import Callable, Mapping
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from maillage.model import taxonomy
from maillage.model.errors import InvalidInput, MaillageError
from maillage.model.permissions import Identity
from maillage.services import history, mail, votes
from maillage.services import proposals as service
from maillage.services.actors import get_actor, search_actors
from maillage.services.links import get_link
from maillage.settings import Settings
from maillage.web.errors import status_of
from maillage.web.i18n import N_, Gettext
from maillage.web.params import MAX_ID, Db, whole_number
from maillage.web.routes.accounts import absolute_url
from maillage.web.security import IdentityDep, require, throttle
from maillage.web.templating import Templates, request_lang, url_for

log = logging.getLogger(__name__)
router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)
api_router = APIRouter(prefix="/api", tags=["contributions"])

ActorId = Annotated[int, Path(ge=1, le=MAX_ID)]
LinkId = Annotated[int, Path(ge=1, le=MAX_ID)]
ProposalId = Annotated[int, Path(ge=1, le=MAX_ID)]
READ, REPORT = [require("read")], [require("report"), throttle("contribution")]
CONTRIBUTE = [require("contribute"), throttle("contribution")]
MODERATE = [require("moderate")]

LABELS = {
    "name": N_("Name"), "acronym": N_("Acronym"), "world": N_("World"),
    "category": N_("Category"), "description": N_("Description"), "address": N_("Address"),
    "postcode": N_("Postcode"), "commune_code": N_("Commune code (INSEE)"),
    "latitude": N_("Latitude"), "longitude": N_("Longitude"), "website": N_("Website"),
    "email": N_("E-mail address"), "phone": N_("Phone"), "siret": "SIRET", "rna": "RNA",
    "themes": N_("Themes"), "territories": N_("Territories of action"),
    "source_id": N_("From actor (number)"), "target_id": N_("To actor (number)"),
    "kind": N_("Kind"), "form": N_("Form"), "subtype": N_("Subtype"), "status": N_("Status"),
    "start_date": N_("Start"), "end_date": N_("End"), "amount": N_("Amount"),
    "territory_code": N_("Territory"), "purpose": N_("Purpose"), "evidence": N_("Evidence"),
    "evidence_url": N_("Evidence address"),
    # Stored fields only the history shows.
    "digital_profile": N_("Digital profile"), "quality": N_("Quality"), "source": N_("Source"),
    "source_ref": N_("Reference at the source"), "deleted_at": N_("Deleted on"),
    "merged_into_id": N_("Merged into (number)"), "directed": N_("Directed"),
    "weight": N_("Weight"), "confidence": N_("Confidence"), "siren": "SIREN", "naf": "NAF",
    "legal_form": N_("Legal form"), "sdgs": N_("Sustainable development goals"),
    "identifiers": N_("Identifiers"), "extra": N_("Other data"),
    "classification_rule": N_("Classification rule"), "holder_siret": N_("Holder's SIRET"),
    "holder_rna": N_("Holder's RNA"),
}  # fmt: skip
# Stored fields no person changes (the record's number and dates of writing): the
# history leaves them out of a change's fields (an undone creation lists every field).
BOOKKEEPING = frozenset({"id", "created_at", "updated_at", "version"})
# The history's actions (storage.audit), as a person reads them.
HISTORY_ACTIONS = {
    "create": N_("Creation"), "update": N_("Update"), "delete": N_("Deletion"),
    "merge": N_("Merge"), "restore": N_("Restoration"), "undo": N_("Undo"),
}  # fmt: skip
# Where a change came from, when it names a record: ``proposal:12`` -> "proposal no. 12".
HISTORY_SOURCES = {"proposal": N_("proposal no. %(id)s"), "survey": N_("survey no. %(id)s")}
HISTORY_AUTHORS = {"cli": N_("command line"), "review": N_("duplicate review")}
# The fields of the forms (the API takes every field of services.proposals.FIELDS).
FORM_FIELDS = {
    "actor": ("name", "acronym", "world", "category", "description", "address", "postcode",
              "commune_code", "website", "email", "phone", "siret", "rna"),
    "link": ("source_id", "target_id", "kind", "form", "start_date", "end_date", "amount",
             "purpose"),  # the link's evidence: the proposal's (services.proposals)
}  # fmt: skip
# The moderator's amend form: the proposer's fields, and a link's evidence (kept as
# proposed unless changed here).
AMEND_FIELDS = {"actor": FORM_FIELDS["actor"], "link": (*FORM_FIELDS["link"], "evidence_url")}
CHOICES = {"world": "worlds", "category": "categories", "kind": "link_kinds",
           "form": "partnership_forms", "subtype": "mecenat_subtypes", "status": "link_statuses"}  # fmt: skip
LONG = frozenset({"description", "purpose", "evidence"})
INPUT_TYPES = {"source_id": "number", "target_id": "number", "amount": "number",
               "start_date": "date", "end_date": "date", "website": "url", "email": "email",
               "evidence_url": "url"}  # fmt: skip
MANY = frozenset({"themes", "territories"})


# --- helpers ------------------------------------------------------------------------


def _settings(request: Request) -> Settings:
    found: Settings = request.app.state.settings
    return found


def _gettext(request: Request) -> Gettext:
    return Gettext(request_lang(request))


# What a refused field is called in the messages of the forms, where its label differs
# from the stored field's (the evidence is one of an address or a document).
ERROR_LABELS = {
    "evidence_url": N_("Evidence (address)"), "document": N_("Evidence (document)"),
    "message": N_("Message"), "values": N_("Proposed values"),
}  # fmt: skip


def _say(request: Request, error: MaillageError) -> str:
    """The message of ``error`` in the page's language; a refused field named by its
    label (never its internal code), with the value given when there is one."""
    english = request_lang(request) == "en"
    if not isinstance(error, InvalidInput):
        return error.message_en if english else error.message_fr
    _ = _gettext(request).gettext
    label = ERROR_LABELS.get(error.field) or LABELS.get(error.field)
    field = _(label) if label else error.field
    rule = error.rule_en if english else error.rule
    if error.value in (None, "", [], {}):
        return _(N_("%(field)s: %(rule)s"), field=field, rule=rule)
    value = error.value if isinstance(error.value, str) else repr(error.value)
    return _(N_("%(field)s: %(value)s — %(rule)s"), field=field, value=value[:80], rule=rule)


def _render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    templates: Templates = request.app.state.templates
    _ = _gettext(request).gettext
    lang = request_lang(request)
    base = {
        "labels": {k: _(v) for k, v in LABELS.items()},
        "choices": {f: [(t.code, t.label(lang)) for t in taxonomy.load(n)] for f, n in CHOICES.items()},
        "input_types": INPUT_TYPES, "long_fields": LONG,
        "vote_threshold": _settings(request).vote_threshold,
    }  # fmt: skip
    response = templates.render(request, name, {**base, **context}, status_code=status)
    response.headers["Cache-Control"] = "no-store"  # forms and personal pages
    return response


def _form_values(form: Mapping[str, Any], entity: str) -> dict[str, Any]:
    """The ``v_<field>`` entries of a form: blank ones are None, lists split on commas."""
    out: dict[str, Any] = {}
    for name in service.FIELDS[entity]:
        raw = form.get(f"v_{name}")
        if raw is None or isinstance(raw, UploadFile):
            continue
        text = raw.strip()
        if name in MANY:
            out[name] = [part.strip() for part in text.split(",") if part.strip()]
        else:
            out[name] = text or None
    return out


async def _document(request: Request, upload: Any) -> service.Document | None:
    """The uploaded file of a form, read up to one byte past the limit; None when the
    form has no file."""
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    content = await upload.read(_settings(request).evidence_max_bytes + 1)
    return service.Document(upload.filename, content) if content or upload.filename else None


def _text(form: Mapping[str, Any], name: str) -> str | None:
    value = form.get(name)
    return value if isinstance(value, str) else None


# --- e-mail to the proposer -----------------------------------------------------------

DECISIONS = {"accepted": N_("accepted"), "refused": N_("refused")}
MAIL_SUBJECT = N_("Your proposal no. %(id)s on maillage was %(decision)s")
MAIL_BODY = N_(
    "Hello,\n\nYour proposal no. %(id)s (%(what)s) was %(decision)s by %(who)s.\n"
    "%(reason)s\nYour proposals and their status:\n\n%(link)s\n"
)


def notify(request: Request, db: Any, view: Mapping[str, Any]) -> bool:
    """E-mail the proposer the decision on ``view`` (in the portal's language); False
    when nothing was sent (no account, no mail server, the server refused)."""
    address = service.proposer_email(db=db, view=view)
    if address is None:
        return False
    settings = _settings(request)
    tr = Gettext("en" if settings.language == "en" else "fr").gettext
    decision = tr(DECISIONS[view["status"]])
    who = view["moderator"] or tr(N_("the community's votes"))
    reason = tr(N_("Reason: %(reason)s"), reason=view["reason"]) + "\n" if view["reason"] else ""
    text = tr(
        MAIL_BODY, id=view["id"], what=view["label"] or "", decision=decision, who=who,
        reason=reason, link=absolute_url(request, "my_proposals", {}).rstrip("?"),
    )  # fmt: skip
    subject = tr(MAIL_SUBJECT, id=view["id"], decision=decision)
    try:
        return mail.send(settings, mail.Mail(address, subject, text))
    except mail.MailNotSent:
        return False  # the decision stands; the proposer sees it on "my proposals"


# --- proposing (pages) ----------------------------------------------------------------


def _form_page(
    request: Request, *, action: str, entity: str, record: Mapping[str, Any] | None,
    values: Mapping[str, Any], error: MaillageError | None = None, target: str,
    extra: Mapping[str, Any] | None = None,
) -> Response:  # fmt: skip
    sent = request.query_params.get("sent", "")
    if error is None and (number := whole_number(sent, 11)) is not None:
        return _sent_page(request, number, action)
    context = {
        "action": action, "entity": entity, "record": record, "values": values,
        "fields": FORM_FIELDS[entity] if action != "report" else (), "target": target,
        "error": _say(request, error) if error else None,
        "error_field": getattr(error, "field", None), **(extra or {}),
    }  # fmt: skip
    return _render(request, "contribute.html", context, status_of(error) if error else 200)


def _record(db: Any, entity: str, entity_id: int) -> dict[str, Any]:
    if entity == "actor":
        return dict(get_actor(db=db, actor_id=entity_id))
    found = dict(get_link(db=db, link_id=entity_id))
    return found


def _current_values(
    record: Mapping[str, Any], entity: str, names: Mapping[str, tuple[str, ...]] = FORM_FIELDS
) -> dict[str, Any]:
    out = {}
    for name in names[entity]:
        value = record.get(name)
        out[name] = ", ".join(value) if isinstance(value, list) else value
    return out


async def _proposal_post(
    request: Request, db: Any, identity: Identity, *, action: str, entity: str,
    entity_id: int | None, target: str,
) -> Response:  # fmt: skip
    form = await request.form()
    values = _form_values(form, entity) if action != "report" else {}
    record = await run_in_threadpool(_record, db, entity, entity_id) if entity_id else None
    try:
        document = await _document(request, form.get("proof_file"))
        created = await run_in_threadpool(
            lambda: service.propose(
                db=db, action=action, entity=entity, entity_id=entity_id, values=values,
                message=_text(form, "message"), evidence_url=_text(form, "proof_url"),
                document=document, user_id=identity.account_id,
                max_document_bytes=_settings(request).evidence_max_bytes,
            )
        )  # fmt: skip
    except MaillageError as error:
        shown = {**values, "message": _text(form, "message"), "proof_url": _text(form, "proof_url")}
        existing = error.link_id if isinstance(error, service.DuplicateLink) else None
        return _form_page(request, action=action, entity=entity, record=record, values=shown,
                          error=error, target=target, extra={"existing": existing})  # fmt: skip
    # Post/redirect/get: a reload of the answer shows it again, never sends the form twice.
    # The form's page answers at the same path as its post (``?sent=N``).
    page = url_for(request, request.scope["route"].name, {"sent": created["id"]},
                   **request.path_params)  # fmt: skip
    return RedirectResponse(page, status_code=303)


def _sent_page(request: Request, proposal_id: int, action: str) -> Response:
    """The thanks shown after a proposal or report was sent (the form's page, ``?sent=N``)."""
    _ = _gettext(request).gettext
    heading = _(N_("Report sent")) if action == "report" else _(N_("Proposal sent"))
    identity = getattr(request.state, "identity", None)
    link = None
    if identity is not None and identity.signed_in:
        message = _(
            N_(
                "Thank you. Your proposal no. %(id)s waits for a moderator; you will be told of the decision by e-mail."
            ),  # noqa: E501
            id=proposal_id,
        )
        link = {"url": url_for(request, "my_proposals"), "text": _(N_("My proposals"))}
    else:  # a visitor's report: no account, so no address to tell
        message = _(
            N_(
                "Thank you. Your report no. %(id)s waits for a moderator. Sent without an account, it brings no e-mail: the record shows the correction once it is accepted."
            ),  # noqa: E501
            id=proposal_id,
        )
    context = {"heading": heading, "message": message, "link": link}
    return _render(request, "account_message.html", context)


@router.get("/contribute/actor", name="propose_actor", dependencies=[require("contribute")])
def propose_actor_page(request: Request) -> Response:
    target = url_for(request, "propose_actor_post")
    return _form_page(request, action="create", entity="actor", record=None, values={},
                      target=target)  # fmt: skip


@router.post("/contribute/actor", name="propose_actor_post", dependencies=CONTRIBUTE)
async def propose_actor(request: Request, db: Db, identity: IdentityDep) -> Response:
    return await _proposal_post(request, db, identity, action="create", entity="actor",
                                entity_id=None, target=url_for(request, "propose_actor_post"))  # fmt: skip


@router.get("/contribute/link", name="propose_link", dependencies=[require("contribute")])
def propose_link_page(
    request: Request, db: Db, source_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    target_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:  # fmt: skip
    """The form of a new link; ``q`` finds the other actor by its name (a plain form,
    no script needed), each actor found a link that puts its number in the form."""
    target = url_for(request, "propose_link_post")
    found = None
    if q and q.strip():
        hits = search_actors(db=db, query=q.strip(), limit=20)
        found = [a for a in hits if a["id"] != source_id]
    ends = {}
    for field, actor_id in (("source_id", source_id), ("target_id", target_id)):
        if actor_id is not None:
            with contextlib.suppress(MaillageError):  # unknown: the form says so when sent
                ends[field] = get_actor(db=db, actor_id=actor_id)["name"]
    return _form_page(request, action="create", entity="link", record=None,
                      values={"source_id": source_id, "target_id": target_id}, target=target,
                      extra={"q": q or "", "found": found, "ends": ends})  # fmt: skip


@router.post("/contribute/link", name="propose_link_post", dependencies=CONTRIBUTE)
async def propose_link(request: Request, db: Db, identity: IdentityDep) -> Response:
    return await _proposal_post(request, db, identity, action="create", entity="link",
                                entity_id=None, target=url_for(request, "propose_link_post"))  # fmt: skip


def _edit_page(request: Request, db: Any, entity: str, entity_id: int, action: str) -> Response:
    record = _record(db, entity, entity_id)
    name = {"update": "propose_{}_edit_post", "report": "report_{}_post"}[action]
    target = url_for(request, name.format(entity), None, None, **{f"{entity}_id": entity_id})
    values = _current_values(record, entity) if action == "update" else {}
    return _form_page(request, action=action, entity=entity, record=record, values=values,
                      target=target)  # fmt: skip


@router.get("/actors/{actor_id}/propose", name="propose_actor_edit",
            dependencies=[require("contribute")])  # fmt: skip
def propose_actor_edit_page(request: Request, db: Db, actor_id: ActorId) -> Response:
    return _edit_page(request, db, "actor", actor_id, "update")


@router.post("/actors/{actor_id}/propose", name="propose_actor_edit_post", dependencies=CONTRIBUTE)
async def propose_actor_edit(
    request: Request, db: Db, identity: IdentityDep, actor_id: ActorId
) -> Response:
    target = url_for(request, "propose_actor_edit_post", actor_id=actor_id)
    return await _proposal_post(request, db, identity, action="update", entity="actor",
                                entity_id=actor_id, target=target)  # fmt: skip


@router.get("/links/{link_id}/propose", name="propose_link_edit",
            dependencies=[require("contribute")])  # fmt: skip
def propose_link_edit_page(request: Request, db: Db, link_id: LinkId) -> Response:
    return _edit_page(request, db, "link", link_id, "update")


@router.post("/links/{link_id}/propose", name="propose_link_edit_post", dependencies=CONTRIBUTE)
async def propose_link_edit(
    request: Request, db: Db, identity: IdentityDep, link_id: LinkId
) -> Response:
    target = url_for(request, "propose_link_edit_post", link_id=link_id)
    return await _proposal_post(request, db, identity, action="update", entity="link",
                                entity_id=link_id, target=target)  # fmt: skip


@router.get("/actors/{actor_id}/report", name="report_actor", dependencies=[require("report")])
def report_actor_page(request: Request, db: Db, actor_id: ActorId) -> Response:
    return _edit_page(request, db, "actor", actor_id, "report")


@router.post("/actors/{actor_id}/report", name="report_actor_post", dependencies=REPORT)
async def report_actor(
    request: Request, db: Db, identity: IdentityDep, actor_id: ActorId
) -> Response:
    target = url_for(request, "report_actor_post", actor_id=actor_id)
    return await _proposal_post(request, db, identity, action="report", entity="actor",
                                entity_id=actor_id, target=target)  # fmt: skip


@router.get("/links/{link_id}/report", name="report_link", dependencies=[require("report")])
def report_link_page(request: Request, db: Db, link_id: LinkId) -> Response:
    return _edit_page(request, db, "link", link_id, "report")


@router.post("/links/{link_id}/report", name="report_link_post", dependencies=REPORT)
async def report_link(request: Request, db: Db, identity: IdentityDep, link_id: LinkId) -> Response:
    target = url_for(request, "report_link_post", link_id=link_id)
    return await _proposal_post(request, db, identity, action="report", entity="link",
                                entity_id=link_id, target=target)  # fmt: skip


# --- moderation, votes, my proposals (pages) --------------------------------------------

Status = Annotated[Literal["pending", "accepted", "refused"], Query()]
Kind = Annotated[
    Literal["new_actor", "new_link", "actor_edit", "link_edit", "report"] | None,
    Query(description="One kind of proposal (all when left out)"),
]
Offset = Annotated[int, Query(ge=0, le=1_000_000, description="Proposals skipped")]
Limit = Annotated[int, Query(ge=1, le=service.MAX_PAGE_SIZE, description="Proposals on the page")]
VOTABLE = ("new_actor", "new_link", "actor_edit", "link_edit")  # reports are not voted on


def _list_page(
    request: Request, mode: str, page: service.ProposalPage, status: str = "pending",
    kind: str | None = None, notice: str | None = None,
) -> Response:  # fmt: skip
    """The queue, the votes or "my proposals": one page of proposals with links to
    the previous and next pages (the same filters kept)."""
    route = {"moderation": "moderation", "votes": "vote_queue", "mine": "my_proposals"}[mode]
    query = {"status": status if mode == "moderation" else None, "kind": kind}

    def at(offset: int | None) -> str | None:
        return None if offset is None else url_for(request, route, {**query, "offset": offset})

    context = {
        "mode": mode, "items": page.items, "status": status, "kind": kind, "notice": notice,
        "kinds": service.KINDS, "page": page, "first": page.offset + 1,
        "last": page.offset + len(page.items),
        "previous_url": at(page.previous_offset), "next_url": at(page.next_offset),
    }  # fmt: skip
    return _render(request, "proposals.html", context)


@router.get("/moderation", name="moderation", dependencies=MODERATE)
def moderation(
    request: Request, db: Db, status: Status = "pending", kind: Kind = None, offset: Offset = 0
) -> Response:
    page = service.proposal_page(db=db, status=status, kinds=(kind,) if kind else (),
                                 offset=offset)  # fmt: skip
    return _list_page(request, "moderation", page, status, kind)


def _vote_page(db: Any, offset: int = 0) -> service.ProposalPage:
    return service.proposal_page(db=db, status="pending", kinds=VOTABLE, offset=offset)


@router.get("/proposals", name="vote_queue", dependencies=[require("contribute")])
def vote_queue(request: Request, db: Db, offset: Offset = 0) -> Response:
    return _list_page(request, "votes", _vote_page(db, offset))


@router.get("/account/proposals", name="my_proposals", dependencies=[require("account")])
def my_proposals(request: Request, db: Db, identity: IdentityDep, offset: Offset = 0) -> Response:
    page = service.proposal_page(db=db, status=None, user_id=identity.account_id, offset=offset)
    return _list_page(request, "mine", page, "all")


def _proposal_page(
    request: Request, db: Any, proposal_id: int, error: MaillageError | None = None,
    notice: str | None = None,
) -> Response:  # fmt: skip
    view = service.get_proposal(db=db, proposal_id=proposal_id)
    record = None
    if view["entity_id"] is not None and view["action"] != "create":
        try:
            record = _record(db, view["entity"], view["entity_id"])
        except MaillageError:
            record = None
    fields = AMEND_FIELDS[view["entity"]]
    amend = dict(view["payload"].get("values") or {})
    if record is not None:
        amend = {**_current_values(record, view["entity"], AMEND_FIELDS), **amend}
    amend = {k: ", ".join(v) if isinstance(v, list) else v for k, v in amend.items()}
    context = {
        "p": view, "fields": fields, "values": amend, "notice": notice,
        "error": _say(request, error) if error else None,
        "error_field": getattr(error, "field", None),
    }  # fmt: skip
    return _render(request, "proposal.html", context, status_of(error) if error else 200)


@router.get("/moderation/{proposal_id}", name="moderation_proposal", dependencies=MODERATE)
def moderation_proposal(request: Request, db: Db, proposal_id: ProposalId) -> Response:
    return _proposal_page(request, db, proposal_id, notice=_decision_notice(request))


def _decided(request: Request, db: Any, proposal_id: int) -> Response:
    """After a decision: the proposal's page (post/redirect/get: a reload or the language
    switch shows it again, never decides twice), saying whether the proposer was told."""
    view = service.get_proposal(db=db, proposal_id=proposal_id)
    sent = notify(request, db, view)
    query = {"decided": "mailed" if sent else "silent"}
    return RedirectResponse(
        url_for(request, "moderation_proposal", query, proposal_id=proposal_id), status_code=303
    )


def _decision_notice(request: Request) -> str | None:
    """What the proposal's page says after a decision (``?decided=mailed|silent``)."""
    decided = request.query_params.get("decided")
    _ = _gettext(request).gettext
    if request.query_params.get("undone") == "1":
        return _(N_("Undone: the record is back as it was before this proposal."))
    if decided not in ("mailed", "silent"):
        return None
    told = _(N_("The proposer was told by e-mail.")) if decided == "mailed" else None
    return _(N_("Decision saved.")) + " " + (told or _(N_("No e-mail was sent.")))


@router.post("/moderation/{proposal_id}/accept", name="proposal_accept", dependencies=MODERATE)
async def proposal_accept(
    request: Request, db: Db, identity: IdentityDep, proposal_id: ProposalId
) -> Response:
    form = await request.form()
    amended = None
    if form.get("amend"):
        view = await run_in_threadpool(service.get_proposal, db=db, proposal_id=proposal_id)
        amended = _form_values(form, view["entity"])
    seen = _text(form, "seen_version")
    try:
        await run_in_threadpool(
            lambda: service.accept(
                db=db, proposal_id=proposal_id, moderator_id=identity.account_id,
                values=amended, seen_version=whole_number(seen),
                reason=_text(form, "reason"),
            )
        )  # fmt: skip
    except MaillageError as error:
        return await run_in_threadpool(_proposal_page, request, db, proposal_id, error)
    return await run_in_threadpool(_decided, request, db, proposal_id)


@router.post("/moderation/{proposal_id}/refuse", name="proposal_refuse", dependencies=MODERATE)
async def proposal_refuse(
    request: Request, db: Db, identity: IdentityDep, proposal_id: ProposalId
) -> Response:
    form = await request.form()
    try:
        await run_in_threadpool(
            lambda: service.refuse(db=db, proposal_id=proposal_id,
                                   moderator_id=identity.account_id, reason=_text(form, "reason"))
        )  # fmt: skip
    except MaillageError as error:
        return await run_in_threadpool(_proposal_page, request, db, proposal_id, error)
    return await run_in_threadpool(_decided, request, db, proposal_id)


@router.post("/moderation/{proposal_id}/undo", name="proposal_undo", dependencies=MODERATE)
def proposal_undo(
    request: Request, db: Db, identity: IdentityDep, proposal_id: ProposalId
) -> Response:
    """Undo what accepting the proposal wrote (its batch); the page then says so."""
    try:
        service.undo(db=db, proposal_id=proposal_id, moderator_id=identity.account_id or 0)
    except MaillageError as error:
        return _proposal_page(request, db, proposal_id, error)
    target = url_for(request, "moderation_proposal", {"undone": "1"}, proposal_id=proposal_id)
    return RedirectResponse(target, status_code=303)


@router.get("/moderation/{proposal_id}/document", name="proposal_document", dependencies=MODERATE)
def proposal_document(db: Db, proposal_id: ProposalId) -> Response:
    """The evidence document, as a download of its sniffed type (never a page)."""
    filename, media_type, content = service.get_document(db=db, proposal_id=proposal_id)
    headers = {
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "no-store",
    }
    return Response(content, media_type=media_type, headers=headers)


@router.post("/proposals/{proposal_id}/vote", name="proposal_vote", dependencies=CONTRIBUTE)
async def proposal_vote(
    request: Request, db: Db, identity: IdentityDep, proposal_id: ProposalId
) -> Response:
    form = await request.form()
    threshold = _settings(request).vote_threshold
    choice = _text(form, "vote") or ""
    try:
        tally = await run_in_threadpool(
            lambda: votes.vote(db=db, proposal_id=proposal_id, user_id=identity.account_id or 0,
                               choice=choice, threshold=threshold)
        )  # fmt: skip
    except MaillageError as error:
        page = await run_in_threadpool(_vote_page, db)
        response = _list_page(request, "votes", page, notice=_say(request, error))
        response.status_code = status_of(error)
        return response
    if tally.status != "pending":
        view = await run_in_threadpool(service.get_proposal, db=db, proposal_id=proposal_id)
        await run_in_threadpool(notify, request, db, view)
    return RedirectResponse(url_for(request, "vote_queue"), status_code=303)


# --- history --------------------------------------------------------------------------


def _history(request: Request, db: Any, entity: str, entity_id: int) -> Response:
    rows = history.entity_history(db=db, entity=entity, entity_id=entity_id)
    if not rows:
        _record(db, entity, entity_id)  # NotFound: 404
    _ = _gettext(request).gettext
    for row in rows:
        row["action_label"] = _(HISTORY_ACTIONS.get(row["action"], row["action"]))
        row["field_labels"] = [_(LABELS[f]) if f in LABELS else f.replace("_", " ")
                               for f in row["fields"] if f not in BOOKKEEPING]  # fmt: skip
        row["source_label"] = _history_source(_, row["source"], row.get("decided_by"))
        if row["author"] in HISTORY_AUTHORS:
            row["author"] = _(HISTORY_AUTHORS[row["author"]])
    page = "actor" if entity == "actor" else "link"
    context = {"rows": rows, "entity": entity, "entity_id": entity_id,
               "back": url_for(request, page, None, None, **{f"{entity}_id": entity_id})}  # fmt: skip
    return _render(request, "history.html", context)


def _history_source(
    _: Callable[..., str], source: str | None, decided_by: str | None = None
) -> str | None:
    """The source of a change as a person reads it (``proposal:12`` -> "proposal no. 12",
    with who accepted it: "accepted by Moderator", or by the community's votes)."""
    kind, _sep, ref = (source or "").partition(":")
    if kind == "proposal" and ref.isdigit() and decided_by:
        who = _(N_("the community's votes")) if decided_by == service.VOTES else decided_by
        return _(N_("proposal no. %(id)s, accepted by %(name)s"), id=ref, name=who)
    if kind in HISTORY_SOURCES and ref.isdigit():
        return _(HISTORY_SOURCES[kind], id=ref)
    return _(HISTORY_AUTHORS[source]) if source in HISTORY_AUTHORS else source


@router.get("/actors/{actor_id}/history", name="actor_history", dependencies=READ)
def actor_history(request: Request, db: Db, actor_id: ActorId) -> Response:
    return _history(request, db, "actor", actor_id)


@router.get("/links/{link_id}/history", name="link_history", dependencies=READ)
def link_history(request: Request, db: Db, link_id: LinkId) -> Response:
    return _history(request, db, "link", link_id)


# --- the API ----------------------------------------------------------------------------


class DocumentIn(BaseModel):
    filename: str = Field(max_length=300)
    content_base64: str = Field(max_length=8_000_000, description="The file, base64-encoded")


class ProposalIn(BaseModel):
    action: Literal["create", "update"]
    entity: Literal["actor", "link"]
    entity_id: int | None = Field(None, ge=1, le=MAX_ID, description="The record (update)")
    values: dict[str, Any] = Field(default_factory=dict, description="Proposed field values")
    message: str | None = Field(None, max_length=service.MAX_MESSAGE)
    evidence_url: str | None = Field(None, max_length=1000)
    document: DocumentIn | None = None


class ReportIn(BaseModel):
    entity: Literal["actor", "link"]
    entity_id: int = Field(ge=1, le=MAX_ID)
    message: str = Field(max_length=service.MAX_MESSAGE)
    evidence_url: str | None = Field(None, max_length=1000)
    document: DocumentIn | None = None


class DecisionIn(BaseModel):
    values: dict[str, Any] | None = Field(None, description="Amended values (accept only)")
    seen_version: int | None = Field(None, description="The record's version the amend read")
    reason: str | None = Field(None, max_length=service.MAX_MESSAGE)


class VoteIn(BaseModel):
    vote: Literal["for", "against"]


def _decoded(document: DocumentIn | None) -> service.Document | None:
    if document is None:
        return None
    try:
        content = base64.b64decode(document.content_base64, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput(
            "document", document.filename, "base64 attendu", "base64 expected"
        ) from None
    return service.Document(document.filename, content)


def _public(view: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in view.items() if k not in ("author_name", "deleted_at")}


@api_router.post("/proposals", name="api_propose", status_code=201, dependencies=CONTRIBUTE)
def api_propose(request: Request, db: Db, identity: IdentityDep, body: ProposalIn) -> Any:
    """Propose a new actor or link, or an edit of one, with evidence; returns the proposal."""
    created = service.propose(
        db=db, action=body.action, entity=body.entity, entity_id=body.entity_id,
        values=body.values, message=body.message, evidence_url=body.evidence_url,
        document=_decoded(body.document), user_id=identity.account_id,
        max_document_bytes=_settings(request).evidence_max_bytes,
    )  # fmt: skip
    return _public(service.get_proposal(db=db, proposal_id=created["id"]))


@api_router.post("/reports", name="api_report", status_code=201, dependencies=REPORT)
def api_report(request: Request, db: Db, identity: IdentityDep, body: ReportIn) -> Any:
    """Report an error on an actor or a link, with evidence (no account needed)."""
    created = service.propose(
        db=db, action="report", entity=body.entity, entity_id=body.entity_id,
        message=body.message, evidence_url=body.evidence_url, document=_decoded(body.document),
        user_id=identity.account_id, max_document_bytes=_settings(request).evidence_max_bytes,
    )  # fmt: skip
    return {"id": created["id"], "status": created["status"]}


def _api_page(
    request: Request, route: str, page: service.ProposalPage, query: Mapping[str, Any]
) -> dict[str, Any]:
    """A page of proposals as JSON: ``items``, ``total``, ``offset``, ``limit`` and the
    addresses of the ``next`` and ``previous`` pages (null at either end)."""

    def at(offset: int | None) -> str | None:
        if offset is None:
            return None
        return url_for(request, route, {**query, "limit": page.limit, "offset": offset})

    return {
        "items": [_public(v) for v in page.items], "total": page.total,
        "offset": page.offset, "limit": page.limit,
        "next": at(page.next_offset), "previous": at(page.previous_offset),
    }  # fmt: skip


@api_router.get("/proposals", name="api_proposals", dependencies=MODERATE)
def api_proposals(
    request: Request, db: Db, status: Status = "pending", kind: Kind = None,
    limit: Limit = service.PAGE_SIZE, offset: Offset = 0,
) -> Any:  # fmt: skip
    """The moderation queue, a page at a time: proposals with their diff, evidence,
    author and votes (the oldest pending first), the total and the next page's address."""
    page = service.proposal_page(db=db, status=status, kinds=(kind,) if kind else (),
                                 limit=limit, offset=offset)  # fmt: skip
    return _api_page(request, "api_proposals", page, {"status": status, "kind": kind})


@api_router.get("/proposals/mine", name="api_my_proposals", dependencies=[require("contribute")])
def api_my_proposals(
    request: Request, db: Db, identity: IdentityDep, limit: Limit = service.PAGE_SIZE,
    offset: Offset = 0,
) -> Any:  # fmt: skip
    """The proposals of the account asking, newest first, a page at a time, with their
    status, the total and the next page's address."""
    page = service.proposal_page(db=db, status=None, user_id=identity.account_id,
                                 limit=limit, offset=offset)  # fmt: skip
    return _api_page(request, "api_my_proposals", page, {})


@api_router.get("/proposals/{proposal_id}", name="api_proposal", dependencies=MODERATE)
def api_proposal(db: Db, proposal_id: ProposalId) -> Any:
    return _public(service.get_proposal(db=db, proposal_id=proposal_id))


def _api_decided(request: Request, db: Any, proposal_id: int) -> Any:
    view = service.get_proposal(db=db, proposal_id=proposal_id)
    return {**_public(view), "notified": notify(request, db, view)}


@api_router.post("/proposals/{proposal_id}/accept", name="api_proposal_accept",
                 dependencies=MODERATE)  # fmt: skip
def api_proposal_accept(
    request: Request, db: Db, identity: IdentityDep, proposal_id: ProposalId, body: DecisionIn
) -> Any:
    """Accept (``values``: amended) a pending proposal; 409 when its record changed."""
    service.accept(db=db, proposal_id=proposal_id, moderator_id=identity.account_id,
                   values=body.values, seen_version=body.seen_version, reason=body.reason)  # fmt: skip
    return _api_decided(request, db, proposal_id)


@api_router.post("/proposals/{proposal_id}/refuse", name="api_proposal_refuse",
                 dependencies=MODERATE)  # fmt: skip
def api_proposal_refuse(
    request: Request, db: Db, identity: IdentityDep, proposal_id: ProposalId, body: DecisionIn
) -> Any:
    """Refuse a pending proposal with a ``reason``."""
    service.refuse(db=db, proposal_id=proposal_id, moderator_id=identity.account_id,
                   reason=body.reason)  # fmt: skip
    return _api_decided(request, db, proposal_id)


@api_router.post("/proposals/{proposal_id}/vote", name="api_proposal_vote",
                 dependencies=CONTRIBUTE)  # fmt: skip
def api_proposal_vote(
    request: Request, db: Db, identity: IdentityDep, proposal_id: ProposalId, body: VoteIn
) -> Any:
    """Vote for or against a pending proposal (when the portal sets a threshold)."""
    tally = votes.vote(db=db, proposal_id=proposal_id, user_id=identity.account_id or 0,
                       choice=body.vote, threshold=_settings(request).vote_threshold)  # fmt: skip
    if tally.status != "pending":
        notify(request, db, service.get_proposal(db=db, proposal_id=proposal_id))
    return JSONResponse(tally.to_dict())


@api_router.get("/actors/{actor_id}/history", name="api_actor_history", dependencies=READ)
def api_actor_history(db: Db, actor_id: ActorId) -> Any:
    """The changes of an actor, oldest first, each with its author."""
    return history.entity_history(db=db, entity="actor", entity_id=actor_id)


@api_router.get("/links/{link_id}/history", name="api_link_history", dependencies=READ)
def api_link_history(db: Db, link_id: LinkId) -> Any:
    """The changes of a link, oldest first, each with its author."""
    return history.entity_history(db=db, entity="link", entity_id=link_id)
