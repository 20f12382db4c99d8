"""Relationship surveys: the facilitator's pages (open a survey, follow it, export its
answers as CSV, close it, re-issue or revoke a personal link) and the respondent's page
reached through a personal link, without an account; and their ``/api`` twins.

The personal link carries its secret in the query string (``/survey?token=…``), which
the access log never writes; the respondent's forms send it back in their body, and
the page asks browsers not to pass it on as a referrer. The work is done by
:mod:`maillage.services.surveys`; invitations go by e-mail (:mod:`.mail`) to the
actors with an address, when the facilitator asks.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import secrets
import time
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from maillage.model import taxonomy
from maillage.model.errors import InvalidInput, MaillageError
from maillage.services import mail
from maillage.services import surveys as service
from maillage.services.actors import search_actors
from maillage.services.portal.export import generate_csv
from maillage.settings import Settings
from maillage.web.errors import status_of
from maillage.web.i18n import N_, Gettext
from maillage.web.params import MAX_ID, Db, whole_number
from maillage.web.routes.accounts import absolute_url
from maillage.web.security import IdentityDep, require, throttle
from maillage.web.templating import Templates, request_lang, url_for

log = logging.getLogger(__name__)
router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)
api_router = APIRouter(prefix="/api", tags=["surveys"])

SurveyId = Annotated[int, Path(ge=1, le=MAX_ID)]
RespondentId = Annotated[int, Path(ge=1, le=MAX_ID)]
Token = Annotated[str | None, Query(max_length=100)]
FACILITATE = [require("survey")]
ANSWER = [require("read"), throttle("contribution")]
INTENSITY_LABELS = {1: N_("occasional"), 2: N_("regular"), 3: N_("strong"), 4: N_("essential")}
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
# The personal links of a survey just opened, or of a link just re-issued, are shown on the
# page the form redirects to (post/redirect/get): the facilitator's session keeps the seed
# they were drawn from (services.surveys.seeded_token) for that long, never the links.
LINKS_KEPT = "survey_links"
LINKS_SECONDS = 600
# What the respondent's page says after a form (``?saved=``), post/redirect/get.
SAVED = {
    "declared": N_("Partner saved. You may come back to this page until the survey closes."),
    "withdrawn": N_("Declaration withdrawn."),
    "done": N_("Thank you: your answer is recorded."),
}
# What the facilitator's last action did, said on the survey's page after its redirect.
DONE = {
    "revoked": N_("Link revoked: it no longer opens the survey."),
    "closed": N_("Survey closed: its links take no more answers."),
}
MAIL_SUBJECT = N_("Survey: %(title)s")
MAIL_BODY = N_(
    'Hello,\n\n%(who)s asks %(actor)s to take part in the survey "%(title)s": name '
    "your partners, the kind of link, how strong it is and since when. Your answers "
    "become proposed links, checked by the moderators before they show on the map.\n\n"
    "Your personal link (do not pass it on; it works without an account):\n\n%(link)s\n"
)


# --- helpers ------------------------------------------------------------------------


def _settings(request: Request) -> Settings:
    found: Settings = request.app.state.settings
    return found


def _say(request: Request, error: MaillageError) -> str:
    return error.message_en if request_lang(request) == "en" else error.message_fr


def _render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    templates: Templates = request.app.state.templates
    lang = request_lang(request)
    _ = Gettext(lang).gettext
    base = {
        "kinds": [(t.code, t.label(lang)) for t in taxonomy.load("link_kinds")],
        "intensities": [(k, _(v)) for k, v in INTENSITY_LABELS.items()],
        "kind_labels": {t.code: t.label(lang) for t in taxonomy.load("link_kinds")},
        "year_now": dt.date.today().year,
    }  # fmt: skip
    return templates.render(request, name, {**base, **context}, status_code=status,
                            headers=PRIVATE)  # fmt: skip


def _text(form: Mapping[str, Any], name: str) -> str | None:
    value = form.get(name)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _integer(form: Mapping[str, Any], name: str, *, required: bool = False) -> int | None:
    raw = _text(form, name)
    if raw is None:
        if required:
            raise InvalidInput(name, None, "champ obligatoire", "required field")
        return None
    try:
        return int(raw)
    except ValueError:
        raise InvalidInput(name, raw, "un nombre entier", "a whole number") from None


def _ids(raw: str | None) -> list[int]:
    """Actor numbers separated by commas or spaces."""
    out = []
    for part in (raw or "").replace(",", " ").split():
        number = whole_number(part)
        if number is None:
            raise InvalidInput("actor_ids", part, "des numéros d'acteurs", "actor numbers")
        out.append(number)
    return out


def _date(raw: str | None) -> dt.date | None:
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput("closes_on", raw, "une date AAAA-MM-JJ", "a date YYYY-MM-DD") from None


def personal_url(request: Request, token: str) -> str:
    """The personal link of a respondent, under the portal's public address."""
    return absolute_url(request, "survey_respond", {"token": token})


