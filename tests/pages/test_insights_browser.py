"""`/admin/insights` in Chromium: the server-drawn charts render with the figures of a seeded fortnight."""

from __future__ import annotations

import datetime as dt
import random

from playwright.sync_api import Page

import contacts
import insights
import kb
from tests.pages.conftest import Site, login

CHANNEL = "ins-shot"
DAYS = 14


def _fortnight(site: Site) -> list[int]:
    """Seeded questions and cases over the last two weeks on one channel; the questions per day, oldest first."""
    rng = random.Random(14)
    now = kb.utcnow()
    today = now.date()  # the test server's zone is UTC
    asked = [0] * DAYS
    engine = site.engine()
    with kb.write_session(engine) as s:
        people = [contacts.create_contact(session=s) for _ in range(12)]
        for day in range(DAYS):
            for _ in range(rng.randint(8, 30)):
                start = dt.datetime.combine(today - dt.timedelta(days=DAYS - 1 - day), dt.time(6), tzinfo=dt.UTC)
                at = min(start + dt.timedelta(minutes=rng.randrange(14 * 60)), now - dt.timedelta(minutes=1))
                outcome = rng.choice(["answered"] * 6 + ["handoff", "resolved", "abandoned"])
                contacts.record_interaction(
                    session=s,
                    contact=rng.choice(people),
                    channel=CHANNEL,
                    outcome=outcome,
                    topic=rng.choice(["billing", "roaming"]),
                    at=at,
                    csat=rng.randint(2, 5) if rng.random() < 0.3 else None,
                    nps=rng.randint(0, 10) if rng.random() < 0.2 else None,
                )
                asked[(at.date() - today).days + DAYS - 1] += 1
    # The site is shared, and its runner may have rolled these days up before they were seeded (backdated
    # history is counted at the next rebuild of its days): rebuild them as an operator would after an import.
    with kb.write_session(engine) as s:
        insights.rebuild(s, today - dt.timedelta(days=DAYS - 1), today - dt.timedelta(days=1))
        insights.rebuild_today(s)
    engine.dispose()
    return asked


def test_the_insights_page_draws_its_charts_in_chromium(page: Page, site: Site) -> None:
    asked = _fortnight(site)
    login(page, site, "editor", f"/admin/insights?since={DAYS}d&channel={CHANNEL}")
    page.wait_for_url("**/admin/insights**")
    chart = page.locator("#insights-chart")
    chart.wait_for()
    assert chart.locator("g").count() == DAYS  # one bar group per company day
    labels = chart.locator("g title").all_text_contents()
    assert [int(t.split(": ")[1].split(" asked")[0]) for t in labels] == asked
    tallest = max(chart.locator("rect").evaluate_all("rs => rs.map(r => r.getBBox().height)"))
    assert tallest > 100  # drawn, not collapsed: the busiest day's bar nearly fills the 160 px chart
    assert page.locator("#insights-cases-chart polyline").count() == 2
    assert page.locator("#insights-totals tbody tr td").first.inner_text() == "all"
    page.screenshot(path=str(site.shots / "insights.png"), full_page=False)
