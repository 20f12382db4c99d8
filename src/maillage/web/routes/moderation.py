"""Moderation of the debate on the portal: the queue of reported comments, hiding a
comment with a reason (the trace shown in its place), dismissing reports, blocking
and unblocking accounts; ``/api/moderation/...`` and ``/api/comments/.../hide`` twins.

Every route here needs the ``moderate`` permission (moderators, editors, admins).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from maillage.model.errors import MaillageError
from maillage.services import comments, moderation
from maillage.web.errors import status_of
from maillage.web.params import MAX_ID, Db
from maillage.web.routes.comments import (
    REASONS,
    STANCES,
    CommentId,
    render_page,
    say,
    subject_url,
    text_html,
)
from maillage.web.security import IdentityDep, require
from maillage.web.templating import url_for

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)
api_router = APIRouter(prefix="/api", tags=["moderation"])

MODERATE = [require("moderate")]
UserId = Annotated[int, Path(ge=1, le=MAX_ID)]
Reason = Annotated[str, Form(max_length=moderation.MAX_REASON * 2)]
Back = Annotated[Literal["page", "queue"], Form()]


def queue_page(
    request: Request, db: Any, *, error: str | None = None, status: int = 200
) -> Response:
    """The moderation page: reported comments, then blocked accounts."""
    items = moderation.report_queue(db=db)
    context = {
        "items": items, "blocked": moderation.blocked_accounts(db=db), "error": error,
        "text_html": text_html, "reasons": REASONS, "stances": STANCES,
        "subject_urls": {i.comment.id: subject_url(request, i.comment.entity, i.comment.ref)
                         for i in items},
    }  # fmt: skip
    return render_page(request, "comment_reports.html", context, status)


def _after(request: Request, db: Any, comment_id: int, back: str) -> Response:
    if back == "queue":
        return RedirectResponse(url_for(request, "comment_reports"), status_code=303)
    found = comments.get_comment(db=db, comment_id=comment_id)
    target = subject_url(request, found.entity, found.ref) + f"#comment-{comment_id}"
    return RedirectResponse(target, status_code=303)


@router.get("/moderation/comments", name="comment_reports", dependencies=MODERATE)
def reports_page(request: Request, db: Db) -> Response:
    return queue_page(request, db)


@router.post("/comments/{comment_id}/hide", name="comment_hide", dependencies=MODERATE)
def comment_hide(
    request: Request, db: Db, identity: IdentityDep, comment_id: CommentId, reason: Reason,
    back: Back = "page",
) -> Response:  # fmt: skip
    try:
        moderation.hide_comment(
            db=db, comment_id=comment_id, by=identity.account_id or 0, reason=reason
        )
    except MaillageError as error:
        return queue_page(request, db, error=say(request, error), status=status_of(error))
    return _after(request, db, comment_id, back)


@router.post("/comments/{comment_id}/unhide", name="comment_unhide", dependencies=MODERATE)
def comment_unhide(
    request: Request, db: Db, identity: IdentityDep, comment_id: CommentId, back: Back = "page"
) -> Response:
    moderation.unhide_comment(db=db, comment_id=comment_id, by=identity.account_id or 0)
    return _after(request, db, comment_id, back)


@router.post("/comments/{comment_id}/dismiss", name="comment_dismiss", dependencies=MODERATE)
def comment_dismiss(
    request: Request, db: Db, identity: IdentityDep, comment_id: CommentId
) -> Response:
    moderation.dismiss_reports(db=db, comment_id=comment_id, by=identity.account_id or 0)
    return _after(request, db, comment_id, "queue")


@router.post("/moderation/accounts/{user_id}/block", name="account_block", dependencies=MODERATE)
def account_block(
    request: Request, db: Db, identity: IdentityDep, user_id: UserId, reason: Reason
) -> Response:
    try:
        moderation.block_account(db=db, user_id=user_id, by=identity.account_id or 0,
                                 reason=reason)  # fmt: skip
    except MaillageError as error:
        return queue_page(request, db, error=say(request, error), status=status_of(error))
    return RedirectResponse(url_for(request, "comment_reports") + "#blocked", status_code=303)


@router.post(
    "/moderation/accounts/{user_id}/unblock", name="account_unblock", dependencies=MODERATE
)
def account_unblock(request: Request, db: Db, identity: IdentityDep, user_id: UserId) -> Response:
    try:
        moderation.unblock_account(db=db, user_id=user_id, by=identity.account_id or 0)
    except MaillageError as error:
        return queue_page(request, db, error=say(request, error), status=status_of(error))
    return RedirectResponse(url_for(request, "comment_reports") + "#blocked", status_code=303)


# --- the API twins ----------------------------------------------------------------------


class ReasonIn(BaseModel):
    reason: str = Field(max_length=moderation.MAX_REASON * 2)


@api_router.get("/moderation/comments", name="api_comment_reports", dependencies=MODERATE)
def api_reports(db: Db) -> dict[str, Any]:
    """The reported comments waiting for a moderator, and the blocked accounts."""
    items = moderation.report_queue(db=db)
    return {
        "reported": [
            {"comment": comments.as_json(i.comment),
             "reports": [{"reason": r.reason, "details": r.details,
                          "created_at": r.created_at.isoformat()} for r in i.reports]}
            for i in items
        ],
        "blocked": [
            {"user_id": b.user_id, "blocked_at": b.blocked_at.isoformat(),
             "blocked_by": b.blocked_by, "reason": b.reason}
            for b in moderation.blocked_accounts(db=db)
        ],
    }  # fmt: skip


@api_router.post("/comments/{comment_id}/hide", name="api_comment_hide", dependencies=MODERATE)
def api_comment_hide(
    db: Db, identity: IdentityDep, comment_id: CommentId, data: ReasonIn
) -> dict[str, Any]:
    """Hide a comment, with the reason shown in its place."""
    hidden = moderation.hide_comment(
        db=db, comment_id=comment_id, by=identity.account_id or 0, reason=data.reason
    )
    return comments.as_json(hidden)


@api_router.post("/comments/{comment_id}/unhide", name="api_comment_unhide", dependencies=MODERATE)
def api_comment_unhide(db: Db, identity: IdentityDep, comment_id: CommentId) -> dict[str, Any]:
    """Show a hidden comment again."""
    shown = moderation.unhide_comment(db=db, comment_id=comment_id, by=identity.account_id or 0)
    return comments.as_json(shown)


@api_router.post(
    "/moderation/accounts/{user_id}/block", name="api_account_block", dependencies=MODERATE
)
def api_account_block(
    db: Db, identity: IdentityDep, user_id: UserId, data: ReasonIn
) -> dict[str, Any]:
    """Block an account: it can no longer comment nor contribute."""
    moderation.block_account(db=db, user_id=user_id, by=identity.account_id or 0,
                             reason=data.reason)  # fmt: skip
    return {"user_id": user_id, "blocked": True}


@api_router.post(
    "/moderation/accounts/{user_id}/unblock", name="api_account_unblock", dependencies=MODERATE
)
def api_account_unblock(db: Db, identity: IdentityDep, user_id: UserId) -> dict[str, Any]:
    """Lift the block of an account."""
    moderation.unblock_account(db=db, user_id=user_id, by=identity.account_id or 0)
    return {"user_id": user_id, "blocked": False}
