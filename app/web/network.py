"""The Network's dashboard (``/network``): the local pack's benchmarks month by month, the training
sessions trainers record, and the monthly figures as CSV, behind the Network's sign-in.

Sign-in is either a passphrase whose scrypt hash is ``PATHWAY_NETWORK_PASSPHRASE_HASH`` (made by
``pathway counts hash-passphrase``), or, with ``PATHWAY_NETWORK_AUTH=proxy``, the reverse proxy's
authentication: its header (``PATHWAY_NETWORK_PROXY_HEADER``) honoured only from the addresses in
``PATHWAY_NETWORK_TRUSTED_PROXIES``. A passphrase sign-in sets a session cookie (HttpOnly,
SameSite=Strict, Path=/network, a Fernet token under the walk cookies' key, expiring); five failures in
15 minutes from one address, counted in the database so every worker sees them, get 429 with
Retry-After. Every POST here checks ``Origin``: missing or another site's, 403.

Figures from walks are suppressed (``app.counts.suppression``); training figures are not. The CSV holds
monthly cells only, never a range's totals. The database unavailable: "figures unavailable", a calm 503.
"""

from __future__ import annotations

import base64
import binascii
import csv
import datetime as dt
import hashlib
import hmac
import io
import ipaddress
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from app.config import Settings
from app.counts.benchmarks import Picture, month_label, picture
from app.counts.chart import svg
from app.counts.model import Cell, TrainingSession
from app.counts.store import CountStore, CountsUnavailable
from app.counts.suppression import MONTH_FORMAT, MonthProblem, Shown, month_range, shift, show, show_as_is

from .answer_form import posted_values, read_form
from .app_state import AppState, State
from .clock import Today
from .forwarded import peer_address
from .render import page
from .walk_token import load_or_create_key

router = APIRouter(include_in_schema=False)

SESSION_COOKIE = "pathway_network"
SESSION_SECONDS = 8 * 3600
MAX_FAILURES = 5
FAILURE_WINDOW = dt.timedelta(minutes=15)
DASHBOARD_MONTHS = 12
OTHER_AGENCY = "Another agency"
# Not set up on this deployment: a calm 404 naming the setting (the feature is not there), never a 5xx.
NOT_SET_UP = "The Network's dashboard is not set up"
MAX_ATTENDEES = 10_000
# scrypt's cost: 2**14 x 8 x 1 takes about 16 MB and a few tens of milliseconds; a stored hash may ask
# for more, up to these bounds (a hash asking for more is refused as not set up, not computed).
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
SCRYPT_MAX = {"n": 2**17, "r": 16, "p": 4}


# ----------------------------------------------------------------------------------------- passphrase


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_passphrase(passphrase: str, *, salt: bytes | None = None) -> str:
    """The stored form of a passphrase: ``scrypt$n$r$p$salt$hash`` (url-safe base64)."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(passphrase.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


@dataclass(frozen=True)
class StoredHash:
    n: int
    r: int
    p: int
    salt: bytes
    digest: bytes


def parse_hash(stored: str) -> StoredHash | None:
    """A stored hash's parts, or None when it is not one ``hash_passphrase`` could have made."""
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != "scrypt" or not all(p.isdigit() for p in parts[1:4]):
        return None
    n, r, p = (int(x) for x in parts[1:4])
    if not (2 <= n <= SCRYPT_MAX["n"] and n & (n - 1) == 0 and 1 <= r <= SCRYPT_MAX["r"] and 1 <= p <= SCRYPT_MAX["p"]):
        return None
    try:
        salt, digest = _unb64(parts[4]), _unb64(parts[5])
    except (ValueError, binascii.Error):
        return None
    if len(salt) < 8 or len(digest) < 16:
        return None
    return StoredHash(n, r, p, salt, digest)


def passphrase_matches(passphrase: str, stored: StoredHash) -> bool:
    """Whether the passphrase is the one hashed (the digests compared in constant time)."""
    digest = hashlib.scrypt(passphrase.encode(), salt=stored.salt, n=stored.n, r=stored.r, p=stored.p,
                            dklen=len(stored.digest), maxmem=256 * 1024 * 1024)
    return hmac.compare_digest(digest, stored.digest)


# ---------------------------------------------------------------------------------- who is signed in


@cache
def _fernet(secret: str | None, key_path: Path) -> Fernet:
    """The walk cookies' Fernet key (PATHWAY_SECRET_KEY or the key file), read once per process."""
    return Fernet(load_or_create_key(secret, key_path))


