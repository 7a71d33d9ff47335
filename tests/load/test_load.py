"""Load and restart: simulated users walk whole cases through the questionnaire of a real server.

A real ``pathway serve`` on 127.0.0.1 and locust (headless, as a subprocess: gevent never
enters the pytest process) with the users of ``locustfile.py``, each walking cases from the
scenarios and checking every redirect and the action plan. Three runs:

- one worker, no interruption;
- one worker, killed with SIGKILL in the middle of the run and started again with the same
  PATHWAY_SECRET_KEY: users retry connection errors, then carry on from the step they were on;
- two workers behind one port (``pathway serve --workers 2``) sharing a key file, killed and
  restarted the same way; every request opens its own connection, so walks cross processes.

Each must end with zero errors and zero wrong outcomes. ``make test`` runs a short version
(a few users for a few seconds); ``make load`` (PATHWAY_LOAD=full) runs 200 users for 60 s.
All traffic goes to 127.0.0.1; every process started here is stopped, whatever happens.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import pytest
from cryptography.fernet import Fernet

from tests.load.server import ROOT, PathwayServer

LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"


@dataclass(frozen=True)
class Profile:
    users: int
    spawn_rate: int
    seconds: int
    kill_after_requests: int  # SIGKILL once the server has logged this many requests...
    kill_after_seconds: float  # ...and the run has gone on this long
    min_walks: int  # at least this many whole cases walked and checked


SHORT = Profile(users=6, spawn_rate=6, seconds=8, kill_after_requests=150, kill_after_seconds=3, min_walks=6)
FULL = Profile(users=200, spawn_rate=50, seconds=60, kill_after_requests=2000, kill_after_seconds=25,
               min_walks=200)
PROFILE = FULL if os.environ.get("PATHWAY_LOAD") == "full" else SHORT
RETRY_SECONDS = 20
STOP_TIMEOUT = 60 if PROFILE is FULL else 30


def server_env(tmp_path: Path, *, key_file: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PATHWAY_", "LOAD_"))}
    if key_file:
        env["PATHWAY_KEY_FILE"] = str(tmp_path / "secret.key")  # made by whichever worker starts first
    else:
        env["PATHWAY_SECRET_KEY"] = Fernet.generate_key().decode()
        env["PATHWAY_KEY_FILE"] = str(tmp_path / "unused.key")
    return env


def run_locust(tmp_path: Path, server: PathwayServer, *, restart: bool) -> tuple[dict[str, Any], str, str]:
    """Run the users against the server (restarting it mid-run if asked); the report, locust's output and events."""
    report = tmp_path / "report.json"
    env = {**os.environ, "LOAD_REPORT": str(report), "LOAD_RETRY_SECONDS": str(RETRY_SECONDS)}
    command = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--host", server.url,
               "-u", str(PROFILE.users), "-r", str(PROFILE.spawn_rate), "-t", f"{PROFILE.seconds}s",
               "--stop-timeout", str(STOP_TIMEOUT), "--only-summary", "--loglevel", "WARNING"]
    output = tmp_path / "locust.out"
    events: list[str] = []
    with output.open("wb") as out:
        locust = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                  start_new_session=True)
    began = time.monotonic()
    limit = began + PROFILE.seconds + STOP_TIMEOUT + 90
    locust_cpu = 0.0
    try:
        if restart:
            started = time.monotonic()
            while server.requests_logged() < PROFILE.kill_after_requests or \
                    time.monotonic() - started < PROFILE.kill_after_seconds:
                assert locust.poll() is None, "locust ended before the server was killed"
                assert time.monotonic() < limit, "the users never got going"
                time.sleep(0.1)
            before = server.cpu_seconds()
            server.kill()
            events.append(f"SIGKILL after {server.requests_logged()} requests (pids {sorted(before)})")
            time.sleep(0.5)  # users now meet a closed port
            server.start()
            events.append(f"restarted (pids {server.worker_pids()})")
        server_cpu = server.cpu_seconds()
        while locust.poll() is None and time.monotonic() < limit:
            try:
                times = psutil.Process(locust.pid).cpu_times()
                locust_cpu = times.user + times.system
                server_cpu = server.cpu_seconds()
            except psutil.NoSuchProcess:
                break
            time.sleep(0.5)
        locust.wait(max(1.0, limit - time.monotonic()))
    finally:
        if locust.poll() is None:
            os.killpg(locust.pid, 9)
            locust.wait(10)
    text = output.read_text(errors="replace")
    assert report.exists(), f"locust wrote no report (exit {locust.returncode}):\n{text[-3000:]}"
    data = json.loads(report.read_text())
    data["locust_exit"] = locust.returncode
    data["seconds"] = time.monotonic() - began
    data["locust_cpu_seconds"] = locust_cpu
    data["server_cpu_seconds_since_last_start"] = sum(server_cpu.get(pid, 0.0) - server.cpu_at_start.get(pid, 0.0)
                                                      for pid in server_cpu)
    return data, text, "; ".join(events)


