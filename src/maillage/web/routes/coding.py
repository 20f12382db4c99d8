"""Qualitative coding pages (permission ``code``): a resource's text to code with the
mouse or the keyboard, the codebook with inter-coder agreement, REFI-QDA import and
export; and the public page of the seven hypotheses substantiated, with its JSON and
CSV twins. The work is done by :mod:`maillage.services.coding`.

A passage is sent as its words (``quote``) and, when selected with the mouse, its
offsets (``start``, ``end``, set by ``static/js/coding.js``); typed words alone are
found in the text. Every form posts back and redirects (post/redirect/get).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from markupsafe import Markup, escape
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from maillage.model import taxonomy
from maillage.model.errors import InvalidInput, MaillageError
from maillage.model.permissions import Identity
from maillage.model.taxonomy import Lang
from maillage.services import coding as service
from maillage.services.portal.export import generate_csv
from maillage.web.errors import status_of
from maillage.web.i18n import N_, Gettext
from maillage.web.params import MAX_ID, Db, whole_number
from maillage.web.security import IdentityDep, require
from maillage.web.templating import Templates, request_lang, url_for

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)
api_router = APIRouter(prefix="/api", tags=["coding"])

ResourceId = Annotated[int, Path(ge=1, le=MAX_ID)]
CodingId = Annotated[int, Path(ge=1, le=MAX_ID)]
CODE = [require("code")]
READ = [require("read")]
MAX_IMPORT = 50 * 1024 * 1024
STANCE_LABELS = {"supports": N_("supports"), "nuances": N_("nuances"),
                 "contradicts": N_("contradicts")}  # fmt: skip
PRIVATE = {"Cache-Control": "no-store"}
# What a refused field is called on the coding and codebook forms (by its label).
FIELD_LABELS = {"quote": N_("Passage"), "code_ids": N_("Code"), "stance": N_("Stance"),
                "memo": N_("Memo"), "text": N_("Memo"), "name": N_("Name"),
                "parent_id": N_("Under"), "description": N_("Description")}  # fmt: skip


def _say(request: Request, error: MaillageError) -> str:
    """The message of ``error`` in the page's language. The coding service says its own
    refusals in plain words; any other refused value is named by its form label,
    never by the internal field's name."""
    english = request_lang(request) == "en"
    if type(error) is not InvalidInput:  # noqa: E721 - its subclasses say their own messages
        return error.message_en if english else error.message_fr
    _ = Gettext(request_lang(request)).gettext
    rule = error.rule_en if english else error.rule
    label = FIELD_LABELS.get(error.field)
    if label is None:
        return rule[:1].upper() + rule[1:]
    if error.value in (None, "", [], {}):
        return _(N_("%(field)s: %(rule)s"), field=_(label), rule=rule)
    value = error.value if isinstance(error.value, str) else repr(error.value)
    return _(N_("%(field)s: %(value)s — %(rule)s"), field=_(label), value=value[:80], rule=rule)


def _render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    templates: Templates = request.app.state.templates
    _ = Gettext(request_lang(request)).gettext
    base = {"stances": [(k, _(v)) for k, v in STANCE_LABELS.items()],
            "stance_labels": {k: _(v) for k, v in STANCE_LABELS.items()}}  # fmt: skip
    return templates.render(request, name, {**base, **context}, status_code=status,
                            headers=PRIVATE)  # fmt: skip


def _text(form: Mapping[str, Any], name: str) -> str | None:
    value = form.get(name)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _int(form: Mapping[str, Any], name: str) -> int | None:
    raw = _text(form, name)
    if raw is None:
        return None
    number = whole_number(raw)
    if number is None:
        raise InvalidInput(name, raw, "un nombre entier", "a whole number")
    return number


# --- a resource to code -----------------------------------------------------------------


