"""The guided questionnaire: one question a page, then the action plan. Thin: no rule logic here.

A walk's answers are loaded and saved through the app's ``WalkStore`` (walk_store.py); the pages
never see how they are kept.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from app.case_notes import outcome_as_text
from app.counts.store import CountsUnavailable
from app.engine import AnswerError, ContactOut, Outcome, ReferralOut, Route, assess, route, validate_answers

from . import counting, htmx
from .answer_form import MAX_FIELD_VALUES, NONE_VALUE, FormProblem, posted_values, read_answer, read_form
from .app_state import AppState, State
from .errors import WalkNotFound
from .methods import is_head
from .render import page
from .walk_token import Walk, new_walk_id, valid_walk_id

# Act-now actions shown as urgent banners above every question once listed, in this order (999 first).
# Their words come from the pack: each action's short_title and summary, as chosen for this user.
BANNER_ACTIONS = ("emergency_999", "interpreter", "communication_adjustments", "speak_alone")
# The plan's "Do now" card lists the actions of this urgency and more urgent: act now (1) and today (2).
DO_NOW_URGENCY = 2

router = APIRouter(include_in_schema=False)


@dataclass
class FieldError:
    """A question's error as the question page shows it."""

    question: str
    message: str


# ----------------------------------------------------------------------------- walk state


def _walk(state: AppState, request: Request, walk_id: str) -> Walk:
    """The walk from the store, keeping only the answers the loaded packs still accept (a pack may
    have changed since they were given)."""
    if not valid_walk_id(walk_id):
        raise WalkNotFound()
    walk = state.walk_store.load(request, walk_id)
    book = state.rulebook
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


def _outcome(state: AppState, walk: Walk) -> Outcome:
    return assess(state.rulebook, walk.answers, preset=state.settings.preset)


def _route(state: AppState, walk: Walk) -> Route:
    """Where the walk stands, without building the outcome: enough to choose the next page."""
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


def _save_and_go_on(state: AppState, request: Request, walk: Walk) -> Response:
    """Keep the walk and go to its next page."""
    return state.walk_store.save(request, _redirect(_next_url(walk, _route(state, walk))), walk)


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


def _exclusive(state: AppState, qid: str) -> dict[str, str]:
    """A multi-choice question's options chosen only on their own (the pack's ``exclusive``, such as
    "Not known yet"), with the words shown for them."""
    book = state.rulebook
    if not book.has_question(qid):
        return {}
    labels = {o.value: o.label for o in state.questions[qid].options}
    return {o.value: labels.get(o.value, o.label) for o in book.question(qid).options if o.exclusive}


def _sections(state: AppState) -> list[str]:
    """The questions' sections, in the pack's order: "Section x of y" on each question page."""
    sections: list[str] = []
    for q in state.rulebook.questions:
        if q.section and q.section not in sections:
            sections.append(q.section)
    return sections


def _question_context(state: AppState, request: Request, walk: Walk, qid: str, outcome: Outcome) -> dict[str, Any]:
    info = state.questions[qid]
    ids = [a.id for a in outcome.answered]
    if qid in ids:
        back = f"/w/{walk.id}/q/{ids[ids.index(qid) - 1]}" if ids.index(qid) > 0 else "/"
    else:
        back = f"/w/{walk.id}/q/{ids[-1]}" if ids else "/"
    current = walk.answers.get(qid)
    if info.type == "multi_choice" and current == []:
        current = [NONE_VALUE]
    sections = _sections(state)
    return {
        "section_number": sections.index(info.section) + 1 if info.section in sections else None,
        "section_count": len(sections) if info.section in sections else None,
        "walk_id": walk.id, "question": info, "current": current, "back_url": back,
        "banners": _banners(outcome), "outcome": outcome, "answered_count": len(ids),
        "change": request.query_params.get("change") == "1",
        "seconds_left": state.walk_store.seconds_left(walk),
        "exclusive": _exclusive(state, qid) if info.type == "multi_choice" else {},
    }


def _allowed_now(qid: str, where: Route) -> bool:
    return qid in where.answered or any(qid == q for q, _ in where.optional) or where.next_question == qid


# ----------------------------------------------------------------------------- pages


@router.get("/", response_class=HTMLResponse)
def start_page(request: Request, state: State) -> HTMLResponse:
    return page(request, "start.html", title="Pathway: modern slavery decision support",
                counting=state.counts is not None)


@router.post("/start")
async def start(request: Request, state: State) -> Response:
    """Start a walk: empty, or (from the quick check's "answer every question") with the quick
    check's answers, posted as form fields so that they never appear in a URL. Only the quick
    questions' own ids and values are kept; anything else in the form is left out."""
    walk = Walk(new_walk_id())
    form = await read_form(request, MAX_FIELD_VALUES * 2)
    book = state.rulebook
    preset = state.settings.preset or {}
    quick = {q.id for q in book.questions if q.quick_check and q.id not in preset}
    for qid in form:
        values = posted_values(form, qid)
        if qid not in quick or len(values) != 1 or not values[0]:
            continue
        try:
            validate_answers(book, {qid: values[0]})
        except AnswerError:
            continue
        walk.answers[qid] = values[0]
    return _save_and_go_on(state, request, walk)