def invite(request: Request, survey: Mapping[str, Any], invitation: service.Invitation,
           who: str | None) -> bool:  # fmt: skip
    """E-mail ``invitation`` to its actor (in the portal's language); False when not sent."""
    if not invitation.email:
        return False
    settings = _settings(request)
    tr = Gettext("en" if settings.language == "en" else "fr").gettext
    text = tr(
        MAIL_BODY, who=who or "maillage", actor=invitation.actor_name, title=survey["title"],
        link=personal_url(request, invitation.token),
    )  # fmt: skip
    try:
        return mail.send(
            settings, mail.Mail(invitation.email, tr(MAIL_SUBJECT, title=survey["title"]), text)
        )
    except mail.MailNotSent:
        return False


def _links(
    request: Request, survey: Mapping[str, Any], invitations: Sequence[service.Invitation],
    send: bool, who: str | None,
) -> list[dict[str, Any]]:  # fmt: skip
    return [
        {"respondent_id": i.respondent_id, "actor_id": i.actor_id, "actor": i.actor_name,
         "url": personal_url(request, i.token), "token": i.token,
         "emailed": invite(request, survey, i, who) if send else False}
        for i in invitations
    ]  # fmt: skip


def _keep_links(
    request: Request, page: str, survey_id: int, seed: bytes, links: Sequence[Mapping[str, Any]],
    *, send: bool, respondents: list[int] | None = None,
) -> None:  # fmt: skip
    """Keep in the session what the page after the redirect needs to show ``links``: the
    seed they were drawn from and the few whose e-mail failed (a cookie stays small)."""
    failed = [l["respondent_id"] for l in links if send and not l["emailed"]]  # noqa: E741
    request.session[LINKS_KEPT] = {
        "page": page, "survey": survey_id, "seed": base64.b64encode(seed).decode(),
        "send": send, "failed": failed, "respondents": respondents,
        "until": time.time() + LINKS_SECONDS,
    }  # fmt: skip


def _kept_links(request: Request, db: Any, page: str, survey_id: int | None = None) -> list[Any]:
    """The personal links kept for ``page`` by :func:`_keep_links`, while they last."""
    kept = request.session.get(LINKS_KEPT)
    if not isinstance(kept, dict) or kept.get("page") != page:
        return []
    if float(kept.get("until", 0)) < time.time():
        request.session.pop(LINKS_KEPT, None)
        return []
    if survey_id is not None and kept.get("survey") != survey_id:
        return []
    try:
        invitations = service.seeded_invitations(
            db=db, survey_id=int(kept["survey"]), seed=base64.b64decode(kept["seed"]),
            respondent_ids=kept.get("respondents"),
        )  # fmt: skip
    except service.SurveyNotFound:  # gone since (a restored backup): nothing to show
        request.session.pop(LINKS_KEPT, None)
        return []
    failed = set(kept.get("failed") or ())
    return [
        {"respondent_id": i.respondent_id, "actor_id": i.actor_id, "actor": i.actor_name,
         "url": personal_url(request, i.token),
         "emailed": bool(kept.get("send")) and bool(i.email) and i.respondent_id not in failed}
        for i in invitations
    ]  # fmt: skip


# --- the facilitator's pages ---------------------------------------------------------------


def _surveys_page(
    request: Request, db: Any, *, values: Mapping[str, Any] | None = None,
    error: MaillageError | None = None, opened: Mapping[str, Any] | None = None,
    links: Sequence[Mapping[str, Any]] = (), status: int = 200,
) -> Response:  # fmt: skip
    context = {
        "surveys": service.list_surveys(db=db), "values": values or {}, "opened": opened,
        "links": links, "error": _say(request, error) if error else None,
        "error_field": getattr(error, "field", None),
    }  # fmt: skip
    return _render(request, "surveys.html", context, status_of(error) if error else status)