def _as_stored(text: str) -> Markup:
    """A piece of the text to code as HTML whose text content, in the browser, is
    ``text`` character for character, so that ``coding.js`` counts a selection's offsets
    in the stored text. An HTML parser reads a CR LF as one LF and a lone CR as a LF: a
    CR is written as a character reference, which it keeps (shown as a space; a lone CR
    gets a ``<br>`` for its line break, which adds no character)."""
    escaped = str(escape(text))
    if "\r" in escaped:
        escaped = escaped.replace("\r\n", "&#13;\n").replace("\r", "&#13;<br>")
    return Markup(escaped)  # noqa: S704 - escaped above


def _resource_page(request: Request, db: Any, resource_id: int, *, values: Mapping[str, Any]
                   | None = None, error: MaillageError | None = None) -> Response:  # fmt: skip
    view = service.resource_view(db=db, resource_id=resource_id)
    identity: Identity = request.state.identity
    dropped = request.query_params.get("dropped")
    pieces = [(_as_stored(s["text"]), s["codings"]) for s in view["segments"]]
    # Where the text box opens (coding.js scrolls it there, not the page): at the passage
    # of a refused form, or at the coding just saved; the coder keeps her place in a long
    # text. None: at the top.
    kept = (values or {}).get("start") if error else None
    saved_id = request.query_params.get("coding")
    show_start = whole_number(kept) if isinstance(kept, str) else None
    if show_start is None:
        show_start = next((c["start"] for c in view["codings"] if str(c["id"]) == saved_id), None)
    context = {"v": view, "pieces": pieces, "values": values or {}, "me_id": identity.account_id,
               "can_any": identity.can("admin"), "saved": request.query_params.get("saved"),
               "dropped": dropped if dropped in STANCE_LABELS else None,
               "error": _say(request, error) if error else None,
               "error_field": getattr(error, "field", None), "show_start": show_start}  # fmt: skip
    return _render(request, "coding.html", context, status_of(error) if error else 200)


@router.get("/resources/{resource_id}/coding", name="coding_resource", dependencies=CODE)
def coding_resource(request: Request, db: Db, resource_id: ResourceId) -> Response:
    """A resource's text with its codings; select a passage (or type it) to code it."""
    return _resource_page(request, db, resource_id)


@router.post("/resources/{resource_id}/codings", name="coding_add", dependencies=CODE)
async def coding_add(request: Request, db: Db, identity: IdentityDep,
                     resource_id: ResourceId) -> Response:  # fmt: skip
    form = await request.form()
    values = {k: _text(form, k) for k in ("quote", "start", "end", "code_id", "stance", "memo")}

    def work() -> Response:
        try:
            code_id = _int(form, "code_id")
            code_ids = [code_id] if code_id else []
            ids = service.add_coding(
                db=db, resource_id=resource_id, code_ids=code_ids,
                account_id=identity.account_id, quote=values["quote"] or "", start=_int(form, "start"), end=_int(form, "end"),
                stance=values["stance"], memo=values["memo"],
            )  # fmt: skip
        except InvalidInput as error:
            return _resource_page(request, db, resource_id, values=values, error=error)
        query = {"saved": "1", "coding": str(ids[0])}  # the text box opens on it
        if values["stance"] and service.without_hypothesis(db=db, code_ids=code_ids):
            query["dropped"] = values["stance"]  # said after saving: not kept for a theme
        # No fragment: the page gives the focus back to the passage field (a fragment's
        # target would keep the browser from it).
        target = url_for(request, "coding_resource", query, resource_id=resource_id)
        return RedirectResponse(target, status_code=303)

    return await run_in_threadpool(work)


@router.post("/codings/{coding_id}/delete", name="coding_delete", dependencies=CODE)
def coding_delete(request: Request, db: Db, identity: IdentityDep, coding_id: CodingId) -> Response:
    resource_id = service.delete_coding(db=db, coding_id=coding_id, account_id=identity.account_id,
                                        any_coder=identity.can("admin"))  # fmt: skip
    target = url_for(request, "coding_resource", resource_id=resource_id)
    return RedirectResponse(target + "#codings", status_code=303)


