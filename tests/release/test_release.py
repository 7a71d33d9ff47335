"""The release check: the wheel works away from the repository, as a council would install it.

The wheel is built from a clean copy of the working tree (``pip wheel . --no-deps``: a copy, so a
stale ``build/`` never leaks into it, with ``tests/`` beside it so that leaving it out is checked).
Then the README's install-and-serve block, taken from the README itself, runs in an otherwise empty
folder holding only the wheel and ``constraints.txt``: a fresh virtual environment outside the
repository (pip's cache is reused), the state folder and the council's overlay (a copy of the
Lewisham overlay, by path) elsewhere again. A seed case is walked over HTTP to its action plan, then
``pathway check``, ``verify`` and ``assess`` run there too; finally a template removed from the
installation turns ``/healthz`` to 503 without a restart.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import yaml

from app.web.htmx import HTMX_LOCAL_NAME, HTMX_SRI
from app.web.htmx_vendor import sri_of
from tests.conftest import ROOT, RULES

pytestmark = pytest.mark.slow

HEADING = "### Install from the wheel"
SCENARIO = RULES / "scenarios" / "seed_tyrone.yaml"
OVERLAY = RULES / "local" / "lewisham"
# What the build copies: everything a clone holds but the caches, environments and build output.
NOT_SOURCE = shutil.ignore_patterns(".git", ".venv", "venv", "build", "dist", "*.egg-info", "__pycache__",
                                    ".mypy_cache", ".ruff_cache", ".pytest_cache", ".hypothesis", "var",
                                    "test-results", "node_modules")
LOCATION = re.compile(r"/w/([A-Za-z0-9_-]+)/(?:q/([a-z0-9_]+)|outcome)")
REFERRAL = re.compile(r'id="referral-([a-z0-9_]+)"')
START_SECONDS = 120  # the block installs before it serves: a fresh venv and pip from its cache
TIMINGS: dict[str, float] = {}


def readme_block() -> str:
    """The fenced shell block under the README's "Install from the wheel" heading."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme.count(HEADING) == 1, f"README.md needs one {HEADING!r} section"
    section = readme.split(HEADING, 1)[1]
    found = re.search(r"^```sh\n(.*?)^```", section, re.MULTILINE | re.DOTALL)
    assert found and "\n#" not in section[:found.start()], f"no ```sh block under {HEADING!r} in README.md"
    return found.group(1)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    began = time.monotonic()
    source = tmp_path_factory.mktemp("source") / "pathway"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE, symlinks=True)
    out = tmp_path_factory.mktemp("wheel")
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "-w", str(out), "-q"],
                           cwd=source, capture_output=True, text=True, timeout=300, check=False)
    assert build.returncode == 0, build.stdout + build.stderr
    (built,) = out.glob("pathway_msht-*-py3-none-any.whl")
    TIMINGS["build the wheel"] = time.monotonic() - began
    return built


def test_the_wheel_holds_templates_static_files_and_packs_and_no_tests(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        htmx = archive.read(f"app/static/vendor/{HTMX_LOCAL_NAME}")
        metadata = next(archive.read(n).decode() for n in names if n.endswith(".dist-info/METADATA"))
        entry_points = next(archive.read(n).decode() for n in names if n.endswith(".dist-info/entry_points.txt"))
    expected = {f"app/{p.relative_to(ROOT / 'app')}" for p in (ROOT / "app").rglob("*")
                if p.suffix in (".py", ".html") and "__pycache__" not in p.parts}
    expected |= {f"app/static/{p.relative_to(ROOT / 'static')}" for p in (ROOT / "static").rglob("*")
                 if p.suffix in (".css", ".js")}
    expected |= {f"app/rules/{p.relative_to(RULES)}" for p in RULES.rglob("*") if p.suffix in (".yaml", ".md")}
    assert {"app/web/templates/outcome.html", "app/static/pathway.css", "app/rules/national/pack.yaml",
            "app/rules/local/lewisham/pack.yaml", "app/rules/scenarios/seed_tyrone.yaml"} <= expected
    assert sorted(expected - names) == []
    # one import package and its metadata: no tests, benchmarks or other top-level names
    assert {n.split("/")[0] for n in names} == {"app", wheel.name.split("-py3")[0] + ".dist-info"}
    assert not [n for n in names if "tests/" in n or n.startswith("benchmarks/")]
    assert sri_of(htmx) == HTMX_SRI  # the pinned htmx ships, exactly the file the pages' SRI names
    assert "\nName: pathway-msht\n" in metadata
    assert re.search(r"^pathway = app\.cli:main$", entry_points, re.MULTILINE)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Browser:
    """A user agent over plain HTTP: keeps the cookies it is sent, never follows a redirect itself."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def send(self, method: str, path: str, form: list[tuple[str, str]] | None = None) -> tuple[int, str, str]:
        """Status, Location header and body text."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8")
        finally:
            conn.close()
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        return response.status, response.headers.get("Location", ""), text


def _form_values(answer: Any) -> list[str]:
    value = answer.get("answer") if isinstance(answer, dict) else answer
    if isinstance(value, list):
        return [str(v) for v in value] or ["none"]
    return [str(value)]


