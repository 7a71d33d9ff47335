"""Suppression holds in the dashboard's tables and the CSV alike, for random counters over random ranges
of months: no figure from walks is shown as 1 to 4, and any total shown is the sum of the figures shown
beside it (so nothing hidden can be worked out). The CSV holds monthly cells only, never a range total."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.config import Settings
from app.counts import CellKey, CountStore
from app.counts.store import counts as counts_table
from app.counts.suppression import SUPPRESSED, MonthProblem, month_range, shift, show, total
from app.engine.schema import DONE_VALUES
from app.main import create_app
from app.web.counting import DONE_OPTIONS
from app.web.network import SESSION_COOKIE, session_token

MONTHS = month_range("2022-01", "2024-12")
ORGANISATIONS = ("", "police", "health", "local_authority", "local_authority/childrens_social_care",
                 "local_authority/adult_social_care", "local_authority/youth_offending")
DIMENSION_VALUES = [("action_done", v) for v in DONE_VALUES] + [
    ("walks", "completed"), ("treated_as_child", "yes"), ("action_listed", "nrm_referral")]

cells = st.dictionaries(
    st.builds(lambda m, dv, o: CellKey(m, dv[0], dv[1], o), st.sampled_from(MONTHS),
              st.sampled_from(DIMENSION_VALUES), st.sampled_from(ORGANISATIONS)),
    st.integers(min_value=1, max_value=12), max_size=40)
ranges = st.tuples(st.sampled_from(MONTHS), st.integers(min_value=0, max_value=14))


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    folder = tmp_path_factory.mktemp("suppression")
    config = Settings(state_dir=folder, counts="on", secret_key=Fernet.generate_key().decode(),
                      network_auth="proxy", network_trusted_proxies=("127.0.0.1",))
    store = CountStore(CountStore.url_for(config))
    store.migrate()
    store.close()
    return create_app(config)


@pytest.fixture(scope="module")
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, client=("127.0.0.1", 5000), headers={"X-Remote-User": "tests"}) as c:
        yield c


def figure(text: str) -> int | None:
    """A figure as the page or the CSV shows it: its number, or None for "fewer than 5"."""
    if text == SUPPRESSED:
        return None
    assert re.fullmatch(r"\d{1,3}(,\d{3})*|\d+", text), text
    return int(text.replace(",", ""))


def tables(page: str) -> Iterator[tuple[str, list[list[str]], list[str | None]]]:
    """Each benchmark table: its id, the body's figures by row (columns after the month), and the totals
    (None for a column whose total is not shown)."""
    for ident, body in re.findall(r'<table class="table" id="table-([a-z_]+)">(.*?)</table>', page, re.S):
        rows = [re.findall(r"<td data-figure>([^<]*)</td>", row)
                for row in re.findall(r"<tr><th scope=\"row\">[^<]*</th>(.*?)</tr>", body.split("<tfoot>")[0], re.S)]
        foot = body.split("<tfoot>")[1] if "<tfoot>" in body else ""
        totals: list[str | None] = [t if t != "not shown" else None for t in
                                    re.findall(r"<td(?: data-total)?>([^<]+)</td>", foot)]
        yield ident, rows, totals


def check_page(page: str, months: list[str]) -> None:
    seen = 0
    for ident, rows, totals in tables(page):
        seen += 1
        assert len(rows) == len(months) and all(rows), ident  # every month's row, each with its figures
        columns = list(zip(*rows, strict=True)) if rows else []
        for c, column in enumerate(columns):
            shown = [figure(t) for t in column]
            if not ident.startswith("training_"):
                assert all(v is None or v == 0 or v >= 5 for v in shown), (ident, column)
            if c < len(totals) and totals[c] is not None:
                assert None not in shown, (ident, column, totals)  # a total only of figures all shown
                assert figure(str(totals[c])) == sum(v for v in shown if v is not None), (ident, column, totals)
    assert seen == 8


def check_csv(text: str, months: list[str]) -> None:
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["month", "measure", "value", "organisation", "count"]
    for month, measure, _value, _organisation, count in rows[1:]:
        assert month in months  # a monthly cell of the range: no total, no other month
        shown = figure(count)
        if not measure.startswith("training_"):
            assert shown is None or shown == 0 or shown >= 5, (month, measure, count)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(counters=cells, span=ranges)
def test_suppression_holds_in_the_page_and_the_csv(app: FastAPI, client: TestClient,
                                                  counters: dict[CellKey, int], span: tuple[str, int]) -> None:
    store: CountStore = app.state.pathway.counts
    with store.engine.begin() as connection:
        connection.execute(counts_table.delete())
    store.apply(counters)
    first, length = span
    last = min(shift(first, length), MONTHS[-1])
    months = month_range(first, last)
    page = client.get(f"/network?from={first}&to={last}")
    assert page.status_code == 200
    check_page(page.text, months)
    export = client.get(f"/network/export.csv?from={first}&to={last}")
    assert export.status_code == 200
    check_csv(export.text, months)


def test_show_and_total() -> None:
    assert [show(n).text for n in (0, 1, 4, 5, 1234)] == ["0", SUPPRESSED, SUPPRESSED, "5", "1,234"]
    assert total([show(0), show(5), show(7)]) == show(12)
    assert total([show(0), show(3), show(7)]) is None
    with pytest.raises(MonthProblem, match="YYYY-MM"):
        month_range("2023-9", "2023-10")
    assert shift("2023-01", -12) == "2022-01" and shift("2023-12", 1) == "2024-01"


def test_the_done_values_are_the_forms() -> None:
    """The benchmarks' check of action_done values reads the engine's list; the form posts its own."""
    assert tuple(DONE_OPTIONS) == DONE_VALUES


def test_a_walk_token_is_no_session(tmp_path: Path) -> None:
    """The session cookie and the walk cookies share a key; neither passes for the other."""
    config = Settings(state_dir=tmp_path, secret_key=Fernet.generate_key().decode())
    from app.web.network import session_user
    from app.web.walk_token import TokenCodec, Walk

    walk_token = TokenCodec(config.secret_key.encode() if config.secret_key else b"", 60).encode(Walk("abcdefghijkl"))
    assert session_user(config, walk_token) is None
    assert session_user(config, session_token(config, "passphrase")) == "passphrase"
    assert SESSION_COOKIE == "pathway_network"
