"""HTTP benchmark (`make bench`): Pathway against a bare FastAPI floor, served the same way, measured by wrk.

Both apps run in the same run under the same uvicorn settings (one worker, loopback, the proxy
headers, server header and log configuration of ``pathway serve``), on free ports. wrk (C, one
thread, ``wrk_request.lua`` for the bodies and cookies) drives one app at a time, so the two never
share the CPU with each other; with two or more CPUs the server is pinned to the last and wrk to
the first (taskset). Besides wrk's throughput and latency, each run reads the server's own CPU
time per request from /proc, a figure that noise from other processes disturbs far less.
Four requests, each at 1, 8, 32 and 64 connections:

- ``assess``: ``POST /api/v2/assess`` with a whole case (Tyrone's answers, seed example 1);
- ``assess500``: ``POST /api/v2/assess`` cycling through 500 distinct complete answer sets
  (``answer_sets.py``; the floor gets the same bodies), so that no cache of whole responses can help;
- ``step``: one questionnaire step, ``POST /w/<walk>/q/<qid>`` with the walk's cookie: the token
  is decrypted, the answer checked, the rules run, the token re-encrypted, 303 to the next question;
- ``outcome``: ``GET /w/<walk>/outcome`` with the cookie of Tyrone's complete walk (the action plan).

Every request is checked once by hand before it is timed (the right status, the right next
question, the expected referrals; each of the 500 bodies against the engine's own outcome), and wrk
counts any other status as an error.
Goals (issue 11, which replaced issue 5's, on a 2-core machine): assess and assess500 >= 0.5 of the
floor's throughput at 32 connections and p99 <= 15 ms at 8; step >= 0.45 of the floor and p99 <= 25 ms
at 8. Exit status 1 if a goal is missed.
Results go to a JSON file (``--out``) and, with matplotlib, a PNG plot (``--plot``).

    .venv/bin/python benchmarks/bench_http.py [--duration 5] [--rounds 3] [--out var/bench-http.json]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"
sys.path.insert(0, str(ROOT))

from cryptography.fernet import Fernet  # noqa: E402

from app.cli import LOG_CONFIG  # noqa: E402 - the logging `pathway serve` configures
from app.engine.assessment import assess  # noqa: E402
from app.engine.scenarios import load_scenario  # noqa: E402
from benchmarks.answer_sets import default_book, generate  # noqa: E402

LUA = BENCH / "wrk_request.lua"
CASE = ROOT / "pathway_rules" / "scenarios" / "seed_tyrone.yaml"
HOST = "127.0.0.1"
CONNECTIONS = (1, 8, 32, 64)
RATIO_AT = 32
P99_AT = 8
# request -> (minimum throughput ratio to the floor at RATIO_AT connections, maximum p99 in ms at P99_AT)
GOALS = {"assess": (0.5, 15.0), "assess500": (0.5, 15.0), "step": (0.45, 25.0)}
ANSWER_SETS = 500
APPS = {
    # name -> (uvicorn factory target, --app-dir)
    "floor": ("floor_app:create_app", BENCH),
    "pathway": ("app.main:create_app", ROOT),
}


@dataclass
class Probe:
    """One request to time: what wrk sends, and what a correct answer looks like."""

    name: str
    method: str
    path: str
    body: bytes = b""
    content_type: str = ""
    cookie: str = ""
    expect_status: int = 200
    expect_location: str | None = None
    expect_text: list[str] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)  # sent in turn instead of ``body``
    expect_each: list[list[str]] = field(default_factory=list)  # for each of ``bodies``, its referral ids


# ----------------------------------------------------------------------------- machine and tools


def ensure_wrk() -> str:
    """wrk from Debian's packages; installed with apt-get when missing and we are root."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise SystemExit("wrk is not installed: run `apt-get install wrk` as root (Debian package wrk)")
    print("Installing wrk (Debian package) ...", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, env=env, stdout=subprocess.DEVNULL)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("apt-get installed wrk but it is not on PATH")
    return found


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    import fastapi
    import uvicorn

    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "uvicorn": uvicorn.__version__,
        "fastapi": fastapi.__version__,
        "wrk": (wrk.stdout or wrk.stderr).splitlines()[0].split(" Copyright")[0],
    }