@router.get("/w/{walk_id}")
def resume(request: Request, walk_id: str, state: State) -> Response:
    walk = _walk(state, request, walk_id)
    return _redirect(_next_url(walk, _route(state, walk)))


@router.get("/w/{walk_id}/q/{qid}", response_class=HTMLResponse)
def question_page(request: Request, walk_id: str, qid: str, state: State) -> Response:
    walk = _walk(state, request, walk_id)
    outcome = _outcome(state, walk)
    where = Route.of(outcome)
    if qid not in state.questions or not _allowed_now(qid, where):
        return _redirect(_next_url(walk, where))
    context = _question_context(state, request, walk, qid, outcome)
    # Showing a page changes nothing: the walk is renewed only by a POST (an answer, or carrying on).
    return page(request, "question.html", title=context["question"].text, **context)


@router.post("/w/{walk_id}/q/{qid}")
async def answer(request: Request, walk_id: str, qid: str, state: State) -> Response:
    walk = _walk(state, request, walk_id)
    # The walk alone says whether this question may be answered now and where to go next; the
    # whole outcome (ten times the work) is built only to show the form again with an error.
    where = _route(state, walk)
    if qid not in state.questions or not _allowed_now(qid, where):
        return _redirect(_next_url(walk, where))
    info = state.questions[qid]
    form = await read_form(request, MAX_FIELD_VALUES + 5)
    value, problem = read_answer(form, qid, info.type, [o.value for o in info.options], _exclusive(state, qid))
    if problem is None:
        try:  # never store an answer the engine would refuse: the next page could not be shown
            validate_answers(state.rulebook, {qid: value})
        except AnswerError:
            problem = FormProblem("not_listed")
    if problem is not None:
        context = _question_context(state, request, walk, qid, _outcome(state, walk))
        context["error"] = FieldError(qid, problem.message)
        if info.type == "multi_choice":  # re-show the boxes as they were ticked (only ever compared, never echoed)
            context["current"] = posted_values(form, qid)[:MAX_FIELD_VALUES]
        return htmx.no_push(page(request, "question.html", status=422, title=f"Error: {info.text}", **context))
    walk.answers[qid] = value
    if qid in walk.skipped_optional:
        walk.skipped_optional.remove(qid)
    return _save_and_go_on(state, request, walk)


@router.post("/w/{walk_id}/q/{qid}/skip")
def skip_optional(request: Request, walk_id: str, qid: str, state: State) -> Response:
    walk = _walk(state, request, walk_id)
    info = state.questions.get(qid)
    if info is not None and info.optional and qid not in walk.skipped_optional:
        walk.skipped_optional.append(qid)
        walk.answers.pop(qid, None)
    return _save_and_go_on(state, request, walk)


@router.get("/w/{walk_id}/outcome", response_class=HTMLResponse)
def outcome_page(request: Request, walk_id: str, state: State) -> Response:
    walk = _walk(state, request, walk_id)
    outcome = _outcome(state, walk)
    if not outcome.complete:
        return _redirect(_next_url(walk, Route.of(outcome)))
    counted = False
    if state.counts is not None and not is_head(request.scope):  # a HEAD never counts (methods.py)
        # Unavailable: the plan as usual, the token left as it was, to try again next time.
        with contextlib.suppress(CountsUnavailable):
            counted = counting.recount(state.counts, walk, outcome)
    response = _plan(state, request, walk, outcome, recorded=request.query_params.get("recorded") == "1")
    if counted:  # record what the walk counted, without renewing it (only a POST renews a walk)
        walk.renew = False
        state.walk_store.save(request, response, walk)
    return response


def _plan(state: AppState, request: Request, walk: Walk, outcome: Outcome, status: int = 200,
          **context: Any) -> HTMLResponse:
    """The plan page, with the "What have you done?" form below it when counting is on."""
    groups: dict[int, list[Any]] = {}
    for referral in outcome.referrals:
        groups.setdefault(referral.urgency, []).append(referral)
    ignored = [state.questions[q] for q in outcome.ignored_answers if q in state.questions]
    context.setdefault("done", counting.done_of(walk))
    context.setdefault("done_error", None)
    context.setdefault("recorded", False)
    return page(
        request, "outcome.html", status=status, title=context.pop("title", "Your action plan"), walk_id=walk.id,
        outcome=outcome, groups=groups, do_now=_do_now(outcome), repeated=_repeated_contacts(outcome),
        ignored=ignored, seconds_left=state.walk_store.seconds_left(walk), counting=state.counts is not None,
        done_options=counting.DONE_OPTIONS, **context,
    )


