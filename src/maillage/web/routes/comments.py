"""The debate on the portal: comment threads, replies, stances, reports, follows and
e-mail notifications; ``/api/debate/...`` and ``/api/comments/...`` twins.

The thread of an actor, a link or a territory is fetched by its page (htmx, the
``_comments.html`` partial) and has a page of its own, ``/debate/{entity}/{ref}``
(the one of needs and proposals). Comments are plain text: everything a person wrote
is escaped, and web addresses become links (:func:`text_html`). Each route declares
its permission; the writes are rate-limited (``contribution``) and their forms carry
the CSRF token. Notifications are sent after the answer (a background task), in
French then English, as plain text only (no HTML part for a script to hide in), each
with the link that turns them off.
"""

from __future__ import annotations

import logging
import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, BackgroundTasks, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from markupsafe import Markup, escape
from pydantic import BaseModel, Field

from maillage.model.errors import MaillageError
from maillage.model.permissions import Identity
from maillage.services import comments, mail, moderation, notifications
from maillage.services.comments import Comment, Thread
from maillage.settings import Settings
from maillage.web.deployment import public_base
from maillage.web.errors import status_of
from maillage.web.i18n import N_, Gettext
from maillage.web.params import MAX_ID, SAFE_TEXT, Db
from maillage.web.security import IdentityDep, require, throttle
from maillage.web.templating import Templates, request_lang, url_for, url_path

log = logging.getLogger(__name__)

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)
api_router = APIRouter(prefix="/api", tags=["debate"])

READ = [require("read")]
WRITE = [require("contribute"), throttle("contribution")]
ACCOUNT = [require("account")]

Entity = Annotated[str, Path(max_length=20, pattern=r"^[a-z_]+$")]
Ref = Annotated[str, Path(max_length=40, pattern=SAFE_TEXT)]
CommentId = Annotated[int, Path(ge=1, le=MAX_ID)]
Body = Annotated[str, Form(max_length=comments.MAX_BODY * 2)]
Stance = Annotated[str, Form(max_length=20)]
ParentId = Annotated[int | None, Form(ge=1, le=MAX_ID)]

