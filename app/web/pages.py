"""The guided questionnaire: one question a page, then the action plan. Thin: no rule logic here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData

from app.case_notes import outcome_as_text
from app.engine.answers import validate_answers
from app.engine.errors import AnswerError
from app.engine.outcome import ContactOut, Outcome, ReferralOut
from app.engine.walk import URGENCY_LABELS, Route, assess, route

from . import htmx
from .walk_token import TokenProblem, Walk, cookie_name, new_walk_id, valid_walk_id

NONE_VALUE = "none"
# Act-now actions shown as urgent banners above every question once listed, in this order (999 first).
# Their words come from the pack: each action's short_title and summary, as chosen for this user.
BANNER_ACTIONS = ("emergency_999", "interpreter", "communication_adjustments", "speak_alone")
# The plan's "Do now" card lists the actions of this urgency and more urgent: act now (1) and today (2).
DO_NOW_URGENCY = 2
MAX_FIELD_VALUES = 20
# The longest field a form takes (name and value): the ids and options are far shorter. A longer
# field is refused (400) as the form is read, before any of it is decoded or checked.
MAX_FIELD_BYTES = 1024
FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"
# The cookie outlives its token by this long, so a walk that timed out is told so ("Your answers
# have timed out") rather than "We cannot find your answers". The token itself is refused once it
# is older than the session length.
EXPIRED_NOTICE_SECONDS = 3600

router = APIRouter(include_in_schema=False)


class WalkNotFound(Exception):
    """The walk id in the URL is not well formed."""


class FormNotAccepted(Exception):
    """A form body not sent as application/x-www-form-urlencoded, which is all this service's forms
    (and htmx) ever send: refused (415) before it is parsed, so a multipart body's own charset
    (UTF-7, unicode_escape, ...) is never used to decode anything."""


@dataclass
class FieldError:
    question: str
    message: str


async def read_form(request: Request, max_fields: int) -> FormData:
    """The posted form, or FormNotAccepted for any media type but a plain form (no Content-Type: empty)."""
    sent = request.headers.get("content-type")
    if sent is not None and sent.split(";", 1)[0].strip().lower() != FORM_MEDIA_TYPE:
        raise FormNotAccepted()
    return await request.form(max_files=0, max_fields=max_fields, max_part_size=MAX_FIELD_BYTES)


def templates(request: Request) -> Jinja2Templates:
    return request.app.state.templates  # type: ignore[no-any-return]


def page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Render a page: the whole document, or the #page fragment for htmx. Both share one template."""
    state = request.app.state.pathway
    context.setdefault("walk_id", None)
    context.setdefault("banners", [])
    context.setdefault("error", None)
    context.setdefault("seconds_left", None)
    context.update(
        request=request,
        fragment=htmx.is_htmx(request),
        settings=state.settings,
        assets=request.app.state.assets,
        htmx_src=htmx.HTMX_CDN_URL if not state.settings.htmx_local else
        f"/static/vendor/{htmx.HTMX_LOCAL_NAME}",
        htmx_sri=htmx.HTMX_SRI,
        htmx_config=htmx.HTMX_CONFIG,
        session_seconds=int(state.settings.session_minutes * 60),
        warning_seconds=int(state.settings.warning_minutes * 60),
        urgency_labels=URGENCY_LABELS,
    )
    response = templates(request).TemplateResponse(request, name, context, status_code=status)
    return htmx.vary(response)  # type: ignore[return-value]


# ----------------------------------------------------------------------------- walk state


def _walk(request: Request, walk_id: str) -> Walk:
    if not valid_walk_id(walk_id):
        raise WalkNotFound()
    codec = request.app.state.codec
    walk: Walk = codec.decode(request.cookies.get(cookie_name(walk_id)), walk_id)
    # Keep only answers the loaded packs still accept (a pack may have changed since).
    book = request.app.state.pathway.rulebook
    try:
        validate_answers(book, walk.answers)
    except AnswerError:
        clean: dict[str, Any] = {}
        for qid, value in walk.answers.items():
            try:
                validate_answers(book, {qid: value})
            except AnswerError:
                continue
            clean[qid] = value
        walk.answers = clean
    return walk