@router.post("/w/{walk_id}/done")
async def record_done(request: Request, walk_id: str, state: State) -> Response:
    """The "What have you done?" form: the referrals made, counted like the plan (counting.py), and
    changeable while the walk lives. Only when counting is on."""
    walk = _walk(state, request, walk_id)
    if state.counts is None:
        return page(request, "error.html", status=404, title="Page not found",
                    message="This service does not record what was done: counting is not turned on.")
    outcome = _outcome(state, walk)
    if not outcome.complete:
        return _redirect(_next_url(walk, Route.of(outcome)))
    form = await read_form(request, MAX_FIELD_VALUES)
    done = posted_values(form, "done")
    unexpected = [k for k in form if k != "done"]
    unknown = [v for v in done if v not in counting.DONE_OPTIONS]
    if unexpected or unknown or len(done) > len(counting.DONE_OPTIONS):
        message = (f"The form had an unexpected field ({unexpected[0][:40]}). " if unexpected else
                   "The form sent a choice that is not listed. " if unknown else "Too many choices were sent. ")
        error = FieldError("done", message + "Tick the referrals you have made from the list, or none, and save.")
        kept = [v for v in done if v in counting.DONE_OPTIONS]
        return htmx.no_push(_plan(state, request, walk, outcome, status=400, title="Error: Your action plan",
                                  done=kept, done_error=error))
    try:
        counting.recount(state.counts, walk, outcome, done)
    except CountsUnavailable:
        error = FieldError("done", "What you have done could not be recorded just now, and nothing was changed. "
                           "Your plan is not affected: try saving again later.")
        return htmx.no_push(_plan(state, request, walk, outcome, status=503, title="Error: Your action plan",
                                  done=[v for v in counting.DONE_OPTIONS if v in done], done_error=error))
    return state.walk_store.save(request, _redirect(f"/w/{walk.id}/outcome?recorded=1#what-done"), walk)


@router.get("/w/{walk_id}/case-notes.txt")
def case_notes(request: Request, walk_id: str, state: State) -> Response:
    walk = _walk(state, request, walk_id)
    outcome = _outcome(state, walk)
    text = outcome_as_text(outcome, title="Pathway summary for case notes")
    if request.query_params.get("show") == "1":  # shown in the browser, to select and copy (or fetched by Copy)
        return PlainTextResponse(text)
    filename = f"pathway-summary-{dt.date.today():%Y-%m-%d}.txt"
    return PlainTextResponse(text, headers={"Content-Disposition": f'attachment; filename="{quote(filename)}"'})


@router.post("/w/{walk_id}/keepalive")
def keepalive(request: Request, walk_id: str, state: State) -> Response:
    walk = _walk(state, request, walk_id)
    return state.walk_store.save(request, Response(status_code=204), walk)


@router.post("/w/{walk_id}/clear")
async def clear(request: Request, walk_id: str, state: State) -> Response:
    """Clear the walk, once confirmed (the form's confirm=yes); without it, ask first. There is no
    undo: an undo would keep the answers on the device."""
    if not valid_walk_id(walk_id):
        raise WalkNotFound()
    form = await read_form(request, 5)
    if form.get("confirm") != "yes" and state.walk_store.holds(request, walk_id):  # nothing to ask without it
        return htmx.no_push(page(request, "clear_confirm.html", title="Are you sure you want to clear your answers?",
                                 walk_id=walk_id))
    return state.walk_store.clear(request, _redirect("/"), walk_id)


@router.post("/w/{walk_id}/exit")
def exit_page(request: Request, walk_id: str, state: State) -> Response:
    """Exit this page: clear the walk's answers and leave for the neutral exit address."""
    response = _redirect(state.settings.exit_url)
    return state.walk_store.clear(request, response, walk_id) if valid_walk_id(walk_id) else response


@router.get("/w/{walk_id}/exit")
def exit_link(walk_id: str, state: State) -> Response:
    """An old "Exit this page" link, or one followed from elsewhere: leave, changing nothing (a GET
    never clears a walk; the button's POST does)."""
    return _redirect(state.settings.exit_url)


@router.api_route("/exit", methods=["GET", "POST"])
def exit_without_walk(state: State) -> Response:
    """Exit this page before a case is started: there is nothing to clear."""
    return _redirect(state.settings.exit_url)


@router.get("/accessibility", response_class=HTMLResponse)
def accessibility(request: Request) -> HTMLResponse:
    return page(request, "accessibility.html", title="Accessibility statement")


@router.get("/privacy", response_class=HTMLResponse)
def privacy(request: Request, state: State) -> HTMLResponse:
    return page(request, "privacy.html", title="Privacy notice", counting=state.counts is not None)


@router.get("/static/{filename:path}")
def static(request: Request, filename: str, state: State) -> Response:
    return state.assets.serve(request, filename)
