"""The Network's dashboard: sign-in by passphrase (rate-limited across workers through the database, a
strict session cookie, Origin checked on every POST) or by the reverse proxy's header (only from trusted
addresses), the calm pages when it is not set up or the figures are unavailable, the training form, the
CSV export and `pathway counts export` / `hash-passphrase`, and the benchmarks YAML's checks."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.cli import main
from app.config import Settings
from app.counts import CellKey, CountStore
from app.engine import PackError, load_rulebook
from app.main import create_app
from app.web.app_state import AppState
from app.web.network import SESSION_COOKIE, hash_passphrase, parse_hash, passphrase_matches
from tests.conftest import RULES

PASSPHRASE = "a long enough passphrase"
HASH = hash_passphrase(PASSPHRASE)
ORIGIN = {"Origin": "http://testserver"}
KEY = Fernet.generate_key().decode()


def settings_for(folder: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {"state_dir": folder, "counts": "on", "secret_key": KEY,
                                 "network_passphrase_hash": HASH, **overrides}
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("network")


@pytest.fixture(scope="module")
def apps(folder: Path) -> tuple[FastAPI, FastAPI]:
    """Two app instances (two workers) sharing one SQLite file."""
    settings = settings_for(folder)
    store = CountStore(CountStore.url_for(settings))
    store.migrate()
    store.apply({CellKey("2026-10", "action_done", "nrm_referral", "police"): 7,
                 CellKey("2026-09", "action_done", "nrm_referral", "local_authority/childrens_social_care"): 2})
    store.close()
    return create_app(settings), create_app(settings)


def client(app: FastAPI, address: str = "192.0.2.1") -> TestClient:
    return TestClient(app, client=(address, 50000), follow_redirects=False)


def signed_in(app: FastAPI, address: str = "192.0.2.1") -> TestClient:
    c = client(app, address)
    response = c.post("/network/sign-in", data={"passphrase": PASSPHRASE}, headers=ORIGIN)
    assert response.status_code == 303, response.text
    return c


@pytest.fixture
def swap(apps: tuple[FastAPI, FastAPI]) -> Iterator[FastAPI]:
    """The first app, its state restored after the test changes it."""
    app = apps[0]
    kept: AppState = app.state.pathway
    yield app
    app.state.pathway = kept


def change(app: FastAPI, **fields: object) -> None:
    state: AppState = app.state.pathway
    settings = fields.pop("settings", None)
    if isinstance(settings, dict):
        fields["settings"] = state.settings.model_copy(update=settings)
    app.state.pathway = dataclasses.replace(state, **fields)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------- sign-in


def test_the_hash_is_scrypt_and_checked_in_constant_time() -> None:
    parsed = parse_hash(HASH)
    assert parsed is not None and HASH.startswith("scrypt$16384$8$1$")
    assert passphrase_matches(PASSPHRASE, parsed) and not passphrase_matches(PASSPHRASE + "x", parsed)
    assert parse_hash("scrypt$16$8$1$AAAA$BBBB") is None  # too short a salt
    assert parse_hash("bcrypt$...") is None


def test_signing_in_sets_a_strict_session_cookie(apps: tuple[FastAPI, FastAPI]) -> None:
    c = client(apps[0])
    assert c.get("/network").headers["location"] == "/network/sign-in"
    assert c.get("/network/sign-in").status_code == 200
    response = c.post("/network/sign-in", data={"passphrase": PASSPHRASE}, headers=ORIGIN)
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    for attribute in ("HttpOnly", "SameSite=strict", "Path=/network", "Max-Age=28800"):
        assert attribute in cookie
    page = c.get("/network")
    assert page.status_code == 200
    assert "recorded through Pathway" in page.text and "NRM referrals made" in page.text
    # The session works on the other worker too (the same key), and a tampered cookie does not.
    other = client(apps[1])
    other.cookies.set(SESSION_COOKIE, c.cookies[SESSION_COOKIE], path="/network")
    assert other.get("/network").status_code == 200
    other.cookies.set(SESSION_COOKIE, c.cookies[SESSION_COOKIE][:-4] + "AAAA", path="/network")
    assert other.get("/network").status_code == 303
    # Signing out clears it.
    out = c.post("/network/sign-out", headers=ORIGIN)
    assert out.status_code == 303 and 'pathway_network=""' in out.headers["set-cookie"]


def test_five_failures_from_one_address_across_workers_then_429(apps: tuple[FastAPI, FastAPI]) -> None:
    address = "198.51.100.9"
    for i in range(5):  # alternate between the two workers: the count is in the database
        response = client(apps[i % 2], address).post("/network/sign-in", data={"passphrase": "wrong"},
                                                     headers=ORIGIN)
        assert response.status_code == 401 and "The passphrase is not right" in response.text
    for app in apps:  # now even the right passphrase is refused, on either worker
        response = client(app, address).post("/network/sign-in", data={"passphrase": PASSPHRASE}, headers=ORIGIN)
        assert response.status_code == 429
        assert response.headers["retry-after"] == "900"
        assert "Too many attempts" in response.text
    assert signed_in(apps[1], "198.51.100.10")  # another address is not held back


def test_every_post_checks_origin(apps: tuple[FastAPI, FastAPI]) -> None:
    c = signed_in(apps[0])
    for path, data in (("/network/sign-in", {"passphrase": PASSPHRASE}), ("/network/sign-out", {}),
                       ("/network/training", {"month": "2026-01", "agency": "Metropolitan Police",
                                              "attendees": "3"})):
        for headers in ({}, {"Origin": "https://elsewhere.example"}, {"Origin": "null"},
                        {"Origin": "null", "Sec-Fetch-Site": "cross-site"},
                        {"Origin": "https://elsewhere.example", "Sec-Fetch-Site": "same-origin"}):
            response = c.post(path, data=data, headers=headers)
            assert response.status_code == 403, (path, headers)
            assert "only accepted from this site" in response.text
    # What a browser sends from a page whose Referrer-Policy is no-referrer: Origin null, same-origin.
    browser_like = {"Origin": "null", "Sec-Fetch-Site": "same-origin"}
    assert c.post("/network/sign-out", headers=browser_like).status_code == 303


def test_the_proxy_header_is_honoured_only_from_trusted_addresses(swap: FastAPI) -> None:
    change(swap, settings={"network_auth": "proxy", "network_trusted_proxies": ("10.0.0.0/30",)})
    header = {"X-Remote-User": "coordinator"}
    assert client(swap, "10.0.0.2").get("/network", headers=header).status_code == 200
    assert client(swap, "10.0.0.9").get("/network", headers=header).status_code == 403  # not trusted
    assert client(swap, "10.0.0.2").get("/network").status_code == 403  # trusted, but no header
    # A passphrase session is no way round it.
    c = client(swap, "10.0.0.9")
    c.cookies.set(SESSION_COOKIE, "x", path="/network")
    assert c.get("/network").status_code == 403
    change(swap, settings={"network_proxy_header": "X-Forwarded-User"})
    assert client(swap, "10.0.0.1").get("/network", headers={"X-Forwarded-User": "a"}).status_code == 200
    assert client(swap, "10.0.0.1").get("/network", headers=header).status_code == 403


def test_the_proxy_header_is_trusted_by_the_connection_not_by_forwarded_headers(swap: FastAPI) -> None:
    """Behind nginx on the same machine (FORWARDED_ALLOW_IPS=127.0.0.1, as `pathway serve` runs it), the
    app sees the user's address for the sign-in limit, yet trusts the proxy's header because the
    connection itself is the proxy's; a user who sends the same headers straight to the app is refused."""
    change(swap, settings={"network_auth": "proxy", "network_trusted_proxies": ("127.0.0.1",)})
    forwarded = {"X-Remote-User": "coordinator", "X-Forwarded-For": "198.51.100.7"}
    assert client(swap, "127.0.0.1").get("/network", headers=forwarded).status_code == 200
    assert client(swap, "198.51.100.7").get("/network", headers=forwarded).status_code == 403
    spoofed = {"X-Remote-User": "coordinator", "X-Forwarded-For": "127.0.0.1"}
    assert client(swap, "198.51.100.7").get("/network", headers=spoofed).status_code == 403


