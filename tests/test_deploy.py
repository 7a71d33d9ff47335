"""The deployment files in deploy/, checked as a council's IT team would use them.

The systemd unit passes ``systemd-analyze verify`` unchanged (its program is put where the unit
says, under a temporary root) and starts ``pathway serve`` as the command line reads it; the nginx
example passes ``nginx -t`` and, run for real in front of ``pathway serve`` with a certificate
made for the test, redirects to HTTPS, gets the walk's cookie marked Secure, refuses a large body
itself and logs no walk id. A walk started before an upgrade goes on under the new packs, as
the README's Upgrading says. ``make test`` installs nginx from Debian's packages (``make
deploy-tools``); the nginx tests fail, never skip, without it.
"""

from __future__ import annotations

import datetime as dt
import http.client
import ipaddress
import os
import re
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fastapi.testclient import TestClient

from app.cli import build_parser
from app.config import DEFAULT_RULES, Settings
from app.main import create_app
from app.web.walk_token import TokenCodec, cookie_name
from tests.load.server import HOST, PathwayServer, free_port

ROOT = Path(__file__).resolve().parent.parent
UNIT = ROOT / "deploy" / "pathway.service"
NGINX_SITE = ROOT / "deploy" / "nginx-pathway.conf"
README = ROOT / "README.md"
SYSTEMD_ANALYZE = "/usr/bin/systemd-analyze"
SERVER_NAME = "pathway.example.org"
# What the example names for a council to replace, and what the tests put there instead.
CERT, CERT_KEY = "/etc/ssl/pathway/fullchain.pem", "/etc/ssl/pathway/privkey.pem"
LOG_DIR = "/var/log/nginx/"
APP_ADDRESS = "127.0.0.1:8000"


# ----------------------------------------------------------------------------- the systemd unit


def unit_entries(text: str) -> list[tuple[str, str, str]]:
    """(section, key, value) for each setting of a unit file, in order (a key may repeat)."""
    entries, section = [], ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        key, _, value = line.partition("=")
        entries.append((section, key.strip(), value.strip()))
    return entries


def unit_values(key: str) -> list[str]:
    return [value for _, k, value in unit_entries(UNIT.read_text()) if k == key]


def unit_environment() -> dict[str, str]:
    pairs = (value.partition("=") for value in unit_values("Environment"))
    return {name: value for name, _, value in pairs}


def systemd_root(tmp_path: Path) -> Path:
    """A root holding the unit as shipped, its program where ExecStart says (a copy of the installed
    ``pathway`` command) and the system's own units (sysinit.target and the rest it depends on)."""
    root = tmp_path / "root"
    program = Path(shlex.split(unit_values("ExecStart")[0])[0])
    installed = Path(sys.executable).parent / "pathway"
    assert installed.is_file(), f"{installed} is missing: install Pathway into this environment (make test does)"
    (root / program.relative_to("/")).parent.mkdir(parents=True)
    shutil.copy2(installed, root / program.relative_to("/"))
    (root / "etc/systemd/system").mkdir(parents=True)
    shutil.copy2(UNIT, root / "etc/systemd/system/pathway.service")
    system_units = next(p for p in (Path("/usr/lib/systemd/system"), Path("/lib/systemd/system")) if p.is_dir())
    shutil.copytree(system_units, root / "usr/lib/systemd/system", symlinks=True)
    return root


def analyze(*args: str) -> subprocess.CompletedProcess[str]:
    assert Path(SYSTEMD_ANALYZE).is_file(), "systemd-analyze is missing: install Debian's systemd package"
    return subprocess.run([SYSTEMD_ANALYZE, *args], capture_output=True, text=True, timeout=60, check=False)


def test_the_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    root = systemd_root(tmp_path)
    result = analyze("verify", "--man=no", "--recursive-errors=no", f"--root={root}",
                     "/etc/systemd/system/pathway.service")
    said = (result.stdout + result.stderr).strip()
    assert result.returncode == 0 and not said, f"systemd-analyze verify refused deploy/pathway.service:\n{said}"