def session_fernet(settings: Settings) -> Fernet:
    return _fernet(settings.secret_key, settings.key_path)


def session_token(settings: Settings, user: str) -> str:
    """A session: who signed in, for the Network (a walk's token can never pass for one)."""
    return session_fernet(settings).encrypt(json.dumps({"p": "network", "u": user}).encode()).decode()


def session_user(settings: Settings, token: str | None) -> str | None:
    """Who a session cookie is for, or None when it is missing, tampered with, foreign or expired."""
    if not token or len(token) > 2000:
        return None
    try:
        data = json.loads(session_fernet(settings).decrypt(token.encode(), ttl=SESSION_SECONDS))
    except (InvalidToken, ValueError, UnicodeError):
        return None
    if not isinstance(data, dict) or data.get("p") != "network" or not isinstance(data.get("u"), str):
        return None
    return str(data["u"])


def trusted_proxy(settings: Settings, address: str | None) -> bool:
    """Whether the request comes straight from one of PATHWAY_NETWORK_TRUSTED_PROXIES."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(net, strict=False) for net in settings.network_trusted_proxies)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def not_set_up(settings: Settings, counts: CountStore | None) -> str | None:
    """Why the dashboard cannot be used on this deployment (naming the setting), or None."""
    if counts is None:
        return "Counting is off on this deployment. The deployment turns it on with PATHWAY_COUNTS=on."
    if settings.network_auth == "proxy":
        if not settings.network_trusted_proxies:
            return ("Sign-in through the reverse proxy is chosen (PATHWAY_NETWORK_AUTH=proxy) but no proxy is "
                    "trusted: set PATHWAY_NETWORK_TRUSTED_PROXIES to the proxy's addresses.")
        return None
    if not settings.network_passphrase_hash:
        return ("No passphrase is set. The deployment sets PATHWAY_NETWORK_PASSPHRASE_HASH to the hash that "
                "`pathway counts hash-passphrase` prints (or uses PATHWAY_NETWORK_AUTH=proxy).")
    if parse_hash(settings.network_passphrase_hash) is None:
        return ("PATHWAY_NETWORK_PASSPHRASE_HASH is not a hash that `pathway counts hash-passphrase` makes: make "
                "it again with that command.")
    return None


def message(request: Request, status: int, title: str, text: str, **extra: Any) -> HTMLResponse:
    """A calm page saying why the dashboard cannot be shown."""
    return page(request, "network_message.html", status=status, title=title, message=text, **extra)


def signed_in(request: Request, state: AppState) -> str | Response:
    """Who is signed in, or the response to send instead: not set up (404), sign in (303), or for proxy
    sign-in without the trusted header, 403."""
    settings = state.settings
    problem = not_set_up(settings, state.counts)
    if problem:
        return message(request, 404, NOT_SET_UP, problem)
    if settings.network_auth == "proxy":
        named = request.headers.get(settings.network_proxy_header, "").strip()
        if named and trusted_proxy(settings, peer_address(request.scope)):
            return named[:200]
        return message(request, 403, "Sign in through your organisation",
                       "This dashboard is reached through your organisation's sign-in page. Open it from there.")
    user = session_user(settings, request.cookies.get(SESSION_COOKIE))
    if user is None:
        return RedirectResponse("/network/sign-in", status_code=303)
    return user


def same_origin(request: Request) -> bool:
    """Whether a POST's Origin is this site's own (a missing Origin is not). The pages' Referrer-Policy
    (no-referrer) makes browsers send ``Origin: null`` with a form posted from this site; then
    ``Sec-Fetch-Site``, which only the browser sets, must say the post came from this site."""
    origin = request.headers.get("origin")
    if origin == "null":
        return request.headers.get("sec-fetch-site") == "same-origin"
    return bool(origin) and origin == f"{request.url.scheme}://{request.url.netloc}"


def foreign(request: Request) -> HTMLResponse:
    return message(request, 403, "That form came from somewhere else",
                   "Forms on the Network's pages are only accepted from this site. Go back to the page and "
                   "send the form from there.")


# --------------------------------------------------------------------------------------------- sign-in


@router.get("/network/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request, state: State) -> Response:
    problem = not_set_up(state.settings, state.counts)
    if problem:
        return message(request, 404, NOT_SET_UP, problem)
    if state.settings.network_auth == "proxy":
        return RedirectResponse("/network", status_code=303)
    return page(request, "network_sign_in.html", title="Sign in to the Network's dashboard", errors=[])


def _too_many(request: Request) -> HTMLResponse:
    response = message(request, 429, "Too many attempts",
                       "There have been too many wrong passphrases from here. Wait 15 minutes, then try again.")
    response.headers["Retry-After"] = str(int(FAILURE_WINDOW.total_seconds()))
    return response


@router.post("/network/sign-in", response_class=HTMLResponse)
async def sign_in(request: Request, state: State) -> Response:
    if not same_origin(request):
        return foreign(request)
    settings, counts = state.settings, state.counts
    problem = not_set_up(settings, counts)
    if problem or counts is None or settings.network_auth == "proxy":
        return message(request, 404, NOT_SET_UP, problem or "Sign in through your organisation's sign-in page.")
    stored = parse_hash(settings.network_passphrase_hash or "")
    form = await read_form(request, 5)
    passphrase = (posted_values(form, "passphrase") or [""])[0]
    address = client_address(request)
    now = dt.datetime.now(dt.UTC)
    try:
        if counts.sign_in_failures(address, now - FAILURE_WINDOW) >= MAX_FAILURES:
            return _too_many(request)
        if not passphrase:
            return page(request, "network_sign_in.html", status=422, title="Sign in to the Network's dashboard",
                        errors=["Enter the passphrase"])
        if stored is None or len(passphrase) > 1000 or not passphrase_matches(passphrase, stored):
            counts.note_sign_in_failure(address, now)
            return page(request, "network_sign_in.html", status=401, title="Sign in to the Network's dashboard",
                        errors=["The passphrase is not right. Check it and try again."])
    except CountsUnavailable:
        return unavailable(request)
    response = RedirectResponse("/network", status_code=303)
    response.set_cookie(SESSION_COOKIE, session_token(settings, "passphrase"), max_age=SESSION_SECONDS,
                        path="/network", httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")
    return response


@router.post("/network/sign-out", response_class=HTMLResponse)
def sign_out(request: Request) -> Response:
    if not same_origin(request):
        return foreign(request)
    response = RedirectResponse("/network/sign-in", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/network", httponly=True, samesite="strict")
    return response


# ------------------------------------------------------------------------------------------- dashboard


def unavailable(request: Request) -> HTMLResponse:
    response = message(request, 503, "Figures unavailable",
                       "The figures cannot be read just now. Nothing has been lost: try again in a few minutes.")
    response.headers["Retry-After"] = "60"
    return response


def chosen_months(request: Request, today: dt.date) -> list[str]:
    """The months asked for (``from`` and ``to``, YYYY-MM), by default the last 12 to this month;
    MonthProblem naming the format."""
    this_month = f"{today:%Y-%m}"
    last = request.query_params.get("to") or this_month
    first = request.query_params.get("from") or shift(last if "to" in request.query_params else this_month,
                                                      1 - DASHBOARD_MONTHS)
    return month_range(first.strip(), last.strip())


def _figures(counts: CountStore, months: Sequence[str]) -> tuple[list[Cell], list[TrainingSession]]:
    """The counters and training sessions for the months and the same months a year before."""
    first = shift(months[0], -12)
    return counts.cells(first, months[-1]), counts.training(first, months[-1])


def _bad_months(request: Request, exc: MonthProblem) -> HTMLResponse:
    return message(request, 400, "Those months cannot be shown", f"{exc}.")


@router.get("/network", response_class=HTMLResponse)
def dashboard(request: Request, state: State, today: Today) -> Response:
    who = signed_in(request, state)
    if isinstance(who, Response):
        return who
    try:
        months = chosen_months(request, today)
    except MonthProblem as exc:
        return _bad_months(request, exc)
    assert state.counts is not None  # signed_in: not set up without it
    try:
        cells, sessions = _figures(state.counts, months)
    except CountsUnavailable:
        return unavailable(request)
    pictures = [picture(b, months, cells, sessions, today) for b in state.rulebook.benchmarks]
    drawn = [(p, Markup(svg(p, f"chart-{p.benchmark.id}"))) for p in pictures]  # noqa: S704 - every text escaped
    return page(request, "network.html", title="The Network's picture", pictures=drawn, months=months,
                first=months[0], last=months[-1], first_label=month_label(months[0]),
                last_label=month_label(months[-1]), proxy=state.settings.network_auth == "proxy",
                recorded=request.query_params.get("recorded") == "1")


def csv_rows(cells: Sequence[Cell], sessions: Sequence[TrainingSession], months: Sequence[str]) -> list[list[str]]:
    """The CSV's rows: each monthly counter from walks (suppressed), then each month's training per agency
    (as it is). Monthly cells only: no row adds up a range."""
    wanted = set(months)
    rows = [["month", "measure", "value", "organisation", "count"]]
    for cell in cells:
        k = cell.key
        if k.month in wanted and not k.dimension.startswith("training_"):
            rows.append([k.month, k.dimension, k.value, k.organisation, plain(show(cell.count))])
    training: dict[tuple[str, str], list[int]] = {}
    for s in sessions:
        if s.month in wanted:
            sums = training.setdefault((s.month, s.agency), [0, 0])
            sums[0] += 1
            sums[1] += s.attendees
    for (month, agency), (held, attended) in sorted(training.items()):
        rows.append([month, "training_sessions", agency, "", plain(show_as_is(held))])
        rows.append([month, "training_attendees", agency, "", plain(show_as_is(attended))])
    return rows


def plain(figure: Shown) -> str:
    """A figure for a spreadsheet: digits alone (no thousands separator), or "fewer than 5"."""
    return figure.text if figure.count is None else str(figure.count)


def _safe(text: str) -> str:
    """A CSV field a spreadsheet will not run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@router.get("/network/export.csv")