@pytest.mark.parametrize(("fields", "named"), [
    ({"counts": None}, "PATHWAY_COUNTS=on"),
    ({"settings": {"network_passphrase_hash": None}}, "PATHWAY_NETWORK_PASSPHRASE_HASH"),
    ({"settings": {"network_passphrase_hash": "not-a-hash"}}, "PATHWAY_NETWORK_PASSPHRASE_HASH"),
    ({"settings": {"network_auth": "proxy"}}, "PATHWAY_NETWORK_TRUSTED_PROXIES"),
])
def test_not_set_up_is_a_calm_page_naming_the_setting(swap: FastAPI, fields: dict[str, object], named: str) -> None:
    change(swap, **fields)
    for path in ("/network", "/network/sign-in", "/network/training", "/network/export.csv"):
        response = client(swap).get(path)
        assert response.status_code == 404, path
        assert "not set up" in response.text and named in response.text


def test_the_store_down_is_figures_unavailable(swap: FastAPI, tmp_path: Path) -> None:
    c = signed_in(swap)
    change(swap, counts=CountStore(f"sqlite:///{tmp_path / 'never-migrated.sqlite3'}"))
    response = c.get("/network")
    assert response.status_code == 503 and "Figures unavailable" in response.text
    assert response.headers["retry-after"] == "60"
    assert c.get("/network/export.csv").status_code == 503
    assert client(swap, "203.0.113.50").post("/network/sign-in", data={"passphrase": "x"},
                                             headers=ORIGIN).status_code == 503


