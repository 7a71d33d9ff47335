"""`pathway serve` explains why it will not start, once, and starts no worker.

Each case breaks one thing the app reads at start (a scenario file, a pack file, the secret key or
its file, ids shared across kinds) and runs the real command in a subprocess. The first line of
standard error says "Pathway will not start:", then one line names each problem (at file:line where
there is a file), the exit status is 1, nothing is printed twice, there is no traceback, the key is
never shown, and with ``--workers 2`` no worker process is ever started.

The subprocesses run side by side, as many as there are CPUs (a module fixture).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from tests.conftest import ROOT, RULES
from tests.packs.faults import build

TIMEOUT = 30  # seconds; each refusal takes about one second on its own
PROMPT = 15  # a refusal under load from the other cases still ends within this
WORKER_SIGNS = ("Started server process", "Waiting for application startup", "Uvicorn running", "Started parent")
LONG_NUMBER = "9" * 5000  # Python refuses to parse an int of more than 4,300 digits
SECRET_LOOKING = "do-not-print-this-secret-value"


@dataclass
class Case:
    """One broken start: how to break it and what the problem line must say."""

    expect: str | tuple[str, ...]  # regular expressions the problem lines must match, in full, in order
    rules: str = "copy"  # "copy" (of the shipped rules), "shipped", or a fault of tests/packs/faults.py
    local: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    secret: str | None = None  # text that must never appear in the output
    key_file: bool = True  # PATHWAY_KEY_FILE is set (to a file in the case's own folder)


@dataclass
class Result:
    code: int | None
    out: str
    err: str
    seconds: float
    key: str  # what the key file held after the run, if it is a readable file
    state: list[str]  # what the state folder (PATHWAY_STATE_DIR) holds after the run


def _write(relative: str, data: str | bytes) -> Callable[[Path, Path], None]:
    def apply(rules: Path, _keys: Path) -> None:
        path = rules / relative
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")
    return apply


def _scenario_with(answer: str) -> str:
    return ("name: Broken training case\nnarrative: A case whose answer the questions do not take.\n"
            f"local: lewisham\nanswers:\n  immediate_danger: {answer}\nexpect:\n  complete: false\n")


def _long_number_in_flags(rules: Path) -> None:
    flags = rules / "national" / "flags.yaml"
    flags.write_text(flags.read_text().replace("default: unknown", f"default: {LONG_NUMBER}", 1))


def _several(rules: Path, keys: Path) -> None:
    _long_number_in_flags(rules)
    (rules / "scenarios" / "zz_broken.yaml").write_bytes(b"name: caf\xe9\n")
    _key_file(keys, b"")


def _key_file(keys: Path, data: bytes, mode: int = 0o600) -> None:
    path = keys / "secret.key"
    path.write_bytes(data)
    path.chmod(mode)


FILE_LINE = r"\S+/{file}:{line}: {message}"

CASES: dict[str, tuple[Case, Callable[[Path, Path], None] | None]] = {
    "scenario_not_utf8": (
        Case(FILE_LINE.format(file="scenarios/zz_broken.yaml", line=1,
                              message=r"not UTF-8 text \(byte 0xe9 cannot be read\); save the file as UTF-8")),
        _write("scenarios/zz_broken.yaml", b"name: caf\xe9\n")),
    "scenario_invalid_yaml": (
        Case(FILE_LINE.format(file="scenarios/zz_broken.yaml", line=3,
                              message="invalid YAML: mapping values are not allowed here")),
        _write("scenarios/zz_broken.yaml", "name: x\nanswers:\n  a: b: c\nexpect: {}\n")),
    "scenario_number_too_long": (
        Case(FILE_LINE.format(file="scenarios/zz_broken.yaml", line=3,
                              message="a number of 5000 digits is too long to read; quote it if it is text")),
        _write("scenarios/zz_broken.yaml", f"name: x\nanswers:\n  immediate_danger: {LONG_NUMBER}\nexpect: {{}}\n")),
    "scenario_wrong_shape": (
        Case(FILE_LINE.format(file="scenarios/zz_broken.yaml", line=1,
                              message="a scenario is a mapping with a name, answers and expect, not a list")),
        _write("scenarios/zz_broken.yaml", "- name: x\n- answers: {}\n")),
    "training_answer_not_an_option": (
        Case(FILE_LINE.format(file="scenarios/zz_broken.yaml", line=5,
                              message="'immediate_danger' cannot be 'maybe'; allowed values: yes, no, unsure")),
        _write("scenarios/zz_broken.yaml", _scenario_with("maybe"))),
    "pack_number_too_long": (
        Case(FILE_LINE.format(file="national/flags.yaml", line=r"\d+",
                              message="a number of 5000 digits is too long to read; quote it if it is text")),
        lambda rules, _keys: _long_number_in_flags(rules)),
    "id_shared_across_kinds": (
        Case(FILE_LINE.format(file="national/actions.yaml", line=r"\d+",
                              message="id 'trafficking' is used by both determinations and actions"),
             rules="id_shared_across_kinds", local="minimal"),
        None),
    "key_file_corrupt": (
        Case(r"\S+/secret\.key: the key file holds no valid key: .*", rules="shipped", secret=SECRET_LOOKING),
        lambda _rules, keys: _key_file(keys, SECRET_LOOKING.encode())),
    "key_file_empty": (
        Case(r"\S+/secret\.key: the key file is empty: .*", rules="shipped"),
        lambda _rules, keys: _key_file(keys, b"")),
    "key_file_is_a_directory": (
        Case(r"\S+/secret\.key: is not a file: .*", rules="shipped"),
        lambda _rules, keys: (keys / "secret.key").mkdir()),
    "key_file_unreadable_link_loop": (
        Case(r"\S+/secret\.key: cannot read the key file: .*", rules="shipped"),
        lambda _rules, keys: (keys / "secret.key").symlink_to(keys / "secret.key")),
    # (A key file unreadable by its mode cannot be tested where the tests run as root, as CI does:
    # the link loop above reaches the same "cannot read" path.)
    "key_file_loose_mode": (
        Case(r"(\S+/secret\.key): other users may read or change the key file \(mode 0644\); "
             r"make it private with: chmod 600 \1", rules="shipped"),
        lambda _rules, keys: _key_file(keys, Fernet.generate_key(), mode=0o644)),
    "bad_secret_key_variable": (
        Case(r"PATHWAY_SECRET_KEY: must be a Fernet key: 32 bytes, url-safe base64 .*",
             rules="shipped", env={"PATHWAY_SECRET_KEY": SECRET_LOOKING}, secret=SECRET_LOOKING),
        None),
    # no key given and no --dev: nothing is generated, and the line names the three ways to give one
    "no_key_without_dev": (
        Case(r"no secret key for the walk cookies: set PATHWAY_SECRET_KEY to a Fernet key, or set "
             r"PATHWAY_KEY_FILE to the file that keeps one \(made there at the first start, mode 0600\), or pass "
             r"--dev to try Pathway with a key generated in \S+/state \(not for production\)",
             rules="shipped", key_file=False),
        None),
    # a broken pack, a broken scenario and a broken key file: every problem at once, in this order
    "several_at_once": (
        Case((FILE_LINE.format(file="national/flags.yaml", line=r"\d+", message="a number of 5000 digits .*"),
              FILE_LINE.format(file="scenarios/zz_broken.yaml", line=1, message="not UTF-8 text .*"),
              r"\S+/secret\.key: the key file is empty: .*")),
        _several),
}
# The same faults with one worker as with two: the pre-check runs before uvicorn either way.
ONE_WORKER = ["key_file_corrupt"]
RUNS = [(name, 2) for name in CASES] + [(name, 1) for name in ONE_WORKER]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(case: Case, keys: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PATHWAY_")}
    env["PATHWAY_STATE_DIR"] = str(keys / "state")
    if case.key_file:
        env["PATHWAY_KEY_FILE"] = str(keys / "secret.key")
    env.update(case.env)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _start(name: str, workers: int, base: Path) -> subprocess.Popen[str]:
    case, breaker = CASES[name]
    keys = base / "var"
    keys.mkdir()
    if case.rules == "copy":
        rules = base / "rules"
        shutil.copytree(RULES, rules)
    elif case.rules == "shipped":
        rules = RULES
    else:
        rules = base / "rules"
        build(case.rules, rules)
    if breaker is not None:
        breaker(rules, keys)
    command = [sys.executable, "-m", "app.cli", "serve", "--rules", str(rules), "--port", str(_free_port()),
               "--workers", str(workers)]
    if case.local:
        command += ["--local", case.local]
    return subprocess.Popen(command, cwd=ROOT, env=_env(case, keys), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, encoding="utf-8", errors="replace")


def _finish(process: subprocess.Popen[str], began: float, keys: Path) -> Result:
    try:
        out, err = process.communicate(timeout=TIMEOUT)
        code: int | None = process.returncode
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        code = None
    seconds = time.monotonic() - began
    key_file = keys / "secret.key"
    key = b""
    if key_file.is_file() and not key_file.is_symlink():
        key_file.chmod(stat.S_IRUSR | stat.S_IWUSR)  # so that pytest can clean up a chmod 000 file
        key = key_file.read_bytes().strip()
    state = sorted(p.name for p in (keys / "state").iterdir()) if (keys / "state").is_dir() else []
    return Result(code, out, err, seconds, key.decode("utf-8", "replace"), state)


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[tuple[str, int], Result]]:
    """Run every case, as many at once as there are CPUs; each must end (or is killed at the timeout)."""
    todo = list(RUNS)
    running: list[tuple[tuple[str, int], subprocess.Popen[str], float, Path]] = []
    done: dict[tuple[str, int], Result] = {}
    try:
        while todo or running:
            while todo and len(running) < max(2, os.cpu_count() or 2):
                name, workers = todo.pop(0)
                base = tmp_path_factory.mktemp(f"{name}-{workers}")
                running.append(((name, workers), _start(name, workers, base), time.monotonic(), base / "var"))
            key, process, began, keys = running.pop(0)
            done[key] = _finish(process, began, keys)
        yield done
    finally:
        for _, process, _, _ in running:
            process.kill()
            process.wait()


@pytest.mark.parametrize(("name", "workers"), RUNS, ids=[f"{n}-{w}-workers" for n, w in RUNS])
def test_serve_refuses_once_at_file_line_and_exits_1(results: dict[tuple[str, int], Result], name: str,
                                                      workers: int) -> None:
    case, _ = CASES[name]
    result = results[(name, workers)]
    output = result.out + result.err
    expect = (case.expect,) if isinstance(case.expect, str) else case.expect
    count = f"{len(expect)} problem{'s' if len(expect) != 1 else ''}"
    assert result.code == 1, output
    lines = result.err.splitlines()
    assert lines[0] == f"Pathway will not start: fix the {count} below, then start it again.", output
    assert len(lines) == 1 + len(expect), output
    for pattern, line in zip(expect, lines[1:], strict=True):
        assert re.fullmatch(pattern, line), line
        assert output.count(line) == 1
    assert output.count("Pathway will not start") == 1
    assert "Traceback" not in output
    assert result.out == ""
    # the key, or anything in the key's place, is never shown
    for secret in (case.secret, result.key):
        assert not secret or secret not in output
    # no worker was started, and the refusal came promptly
    assert not any(sign in output for sign in WORKER_SIGNS), output
    assert result.seconds < PROMPT
    assert result.state == []  # a refused start generates nothing


def test_a_non_ascii_secret_key_is_refused_without_showing_it() -> None:
    from app.web.walk_token import KeyProblem, load_or_create_key

    with pytest.raises(KeyProblem) as caught:
        load_or_create_key("clé-secrète", Path("unused"))
    assert caught.value.where == "PATHWAY_SECRET_KEY"
    assert "clé" not in str(caught.value)


def test_dev_starts_without_a_key_and_keeps_a_generated_one_in_the_state_folder(tmp_path: Path) -> None:
    """`pathway serve --dev` (as `make run`): no key given, so one is made in PATHWAY_STATE_DIR, private,
    and the server answers /healthz; a second start reads the same key."""
    state = tmp_path / "state"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PATHWAY_")}
    env.update(PATHWAY_STATE_DIR=str(state), PYTHONUNBUFFERED="1")
    keys = []
    for _ in range(2):
        port = _free_port()
        process = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--dev", "--port", str(port)],
                                   cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   text=True, start_new_session=True)
        try:
            _wait_healthy(port, process)
        finally:
            process.terminate()
            output = process.communicate(timeout=TIMEOUT)[0]
        assert "Pathway will not start" not in output
        key_file = state / "secret.key"
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        keys.append(key_file.read_bytes())
        assert keys[-1].decode() not in output
    assert keys[0] == keys[1]


def _wait_healthy(port: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server stopped while starting"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                if sock.recv(64).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"not serving within {TIMEOUT} s")


def test_the_state_folder_is_the_users_and_create_app_still_makes_a_key_there(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, state_dir: Path) -> None:
    """PATHWAY_STATE_DIR, else $XDG_STATE_HOME/pathway (an absolute one), else ~/.local/state/pathway; the
    app factory (not `pathway serve`) still makes a key there when none is given."""
    from app.config import Settings
    from app.main import create_app

    assert Settings().state_dir == state_dir  # the tests' own (tests/conftest.py), never the user's
    monkeypatch.delenv("PATHWAY_STATE_DIR")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    assert Settings().state_dir == tmp_path / "xdg" / "pathway"
    monkeypatch.setenv("XDG_STATE_HOME", "relative/xdg")  # not absolute: ignored, as the XDG spec says
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    settings = Settings()
    assert settings.state_dir == tmp_path / "home" / ".local" / "state" / "pathway"
    assert not settings.key_given
    assert settings.key_path == settings.state_dir / "secret.key"
    assert Settings(key_file=tmp_path / "k").key_given and Settings(secret_key="x").key_given
    create_app(settings)
    assert stat.S_IMODE(settings.key_path.stat().st_mode) == 0o600