def cpu_plan() -> tuple[list[str], list[str]]:
    """taskset prefixes: the server on the last CPU, wrk on the first, so neither takes the other's core."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2 or not shutil.which("taskset"):
        return [], []
    return ["taskset", "-c", str(cpus[-1])], ["taskset", "-c", str(cpus[0])]


SERVER_PIN, WRK_PIN = cpu_plan()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


# ----------------------------------------------------------------------------- servers


class Server:
    """One uvicorn process on a free loopback port; stopped (and killed if need be) on exit."""

    def __init__(self, name: str, workdir: Path, env: dict[str, str]) -> None:
        target, app_dir = APPS[name]
        self.name = name
        self.port = free_port()
        log_config = workdir / "log_config.json"
        log_config.write_text(json.dumps(LOG_CONFIG))
        self.log_path = workdir / f"{name}.stderr"
        self.command = [
            *SERVER_PIN, sys.executable, "-m", "uvicorn", "--factory", target, "--app-dir", str(app_dir),
            "--host", HOST, "--port", str(self.port), "--workers", "1",
            "--proxy-headers", "--no-server-header", "--no-access-log", "--log-config", str(log_config),
        ]
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(self.command, cwd=ROOT, env=self.env, stdout=log, stderr=log)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"{self.name} exited while starting:\n{self.tail()}")
            try:
                if request(self.port, "GET", "/healthz")[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        self.__exit__()
        raise SystemExit(f"{self.name} did not start within 60 s:\n{self.tail()}")

    def __exit__(self, *exc: object) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]


def request(port: int, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
            ) -> tuple[int, dict[str, str], str, list[str]]:
    """One HTTP request; status, headers (last of each), text and every Set-Cookie value."""
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        conn.request(method, path, body=body or None, headers=headers or {})
        response = conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        cookies = [v for k, v in response.getheaders() if k.lower() == "set-cookie"]
        return response.status, {k.lower(): v for k, v in response.getheaders()}, text, cookies
    finally:
        conn.close()


# ----------------------------------------------------------------------------- the requests


def walk_cookie(set_cookies: list[str], walk: str) -> str:
    name = f"pathway_walk_{walk}="
    for value in set_cookies:
        if value.startswith(name):
            return value.split(";", 1)[0]
    raise AssertionError("the response did not set the walk's cookie")


def form(qid: str, value: str | list[str]) -> bytes:
    values = value if isinstance(value, list) else [value]
    return urlencode([(qid, v) for v in (values or ["none"])]).encode()


def prepare(port: int) -> list[Probe]:
    """Walk Tyrone's case through Pathway once, keeping the cookie halfway and at the end."""
    scenario = load_scenario(CASE)
    answers = scenario.answer_values()
    status, headers, _, cookies = request(port, "POST", "/start")
    assert status == 303, status
    match = re.fullmatch(r"/w/([A-Za-z0-9_-]+)/q/([a-z_]+)", headers["location"])
    assert match, headers["location"]
    walk, qid = match.groups()
    cookie = walk_cookie(cookies, walk)
    steps: list[tuple[str, str, str]] = []  # (qid, cookie before answering it, location after)
    location = headers["location"]
    for _ in range(60):
        if location.endswith("/outcome"):
            break
        qid = location.rsplit("/", 1)[1]
        if qid not in answers:
            status, headers, _, cookies = request(port, "POST", f"{location}/skip", headers={"Cookie": cookie})
        else:
            status, headers, _, cookies = request(port, "POST", location, form(qid, answers[qid]), {
                "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
            steps.append((qid, cookie, headers["location"]))
        assert status == 303, status
        cookie = walk_cookie(cookies, walk)
        location = headers["location"]
    else:
        raise AssertionError("Tyrone's walk did not reach the outcome")
    qid, step_cookie, step_next = steps[len(steps) // 2]
    body = json.dumps({"answers": answers}).encode()
    referrals = [f'id="referral-{r}"' for r in scenario.expect.referrals]
    return [
        Probe("assess", "POST", "/api/v2/assess", body, "application/json",
              expect_text=[f'"id":"{r}"' for r in scenario.expect.referrals]),
        many_cases(),
        Probe("step", "POST", f"/w/{walk}/q/{qid}", form(qid, answers[qid]), "application/x-www-form-urlencoded",
              step_cookie, 303, step_next),
        Probe("outcome", "GET", f"/w/{walk}/outcome", cookie=cookie, expect_text=referrals),
    ]


def many_cases() -> Probe:
    """``POST /api/v2/assess`` with 500 distinct complete answer sets, each expecting exactly the referrals the
    engine lists for it (``answer_sets.generate`` has checked the engine against itself on each)."""
    book = default_book()
    sets = generate(book, ANSWER_SETS)
    bodies = [json.dumps({"answers": answers}, separators=(",", ":")).encode() for answers in sets]
    expect = [[r.id for r in assess(book, answers).referrals] for answers in sets]
    return Probe("assess500", "POST", "/api/v2/assess", bodies[0], "application/json", bodies=bodies,
                 expect_each=expect)


def check(port: int, probe: Probe, floor: bool) -> None:
    """Send the probe once and check the answer is the real one (the floor: only the status); a probe
    with many bodies sends each once and checks each answer."""
    if probe.bodies:
        for body, expect in zip(probe.bodies, probe.expect_each, strict=True):
            status, _, text, _ = request(port, probe.method, probe.path, body, {"Content-Type": probe.content_type})
            assert status == probe.expect_status, f"{probe.name}: status {status} for {body!r}"
            if not floor:
                ids = [r["id"] for r in json.loads(text)["referrals"]]
                assert ids == expect, f"{probe.name}: referrals {ids}, not {expect}, for {body!r}"
        return
    headers = {"Content-Type": probe.content_type} if probe.content_type else {}
    if probe.cookie:
        headers["Cookie"] = probe.cookie
    status, got, text, _ = request(port, probe.method, probe.path, probe.body, headers)
    assert status == probe.expect_status, f"{probe.name}: status {status}"
    if floor:
        return
    if probe.expect_location:
        assert got.get("location") == probe.expect_location, f"{probe.name}: sent to {got.get('location')}"
    compact = text.replace(" ", "") if probe.content_type == "application/json" else text
    for needle in probe.expect_text:
        assert needle in compact, f"{probe.name}: {needle} missing from the response"


# ----------------------------------------------------------------------------- wrk


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (from /proc; clock ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_wrk(wrk: str, server: Server, probe: Probe, connections: int, seconds: float, workdir: Path
            ) -> dict[str, Any]:
    """One wrk run; with the server's and wrk's own CPU time per request."""
    assert server.process is not None
    port = server.port
    body_file = workdir / f"{probe.name}.body"
    body_file.write_bytes(b"\n".join(probe.bodies) + b"\n" if probe.bodies else probe.body)
    env = {**os.environ, "BENCH_METHOD": probe.method, "BENCH_CONTENT_TYPE": probe.content_type,
           "BENCH_COOKIE": probe.cookie,
           "BENCH_BODY_FILE": str(body_file) if probe.body and not probe.bodies else "",
           "BENCH_BODIES_FILE": str(body_file) if probe.bodies else ""}
    command = [*WRK_PIN, wrk, "-t1", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "5s", "-s", str(LUA),
               f"http://{HOST}:{port}{probe.path}"]
    server_cpu = cpu_seconds(server.process.pid)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False, timeout=seconds + 60)
    server_cpu = cpu_seconds(server.process.pid) - server_cpu
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    wrk_cpu = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
    for line in done.stdout.splitlines():
        if line.startswith("BENCH_RESULT "):
            raw = json.loads(line.removeprefix("BENCH_RESULT "))
            errors = sum(raw["errors"].values())
            return {
                "connections": connections,
                "rps": raw["requests"] / (raw["duration_us"] / 1e6),
                "requests": raw["requests"],
                "errors": errors,
                "p50_ms": raw["p50_us"] / 1000,
                "p90_ms": raw["p90_us"] / 1000,
                "p99_ms": raw["p99_us"] / 1000,
                "mean_ms": raw["mean_us"] / 1000,
                "max_ms": raw["max_us"] / 1000,
                "server_cpu_us": server_cpu / max(raw["requests"], 1) * 1e6,
                "wrk_cpu_us": wrk_cpu / max(raw["requests"], 1) * 1e6,
            }
    raise SystemExit(f"wrk printed no result (exit {done.returncode}):\n{done.stdout}\n{done.stderr}")


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The median of each figure over the rounds; requests and errors are added up."""
    merged = {k: statistics.median(r[k] for r in runs) for k in runs[0] if k != "connections"}
    merged["requests"] = sum(r["requests"] for r in runs)
    merged["errors"] = sum(r["errors"] for r in runs)
    return {"connections": runs[0]["connections"], "rounds": len(runs), **merged}


# ----------------------------------------------------------------------------- report


def table(results: dict[str, Any]) -> str:
    """Markdown tables, one per request: throughput, latency and server CPU per request, Pathway beside the floor."""
    lines = []
    for name, rows in results["requests"].items():
        floor_by = {r["connections"]: r for r in rows["floor"]}
        lines += [f"\n{name}: {rows['label']}\n",
                  "| connections | Pathway req/s | floor req/s | ratio | Pathway p50 ms | Pathway p99 ms "
                  "| floor p50 ms | floor p99 ms | Pathway CPU µs/req | floor CPU µs/req | errors |",
                  "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for r in rows["pathway"]:
            f = floor_by[r["connections"]]
            lines.append(f"| {r['connections']} | {r['rps']:,.0f} | {f['rps']:,.0f} | {r['rps'] / f['rps']:.2f} "
                         f"| {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {f['p50_ms']:.2f} | {f['p99_ms']:.2f} "
                         f"| {r['server_cpu_us']:,.0f} | {f['server_cpu_us']:,.0f} "
                         f"| {int(r['errors'] + f['errors'])} |")
    return "\n".join(lines)


def verdicts(results: dict[str, Any]) -> list[tuple[str, bool]]:
    out = []
    for name, (min_ratio, max_p99) in GOALS.items():
        if name not in results["requests"]:
            continue
        rows = results["requests"][name]
        at = {r["connections"]: r for r in rows["pathway"]}
        floor = {r["connections"]: r for r in rows["floor"]}
        ratio = at[RATIO_AT]["rps"] / floor[RATIO_AT]["rps"]
        p99 = at[P99_AT]["p99_ms"]
        out.append((f"{name}: throughput {ratio:.2f} of the floor at {RATIO_AT} connections (goal >= {min_ratio})",
                    ratio >= min_ratio))
        out.append((f"{name}: p99 {p99:.2f} ms at {P99_AT} connections (goal <= {max_p99:g} ms)", p99 <= max_p99))
    return out


LABELS = {
    "assess": "POST /api/v2/assess, a whole case (Tyrone) as JSON",
    "assess500": f"POST /api/v2/assess, {ANSWER_SETS} distinct complete cases as JSON, in turn",
    "step": "POST /w/<walk>/q/<qid>, one questionnaire step with the walk cookie (303)",
    "outcome": "GET /w/<walk>/outcome, the action plan of a complete walk",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=5, help="seconds of load per measurement (default 5)")
    parser.add_argument("--warmup", type=float, default=2, help="seconds of unmeasured load before each request")
    parser.add_argument("--rounds", type=int, default=3,
                        help="measure each cell this many times, the apps taking turns; keep the median (default 3)")
    parser.add_argument("--connections", default=",".join(map(str, CONNECTIONS)))
    parser.add_argument("--requests", default="assess,assess500,step,outcome", help="which requests to measure")
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "bench-http.json")
    parser.add_argument("--plot", type=Path, default=ROOT / "docs" / "performance-latency.png")
    args = parser.parse_args(argv)
    connections = [int(c) for c in args.connections.split(",")]
    if RATIO_AT not in connections or P99_AT not in connections:
        parser.error(f"--connections must include {RATIO_AT} and {P99_AT}")

    wrk = ensure_wrk()
    info = machine()
    print(f"Pathway HTTP benchmark: {info['nproc']} CPUs ({info['cpu']}), Python {info['python']}, "
          f"uvicorn {info['uvicorn']}, FastAPI {info['fastapi']}, {info['wrk']}")
    print(f"wrk -t1, {args.duration:g} s per measurement, {args.rounds} round(s), connections {connections}",
          flush=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PATHWAY_")}
    env["PATHWAY_SECRET_KEY"] = Fernet.generate_key().decode()
    print(f"server pinned with `{' '.join(SERVER_PIN) or 'no taskset'}`, "
          f"wrk with `{' '.join(WRK_PIN) or 'no taskset'}`; load average before: {os.getloadavg()[0]:.2f}")
    results: dict[str, Any] = {"machine": info, "duration_s": args.duration, "rounds": args.rounds,
                               "pinning": {"server": " ".join(SERVER_PIN), "wrk": " ".join(WRK_PIN)},
                               "command": "make bench", "loadavg_before": os.getloadavg(), "requests": {}}
    with tempfile.TemporaryDirectory(prefix="pathway-bench-") as tmp:
        workdir = Path(tmp)
        env["PATHWAY_KEY_FILE"] = str(workdir / "unused.key")
        with Server("floor", workdir, env) as floor, Server("pathway", workdir, env) as pathway:
            servers = {"floor": floor, "pathway": pathway}
            probes = [p for p in prepare(pathway.port) if p.name in args.requests.split(",")]
            for probe in probes:
                for name, server in servers.items():
                    check(server.port, probe, floor=name == "floor")
                    run_wrk(wrk, server, probe, 8, args.warmup, workdir)
                rows: dict[str, list[dict[str, Any]]] = {"pathway": [], "floor": []}
                for c in connections:
                    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in servers}
                    for _ in range(args.rounds):  # the two apps take turns, so a noisy moment hits both
                        for name, server in servers.items():
                            runs[name].append(run_wrk(wrk, server, probe, c, args.duration, workdir))
                    for name in servers:
                        row = median_run(runs[name])
                        rows[name].append(row)
                        print(f"  {probe.name:8s} {name:8s} c={c:<3d} {row['rps']:8.0f} req/s  "
                              f"p50 {row['p50_ms']:6.2f} ms  p99 {row['p99_ms']:6.2f} ms  "
                              f"server CPU {row['server_cpu_us']:5.0f} us/req  "
                              f"wrk CPU {row['wrk_cpu_us']:4.0f} us/req  "
                              f"errors {int(row['errors'])}", flush=True)
                # The probe must still be answered correctly after the load (nothing degraded).
                check(pathway.port, probe, floor=False)
                results["requests"][probe.name] = {"label": LABELS[probe.name], **rows,
                                                   "probe": {k: v for k, v in asdict(probe).items()
                                                             if k in ("method", "path", "expect_status")}}
            for server in servers.values():
                if server.process and server.process.poll() is not None:
                    raise SystemExit(f"{server.name} died during the benchmark:\n{server.tail()}")

    results["loadavg_after"] = os.getloadavg()
    print(table(results))
    print(f"\nload average (1, 5, 15 min) before: {results['loadavg_before']}, after: {results['loadavg_after']}")
    checks = verdicts(results)
    errors = sum(r["errors"] for req in results["requests"].values() for side in ("pathway", "floor")
                 for r in req[side])
    checks.append((f"wrk errors (connect, read, write, timeout, non-2xx/3xx status): {int(errors)}", errors == 0))
    print()
    for text, ok in checks:
        print(f"{'ok  ' if ok else 'MISS'} {text}")
    results["goals"] = [{"text": text, "met": ok} for text, ok in checks]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"results: {args.out}")
    try:
        sys.path.insert(0, str(BENCH))
        from benchmarks import plot

        plot.plot(results, args.plot)
        print(f"plot: {args.plot}")
    except ImportError:
        print("no plot: matplotlib is not installed (pip install -e '.[bench]')")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
