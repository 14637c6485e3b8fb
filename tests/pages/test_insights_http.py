"""`/admin/insights` over HTTP: the figures as tables, a CSV per table, the daily chart in SVG; editors only."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re

import contacts
import kb
from tests.pages.conftest import Site, client, http_login

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


def test_searches_and_the_results_opened_from_them_are_counted_and_the_unopened_listed(site: Site) -> None:
    reader = client(site)
    operator = http_login(site, "operator")
    editor = http_login(site, "editor")
    try:
        results = reader.get("/help/en/search", params={"q": "roaming prices"})
        links = re.findall(r'href="(/help/en/search/open\?[^"]+)"', results.text)
        opened = reader.get(links[0].replace("&amp;", "&"))
        for _ in range(2):
            assert "search/open" in reader.get("/help/en/search", params={"q": "top up with a card"}).text
        elsewhere = reader.get("/help/en/search/open", params={"q": "x", "to": "en/../../admin"})
        hits = operator.get("/panel/search", params={"q": "puk code", "locale": "en"}).json()["hits"]
        card = operator.get(f"/panel/card/en/{hits[0]['key']}", params={"q": "puk code"})
        for typed in ("lost s", "lost sim"):  # steps of typing "lost sim card": not searches of their own
            operator.get("/panel/search", params={"q": typed, "locale": "en"})
        assert operator.get("/panel/search", params={"q": "lost sim card", "locale": "en"}).json()["hits"]
        page = editor.get("/admin/insights", params={"since": "1d"})
        unopened = editor.get("/admin/insights.csv", params={"since": "1d", "table": "unopened"})
    finally:
        reader.close()
        operator.close()
        editor.close()
    assert len(links) >= 2 and opened.status_code == 303 and opened.headers["location"].startswith("/help/en/")
    assert elsewhere.status_code == 404 and card.status_code == 200
    mine = {"roaming prices", "top up with a card", "puk code", "lost s", "lost sim", "lost sim card"}
    rows = [(r["term"], r["surface"], r["searches"]) for r in csv.DictReader(io.StringIO(unopened.text))]
    # The site is shared with other test files, whose searches are counted too: only this test's terms.
    assert [row for row in rows if row[0] in mine] == [
        ("top up with a card", "help", "2"),
        ("lost sim card", "panel", "1"),
    ]
    assert page.status_code == 200 and "top up with a card" in page.text and "roaming prices" not in page.text


def test_every_table_is_a_csv_and_figures_link_to_what_is_behind_them(site: Site) -> None:
    _history(site)
    span = {**RANGE, "until": "2026-10-06"}  # the handoff that opens a case is on the 6th
    editor = http_login(site, "editor")
    try:
        page = editor.get("/admin/insights", params=span)
        tables = {
            name: editor.get("/admin/insights.csv", params={**span, "table": name})
            for name in ("totals", "channel", "locale", "article", "daily", "no-result", "unopened", "health", "cases")
        }
    finally:
        editor.close()
    assert all(r.status_code == 200 and r.headers["content-type"].startswith("text/csv") for r in tables.values())
    for name in tables:
        assert f'href="/admin/insights.csv?table={name}&amp;' in page.text
    cases = list(csv.DictReader(io.StringIO(tables["cases"].text)))
    assert cases and {(c["channel"], c["topic"], c["status"]) for c in cases} == {("ins-page", "billing", "open")}
    assert 'href="#insights-cases"' in page.text and 'id="insights-cases"' in page.text
    assert "<option selected>ins-page</option>" in page.text  # the channel filter, chosen
    assert '<svg id="insights-cases-chart"' in page.text


def test_create_an_article_from_a_gap_group_prefills_the_editor_with_its_wordings(site: Site) -> None:
    editor = http_login(site, "editor")
    try:
        params = [("locale", "en"), ("question", "Pay for roaming abroad?")]
        params += [("wording", "Pay for roaming abroad?"), ("wording", 'roaming "Turkey" price')]
        page = editor.get("/admin/new", params=params)
    finally:
        editor.close()
    assert page.status_code == 200
    source = html.unescape(page.text)
    assert 'questions:\n  - "Pay for roaming abroad?"\n  - "roaming \\"Turkey\\" price"\n' in source
