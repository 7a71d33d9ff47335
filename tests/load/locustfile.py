"""Locust users who walk whole cases through the HTML questionnaire and check every page they are sent to.

Run by ``tests/load/test_load.py`` as a subprocess (``python -m locust -f tests/load/locustfile.py
--headless ...``) against a Pathway server on 127.0.0.1; it is not a test module itself.

Each user walks one case after another, each from the scenarios (``cases.py``), as a browser
does: ``POST /start``, then for each question ``GET`` the page and ``POST`` the answer (or skip
an optional question), then ``GET`` the action plan. Every 303 must send it to exactly the page
the engine says comes next, and the plan must list exactly the case's referral ids
(``id="referral-<id>"``): an answer lost (a restart that forgot it) or mixed with another user's
would send the user elsewhere or change the plan.

Every request opens its own connection (``Connection: close``), as requests behind a
load-balancing proxy reach any worker: with several workers, one walk's cookie is made by one
process and read by another. A connection error (the server killed and starting again) is
retried, with the same cookie, for up to LOAD_RETRY_SECONDS; after such a retry the user asks
``GET /w/<walk>`` where it stands and must be sent to the step it was on.

Nothing about a case is printed or written: the report (LOAD_REPORT, JSON) holds counts, case
names, question ids and statuses, never answers, walk ids or cookies.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from locust import User, constant, events, task

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

from tests.load.cases import Case, default_cases

RETRY_SECONDS = float(os.environ.get("LOAD_RETRY_SECONDS", "20"))
REPORT = os.environ.get("LOAD_REPORT")
LOCATION = re.compile(r"/w/([A-Za-z0-9_-]{10,24})/(q/[a-z0-9_]+|outcome)")
REFERRAL = re.compile(r'id="referral-([a-z0-9_]+)"')
CASES = default_cases()
_walk_numbers = itertools.count()  # the users take the cases in turn, so every case is walked


class WalkFailed(Exception):
    """The server answered something other than the step the case must reach."""


@dataclass
class Report:
    cases: int = len(CASES)
    walks_started: int = 0
    walks_completed: int = 0
    walks_failed: int = 0
    wrong_outcomes: int = 0
    requests: int = 0
    connection_retries: int = 0
    walks_resumed_after_connection_errors: int = 0
    longest_outage_seconds: float = 0.0
    completed_by_case: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)  # the first few: case, step, question id, what went wrong

    def fail(self, message: str) -> None:
        self.walks_failed += 1
        if len(self.failures) < 20:
            self.failures.append(message)


REPORT_DATA = Report()


@events.quitting.add_listener  # type: ignore[untyped-decorator]  # locust's event hooks are untyped
def _write_report(environment: Any, **kwargs: Any) -> None:
    if REPORT:
        Path(REPORT).write_text(json.dumps(REPORT_DATA.__dict__, indent=2, sort_keys=True))


class Walker(User):
    wait_time = constant(0)

    # ------------------------------------------------------------------------- one request, retried

    def call(self, session: requests.Session, method: str, path: str, name: str, expect: int,
             data: list[tuple[str, str]] | None = None) -> tuple[requests.Response, bool]:
        """Send one request; retry connection errors for RETRY_SECONDS. Returns the response and whether it retried."""
        assert self.host is not None
        first_error: float | None = None
        while True:
            started = time.perf_counter()
            try:
                response = session.request(method, self.host + path, data=data, allow_redirects=False,
                                           timeout=(5, 60), headers={"Connection": "close"})
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
                now = time.monotonic()
                first_error = first_error if first_error is not None else now
                if now - first_error > RETRY_SECONDS:
                    self._fire(method, name, started, 0, exc)
                    raise WalkFailed(f"{name}: no connection for {RETRY_SECONDS:g} s ({type(exc).__name__})") from None
                REPORT_DATA.connection_retries += 1
                time.sleep(0.1)
                continue
            REPORT_DATA.requests += 1
            if first_error is not None:
                REPORT_DATA.longest_outage_seconds = max(REPORT_DATA.longest_outage_seconds,
                                                         time.monotonic() - first_error)
            problem = None if response.status_code == expect else WalkFailed(
                f"{name}: status {response.status_code}, expected {expect}")
            self._fire(method, name, started, len(response.content), problem)
            if problem is not None:
                raise problem
            return response, first_error is not None

    def _fire(self, method: str, name: str, started: float, length: int, exc: Exception | None) -> None:
        self.environment.events.request.fire(
            request_type=method, name=name, response_time=(time.perf_counter() - started) * 1000,
            response_length=length, exception=exc, context={})

    # ------------------------------------------------------------------------- one whole case

    @task
    def walk_a_case(self) -> None:
        case = CASES[next(_walk_numbers) % len(CASES)]
        REPORT_DATA.walks_started += 1
        self.step_no = 0
        try:
            with requests.Session() as session:
                self._walk(session, case)
        except WalkFailed as exc:
            REPORT_DATA.fail(f"{case.name}, step {self.step_no}: {exc}")

    def _walk(self, session: requests.Session, case: Case) -> None:
        response, retried_any = self.call(session, "POST", "/start", "POST /start", 303)
        match = LOCATION.fullmatch(response.headers.get("location", ""))
        if not match or match.group(2) != case.first:
            raise WalkFailed(f"/start sent the user to {match.group(2) if match else 'an unexpected place'}")
        walk = match.group(1)
        for self.step_no, step in enumerate(case.steps, 1):
            page, retried_get = self.call(session, "GET", f"/w/{walk}/q/{step.qid}", "GET /w/[walk]/q/[qid]", 200)
            if f'name="{step.qid}"' not in page.text:
                raise WalkFailed(f"the page for {step.qid} has no field {step.qid}")
            if step.skip:
                response, retried_post = self.call(session, "POST", f"/w/{walk}/q/{step.qid}/skip",
                                                   "POST /w/[walk]/q/[qid]/skip", 303)
            else:
                response, retried_post = self.call(session, "POST", f"/w/{walk}/q/{step.qid}",
                                                   "POST /w/[walk]/q/[qid]", 303,
                                                   data=[(step.qid, v) for v in step.values])
            if response.headers.get("location") != f"/w/{walk}/{step.then}":
                raise WalkFailed(f"after {step.qid} the user was sent to {self._page(response)}, not {step.then}")
            if retried_get or retried_post:
                retried_any = True
                # The server went away during this step: it must know, from the cookie alone, where the user is.
                resumed, _ = self.call(session, "GET", f"/w/{walk}", "GET /w/[walk] (resume)", 303)
                if resumed.headers.get("location") != f"/w/{walk}/{step.then}":
                    raise WalkFailed(f"after a restart at {step.qid} the walk resumed at {self._page(resumed)}")
        plan, retried_plan = self.call(session, "GET", f"/w/{walk}/outcome", "GET /w/[walk]/outcome", 200)
        found = frozenset(REFERRAL.findall(plan.text))
        if found != case.referrals:
            REPORT_DATA.wrong_outcomes += 1
            self._fire("CHECK", "action plan lists the case's referrals", time.perf_counter(), 0,
                       WalkFailed(case.name))
            raise WalkFailed(f"wrong action plan: missing {sorted(case.referrals - found)}, "
                             f"unexpected {sorted(found - case.referrals)}")
        REPORT_DATA.walks_completed += 1
        REPORT_DATA.completed_by_case[case.name] = REPORT_DATA.completed_by_case.get(case.name, 0) + 1
        if retried_any or retried_plan:
            REPORT_DATA.walks_resumed_after_connection_errors += 1

    @staticmethod
    def _page(response: requests.Response) -> str:
        match = LOCATION.fullmatch(response.headers.get("location", ""))
        return match.group(2) if match else f"status {response.status_code} (not a page of this walk)"