STANCES = {"for": N_("For"), "against": N_("Against"), "question": N_("Question")}
REASONS = {
    "spam": N_("Spam"),
    "offensive": N_("Offensive or insulting"),
    "off_topic": N_("Off topic"),
    "personal_data": N_("Personal data"),
    "other": N_("Other"),
}
_URL = re.compile(r"\bhttps?://[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}»"


def text_html(text: str) -> Markup:
    """``text`` (written by a person) as safe HTML: everything escaped, ``http(s)``
    addresses turned into links that pass no referrer and no ranking."""
    out: list[Markup] = []
    last = 0
    for found in _URL.finditer(text):
        address = found.group(0).rstrip(_TRAILING)
        out.append(escape(text[last : found.start()]))
        out.append(
            Markup('<a href="{0}" rel="nofollow ugc noopener noreferrer">{0}</a>').format(address)
        )
        last = found.start() + len(address)
    out.append(escape(text[last:]))
    return Markup("").join(out)


def render_page(
    request: Request, name: str, context: dict[str, Any], status: int = 200
) -> Response:
    templates: Templates = request.app.state.templates
    response = templates.render(request, name, context, status_code=status)
    response.headers["Cache-Control"] = "no-store"  # personal: forms, reports, follows
    return response


def _me(request: Request) -> Identity:
    found = getattr(request.state, "identity", None)
    return found if isinstance(found, Identity) else Identity()


def say(request: Request, error: MaillageError) -> str:
    return error.message_en if request_lang(request) == "en" else error.message_fr


def _subject_route(entity: str, ref: str) -> tuple[str, dict[str, str]]:
    """The route of a subject's page: its own (actor, link, territory), else its debate."""
    own = {"actor": ("actor", "actor_id"), "link": ("link", "link_id"),
           "territory": ("territory", "code")}.get(entity)  # fmt: skip
    if own:
        return own[0], {own[1]: ref}
    return "debate", {"entity": entity, "ref": ref}


def subject_url(request: Request, entity: str, ref: str) -> str:
    """The page of a subject (:func:`_subject_route`)."""
    name, params = _subject_route(entity, ref)
    return url_for(request, name, None, **params)


def thread_context(
    request: Request, db: Any, entity: str, ref: str, *, error: str | None = None,
    values: dict[str, Any] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """What ``_comments.html`` shows of the thread about ``entity``/``ref``."""
    me = _me(request)
    moderator = me.can("moderate")
    found = comments.thread(db=db, entity=entity, ref=ref, moderator=moderator)
    mine: set[int] = set()
    following = False
    if me.account_id is not None:
        ids = [c.id for c in found.comments]
        mine = moderation.reported_by(db=db, user_id=me.account_id, comment_ids=ids)
        following = notifications.is_following(db=db, user_id=me.account_id, entity=entity, ref=ref)
    return {
        "thread": found, "me": me, "moderator": moderator, "reported": mine,
        "following": following, "text_html": text_html, "stances": STANCES,
        "reasons": REASONS, "error": error, "values": values or {},
        "subject_url": subject_url(request, entity, ref), "max_body": comments.MAX_BODY,
        "subject_path": url_path(request, *_subject_route(entity, ref)),
        "edit_minutes": int(comments.EDIT_WINDOW.total_seconds() // 60),
    }  # fmt: skip


# --- pages ----------------------------------------------------------------------------


@router.get("/debate/{entity}/{ref}", name="debate", dependencies=READ)
def debate_page(request: Request, db: Db, entity: Entity, ref: Ref) -> Response:
    """The thread about a subject on a page of its own."""
    return render_page(request, "debate.html", thread_context(request, db, entity, ref))


@router.get("/debate/{entity}/{ref}/thread", name="comment_thread", dependencies=READ)
def thread_fragment(request: Request, db: Db, entity: Entity, ref: Ref) -> Response:
    """The thread as an HTML fragment, fetched by the subject's page."""
    return render_page(request, "_comments.html", thread_context(request, db, entity, ref))


def _back_to(request: Request, entity: str, ref: str, comment_id: int | None = None) -> Response:
    target = subject_url(request, entity, ref)
    return RedirectResponse(
        target + (f"#comment-{comment_id}" if comment_id else "#debate"), status_code=303
    )


def _refused(
    request: Request, db: Any, entity: str, ref: str, error: MaillageError,
    values: dict[str, Any],
) -> Response:  # fmt: skip
    """The debate page again, with what went wrong and what was typed."""
    context = thread_context(request, db, entity, ref, error=say(request, error), values=values)
    return render_page(request, "debate.html", context, status_of(error))


@router.post("/debate/{entity}/{ref}/comments", name="comment_add", dependencies=WRITE)
def comment_add(
    request: Request, background: BackgroundTasks, db: Db, identity: IdentityDep,
    entity: Entity, ref: Ref, body: Body, stance: Stance = "", parent_id: ParentId = None,
) -> Response:  # fmt: skip
    try:
        added = comments.add_comment(
            db=db, user_id=identity.account_id or 0, entity=entity, ref=ref, body=body,
            stance=stance, parent_id=parent_id,
        )  # fmt: skip
    except MaillageError as error:
        comments.get_subject(db=db, entity=entity, ref=ref)  # an unknown subject: 404
        values = {"body": body, "stance": stance, "parent_id": parent_id}
        return _refused(request, db, entity, ref, error, values)
    background.add_task(notify, request.app.state.settings, db, added, _links(request, added))
    return _back_to(request, entity, ref, added.id)


@router.post("/comments/{comment_id}/edit", name="comment_edit", dependencies=WRITE)
def comment_edit(
    request: Request, db: Db, identity: IdentityDep, comment_id: CommentId, body: Body,
    stance: Stance = "",
) -> Response:  # fmt: skip
    before = comments.get_comment(db=db, comment_id=comment_id)
    try:
        comments.edit_comment(
            db=db, comment_id=comment_id, user_id=identity.account_id or 0, body=body,
            stance=stance,
        )  # fmt: skip
    except MaillageError as error:
        return _refused(request, db, before.entity, before.ref, error, {})
    return _back_to(request, before.entity, before.ref, comment_id)


@router.post("/comments/{comment_id}/report", name="comment_report", dependencies=WRITE)
def comment_report(
    request: Request, db: Db, identity: IdentityDep, comment_id: CommentId,
    reason: Annotated[str, Form(max_length=20)],
    details: Annotated[str, Form(max_length=moderation.MAX_DETAILS * 2)] = "",
) -> Response:  # fmt: skip
    before = comments.get_comment(db=db, comment_id=comment_id)
    try:
        moderation.report_comment(
            db=db, comment_id=comment_id, user_id=identity.account_id or 0, reason=reason,
            details=details,
        )  # fmt: skip
    except MaillageError as error:
        return _refused(request, db, before.entity, before.ref, error, {})
    return _back_to(request, before.entity, before.ref, comment_id)


@router.post("/debate/{entity}/{ref}/follow", name="follow", dependencies=ACCOUNT)
def follow(
    request: Request, db: Db, identity: IdentityDep, entity: Entity, ref: Ref,
    action: Annotated[Literal["follow", "unfollow"], Form()],
) -> Response:  # fmt: skip
    notifications.set_following(
        db=db, user_id=identity.account_id or 0, entity=entity, ref=ref, on=action == "follow"
    )
    return _back_to(request, entity, ref)


# --- notification settings --------------------------------------------------------------


@router.post("/account/notifications", name="account_notifications", dependencies=ACCOUNT)
def account_notifications(
    request: Request, db: Db, identity: IdentityDep,
    enabled: Annotated[str, Form(max_length=10)] = "",
) -> Response:  # fmt: skip
    """Turn e-mail notifications on (the box ticked) or off, from "my account"."""
    notifications.set_enabled(db=db, user_id=identity.account_id or 0, on=bool(enabled))
    return RedirectResponse(url_for(request, "account") + "#notifications", status_code=303)


@router.get("/notifications/unsubscribe", name="unsubscribe", dependencies=READ)
def unsubscribe_page(request: Request, key: Annotated[str, Query(max_length=100)] = "") -> Response:
    """The page of the link in every notification: a button turns them off (a mail
    scanner following the link changes nothing)."""
    return render_page(request, "unsubscribe.html", {"key": key, "done": None})


@router.post("/notifications/unsubscribe", name="unsubscribe_post", dependencies=READ)
def unsubscribe(request: Request, db: Db, key: Annotated[str, Form(max_length=100)]) -> Response:
    done = notifications.unsubscribe(db=db, key=key)
    return render_page(
        request, "unsubscribe.html", {"key": key, "done": done}, 200 if done else 404
    )


# --- e-mails --------------------------------------------------------------------------

MAIL_SUBJECTS = {
    "reply": N_("[maillage] A reply to your comment on %(title)s"),
    "follow": N_("[maillage] A new comment on %(title)s"),
}
MAIL_TEXT = {
    "reply": N_("%(author)s replied to your comment on %(title)s:"),
    "follow": N_("%(author)s commented on %(title)s, which you follow:"),
}
MAIL_FOOTER = N_(
    "Read and answer: %(link)s\n\nYou receive this e-mail because of your account on "
    "maillage. To receive no more notifications: %(unsubscribe)s"
)
QUOTE = 600


def _absolute(request: Request, path: str) -> str:
    """An address for an e-mail (:func:`~maillage.web.deployment.public_base`)."""
    settings: Settings = request.app.state.settings
    return public_base(settings) + path


def _links(request: Request, item: Comment) -> dict[str, str]:
    """The addresses a notification of ``item`` carries (the unsubscribe one without
    its key)."""
    name, params = _subject_route(item.entity, item.ref)
    path = url_path(request, name, params)
    return {
        "comment": _absolute(request, f"{path}#comment-{item.id}"),
        "unsubscribe": _absolute(request, url_path(request, "unsubscribe", {})) + "?key=",
    }


def one_line(text: str, limit: int = 120) -> str:
    """``text`` on one line (a mail header), control characters and line ends removed."""
    flat = " ".join(re.sub(r"[\x00-\x1f\x7f]", " ", text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def quoted(text: str) -> str:
    """``text`` quoted for a plain-text e-mail: each line after ``> ``, shortened."""
    short = text if len(text) <= QUOTE else text[: QUOTE - 1] + "…"
    return "\n".join("> " + line for line in short.splitlines())


def compose(item: Comment, title: str, why: str, links: dict[str, str], key: str) -> mail.Mail:
    """The notification of comment ``item`` (about ``title``) for one recipient: the
    subject and text in French, then in English. The address is filled by the caller."""
    values = {"author": one_line(item.author or "?", 80), "title": one_line(title, 80)}
    fr, en = Gettext("fr"), Gettext("en")
    footer = {"link": links["comment"], "unsubscribe": links["unsubscribe"] + key}
    parts = [
        f"{g.gettext(MAIL_TEXT[why], **values)}\n\n{quoted(item.body)}\n\n"
        f"{g.gettext(MAIL_FOOTER, **footer)}"
        for g in (fr, en)
    ]
    subject = fr.gettext(MAIL_SUBJECTS[why], **values)
    return mail.Mail("", subject, "\n\n-- \n\n".join(parts))


def notify(settings: Settings, db: Any, item: Comment, links: dict[str, str]) -> int:
    """Tell the people concerned of comment ``item`` (after the answer was sent);
    returns how many messages went. A failing server is logged, never raised."""
    title = comments.get_subject(db=db, entity=item.entity, ref=item.ref).title
    sent = 0
    for person in notifications.recipients(db=db, item=item):
        message = compose(item, title, person.why, links, person.key)
        try:
            unsubscribe = links["unsubscribe"] + person.key
            if mail.send(settings, mail.Mail(person.email, message.subject, message.text,
                                             unsubscribe)):  # fmt: skip
                sent += 1
        except mail.MailNotSent:
            log.warning("notification of comment %s not sent", item.id)
    return sent


# --- the API twins ----------------------------------------------------------------------


class CommentIn(BaseModel):
    """A new comment: its text, an optional stance, the comment it answers."""

    body: str = Field(max_length=comments.MAX_BODY * 2)
    stance: Literal["for", "against", "question"] | None = None
    parent_id: int | None = Field(None, ge=1, le=MAX_ID)


class CommentEdit(BaseModel):
    body: str = Field(max_length=comments.MAX_BODY * 2)
    stance: Literal["for", "against", "question"] | None = None


class ReportIn(BaseModel):
    reason: Literal["spam", "offensive", "off_topic", "personal_data", "other"]
    details: str | None = Field(None, max_length=moderation.MAX_DETAILS * 2)


class FollowIn(BaseModel):
    follow: bool


def thread_json(found: Thread) -> dict[str, Any]:
    """A thread as JSON: its subject, counts by stance and nested comments."""
    subject = found.subject
    return {
        "subject": {"entity": subject.entity, "ref": subject.ref, "title": subject.title},
        "counts": found.counts,
        "comments": found.tree(),
    }


@api_router.get("/debate/{entity}/{ref}", name="api_debate", dependencies=READ)
def api_debate(request: Request, db: Db, entity: Entity, ref: Ref) -> dict[str, Any]:
    """The thread about a subject (``entity``: actor, link, territory, need, proposal)."""
    moderator = _me(request).can("moderate")
    return thread_json(comments.thread(db=db, entity=entity, ref=ref, moderator=moderator))


@api_router.post(
    "/debate/{entity}/{ref}/comments", name="api_comment_add", status_code=201, dependencies=WRITE
)
def api_comment_add(
    request: Request, background: BackgroundTasks, db: Db, identity: IdentityDep,
    entity: Entity, ref: Ref, data: CommentIn,
) -> dict[str, Any]:  # fmt: skip
    """Comment on a subject (in answer to ``parent_id``)."""
    added = comments.add_comment(
        db=db, user_id=identity.account_id or 0, entity=entity, ref=ref, body=data.body,
        stance=data.stance, parent_id=data.parent_id,
    )  # fmt: skip
    background.add_task(notify, request.app.state.settings, db, added, _links(request, added))
    return comments.as_json(added)


@api_router.patch("/comments/{comment_id}", name="api_comment_edit", dependencies=WRITE)
def api_comment_edit(
    db: Db, identity: IdentityDep, comment_id: CommentId, data: CommentEdit
) -> dict[str, Any]:
    """Correct one's comment within the edit window."""
    edited = comments.edit_comment(
        db=db, comment_id=comment_id, user_id=identity.account_id or 0, body=data.body,
        stance=data.stance,
    )  # fmt: skip
    return comments.as_json(edited)


@api_router.post(
    "/comments/{comment_id}/reports", name="api_comment_report", status_code=201,
    dependencies=WRITE,
)  # fmt: skip
def api_comment_report(
    db: Db, identity: IdentityDep, comment_id: CommentId, data: ReportIn
) -> JSONResponse:
    """Report a comment (once), with a reason."""
    found = moderation.report_comment(
        db=db, comment_id=comment_id, user_id=identity.account_id or 0, reason=data.reason,
        details=data.details,
    )  # fmt: skip
    return JSONResponse({"id": found.id, "comment_id": found.comment_id, "reason": found.reason},
                        status_code=201)  # fmt: skip


@api_router.put("/debate/{entity}/{ref}/follow", name="api_follow", dependencies=ACCOUNT)
def api_follow(
    db: Db, identity: IdentityDep, entity: Entity, ref: Ref, data: FollowIn
) -> dict[str, bool]:
    """Follow a subject (told of its new comments by e-mail), or stop."""
    notifications.set_following(
        db=db, user_id=identity.account_id or 0, entity=entity, ref=ref, on=data.follow
    )
    return {"following": data.follow}