# ------------------------------------------------------------------------------------------- dashboard


def test_the_dashboard_shows_each_benchmark_with_its_chart_and_table(apps: tuple[FastAPI, FastAPI]) -> None:
    text = signed_in(apps[0]).get("/network?from=2026-01&to=2026-11").text
    assert text.count('role="img"') == 8 and text.count("<table") == 8
    assert 'aria-labelledby="chart-nrm_referrals-title chart-nrm_referrals-desc"' in text
    assert "style=" not in text.split('<main id="main"')[1]  # the CSP blocks inline styles
    assert "At least 4 sessions by September 2023" in text and "Date passed" in text
    nrm = text.split('id="table-nrm_referrals"')[1].split("</table>")[0]
    assert "<td data-figure>7</td>" in nrm and "fewer than 5" in nrm
    assert "<td>not shown</td><td data-total>0</td>" in nrm  # September's is hidden: no total this year
    children = text.split('id="table-nrm_referrals_childrens_social_care"')[1].split("</table>")[0]
    assert "fewer than 5" in children and "<td data-figure>7</td>" not in children


@pytest.mark.parametrize("query", ["from=2026-13&to=2026-12", "from=2026-1", "to=23-09", "from=2026-05&to=2026-01",
                                   "from=2000-01&to=2026-01"])
def test_bad_months_are_400_naming_the_format(apps: tuple[FastAPI, FastAPI], query: str) -> None:
    c = signed_in(apps[0])
    page = c.get(f"/network?{query}")
    assert page.status_code == 400 and "Those months cannot be shown" in page.text
    export = c.get(f"/network/export.csv?{query}")
    assert export.status_code == 400
    assert "YYYY-MM" in export.text or "before it" in export.text or "at most 120 months" in export.text


def test_the_csv_holds_monthly_cells_suppressed(apps: tuple[FastAPI, FastAPI]) -> None:
    response = signed_in(apps[0]).get("/network/export.csv?from=2026-09&to=2026-10")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    lines = response.text.splitlines()
    assert lines[0] == "month,measure,value,organisation,count"
    assert "2026-09,action_done,nrm_referral,local_authority/childrens_social_care,fewer than 5" in lines
    assert "2026-10,action_done,nrm_referral,police,7" in lines


def test_a_trainer_records_a_session(apps: tuple[FastAPI, FastAPI]) -> None:
    c = signed_in(apps[0])
    form = c.get("/network/training")
    assert form.status_code == 200 and "Metropolitan Police" in form.text and "Another agency" in form.text
    bad = c.post("/network/training", data={"month": "09/2023", "agency": "Nobody", "attendees": "lots"},
                 headers=ORIGIN)
    assert bad.status_code == 422 and "There is a problem" in bad.text
    for words in ("Enter the month of the session as YYYY-MM", "Select the agency",
                  "whole number from 1 to 10,000"):
        assert words in bad.text
    assert 'href="#month"' in bad.text and 'href="#agency-0"' in bad.text
    future = c.post("/network/training", data={"month": f"{dt.date.today().year + 1}-01",
                                               "agency": "Another agency", "attendees": "3"}, headers=ORIGIN)
    assert future.status_code == 422 and "this month or before" in future.text
    done = c.post("/network/training", data={"month": "2023-03", "agency": "Metropolitan Police",
                                             "attendees": "31"}, headers=ORIGIN)
    assert done.status_code == 303 and done.headers["location"] == "/network?recorded=1"
    page = c.get("/network?from=2023-01&to=2023-06&recorded=1").text
    assert "The training session has been recorded" in page
    attendees = page.split('id="table-training_attendees"')[1].split("</table>")[0]
    assert "<td data-figure>31</td>" in attendees  # training is not suppressed
    csv = c.get("/network/export.csv?from=2023-03&to=2023-03").text
    assert "2023-03,training_sessions,Metropolitan Police,,1" in csv
    assert "2023-03,training_attendees,Metropolitan Police,,31" in csv
    assert 'href="/network/training"' in client(apps[0]).get("/training").text  # from the training page