def check_run(data: dict[str, Any], text: str, server: PathwayServer) -> None:
    summary = {k: data[k] for k in ("walks_started", "walks_completed", "walks_failed", "wrong_outcomes",
                                    "requests", "connection_retries", "walks_resumed_after_connection_errors")}
    assert data["walks_failed"] == 0, f"{summary}\nfirst failures: {data['failures']}"
    assert data["wrong_outcomes"] == 0, summary
    assert data["locust_exit"] == 0, f"locust reported failures:\n{text[-3000:]}"
    assert data["walks_completed"] >= PROFILE.min_walks, summary
    # The users take the cases in turn: once enough walks are done, every case has been walked and checked.
    if data["walks_completed"] >= data["cases"] + PROFILE.users:
        assert len(data["completed_by_case"]) == data["cases"], data["completed_by_case"]
    log = server.log.read_text(errors="replace")
    assert "Traceback" not in log, log[-3000:]
    assert "pathway_walk_" not in log and "gAAAAA" not in log, "a cookie or token reached the server's log"


def test_walks_under_load_one_worker(tmp_path: Path) -> None:
    server = PathwayServer(tmp_path, server_env(tmp_path, key_file=False), workers=1)
    try:
        server.start()
        data, text, _ = run_locust(tmp_path, server, restart=False)
        check_run(data, text, server)
        assert data["connection_retries"] == 0, "no connection error is expected without a restart"
        print(f"\n1 worker: {data['walks_completed']} cases walked, {data['requests']} requests, 0 errors "
              f"in {data['seconds']:.0f} s; CPU seconds: server {data['server_cpu_seconds_since_last_start']:.1f}, "
              f"locust {data['locust_cpu_seconds']:.1f}")
    finally:
        server.stop()


@pytest.mark.parametrize("workers", [1, 2], ids=["one-worker", "two-workers"])
def test_sigkill_mid_run_and_restart(tmp_path: Path, workers: int) -> None:
    """Kill the server with SIGKILL while users are mid-walk and start it again with the same key:
    every user carries on from the step it was on, with no answer lost or mixed."""
    server = PathwayServer(tmp_path, server_env(tmp_path, key_file=workers > 1), workers=workers)
    try:
        server.start()
        data, text, events = run_locust(tmp_path, server, restart=True)
        check_run(data, text, server)
        assert server.starts == 2, events
        assert data["connection_retries"] > 0, f"the users never noticed the restart ({events})"
        assert data["walks_resumed_after_connection_errors"] > 0, \
            f"no walk was caught mid-way by the restart ({events})"
        if workers > 1:
            # Both workers of the restarted server served users (each request opens its own connection).
            end_cpu = server.cpu_seconds()
            used = {pid: end_cpu[pid] - server.cpu_at_start.get(pid, 0.0) for pid in end_cpu}
            assert len(used) == 2 and all(seconds > 0.02 for seconds in used.values()), used
        print(f"\n{workers} worker(s), SIGKILL and restart: {data['walks_completed']} cases walked, "
              f"{data['requests']} requests, {data['connection_retries']} connection retries, "
              f"{data['walks_resumed_after_connection_errors']} walks resumed after at most "
              f"{data['longest_outage_seconds']:.1f} s without the server, 0 errors ({events})")
    finally:
        server.stop()