def _save(request: Request, response: Response, walk: Walk) -> Response:
    settings = request.app.state.pathway.settings
    response.set_cookie(
        cookie_name(walk.id), request.app.state.codec.encode(walk),
        max_age=int(settings.session_minutes * 60) + EXPIRED_NOTICE_SECONDS,
        path=f"/w/{walk.id}", httponly=True, samesite="strict", secure=request.scope.get("scheme") == "https",
    )
    return response


def _clear(request: Request, response: Response, walk_id: str) -> Response:
    """Delete the walk's cookie, but only one the request carried: a link to a walk from another site
    arrives without the SameSite=Strict cookie, and deleting it then would destroy the walk. (A HEAD
    response never carries Set-Cookie: methods.HeadAsGetMiddleware.)"""
    if cookie_name(walk_id) in request.cookies:
        response.delete_cookie(cookie_name(walk_id), path=f"/w/{walk_id}", httponly=True, samesite="strict")
    return response


def _outcome(request: Request, walk: Walk) -> Outcome:
    state = request.app.state.pathway
    return assess(state.rulebook, walk.answers, preset=state.settings.preset)


def _route(request: Request, walk: Walk) -> Route:
    """Where the walk stands, without building the outcome: enough to choose the next page."""
    state = request.app.state.pathway
    return route(state.rulebook, walk.answers, preset=state.settings.preset)


def _next_url(walk: Walk, where: Route) -> str:
    answered = set(where.answered)
    for qid, after in where.optional:
        if after in answered and qid not in walk.skipped_optional:
            return f"/w/{walk.id}/q/{qid}"
    if where.next_question is not None:
        return f"/w/{walk.id}/q/{where.next_question}"
    return f"/w/{walk.id}/outcome"


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _banners(outcome: Outcome) -> list[ReferralOut]:
    """The listed act-now actions shown as banners: the template shows each one's short_title and summary."""
    listed = {r.id: r for r in outcome.referrals}
    return [listed[aid] for aid in BANNER_ACTIONS if aid in listed]


def _do_now(outcome: Outcome) -> list[tuple[ReferralOut, list[ContactOut]]]:
    """The plan's "Do now" card: every act-now and today action, most urgent first, each with the
    routes the card shows: its first contact with a number or a link, then any out-of-hours line."""
    card = []
    for r in sorted((r for r in outcome.referrals if r.urgency <= DO_NOW_URGENCY), key=lambda r: r.urgency):
        reachable = [c for c in r.contacts if c.phone or c.url]
        routes = reachable[:1] + [c for c in reachable[1:] if c.phone and (c.slot or "").endswith("_out_of_hours")]
        card.append((r, routes))
    return card


def _repeated_contacts(outcome: Outcome) -> set[str]:
    """The contacts already shown higher up the plan, as "<action id>/<contact id>" and "need/<need id>":
    the page shows each again in one line (name, number, hours), without its notices and notes."""
    seen: set[str] = set()
    repeated: set[str] = set()
    shown = [(f"{r.id}/{c.id}", c.id) for r in outcome.referrals for c in r.contacts]
    shown += [(f"need/{n.id}", n.service.contact.id) for n in [*outcome.needs.immediate, *outcome.needs.longer_term]
              if n.service.contact is not None]
    for key, contact in shown:
        if contact in seen:
            repeated.add(key)
        seen.add(contact)
    return repeated


def _exclusive(request: Request, qid: str) -> dict[str, str]:
    """A multi-choice question's options chosen only on their own (the pack's ``exclusive``, such as
    "Not known yet"), with the words shown for them."""
    book = request.app.state.pathway.rulebook
    if not book.has_question(qid):
        return {}
    labels = {o.value: o.label for o in request.app.state.questions[qid].options}
    return {o.value: labels.get(o.value, o.label) for o in book.question(qid).options if o.exclusive}