@router.get("/surveys", name="surveys", dependencies=FACILITATE)
def surveys_page(request: Request, db: Db) -> Response:
    links = _kept_links(request, db, "surveys")
    if not links:
        return _surveys_page(request, db)
    opened = service.survey_report(db=db, survey_id=request.session[LINKS_KEPT]["survey"])
    return _surveys_page(request, db, opened=opened["survey"], links=links)


@router.post("/surveys", name="survey_open", dependencies=FACILITATE)
async def survey_open(request: Request, db: Db, identity: IdentityDep) -> Response:
    form = await request.form()
    values = {k: _text(form, k) for k in ("title", "territory", "theme", "actor_ids", "closes_on")}
    seed = secrets.token_bytes(32)
    try:
        survey, invitations = await run_in_threadpool(
            lambda: service.open_survey(
                db=db, user_id=identity.account_id or 0, title=values["title"] or "",
                territory=values["territory"], theme=values["theme"],
                actor_ids=_ids(values["actor_ids"]), closes_on=_date(values["closes_on"]),
                seed=seed,
            )
        )  # fmt: skip
    except MaillageError as error:
        page = partial(_surveys_page, request, db, values=values, error=error)
        return await run_in_threadpool(page)
    send = form.get("send") == "1"
    links = await run_in_threadpool(_links, request, survey, invitations, send, identity.name)
    # Post/redirect/get: a reload shows the links again, never opens a second survey.
    _keep_links(request, "surveys", survey["id"], seed, links, send=send)
    return RedirectResponse(url_for(request, "surveys"), status_code=303)


def _survey_page(
    request: Request, db: Any, survey_id: int, *, links: Sequence[Mapping[str, Any]] = (),
    notice: str | None = None,
) -> Response:  # fmt: skip
    report = service.survey_report(db=db, survey_id=survey_id)
    context = {"r": report, "s": report["survey"], "links": links, "notice": notice}
    return _render(request, "survey.html", context)