def walk_to_the_plan(port: int, answers: dict[str, Any]) -> set[str]:
    """POST /start, answer each question the server sends the user to (skipping an optional one the case
    does not answer), following each 303, then GET the plan: the referral ids it lists."""
    user = Browser(port)
    status, location, _ = user.send("POST", "/start")
    assert status == 303, status
    for _ in range(60):
        match = LOCATION.fullmatch(location)
        assert match, f"sent to {location!r}, not a step of the walk"
        qid = match.group(2)
        if qid is None:
            break
        status, _, page = user.send("GET", location)
        assert status == 200 and f'name="{qid}"' in page, (qid, status)
        if qid in answers:
            status, location, _ = user.send("POST", location, [(qid, v) for v in _form_values(answers[qid])])
        else:
            status, location, _ = user.send("POST", f"{location}/skip", [])
        assert status == 303, (qid, status)
    else:
        raise AssertionError("the walk did not reach the action plan in 60 steps")
    status, _, plan = user.send("GET", location)
    assert status == 200
    return set(REFERRAL.findall(plan))


def _health(port: int) -> tuple[int, dict[str, Any]]:
    status, _, body = Browser(port).send("GET", "/healthz")
    return status, json.loads(body)


def _wait_ready(port: int, server: subprocess.Popen[str], log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"the install-and-serve block ended ({server.returncode}):\n{log.read_text()}")
        try:
            if _health(port)[0] == 200:
                return
        except (OSError, ValueError):
            pass
        time.sleep(0.1)
    raise AssertionError(f"not serving within {START_SECONDS} s:\n{log.read_text()}")


@pytest.fixture
def install(wheel: Path, tmp_path: Path) -> Iterator[dict[str, Path]]:
    """The folders the block runs with: an empty folder (then the two release files), the venv, the state
    folder and the council's overlay, each in its own place, none in the repository."""
    here = tmp_path / "release"
    here.mkdir()
    assert not any(here.iterdir())
    shutil.copy(wheel, here)
    shutil.copy(ROOT / "constraints.txt", here)
    overlay = tmp_path / "council" / "lewisham"
    shutil.copytree(OVERLAY, overlay, ignore=shutil.ignore_patterns("__pycache__"))
    yield {"here": here, "venv": tmp_path / "opt" / "pathway", "state": tmp_path / "state", "overlay": overlay}


def _env(install: dict[str, Path], port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PATHWAY_") and k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    env.update(VENV=str(install["venv"]), PORT=str(port), PATHWAY_STATE_DIR=str(install["state"]),
               PATHWAY_LOCAL_PACK=str(install["overlay"]), PYTHONUNBUFFERED="1")
    return env


def _run(install: dict[str, Path], env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    began = time.monotonic()
    done = subprocess.run([str(install["venv"] / "bin" / "pathway"), *args], cwd=install["here"], env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    TIMINGS[f"pathway {args[0]}"] = time.monotonic() - began
    return done


def test_the_readme_block_installs_and_serves_a_seed_case_from_an_empty_folder(
        install: dict[str, Path], tmp_path: Path) -> None:
    began = time.monotonic()
    port = _free_port()
    env = _env(install, port)
    script = tmp_path / "install-and-serve.sh"
    script.write_text(readme_block(), encoding="utf-8")
    log = tmp_path / "install-and-serve.log"
    with log.open("w") as out:
        server = subprocess.Popen(["bash", "-eu", str(script)], cwd=install["here"], env=env, stdout=out,
                                  stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        _wait_ready(port, server, log)
        TIMINGS["install and serve"] = time.monotonic() - began
        scenario = yaml.safe_load(SCENARIO.read_text(encoding="utf-8"))
        walked = time.monotonic()
        referrals = walk_to_the_plan(port, scenario["answers"])
        TIMINGS["walk the seed case"] = time.monotonic() - walked
        assert set(scenario["expect"]["referrals"]) <= referrals
        assert not set(scenario["expect"]["not_referrals"]) & referrals
        # The installed Pathway, not the repository's: nothing is read from the clone.
        site = next((install["venv"] / "lib").glob("python3*/site-packages"))
        where = subprocess.run([str(install["venv"] / "bin" / "python"), "-c", "import app; print(app.__file__)"],
                               cwd=install["here"], env=env, capture_output=True, text=True, check=True)
        assert Path(where.stdout.strip()).is_relative_to(site)
        # The key was made in the state folder, private; nothing was written inside the installation.
        key = install["state"] / "secret.key"
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
        assert not [p for p in (site / "app").rglob("*") if "secret" in p.name or p.parent.name == "var"]
        # A template removed under the running server: not ready, at once, and said why.
        assert _health(port)[0] == 200
        (site / "app" / "web" / "templates" / "privacy.html").unlink()
        status, body = _health(port)
        assert (status, body["status"]) == (503, "unavailable"), body
        assert body["reason"] == "a page cannot be rendered (TemplateNotFound)"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    output = log.read_text()
    assert "Traceback" not in output, output
    assert re.search(r"^ok: .*\+ lewisham", output, re.MULTILINE), output  # the block's `pathway check` ran

    # The commands, from the same folder, with the overlay kept outside the installation.
    overlay = str(install["overlay"])
    checked = _run(install, env, "check", "--local", overlay)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert re.search(r"^ok: .*\+ lewisham", checked.stdout, re.MULTILINE), checked.stdout
    verified = _run(install, env, "verify", "--local", overlay)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "all checks passed" in verified.stdout
    shutil.copy(SCENARIO, install["here"] / "case.yaml")
    assessed = _run(install, env, "assess", "case.yaml", "--json", "--local", overlay)
    assert assessed.returncode == 0, assessed.stdout + assessed.stderr
    outcome = json.loads(assessed.stdout)
    assert set(scenario["expect"]["referrals"]) <= {r["id"] for r in outcome["referrals"]}
    TIMINGS["whole release check (with the wheel)"] = time.monotonic() - began + TIMINGS.get("build the wheel", 0)
    print("\nrelease check: " + ", ".join(f"{k} {v:.1f} s" for k, v in TIMINGS.items()))
