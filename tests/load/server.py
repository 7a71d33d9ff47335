"""A real Pathway server for the load tests: ``pathway serve`` on a free loopback port, killed and restarted.

The server runs in a process group of its own (a new session), so SIGKILL reaches uvicorn's
supervisor and every worker at once, as a crash or an OOM kill of the whole service would,
and cleanup never touches any other process.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent.parent
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


class PathwayServer:
    def __init__(self, workdir: Path, env: dict[str, str], workers: int = 1) -> None:
        self.port = free_port()
        self.workers = workers
        self.env = env
        self.log = workdir / "server.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.cpu_at_start: dict[int, float] = {}  # CPU seconds of each worker once the last start was ready

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self, timeout: float = 60) -> None:
        command = [sys.executable, "-m", "app.cli", "serve", "--host", HOST, "--port", str(self.port),
                   "--workers", str(self.workers)]
        offset = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=log,
                                            start_new_session=True)
        self.starts += 1
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited while starting:\n{self.log_tail()}")
            if self._started(offset) and self._healthy() and len(self.worker_pids()) == self.workers:
                self.cpu_at_start = self.cpu_seconds()
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"the server did not start within {timeout:g} s:\n{self.log_tail()}")

    def _started(self, offset: int) -> bool:
        """Every worker has logged the end of its startup (uvicorn's own line) since this start."""
        with self.log.open("rb") as f:
            f.seek(offset)
            return f.read().count(b"Application startup complete.") >= self.workers

    def _healthy(self) -> bool:
        conn = http.client.HTTPConnection(HOST, self.port, timeout=2)
        try:
            conn.request("GET", "/healthz")
            return conn.getresponse().status == 200
        except OSError:
            return False
        finally:
            conn.close()

    def worker_pids(self) -> list[int]:
        """The processes that serve requests: the server itself with one worker, else uvicorn's children."""
        if self.process is None or self.process.poll() is not None:
            return []
        if self.workers == 1:
            return [self.process.pid]
        pids = []
        try:
            for child in psutil.Process(self.process.pid).children():
                # uvicorn's workers, not multiprocessing's resource tracker
                if any("spawn_main" in part for part in child.cmdline()):
                    pids.append(child.pid)
        except psutil.NoSuchProcess:
            pass
        return pids

    def cpu_seconds(self) -> dict[int, float]:
        out = {}
        for pid in self.worker_pids():
            try:
                times = psutil.Process(pid).cpu_times()
            except psutil.NoSuchProcess:
                continue
            out[pid] = times.user + times.system
        return out

    def kill(self) -> None:
        """SIGKILL the whole server (supervisor and workers) with no warning, and reap it."""
        assert self.process is not None
        pids = [self.process.pid, *self.worker_pids()]
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        psutil.wait_procs([p for p in (self._proc(pid) for pid in pids) if p is not None], timeout=10)

    @staticmethod
    def _proc(pid: int) -> psutil.Process | None:
        try:
            return psutil.Process(pid)
        except psutil.NoSuchProcess:
            return None

    def stop(self) -> None:
        """Stop the server if it is running (always safe to call): SIGTERM, then SIGKILL after 10 s."""
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        except ProcessLookupError:
            pass

    def requests_logged(self) -> int:
        """Access-log records so far (one JSON line per request, on the server's stderr)."""
        try:
            with self.log.open("rb") as f:
                return sum(1 for line in f if line.startswith(b'{"event":"request"'))
        except FileNotFoundError:
            return 0

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except FileNotFoundError:
            return ""