def _sections(request: Request) -> list[str]:
    """The questions' sections, in the pack's order: "Section x of y" on each question page."""
    sections: list[str] = []
    for q in request.app.state.pathway.rulebook.questions:
        if q.section and q.section not in sections:
            sections.append(q.section)
    return sections


def _question_context(request: Request, walk: Walk, qid: str, outcome: Outcome) -> dict[str, Any]:
    info = request.app.state.questions[qid]
    ids = [a.id for a in outcome.answered]
    if qid in ids:
        back = f"/w/{walk.id}/q/{ids[ids.index(qid) - 1]}" if ids.index(qid) > 0 else "/"
    else:
        back = f"/w/{walk.id}/q/{ids[-1]}" if ids else "/"
    current = walk.answers.get(qid)
    if info.type == "multi_choice" and current == []:
        current = [NONE_VALUE]
    sections = _sections(request)
    return {
        "section_number": sections.index(info.section) + 1 if info.section in sections else None,
        "section_count": len(sections) if info.section in sections else None,
        "walk_id": walk.id, "question": info, "current": current, "back_url": back,
        "banners": _banners(outcome), "outcome": outcome, "answered_count": len(ids),
        "change": request.query_params.get("change") == "1",
        "seconds_left": request.app.state.codec.seconds_left(walk),
        "exclusive": _exclusive(request, qid) if info.type == "multi_choice" else {},
    }


def _allowed_now(qid: str, where: Route) -> bool:
    return qid in where.answered or any(qid == q for q, _ in where.optional) or where.next_question == qid


# ----------------------------------------------------------------------------- pages


@router.get("/", response_class=HTMLResponse)
def start_page(request: Request) -> HTMLResponse:
    return page(request, "start.html", title="Pathway: modern slavery decision support")


@router.post("/start")
async def start(request: Request) -> Response:
    """Start a walk: empty, or (from the quick check's "answer every question") with the quick
    check's answers, posted as form fields so that they never appear in a URL. Only the quick
    questions' own ids and values are kept; anything else in the form is left out."""
    walk = Walk(new_walk_id())
    form = await read_form(request, MAX_FIELD_VALUES * 2)
    book = request.app.state.pathway.rulebook
    preset = request.app.state.pathway.settings.preset or {}
    quick = {q.id for q in book.questions if q.quick_check and q.id not in preset}
    for qid in form:
        values = [v for v in form.getlist(qid) if isinstance(v, str)]
        if qid not in quick or len(values) != 1 or not values[0]:
            continue
        try:
            validate_answers(book, {qid: values[0]})
        except AnswerError:
            continue
        walk.answers[qid] = values[0]
    return _save(request, _redirect(_next_url(walk, _route(request, walk))), walk)


@router.get("/w/{walk_id}")
def resume(request: Request, walk_id: str) -> Response:
    walk = _walk(request, walk_id)
    return _redirect(_next_url(walk, _route(request, walk)))


@router.get("/w/{walk_id}/q/{qid}", response_class=HTMLResponse)
def question_page(request: Request, walk_id: str, qid: str) -> Response:
    walk = _walk(request, walk_id)
    outcome = _outcome(request, walk)
    where = Route.of(outcome)
    if qid not in request.app.state.questions or not _allowed_now(qid, where):
        return _redirect(_next_url(walk, where))
    context = _question_context(request, walk, qid, outcome)
    # Showing a page changes nothing: the cookie is renewed only by a POST (an answer, or carrying on).
    return page(request, "question.html", title=context["question"].text, **context)