@router.get("/surveys/{survey_id}", name="survey", dependencies=FACILITATE)
def survey_page(
    request: Request, db: Db, survey_id: SurveyId,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:  # fmt: skip
    """A survey's answers (``done``: what the facilitator's last action did)."""
    notice = Gettext(request_lang(request)).gettext(DONE[done]) if done in DONE else None
    links = _kept_links(request, db, "survey", survey_id)
    return _survey_page(request, db, survey_id, links=links, notice=notice)


def _csv(db: Any, survey_id: int) -> Response:
    rows = service.answer_rows(db=db, survey_id=survey_id)
    headers = {
        "Content-Disposition": f'attachment; filename="enquete-{survey_id}-reponses.csv"',
        "Cache-Control": "no-store",
    }
    return StreamingResponse(
        generate_csv(rows, service.ANSWER_COLUMNS), media_type="text/csv; charset=utf-8",
        headers=headers,
    )  # fmt: skip


@router.get("/surveys/{survey_id}/answers.csv", name="survey_csv", dependencies=FACILITATE)
def survey_csv(db: Db, survey_id: SurveyId) -> Response:
    """The answers, one row per declared partner; cells safe from spreadsheet formulas."""
    return _csv(db, survey_id)


@router.post("/surveys/{survey_id}/close", name="survey_close", dependencies=FACILITATE)
def survey_close(request: Request, db: Db, identity: IdentityDep, survey_id: SurveyId) -> Response:
    service.close_survey(db=db, survey_id=survey_id, user_id=identity.account_id or 0)
    target = url_for(request, "survey", {"done": "closed"}, survey_id=survey_id) + "#survey-state"
    return RedirectResponse(target, status_code=303)


@router.post("/surveys/{survey_id}/respondents/{respondent_id}/link", name="survey_reissue",
             dependencies=FACILITATE)  # fmt: skip
async def survey_reissue(
    request: Request, db: Db, identity: IdentityDep, survey_id: SurveyId,
    respondent_id: RespondentId,
) -> Response:  # fmt: skip
    form = await request.form()

    seed, send = secrets.token_bytes(32), form.get("send") == "1"

    def work() -> None:
        invitation = service.reissue_link(db=db, survey_id=survey_id, respondent_id=respondent_id,
                                          user_id=identity.account_id or 0, seed=seed)  # fmt: skip
        survey = service.survey_report(db=db, survey_id=survey_id)["survey"]
        links = _links(request, survey, [invitation], send, identity.name)
        _keep_links(request, "survey", survey_id, seed, links, send=send,
                    respondents=[respondent_id])  # fmt: skip

    await run_in_threadpool(work)
    return RedirectResponse(url_for(request, "survey", survey_id=survey_id), status_code=303)


@router.post("/surveys/{survey_id}/respondents/{respondent_id}/revoke", name="survey_revoke",
             dependencies=FACILITATE)  # fmt: skip
def survey_revoke(
    request: Request, db: Db, identity: IdentityDep, survey_id: SurveyId,
    respondent_id: RespondentId,
) -> Response:  # fmt: skip
    service.revoke_link(db=db, survey_id=survey_id, respondent_id=respondent_id,
                        user_id=identity.account_id or 0)  # fmt: skip
    # back on the respondent's row, which now says « révoqué »
    target = url_for(request, "survey", {"done": "revoked"}, survey_id=survey_id)
    target += f"#respondent-{respondent_id}"
    return RedirectResponse(target, status_code=303)


# --- the respondent's page -----------------------------------------------------------------


def _respond_page(
    request: Request, db: Any, token: str | None, *, q: str | None = None,
    error: MaillageError | None = None, notice: str | None = None,
    values: Mapping[str, Any] | None = None,
) -> Response:  # fmt: skip
    view = service.respondent_view(db=db, token=token or "")
    found = None
    if q:
        own = view["actor"]["id"]
        found = [a for a in search_actors(db=db, query=q[:200], limit=20) if a["id"] != own]
    context = {
        "v": view, "token": token, "q": q or "", "found": found, "notice": notice,
        "error": _say(request, error) if error else None,
        "error_field": getattr(error, "field", None), "values": values or {},
    }  # fmt: skip
    return _render(request, "survey_respond.html", context, status_of(error) if error else 200)


@router.get("/survey", name="survey_respond", dependencies=[require("read")])
def survey_respond(
    request: Request, db: Db, token: Token = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    saved: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:  # fmt: skip
    """The respondent's page: their declared partners, and a form to declare more
    (``saved``: what a form just did, shown after its redirect)."""
    notice = Gettext(request_lang(request)).gettext(SAVED[saved]) if saved in SAVED else None
    return _respond_page(request, db, token, q=q, notice=notice)


async def _respondent_post(request: Request, db: Any, action: str) -> Response:
    form = await request.form()
    token = _text(form, "token") or ""

    def work() -> Response:
        values = {k: _text(form, k) for k in ("partner_id", "partner_name", "partner_commune",
                                              "kind", "intensity", "since_year",
                                              "respondent_name")}  # fmt: skip
        try:
            if action == "declare":
                service.declare(
                    db=db, token=token, kind=values["kind"] or "",
                    intensity=_integer(form, "intensity", required=True) or 0,
                    partner_id=_integer(form, "partner_id"),
                    partner_name=values["partner_name"], partner_commune=values["partner_commune"],
                    since_year=_integer(form, "since_year"),
                    respondent_name=values["respondent_name"],
                )  # fmt: skip
                saved = "declared"
            elif action == "withdraw":
                answer_id = _integer(form, "answer_id", required=True) or 0
                service.withdraw(db=db, token=token, answer_id=answer_id)
                saved = "withdrawn"
            else:
                service.mark_answered(db=db, token=token, respondent_name=values["respondent_name"])
                saved = "done"
        except service.SurveyNotFound:
            raise
        except MaillageError as error:
            return _respond_page(request, db, token, error=error, values=values)
        # Post/redirect/get: a reload shows the page again, never declares twice. The
        # secret goes back in the query string, as in the personal link itself (the
        # access log never writes query strings; the page sends no referrer).
        query = {"token": token, "saved": saved}
        return RedirectResponse(url_for(request, "survey_respond", query), status_code=303)

    return await run_in_threadpool(work)


@router.post("/survey/partners", name="survey_declare", dependencies=ANSWER)
async def survey_declare(request: Request, db: Db) -> Response:
    return await _respondent_post(request, db, "declare")


@router.post("/survey/partners/withdraw", name="survey_withdraw", dependencies=ANSWER)
async def survey_withdraw(request: Request, db: Db) -> Response:
    return await _respondent_post(request, db, "withdraw")


@router.post("/survey/done", name="survey_done", dependencies=ANSWER)
async def survey_done(request: Request, db: Db) -> Response:
    return await _respondent_post(request, db, "done")


# --- the API -------------------------------------------------------------------------------


class SurveyIn(BaseModel):
    title: str = Field(max_length=200)
    territory: str | None = Field(None, max_length=40, description="A territory code: DEP:59")
    theme: str | None = Field(None, max_length=100)
    actor_ids: list[int] = Field(default_factory=list, max_length=service.MAX_RESPONDENTS)
    closes_on: dt.date | None = None
    send_emails: bool = Field(False, description="E-mail each actor with an address its link")


class DeclarationIn(BaseModel):
    token: str = Field(max_length=100, description="The respondent's personal link secret")
    partner_id: int | None = Field(None, ge=1, le=MAX_ID)
    partner_name: str | None = Field(None, max_length=200)
    partner_commune: str | None = Field(None, max_length=10)
    kind: str = Field(max_length=40)
    intensity: int = Field(ge=1, le=4, description="1 occasional, 2 regular, 3 strong, 4 essential")
    since_year: int | None = Field(None, ge=service.YEAR_MIN, le=2200)
    respondent_name: str | None = Field(None, max_length=200)


class WithdrawIn(BaseModel):
    token: str = Field(max_length=100)
    answer_id: int = Field(ge=1, le=MAX_ID)


@api_router.get("/surveys", name="api_surveys", dependencies=FACILITATE)
def api_surveys(db: Db) -> Any:
    """Every survey, newest first, with its counts of invited and answering actors."""
    return service.list_surveys(db=db)


@api_router.post("/surveys", name="api_survey_open", status_code=201, dependencies=FACILITATE)
def api_survey_open(request: Request, db: Db, identity: IdentityDep, body: SurveyIn) -> Any:
    """Open a survey; returns it and each actor's personal link (shown this once)."""
    survey, invitations = service.open_survey(
        db=db, user_id=identity.account_id or 0, title=body.title, territory=body.territory,
        theme=body.theme, actor_ids=body.actor_ids, closes_on=body.closes_on,
    )  # fmt: skip
    return {"survey": survey,
            "links": _links(request, survey, invitations, body.send_emails, identity.name)}  # fmt: skip


@api_router.get("/surveys/{survey_id}", name="api_survey", dependencies=FACILITATE)
def api_survey(db: Db, survey_id: SurveyId) -> Any:
    """A survey's response rate, links declared by both sides and by one side only."""
    return service.survey_report(db=db, survey_id=survey_id)


@api_router.get("/surveys/{survey_id}/answers", name="api_survey_answers",
                dependencies=FACILITATE)  # fmt: skip
def api_survey_answers(db: Db, survey_id: SurveyId) -> Any:
    """The answers, one row per declared partner (the CSV export's rows)."""
    return service.answer_rows(db=db, survey_id=survey_id)


@api_router.post("/surveys/{survey_id}/close", name="api_survey_close", dependencies=FACILITATE)
def api_survey_close(db: Db, identity: IdentityDep, survey_id: SurveyId) -> Any:
    return service.close_survey(db=db, survey_id=survey_id, user_id=identity.account_id or 0)


@api_router.get("/survey", name="api_survey_respond", dependencies=[require("read")])
def api_survey_respond(token: Token, db: Db) -> Any:
    """What a respondent sees through their personal link (``token``)."""
    return service.respondent_view(db=db, token=token or "")


@api_router.post("/survey/partners", name="api_survey_declare", dependencies=ANSWER)
def api_survey_declare(db: Db, body: DeclarationIn) -> Any:
    """Declare (or change) one partner through a personal link."""
    return service.declare(
        db=db, token=body.token, kind=body.kind, intensity=body.intensity,
        partner_id=body.partner_id, partner_name=body.partner_name,
        partner_commune=body.partner_commune, since_year=body.since_year,
        respondent_name=body.respondent_name,
    )  # fmt: skip


@api_router.post("/survey/partners/withdraw", name="api_survey_withdraw", dependencies=ANSWER)
def api_survey_withdraw(db: Db, body: WithdrawIn) -> Any:
    """Withdraw one declaration through a personal link."""
    service.withdraw(db=db, token=body.token, answer_id=body.answer_id)
    return {"withdrawn": body.answer_id}