@router.post("/resources/{resource_id}/memos", name="coding_memo", dependencies=CODE)
async def coding_memo(request: Request, db: Db, identity: IdentityDep,
                      resource_id: ResourceId) -> Response:  # fmt: skip
    form = await request.form()

    def work() -> Response:
        try:
            service.add_memo(db=db, target="resource", target_id=resource_id,
                             text=_text(form, "text") or "", account_id=identity.account_id)  # fmt: skip
        except InvalidInput as error:
            return _resource_page(request, db, resource_id, error=error)
        target = url_for(request, "coding_resource", resource_id=resource_id)
        return RedirectResponse(target + "#memos", status_code=303)

    return await run_in_threadpool(work)


# --- the codebook, agreement, REFI-QDA ---------------------------------------------------------


def _codebook_page(request: Request, db: Any, *, error: MaillageError | None = None,
                   report: Mapping[str, Any] | None = None,
                   values: Mapping[str, Any] | None = None) -> Response:  # fmt: skip
    context = {"book": service.codebook(db=db), "agreement": service.agreement(db=db),
               "resources": service.resources_to_code(db=db),
               "report": report, "values": values or {},
               "error": _say(request, error) if error else None,
               "error_field": getattr(error, "field", None)}  # fmt: skip
    return _render(request, "codebook.html", context, status_of(error) if error else 200)


@router.get("/codebook", name="codebook", dependencies=CODE)
def codebook_page(request: Request, db: Db) -> Response:
    """The code tree with its use, the agreement between coders per code, import, export."""
    return _codebook_page(request, db)


@router.post("/codebook/codes", name="code_add", dependencies=CODE)
async def code_add(request: Request, db: Db, identity: IdentityDep) -> Response:
    form = await request.form()
    values = {k: _text(form, k) for k in ("name", "parent_id", "description", "color")}

    def work() -> Response:
        try:
            service.add_code(db=db, name=values["name"] or "", parent_id=_int(form, "parent_id"),
                             description=values["description"], color=values["color"],
                             by=identity.audit_user)  # fmt: skip
        except InvalidInput as error:
            return _codebook_page(request, db, error=error, values=values)
        return RedirectResponse(url_for(request, "codebook"), status_code=303)

    return await run_in_threadpool(work)


async def _upload(request: Request) -> tuple[str, bytes]:
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise InvalidInput("file", None, "un fichier à importer", "a file to import")
    data = await upload.read(MAX_IMPORT + 1)
    if len(data) > MAX_IMPORT:
        raise InvalidInput("file", upload.filename, f"au plus {MAX_IMPORT // 2**20} Mo",
                           f"at most {MAX_IMPORT // 2**20} MB")  # fmt: skip
    return upload.filename, data


async def _import(request: Request, db: Any, identity: Identity, kind: str) -> Response:
    try:
        name, data = await _upload(request)
        work = service.import_codebook if kind == "codebook" else service.import_project
        report = await run_in_threadpool(
            lambda: work(db=db, data=data, file=name, by=identity.audit_user)
        )
    except InvalidInput as error:
        return await run_in_threadpool(partial(_codebook_page, request, db, error=error))
    return await run_in_threadpool(partial(_codebook_page, request, db, report=report))


@router.post("/codebook/import", name="codebook_import", dependencies=CODE)
async def codebook_import(request: Request, db: Db, identity: IdentityDep) -> Response:
    """Add the codes of a REFI-QDA codebook (``.qdc``)."""
    return await _import(request, db, identity, "codebook")


@router.post("/coding/import", name="coding_import", dependencies=[require("admin")])
async def coding_import(request: Request, db: Db, identity: IdentityDep) -> Response:
    """Import a REFI-QDA project (``.qdpx``): its sources become resources (an import:
    administrators)."""
    return await _import(request, db, identity, "project")


def _attachment(data: bytes, name: str, media: str) -> Response:
    return Response(data, media_type=media, headers={
        "Content-Disposition": f'attachment; filename="{name}"', **PRIVATE})  # fmt: skip