def test_verify_reports_a_mistake_in_the_unit(tmp_path: Path) -> None:
    """The check above can fail: a misspelt setting is reported with its line."""
    root = systemd_root(tmp_path)
    copy = root / "etc/systemd/system/pathway.service"
    copy.write_text(copy.read_text().replace("ProtectHome=yes", "ProtectHom=yes"))
    result = analyze("verify", "--man=no", "--recursive-errors=no", f"--root={root}",
                     "/etc/systemd/system/pathway.service")
    assert result.returncode != 0
    assert "Unknown key 'ProtectHom'" in result.stderr or "Unknown key name 'ProtectHom'" in result.stderr


def test_the_unit_is_hardened(tmp_path: Path) -> None:
    """systemd's own review of the unit's sandbox rates its exposure 2.0 or less ("OK"; 10 is none)."""
    root = systemd_root(tmp_path)
    result = analyze("security", "--offline=yes", "--threshold=20", f"--root={root}",
                     "/etc/systemd/system/pathway.service")
    overall = re.search(r"Overall exposure level for pathway\.service: ([\d.]+)", result.stdout + result.stderr)
    assert overall is not None, result.stdout + result.stderr
    assert result.returncode == 0, f"exposure {overall.group(1)} is over 2.0:\n{result.stdout}"
    for setting in ("NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes"):
        key, value = setting.split("=")
        assert unit_values(key) == [value], f"deploy/pathway.service must set {setting}"


def test_the_unit_runs_pathway_serve_on_the_loopback_address_as_its_own_user() -> None:
    words = shlex.split(unit_values("ExecStart")[0])
    assert words[0] == "/opt/pathway/venv/bin/pathway"
    args = build_parser().parse_args(words[1:])  # the command line as `pathway` itself reads it
    assert (args.command, args.host, args.port) == ("serve", "127.0.0.1", 8000)
    assert args.workers >= 1
    assert unit_values("User") == ["pathway"] and unit_values("Group") == ["pathway"]
    # Writable: the state folder alone, and Pathway is told where it is.
    assert unit_values("StateDirectory") == ["pathway"]
    assert unit_values("ReadWritePaths") == ["/var/lib/pathway"]
    assert unit_environment()["PATHWAY_STATE_DIR"] == "/var/lib/pathway"
    # The key comes from a root-only file that systemd reads; a missing file stops the start.
    assert unit_values("EnvironmentFile") == ["/etc/pathway/pathway.env"]
    assert unit_values("Restart") == ["on-failure"]