def _read_answer(form: FormData, qid: str, qtype: str, values: list[str],
                 exclusive: dict[str, str] | None = None) -> tuple[Any, str | None]:
    """The answer posted for one question, or an error message for the user. ``exclusive``: the
    options chosen only on their own, with their words (besides "None of these")."""
    unexpected = [k for k in form if k != qid]
    if unexpected:
        return None, f"The form had an unexpected field ({unexpected[0][:40]}). Answer the question and continue."
    posted = [v for v in form.getlist(qid) if isinstance(v, str)]
    if len(posted) > MAX_FIELD_VALUES:
        return None, "Too many answers were sent. Choose from the options shown."
    if qtype == "multi_choice":
        if not posted:
            return None, "Select the options that apply, or \u201cNone of these\u201d"
        if NONE_VALUE in posted and len(posted) > 1:
            other = [v for v in posted if v in (exclusive or {})]
            if len(posted) == 2 and other:  # two answers that each stand alone
                return None, f"Select \u201cNone of these\u201d or \u201c{(exclusive or {})[other[0]]}\u201d, not both"
            return None, "Select the options that apply, or \u201cNone of these\u201d, not both"
        if posted == [NONE_VALUE]:
            return [], None
        if any(v not in values for v in posted) or len(set(posted)) != len(posted):
            return None, "Select from the options shown"
        alone = [v for v in posted if v in (exclusive or {})]
        if alone and len(posted) > 1:
            return None, f"Select the options that apply, or \u201c{(exclusive or {})[alone[0]]}\u201d, not both"
        return sorted(posted, key=values.index), None
    if not posted:
        return None, "Select an answer"
    if len(posted) > 1:
        return None, "Select one answer only"
    if posted[0] not in values:
        return None, "Select one of the answers shown"
    return posted[0], None


@router.post("/w/{walk_id}/q/{qid}")
async def answer(request: Request, walk_id: str, qid: str) -> Response:
    walk = _walk(request, walk_id)
    # The walk alone says whether this question may be answered now and where to go next; the
    # whole outcome (ten times the work) is built only to show the form again with an error.
    where = _route(request, walk)
    if qid not in request.app.state.questions or not _allowed_now(qid, where):
        return _redirect(_next_url(walk, where))
    info = request.app.state.questions[qid]
    form = await read_form(request, MAX_FIELD_VALUES + 5)
    value, error = _read_answer(form, qid, info.type, [o.value for o in info.options], _exclusive(request, qid))
    if error is None:
        try:  # never store an answer the engine would refuse: the next page could not be shown
            validate_answers(request.app.state.pathway.rulebook, {qid: value})
        except AnswerError:
            error = "Select from the options shown"
    if error is not None:
        context = _question_context(request, walk, qid, _outcome(request, walk))
        context["error"] = FieldError(qid, error)
        if info.type == "multi_choice":  # re-show the boxes as they were ticked (only ever compared, never echoed)
            context["current"] = [v for v in form.getlist(qid) if isinstance(v, str)][:MAX_FIELD_VALUES]
        return htmx.no_push(page(request, "question.html", status=422, title=f"Error: {info.text}", **context))
    walk.answers[qid] = value
    if qid in walk.skipped_optional:
        walk.skipped_optional.remove(qid)
    return _save(request, _redirect(_next_url(walk, _route(request, walk))), walk)


@router.post("/w/{walk_id}/q/{qid}/skip")
def skip_optional(request: Request, walk_id: str, qid: str) -> Response:
    walk = _walk(request, walk_id)
    info = request.app.state.questions.get(qid)
    if info is not None and info.optional and qid not in walk.skipped_optional:
        walk.skipped_optional.append(qid)
        walk.answers.pop(qid, None)
    return _save(request, _redirect(_next_url(walk, _route(request, walk))), walk)


@router.get("/w/{walk_id}/outcome", response_class=HTMLResponse)
def outcome_page(request: Request, walk_id: str) -> Response:
    walk = _walk(request, walk_id)
    outcome = _outcome(request, walk)
    if not outcome.complete:
        return _redirect(_next_url(walk, Route.of(outcome)))
    groups: dict[int, list[Any]] = {}
    for referral in outcome.referrals:
        groups.setdefault(referral.urgency, []).append(referral)
    ignored = [request.app.state.questions[q] for q in outcome.ignored_answers if q in request.app.state.questions]
    return page(
        request, "outcome.html", title="Your action plan", walk_id=walk.id, outcome=outcome, groups=groups,
        do_now=_do_now(outcome), repeated=_repeated_contacts(outcome), ignored=ignored,
        dets=outcome.determinations,
        seconds_left=request.app.state.codec.seconds_left(walk),
    )