@router.get("/codebook.qdc", name="codebook_qdc", dependencies=CODE)
def codebook_qdc(db: Db) -> Response:
    """The codebook as REFI-QDA ``.qdc`` (valid against Codebook.xsd)."""
    return _attachment(service.export_codebook(db=db), "maillage-codes.qdc", "application/xml")


@router.get("/coding/project.qdpx", name="coding_qdpx", dependencies=CODE)
def coding_qdpx(db: Db) -> Response:
    """The coded resources, codebook, codings and memos as REFI-QDA ``.qdpx``."""
    return _attachment(service.export_project(db=db), "maillage-codage.qdpx", "application/zip")


# --- the seven hypotheses -------------------------------------------------------------------


def _labels(lang: Lang) -> dict[str, str]:
    return {t.code: t.label(lang) for t in taxonomy.load("worlds")}


@router.get("/hypotheses", name="hypotheses", dependencies=READ)
def hypotheses_page(request: Request, db: Db) -> Response:
    """The seven lessons of the note with their evidence for and against."""
    lang = request_lang(request)
    context = {"hyps": service.hypotheses(db=db, lang=lang), "world_labels": _labels(lang),
               "thin_below": service.THIN_BELOW}  # fmt: skip
    response = _render(request, "hypotheses.html", context)
    response.headers["Cache-Control"] = "no-cache"
    return response


@router.get("/hypotheses.csv", name="hypotheses_csv", dependencies=READ)
def hypotheses_csv(request: Request, db: Db) -> Response:
    """One row per coded passage: hypothesis, stance, quote, source, year, worlds, territories."""
    rows = service.evidence_rows(db=db, lang=request_lang(request))
    return StreamingResponse(
        generate_csv(rows, list(service.EVIDENCE_COLUMNS)), media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="hypotheses.csv"'},
    )  # fmt: skip


@api_router.get("/hypotheses", name="api_hypotheses", dependencies=READ)
def api_hypotheses(request: Request, db: Db) -> Any:
    """The seven hypotheses: passages for and against by world, territory and year;
    ``thin`` when fewer than three resources bear on one (or on one cell)."""
    return service.hypotheses(db=db, lang=request_lang(request))


@api_router.get("/codebook", name="api_codebook", dependencies=CODE)
def api_codebook(db: Db) -> Any:
    """The codebook in tree order, with each code's use."""
    return service.codebook(db=db)


@api_router.get("/coding/agreement", name="api_coding_agreement", dependencies=CODE)
def api_coding_agreement(db: Db) -> Any:
    """Per code: Cohen's kappa per pair of coders and Krippendorff's alpha."""
    return service.agreement(db=db)


class CodingIn(BaseModel):
    code_ids: list[int] = Field(min_length=1, max_length=50)
    quote: str = Field("", max_length=service.MAX_QUOTE)
    start: int | None = Field(None, ge=0)
    end: int | None = Field(None, ge=0)
    stance: str | None = Field(None, description="supports, nuances or contradicts")
    memo: str | None = Field(None, max_length=5000)


@api_router.post("/resources/{resource_id}/codings", name="api_coding_add", status_code=201,
                 dependencies=CODE)  # fmt: skip
def api_coding_add(db: Db, identity: IdentityDep, resource_id: ResourceId, body: CodingIn) -> Any:
    """Code a passage (given by offsets and/or words) with one or more codes; a stance
    is kept only for the codes under a hypothesis (``stance_not_kept_for``: the others)."""
    ids = service.add_coding(
        db=db, resource_id=resource_id, code_ids=body.code_ids, account_id=identity.account_id, quote=body.quote, start=body.start, end=body.end,
        stance=body.stance, memo=body.memo,
    )  # fmt: skip
    unkept = service.without_hypothesis(db=db, code_ids=body.code_ids) if body.stance else []
    return {"codings": ids, "stance_not_kept_for": unkept}
