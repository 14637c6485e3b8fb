"""Insights over real HTTP, through the client and the CLI: the same figures, editors and admins only."""

from __future__ import annotations

import datetime as dt
import json
import os

import pytest

import contacts
import kb
from istok_client import Client, Forbidden, InvalidRequest
from tests.api.commands import istok as run_istok
from tests.api.conftest import Live

DAY = "2026-11-10"  # the server's zone is UTC (no ISTOK_TIMEZONE)


def _history(live: Live) -> None:
    engine = live.engine()
    at = dt.datetime(2026, 11, 10, 12, 0, tzinfo=dt.UTC)
    with kb.write_session(engine) as s:
        back, gone = contacts.create_contact(session=s), contacts.create_contact(session=s)
        contacts.record_interaction(session=s, contact=back, channel="ins-chat", outcome="answered", at=at, csat=5)
        contacts.record_interaction(
            session=s,
            contact=back,
            channel="ins-ivr",
            outcome="handoff",
            topic="billing",
            at=at + dt.timedelta(hours=3),
        )
        contacts.record_interaction(session=s, contact=gone, channel="ins-chat", outcome="answered", at=at, csat=2)
    engine.dispose()


def test_summary_daily_and_report_agree_and_only_editors_and_admins_read_them(live: Live) -> None:
    _history(live)
    with Client(live.base, api_key=live.keys["editor"]) as editor:
        found = editor.insights_summary(since=DAY, until=DAY)
        chat = editor.insights_summary(since=DAY, until=DAY, channel="ins-chat")
        days = editor.insights_daily(since="2026-11-09", until=DAY)
        with pytest.raises(InvalidRequest):
            editor.insights_summary(since="2026-11-11", until=DAY)
    totals = found["totals"]
    assert (totals["questions"], totals["answered"], totals["handed_off"], totals["false_deflected"]) == (3, 2, 1, 1)
    assert totals["false_deflection"] == {"value": 0.5, "items": 2}
    assert totals["csat"] == {"value": 3.5, "items": 2}  # (the case opened on the clock's day: see contacts)
    assert {g["name"] for g in found["by_channel"]} == {"ins-chat", "ins-ivr"}
    assert chat["totals"]["questions"] == 2 and chat["filters"]["channel"] == "ins-chat"
    assert [(d["name"], d["figures"]["questions"]) for d in days["days"]] == [("2026-11-09", 0), (DAY, 3)]
    with Client(live.base, api_key=live.keys["admin"]) as admin:
        assert admin.insights_summary(since=DAY, until=DAY)["totals"] == totals
    with Client(live.base, api_key=live.keys["operator"]) as operator, pytest.raises(Forbidden):
        operator.insights_daily()

    env = {**os.environ, "ISTOK_DATABASE_URL": live.db_url, "ISTOK_DATA_DIR": str(live.data_dir)}
    env.pop("ISTOK_TIMEZONE", None)
    run = run_istok(["report", "--since", DAY, "--until", DAY, "--json"], env)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["totals"] == totals
    text = run_istok(["report", "--since", DAY, "--until", DAY, "--channel", "ins-chat"], env)
    assert text.returncode == 0 and "false deflection" in text.stdout and "questions               2" in text.stdout
    bad = run_istok(["report", "--since", "soon"], env)
    assert bad.returncode == 1 and "since is a date" in bad.stderr


def test_nps_and_a_desk_agents_first_reply_come_in_over_http_and_out_in_the_figures(live: Live) -> None:
    day = kb.utcnow().date().isoformat()
    with Client(live.base, api_key=live.keys["bot"]) as bot:
        who = {"channel": "crm", "address": "ins-nps-1"}
        opened = bot.record_interaction(channel="ins-desk", outcome="handoff", identity=who, topic="ins-nps", nps=10)
        replied = bot.record_interaction(
            channel="ins-desk", outcome="answered", identity=who, direction="out", agent_reply=True
        )
        bot.record_interaction(channel="ins-desk", outcome="answered", identity=who, nps=3)
        bot.record_interaction(channel="ins-desk", outcome="answered", identity=who, nps=8)
        with pytest.raises(InvalidRequest):
            bot.record_interaction(channel="ins-desk", outcome="answered", identity=who, nps=11)
    assert replied["case"] == opened["case"] is not None
    with Client(live.base, api_key=live.keys["editor"]) as editor:
        totals = editor.insights_summary(since=day, until=day, channel="ins-desk")["totals"]
        findings = editor.insights_health()["findings"]
    assert totals["nps"] == {"value": 0.0, "items": 3}  # one promoter (10), one detractor (3), one passive (8)
    assert (totals["nps_promoters"], totals["nps_detractors"]) == (1, 1)
    assert totals["first_response_hours"]["items"] == 1 and totals["first_response_hours"]["value"] is not None
    assert all(f["link"].startswith("/admin/") for f in findings)
