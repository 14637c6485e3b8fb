"""`/admin/insights` over HTTP: the figures as tables, a CSV per table, the daily chart in SVG; editors only."""

from __future__ import annotations

import csv
import datetime as dt
import io

import contacts
import kb
from tests.pages.conftest import Site, http_login

DAY = "2026-10-05"  # far from the other tests' interactions; the server's zone is UTC
RANGE = {"since": "2026-10-04", "until": DAY, "channel": "ins-page"}


def _history(site: Site) -> None:
    engine = site.engine()
    at = dt.datetime(2026, 10, 5, 9, 0, tzinfo=dt.UTC)
    with kb.write_session(engine) as s:
        who = contacts.create_contact(session=s)
        for hours, outcome in ((0, "answered"), (1, "answered"), (30, "handoff")):
            contacts.record_interaction(
                session=s,
                contact=who,
                channel="ins-page",
                outcome=outcome,
                topic="billing",
                at=at + dt.timedelta(hours=hours),
            )
    engine.dispose()


def test_the_page_shows_the_figures_a_chart_and_csv_to_editors_only(site: Site) -> None:
    _history(site)
    editor = http_login(site, "editor")
    operator = http_login(site, "operator")
    try:
        page = editor.get("/admin/insights", params=RANGE)
        daily = editor.get("/admin/insights.csv", params={**RANGE, "table": "daily"})
        bad = editor.get("/admin/insights", params={"since": "2026-10-06", "until": DAY})
        wrong_table = editor.get("/admin/insights.csv", params={"table": "secrets"})
        refused = operator.get("/admin/insights", params=RANGE, follow_redirects=False)
    finally:
        editor.close()
        operator.close()
    assert page.status_code == 200
    assert '<svg id="insights-chart"' in page.text and page.text.count("<rect ") == 2 * 3
    assert "2026-10-05: 2 asked, 2 answered, 1 falsely deflected" in page.text
    assert 'href="/admin/insights.csv?table=channel&amp;since=2026-10-04' in page.text
    assert daily.status_code == 200 and daily.headers["content-type"].startswith("text/csv")
    rows = {r["name"]: r for r in csv.DictReader(io.StringIO(daily.text))}
    assert list(rows) == ["2026-10-04", DAY]
    assert (rows[DAY]["questions"], rows[DAY]["answered"], rows[DAY]["false_deflected"]) == ("2", "2", "1")
    assert rows[DAY]["false_deflection"] == "50.0%" and rows["2026-10-04"]["questions"] == "0"
    assert bad.status_code == 422 and "after until" in bad.text
    assert wrong_table.status_code == 422
    assert refused.status_code in (303, 403) and "insights-chart" not in refused.text