@router.get("/w/{walk_id}/case-notes.txt")
def case_notes(request: Request, walk_id: str) -> Response:
    walk = _walk(request, walk_id)
    outcome = _outcome(request, walk)
    text = outcome_as_text(outcome, title="Pathway summary for case notes")
    if request.query_params.get("show") == "1":  # shown in the browser, to select and copy (or fetched by Copy)
        return PlainTextResponse(text)
    filename = f"pathway-summary-{dt.date.today():%Y-%m-%d}.txt"
    return PlainTextResponse(text, headers={"Content-Disposition": f'attachment; filename="{quote(filename)}"'})


@router.post("/w/{walk_id}/keepalive")
def keepalive(request: Request, walk_id: str) -> Response:
    walk = _walk(request, walk_id)
    return _save(request, Response(status_code=204), walk)


@router.post("/w/{walk_id}/clear")
async def clear(request: Request, walk_id: str) -> Response:
    """Clear the walk, once confirmed (the form's confirm=yes); without it, ask first. There is no
    undo: an undo would keep the answers on the device."""
    if not valid_walk_id(walk_id):
        raise WalkNotFound()
    form = await read_form(request, 5)
    if form.get("confirm") != "yes" and cookie_name(walk_id) in request.cookies:  # nothing to ask without it
        return htmx.no_push(page(request, "clear_confirm.html", title="Are you sure you want to clear your answers?",
                                 walk_id=walk_id))
    return _clear(request, _redirect("/"), walk_id)


@router.post("/w/{walk_id}/exit")
def exit_page(request: Request, walk_id: str) -> Response:
    """Exit this page: clear the walk's cookie and leave for the neutral exit address."""
    response = _redirect(request.app.state.pathway.settings.exit_url)
    return _clear(request, response, walk_id) if valid_walk_id(walk_id) else response


@router.get("/w/{walk_id}/exit")
def exit_link(request: Request, walk_id: str) -> Response:
    """An old "Exit this page" link, or one followed from elsewhere: leave, changing nothing (a GET
    never clears a walk; the button's POST does)."""
    return _redirect(request.app.state.pathway.settings.exit_url)


@router.api_route("/exit", methods=["GET", "POST"])
def exit_without_walk(request: Request) -> Response:
    """Exit this page before a case is started: there is nothing to clear."""
    return _redirect(request.app.state.pathway.settings.exit_url)


@router.get("/accessibility", response_class=HTMLResponse)
def accessibility(request: Request) -> HTMLResponse:
    return page(request, "accessibility.html", title="Accessibility statement")


@router.get("/privacy", response_class=HTMLResponse)
def privacy(request: Request) -> HTMLResponse:
    return page(request, "privacy.html", title="Privacy notice")


@router.get("/static/{filename:path}")
def static(request: Request, filename: str) -> Response:
    return request.app.state.assets.serve(request, filename)  # type: ignore[no-any-return]


def token_problem_page(request: Request, exc: TokenProblem) -> HTMLResponse:
    titles = {
        "expired": "Your answers have timed out",
        "missing": "We cannot find your answers",
        "invalid": "We cannot read your answers",
    }
    walk_id = request.path_params.get("walk_id")
    ours = isinstance(walk_id, str) and valid_walk_id(walk_id)
    # A link from another site arrives without the SameSite=Strict cookie: a link from this page
    # carries it, so "try again" finds the answers if they are still in this browser.
    retry = f"/w/{walk_id}" if ours and exc.reason == "missing" else None
    response = page(request, "walk_problem.html", status=400, title=titles[exc.reason], reason=exc.reason,
                    retry=retry)
    # A missing cookie is never deleted (see _clear); one that cannot be used any more is.
    if exc.reason != "missing" and ours:
        _clear(request, response, str(walk_id))
    return response