def settings_table_names() -> set[str]:
    """The variables the README's Settings table lists."""
    text = README.read_text()
    table = text.split("## Settings", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `(PATHWAY_[A-Z_]+)` \|", table, flags=re.MULTILINE))


def test_every_setting_the_unit_and_guide_use_is_documented() -> None:
    documented = settings_table_names()
    used = set(unit_environment())
    guide = README.read_text().split("## Deployment", 1)[1].split("\n## ", 1)[0]
    used |= set(re.findall(r"\b(PATHWAY_[A-Z_]+)=", guide))
    assert used <= documented, f"not in the README's Settings table: {sorted(used - documented)}"


# ----------------------------------------------------------------------------- the nginx example


def nginx() -> str:
    found = shutil.which("nginx", path=os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"]))
    if found is None:
        pytest.fail("nginx is not installed: run `make deploy-tools` as root (it installs Debian's nginx), "
                    "or `apt-get install nginx`")
    return found


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path
    context: ssl.SSLContext  # a client that trusts only this certificate


def self_signed(folder: Path) -> Certificate:
    """A certificate for SERVER_NAME and 127.0.0.1, valid for a day."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, SERVER_NAME)])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(SERVER_NAME),
                                                        x509.IPAddress(ipaddress.ip_address(HOST))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "fullchain.pem", folder / "privkey.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_path.chmod(0o600)
    context = ssl.create_default_context(cafile=str(cert_path))
    return Certificate(cert_path, key_path, context)


def replace_once(text: str, old: str, new: str) -> str:
    assert old in text, f"{old!r} is no longer there to replace: update tests/test_deploy.py"
    return text.replace(old, new)


def site_for_test(folder: Path, cert: Certificate, ports: dict[str, int] | None = None) -> Path:
    """The example with the certificate and log paths in ``folder``; with ``ports`` ("http", "https",
    "app"), listening on loopback test ports in front of the app's test port."""
    text = NGINX_SITE.read_text()
    text = replace_once(text, CERT, str(cert.cert))
    text = replace_once(text, CERT_KEY, str(cert.key))
    text = replace_once(text, LOG_DIR, f"{folder}/")
    if ports is not None:
        text = replace_once(text, "listen [::]:80;", "")
        text = replace_once(text, "listen [::]:443 ssl;", "")
        text = replace_once(text, "listen 80;", f"listen {HOST}:{ports['http']};")
        text = replace_once(text, "listen 443 ssl;", f"listen {HOST}:{ports['https']} ssl;")
        text = replace_once(text, f"server {APP_ADDRESS};", f"server {HOST}:{ports['app']};")
    site = folder / "pathway.conf"
    site.write_text(text)
    return site


def main_config(folder: Path, site: Path, *, foreground: bool = False) -> Path:
    """An nginx main configuration that includes the site inside ``http { }``, every path in ``folder``."""
    temp = " ".join(f"{kind}_temp_path {folder}/{kind}_temp;" for kind in ("client_body", "proxy", "fastcgi",
                                                                             "uwsgi", "scgi"))
    lines = [f"pid {folder}/nginx.pid;", f"error_log {folder}/error.log;",
             *(["daemon off;", "master_process off;"] if foreground else []),
             "events { worker_connections 256; }",
             f"http {{ {temp} access_log {folder}/default.access.log; include {site}; }}"]
    config = folder / "nginx.conf"
    config.write_text("\n".join(lines) + "\n")
    return config


def test_the_nginx_example_passes_nginx_t(tmp_path: Path) -> None:
    binary = nginx()
    config = main_config(tmp_path, site_for_test(tmp_path, self_signed(tmp_path)))
    result = subprocess.run([binary, "-t", "-p", f"{tmp_path}/", "-c", str(config), "-e", str(tmp_path / "error.log")],
                            capture_output=True, text=True, timeout=60, check=False)
    said = (result.stdout + result.stderr).strip()
    assert result.returncode == 0, f"nginx -t refused deploy/nginx-pathway.conf:\n{said}"
    assert "[warn]" not in said, f"nginx -t warned about deploy/nginx-pathway.conf:\n{said}"
    assert "test is successful" in said


def test_the_example_holds_the_apps_limits() -> None:
    """The proxy's limits are the ones the README gives the app: headers in 10 s, bodies up to 64 KB."""
    text = NGINX_SITE.read_text()
    for directive in ("client_max_body_size  64k;", "client_header_timeout 10s;", "client_body_timeout   10s;",
                      "keepalive_timeout     5s;", "proxy_read_timeout    30s;", "limit_req  zone=pathway_req",
                      "proxy_set_header X-Forwarded-Proto $scheme;", "proxy_set_header X-Forwarded-For $remote_addr;"):
        assert directive in text
    guide = README.read_text().split("## Deployment", 1)[1].split("\n## ", 1)[0]
    assert "(deploy/nginx-pathway.conf)" in guide and "(deploy/pathway.service)" in guide


@dataclass
class Proxy:
    ports: dict[str, int]
    folder: Path
    cert: Certificate

    def https(self, method: str, path: str, body: bytes | None = None,
              headers: dict[str, str] | None = None) -> tuple[http.client.HTTPResponse, bytes]:
        conn = http.client.HTTPSConnection(HOST, self.ports["https"], context=self.cert.context, timeout=10)
        try:
            conn.request(method, path, body=body, headers={"Host": SERVER_NAME, **(headers or {})})
            response = conn.getresponse()
            return response, response.read()
        finally:
            conn.close()

    def access_log(self) -> str:
        return (self.folder / "pathway.access.log").read_text()


def wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"nginx stopped while starting:\n{log.read_text(errors='replace')}")
        try:
            with socket.create_connection((HOST, port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nginx did not open port {port}:\n{log.read_text(errors='replace')}")


def served_as_the_unit_says(folder: Path) -> PathwayServer:
    """`pathway serve` with the unit's settings and workers: its state folder and a council's overlay
    (made by `pathway init-local`) moved into ``folder``, and the key the environment file gives."""
    moved = {"/var/lib/pathway": str(folder / "state"), "/opt/pathway/local": str(folder / "local")}
    made = subprocess.run([sys.executable, "-m", "app.cli", "init-local", "southwark", moved["/opt/pathway/local"]],
                          cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert made.returncode == 0, made.stdout + made.stderr
    env = {k: v for k, v in os.environ.items() if not k.startswith("PATHWAY_")}
    env.update({name: moved.get(value, value) for name, value in unit_environment().items()})
    assert env["PATHWAY_LOCAL_PACK"] == moved["/opt/pathway/local"], "the unit's overlay is not /opt/pathway/local"
    env["PATHWAY_SECRET_KEY"] = Fernet.generate_key().decode()
    workers = build_parser().parse_args(shlex.split(unit_values("ExecStart")[0])[1:]).workers
    return PathwayServer(folder, env, workers=workers)


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    """nginx with the example's settings, on loopback test ports, in front of `pathway serve` run
    with the systemd unit's settings."""
    binary = nginx()
    folder = tmp_path_factory.mktemp("nginx")
    app = served_as_the_unit_says(folder)
    app.start(timeout=60)
    cert = self_signed(folder)
    ports = {"http": free_port(), "https": free_port(), "app": app.port}
    config = main_config(folder, site_for_test(folder, cert, ports), foreground=True)
    error_log = folder / "error.log"
    with (folder / "nginx.out").open("wb") as out:
        process = subprocess.Popen([binary, "-p", f"{folder}/", "-c", str(config), "-e", str(error_log)],
                                   stdout=out, stderr=out, start_new_session=True)
    try:
        wait_for_port(ports["https"], process, error_log)
        yield Proxy(ports, folder, cert)
    finally:
        process.send_signal(signal.SIGQUIT)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        app.stop()


def test_plain_http_is_redirected_to_https(proxy: Proxy) -> None:
    conn = http.client.HTTPConnection(HOST, proxy.ports["http"], timeout=10)
    conn.request("GET", "/training", headers={"Host": SERVER_NAME})
    response = conn.getresponse()
    conn.close()
    assert response.status == 301
    assert response.getheader("Location") == f"https://{SERVER_NAME}/training"


def test_a_walk_through_the_proxy_gets_a_secure_cookie_and_hsts(proxy: Proxy) -> None:
    """The app trusts the proxy's X-Forwarded-Proto, so the walk's cookie is sent only over HTTPS."""
    health, _ = proxy.https("GET", "/healthz")
    assert health.status == 200
    assert health.getheader("Strict-Transport-Security") == "max-age=63072000"
    assert health.getheader("Server") == "nginx"  # no version
    started, _ = proxy.https("POST", "/start", b"", {"Content-Type": "application/x-www-form-urlencoded"})
    assert started.status == 303, started.status
    cookie = started.getheader("Set-Cookie") or ""
    assert cookie.startswith("pathway_walk_")
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie


def test_a_body_over_64_kb_is_refused_by_the_proxy_and_the_log_holds_no_walk_id(proxy: Proxy) -> None:
    started, _ = proxy.https("POST", "/start", b"", {"Content-Type": "application/x-www-form-urlencoded"})
    location = started.getheader("Location") or ""
    walk_id = location.split("/")[2]
    request_id = started.getheader("X-Request-ID")
    assert walk_id and request_id
    refused, _ = proxy.https("POST", location, b"a=" + b"x" * 70_000,
                                {"Content-Type": "application/x-www-form-urlencoded"})
    assert refused.status == 413
    assert refused.getheader("X-Request-ID") is None, "the app answered: nginx should refuse the body first"
    cookie = (started.getheader("Set-Cookie") or "").split(";")[0]
    question, _ = proxy.https("GET", location, headers={"Cookie": cookie})
    assert question.status == 200
    log = proxy.access_log()
    assert walk_id not in log
    state = proxy.folder / "state"
    assert not state.exists() or not any(state.iterdir()), "the key was given: the state folder stays empty"
    assert "/w/{walk_id}/q/" in log and request_id in log


def test_a_client_sending_too_fast_gets_429_from_the_proxy(proxy: Proxy) -> None:
    """50 requests a second from one address, bursts of 100: 300 sent 20 at a time get some 429s,
    answered by nginx, not the app; the others are answered."""
    def status(_: int) -> tuple[int, bool]:
        response, _body = proxy.https("GET", "/healthz")
        return response.status, response.getheader("X-Request-ID") is not None

    with ThreadPoolExecutor(20) as pool:
        statuses = list(pool.map(status, range(300)))
    assert set(statuses) == {(200, True), (429, False)}, sorted(set(statuses))


# ----------------------------------------------------------------------------- upgrading


def cookie_of(client: TestClient, walk_id: str) -> str:
    values = {c.name: c.value for c in client.cookies.jar}
    value = values[cookie_name(walk_id)]
    assert value is not None
    return value


def test_a_walk_started_before_an_upgrade_goes_on_under_the_new_packs(tmp_path: Path) -> None:
    """As the README's Upgrading says: the cookie holds answers, not the rules; the answers the new
    packs accept are kept, the others dropped, and the walk goes on where the new rules need it."""
    key = Fernet.generate_key().decode()
    rules = tmp_path / "rules"
    shutil.copytree(DEFAULT_RULES, rules, ignore=shutil.ignore_patterns("__pycache__", "__init__.py"))
    national = rules / "national" / "pack.yaml"
    national.write_text(replace_once(national.read_text(), "version: 2.0.0", "version: 2.1.0"))
    with TestClient(create_app(Settings(secret_key=key)), base_url="https://testserver",
                    follow_redirects=False) as before:
        first = before.post("/start").headers["location"]
        walk_id = first.split("/")[2]
        second = before.post(first, data={"immediate_danger": "no"}).headers["location"]
        third = before.post(second, data={"age_group": "adult"}).headers["location"]
        token = cookie_of(before, walk_id)
    # The cookie as an older version could have left it: a question since retired, a value since withdrawn.
    codec = TokenCodec(key.encode(), 3600)
    walk = codec.decode(token, walk_id)
    walk.answers.update(retired_question="yes", safe_to_talk="maybe")
    with TestClient(create_app(Settings(rules_dir=rules, secret_key=key)), base_url="https://testserver",
                    follow_redirects=False) as after:
        assert "2.1.0" in after.get("/pathway").text
        after.cookies.set(cookie_name(walk_id), codec.encode(walk), path=f"/w/{walk_id}")
        assert after.get(f"/w/{walk_id}").headers["location"] == third
        assert after.post(f"/w/{walk_id}/keepalive").status_code == 204
        kept = codec.decode(cookie_of(after, walk_id), walk_id).answers
    assert kept == {"immediate_danger": "no", "age_group": "adult"}
    with TestClient(create_app(Settings(rules_dir=rules, secret_key=Fernet.generate_key().decode())),
                    base_url="https://testserver", follow_redirects=False) as new_key:
        new_key.cookies.set(cookie_name(walk_id), token, path=f"/w/{walk_id}")
        ended = new_key.get(f"/w/{walk_id}")
    assert "We cannot read your answers" in ended.text
