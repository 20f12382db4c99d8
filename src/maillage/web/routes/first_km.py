"""The first kilometre (« Premier kilomètre »): a visitor's needs first, then where to go.

- ``GET /first-kilometre``: the questions (a plain form, no script needed); once
  answered, the answers come back in the address (linkable, the back button works)
  with the resources, places, allies and webinars of
  :func:`maillage.services.first_km.guide`, each with why it was chosen.
- ``POST /first-kilometre/needs``: the visitor's consent to keep their needs,
  anonymised (:func:`maillage.services.first_km.record_needs`); CSRF-checked like every
  form, rate-limited per address like the visitors' reports; then back to the results
  (303, post/redirect/get). Without the box ticked nothing is written.

Declaring needs is open to every reader (permission ``read``): nothing personal is
stored, and the answer only counts in groups of five on the territory's page.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from maillage.model import taxonomy
from maillage.model.errors import InvalidInput, MaillageError, NotFound
from maillage.services import first_km as service
from maillage.web.params import SAFE_TEXT, Db, LangDep
from maillage.web.security import require, throttle
from maillage.web.templating import Templates, url_for

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)

Text = Annotated[str, Query(max_length=200, pattern=SAFE_TEXT)]
Code = Annotated[str, Query(max_length=100, pattern=SAFE_TEXT)]


def _say(lang: str, error: MaillageError) -> str:
    return error.message_en if lang == "en" else error.message_fr


def _choices(lang: Any) -> dict[str, Any]:
    return {
        "worlds": [(t.code, t.label(lang)) for t in taxonomy.load("worlds")],
        "roles": service.roles(lang),
        "themes": [(t.code, t.label(lang), depth) for t, depth in taxonomy.tree("themes")],
        "levels": service.levels(lang),
    }


@router.get("/first-kilometre", name="first_km", dependencies=[require("read")])
def first_km_page(
    request: Request,
    db: Db,
    lang: LangDep,
    where: Text = "",
    world: Code = "",
    role: Code = "",
    theme: Annotated[list[str], Query()] = [],  # noqa: B006
    maturity: Annotated[int | None, Query(ge=1, le=4)] = None,
    kept: Annotated[str, Query(pattern="^(yes|no)?$")] = "",
) -> Response:
    """The questions and, once answered, what the first kilometre offers."""
    asked = {"where": where, "world": world, "role": role, "theme": theme, "maturity": maturity}
    found, error = None, None
    if where.strip() or world or theme or maturity:
        try:
            found = service.guide(
                db=db, where=where, world=world, themes=theme, maturity=maturity or 0,
                role=role or None, lang=lang,
            )  # fmt: skip
        except (InvalidInput, NotFound) as exc:
            error = _say(lang, exc)
    templates: Templates = request.app.state.templates
    context = {"asked": asked, "found": found, "error": error, "kept": kept,
               "choices": _choices(lang), "min_group": service.MIN_GROUP}  # fmt: skip
    response = templates.render(request, "first_km.html", context,
                                status_code=400 if error else 200)  # fmt: skip
    response.headers["Cache-Control"] = "no-store"  # the page carries a form token
    return response


@router.post(
    "/first-kilometre/needs",
    name="first_km_needs",
    dependencies=[require("read"), throttle("contribution")],
)
async def first_km_needs(request: Request, db: Db, lang: LangDep) -> Response:
    """Keep the declared needs, anonymised, when the visitor ticked the consent box;
    then back to the results (303)."""
    form = await request.form()
    values = {k: str(form.get(k) or "") for k in ("where", "world", "role", "maturity")}
    themes = [str(t) for t in form.getlist("theme")]
    consent = form.get("consent") == "yes"
    try:
        maturity = int(values["maturity"] or 0)
    except ValueError:
        raise InvalidInput("maturity", values["maturity"], "un niveau de 1 à 4",
                           "a level from 1 to 4") from None  # fmt: skip
    kept = service.record_needs(
        db=db, consent=consent, where=values["where"], world=values["world"], themes=themes,
        maturity=maturity,
    )  # fmt: skip
    query = [(k, v) for k, v in values.items() if v] + [("theme", t) for t in themes]
    query.append(("kept", "yes" if kept is not None else "no"))
    target = url_for(request, "first_km") + "?" + urlencode(query) + "#kept"
    return RedirectResponse(target, status_code=303)