def export_csv(request: Request, state: State, today: Today) -> Response:
    who = signed_in(request, state)
    if isinstance(who, Response):
        return who
    try:
        months = chosen_months(request, today)
    except MonthProblem as exc:
        return Response(f"{exc}: /network/export.csv?from=2023-01&to=2023-12\n",
                        status_code=400, media_type="text/plain; charset=utf-8")
    assert state.counts is not None
    try:
        cells = state.counts.cells(months[0], months[-1])
        sessions = state.counts.training(months[0], months[-1])
    except CountsUnavailable:
        return Response("Figures unavailable: the counts cannot be read just now. Try again in a few minutes.\n",
                        status_code=503, media_type="text/plain; charset=utf-8", headers={"Retry-After": "60"})
    return Response(to_csv(csv_rows(cells, sessions, months)), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="pathway-{months[0]}-to-{months[-1]}.csv"'})


def to_csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in rows:
        writer.writerow([_safe(field) for field in row])
    return out.getvalue()


# -------------------------------------------------------------------------------------------- training


def agency_choices(state: AppState) -> list[str]:
    return [*state.rulebook.training_agencies, OTHER_AGENCY]


@dataclass
class TrainingForm:
    month: str = ""
    agency: str = ""
    attendees: str = ""


def check_training(form: TrainingForm, agencies: Sequence[str], today: dt.date) -> dict[str, str]:
    """What is wrong with each field (field -> message), empty when the session can be recorded."""
    errors: dict[str, str] = {}
    try:
        month_range(form.month, form.month)
    except MonthProblem:
        errors["month"] = f"Enter the month of the session as {MONTH_FORMAT}"
    else:
        if form.month > f"{today:%Y-%m}":
            errors["month"] = "The month of the session must be this month or before"
    if form.agency not in agencies:
        errors["agency"] = "Select the agency that delivered the session"
    text = form.attendees.strip()
    if not text:
        errors["attendees"] = "Enter the number of attendees"
    elif not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_ATTENDEES:
        errors["attendees"] = f"The number of attendees must be a whole number from 1 to {MAX_ATTENDEES:,}"
    return errors


def _training_page(request: Request, state: AppState, form: TrainingForm, errors: dict[str, str],
                   status: int = 200) -> HTMLResponse:
    return page(request, "network_training.html", status=status, title="Record a training session",
                form=form, errors=errors, agencies=agency_choices(state))


@router.get("/network/training", response_class=HTMLResponse)
def training_form(request: Request, state: State) -> Response:
    who = signed_in(request, state)
    if isinstance(who, Response):
        return who
    return _training_page(request, state, TrainingForm(), {})


@router.post("/network/training", response_class=HTMLResponse)
async def record_training(request: Request, state: State, today: Today) -> Response:
    if not same_origin(request):
        return foreign(request)
    who = signed_in(request, state)
    if isinstance(who, Response):
        return who
    posted = await read_form(request, 10)
    form = TrainingForm(*((posted_values(posted, name) or [""])[0].strip()[:200]
                          for name in ("month", "agency", "attendees")))
    errors = check_training(form, agency_choices(state), today)
    if errors:
        return _training_page(request, state, form, errors, status=422)
    assert state.counts is not None
    try:
        state.counts.add_training(TrainingSession(form.month, form.agency, int(form.attendees)))
    except CountsUnavailable:
        return unavailable(request)
    return RedirectResponse("/network?recorded=1", status_code=303)


__all__ = ["Picture", "hash_passphrase", "parse_hash", "passphrase_matches", "router"]
