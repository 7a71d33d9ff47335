"""End to end (issue 13): walks completed through the questionnaire, with counting on, appear on the
Network's dashboard and in its CSV within their month, and only once however often the plan is seen."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from app.counts import CountStore
from app.main import create_app
from tests.web.test_counting import LINH, new_walk, send
from tests.web.test_network import ORIGIN, PASSPHRASE, settings_for

COUNCIL_USER: dict[str, Any] = {**LINH, "organisation": "local_authority", "council_service": "childrens_social_care"}


def test_completed_walks_reach_the_dashboard_and_the_csv_in_their_month(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    store = CountStore(CountStore.url_for(settings))
    store.migrate()  # as `pathway serve` does before its workers start
    store.close()
    with TestClient(create_app(settings), follow_redirects=False) as client:
        assert client.post("/network/sign-in", data={"passphrase": PASSPHRASE}, headers=ORIGIN).status_code == 303
        session = dict(client.cookies)
        for _ in range(6):
            walk_id, token = new_walk(client, COUNCIL_USER)
            plan, token = send(client, "GET", walk_id, token)
            assert plan.status_code == 200 and "What have you done?" in plan.text
            send(client, "GET", walk_id, token)  # seen again: counted once
            done, token = send(client, "POST", walk_id, token, "/done", {"done": "nrm_referral"})
            assert done.status_code in (200, 303), done.text
        client.cookies.clear()
        for name, value in session.items():
            client.cookies.set(name, value, path="/network")
        month = dt.date.today().strftime("%Y-%m")
        page = client.get(f"/network?from={month}&to={month}")
        assert page.status_code == 200, page.text
        for table in ("nrm_referrals", "nrm_referrals_childrens_social_care"):
            rows = page.text.split(f'id="table-{table}"')[1].split("</table>")[0]
            assert "<td data-figure>6</td>" in rows, rows
        csv = client.get(f"/network/export.csv?from={month}&to={month}").text.splitlines()
        assert f"{month},action_done,nrm_referral,local_authority/childrens_social_care,6" in csv
        assert f"{month},walks,completed,local_authority/childrens_social_care,6" in csv