# ------------------------------------------------------------------------------------------ command line


def test_counts_export_prints_the_same_csv(apps: tuple[FastAPI, FastAPI], folder: Path,
                                          monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PATHWAY_STATE_DIR", str(folder))
    assert main(["counts", "export", "--from", "2026-09", "--to", "2026-10", "--format", "csv"]) == 0
    printed = capsys.readouterr().out
    assert printed == signed_in(apps[0]).get("/network/export.csv?from=2026-09&to=2026-10").text
    assert main(["counts", "export", "--from", "2026-9", "--to", "2026-10"]) == 2
    assert "YYYY-MM" in capsys.readouterr().err


def test_hash_passphrase_reads_without_echo(monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    answers = iter(["correct horse battery staple"] * 2)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert main(["counts", "hash-passphrase"]) == 0
    printed = capsys.readouterr().out.strip()
    parsed = parse_hash(printed)
    assert parsed is not None and passphrase_matches("correct horse battery staple", parsed)
    differing = iter(["correct horse battery staple", "something else entirely"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(differing))
    assert main(["counts", "hash-passphrase"]) == 2
    assert "differ" in capsys.readouterr().err


# ----------------------------------------------------------------------------------------- benchmarks YAML


def overlay_with(tmp_path: Path, benchmarks: str) -> Path:
    folder = tmp_path / "overlay"
    source = RULES / "local" / "lewisham"
    folder.mkdir(parents=True)
    for path in source.glob("*.yaml"):
        if path.name != "benchmarks.yaml":
            (folder / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "benchmarks.yaml").write_text(benchmarks, encoding="utf-8")
    return folder


def test_the_benchmarks_yaml_is_checked_at_file_and_line(tmp_path: Path) -> None:
    folder = overlay_with(tmp_path, """benchmarks:
  - id: one
    label: One
    counts: {dimension: action_dun, values: [nrm_referral]}
    target: {increase: true, by: 2023-09-30}
    source: the strategy
  - id: two
    label: Two
    counts: {dimension: action_done, values: [nrm_referal], organisation: polise}
    target: {increase: true, by: 2023-09-30}
    source: the strategy
  - id: three
    label: Three
    counts: {dimension: training_sessions}
    target: {at_least: 4, by: 2023-13-01}
    source: the strategy
  - id: four
    label: Four
    counts: {dimension: walks}
    target: {at_least: 4, increase: true, by: 2023-09-30}
    source: the strategy
""")
    with pytest.raises(PackError) as caught:
        load_rulebook(RULES / "national", folder)
    report = [str(p) for p in caught.value.problems]
    where = f"{folder / 'benchmarks.yaml'}"
    assert any(line.startswith(f"{where}:15:") and "by" in line and "date" in line for line in report), report
    assert any(line.startswith(f"{where}:20:") and "not both" in line for line in report), report
    # the checks against the packs run when the schema is met
    folder = overlay_with(tmp_path / "b", """benchmarks:
  - id: one
    label: One
    counts: {dimension: action_dun, values: [nrm_referral]}
    target: {increase: true, by: 2023-09-30}
    source: the strategy
  - id: two
    label: Two
    counts: {dimension: action_done, values: [nrm_referal], organisation: polise}
    target: {increase: true, by: 2023-09-30}
    source: the strategy
""")
    with pytest.raises(PackError) as caught:
        load_rulebook(RULES / "national", folder)
    report = [str(p) for p in caught.value.problems]
    where = f"{folder / 'benchmarks.yaml'}"
    assert f"{where}:4: benchmarks[one]: 'action_dun' is not counted" in "\n".join(report)
    assert any(line.startswith(f"{where}:9: benchmarks[two]: 'nrm_referal' is not a referral the form records")
               and "nrm_referral" in line for line in report), report
    assert any(line.startswith(f"{where}:9: benchmarks[two]: 'polise' is not an organisation type")
               and "police" in line for line in report), report


def test_pathway_check_passes_lewisham_with_its_benchmarks(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(RULES), "--local", "lewisham"]) == 0
    assert "FAILED" not in capsys.readouterr().out
