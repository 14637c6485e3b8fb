"""Personalisation, routing and policy from the YAML rules: pure functions of plain data."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import contacts
import kb
from contacts.rules import ActionRule, KeywordRule


def test_the_menu_puts_open_cases_then_frequent_topics_first() -> None:
    rules = contacts.menu_rules()
    default = [c.topic for c in contacts.order_menu(rules, locale="en")]
    assert default == [item.topic for item in rules.items]
    mine = contacts.order_menu(rules, locale="en", open_topics=["sim"], frequent=[("roaming", 5), ("billing", 2)])
    assert [c.topic for c in mine][:3] == ["sim", "roaming", "billing"]
    assert next(c for c in mine if c.topic == "support").digit == "0"
    assert mine[0].label == "SIM card and eSIM"


def test_routing_rules_match_at_word_starts() -> None:
    rules = contacts.RoutingRules(
        default_queue="general",
        queues={"general": "", "technical": "", "billing": ""},
        keywords=(KeywordRule(queue="technical", phrases=("проблем",)),),
        categories={"billing": "billing"},
    )
    assert contacts.suggest_route("У меня проблемы со связью", rules=rules).queue == "technical"
    assert contacts.suggest_route("беспроблемно", rules=rules).queue == "general"
    assert contacts.detect_locale("Не працює інтернет") == "uk"
    assert contacts.detect_locale("Не работает интернет") == "ru"


def test_quiet_hours_cross_midnight(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rules = contacts.policy_rules()
    assert rules.actions["sales_call"] == ActionRule(True, "opt_out", "sales_call", True)
    contact = contacts.Contact(id=1, consent={})

    class NoCases:
        def exec(self, _stmt: object) -> list[str]:
            return []

    def at(hour: int) -> dt.datetime:
        return dt.datetime(2026, 7, 1, hour, tzinfo=rules.timezone)

    verdicts = {
        h: contacts.decide(session=NoCases(), contact=contact, action="service_call", rules=rules, at=at(h)).allowed  # type: ignore[arg-type]
        for h in (8, 9, 20, 21, 23)
    }
    assert verdicts == {8: False, 9: True, 20: True, 21: False, 23: False}


def test_a_broken_rules_file_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "routing.yaml").write_text("default_queue: nowhere\nqueues: {general: x}\n", encoding="utf-8")
    (tmp_path / "policy.yaml").write_text("actions: {x: {consent: maybe}}\n", encoding="utf-8")
    monkeypatch.setenv("ISTOK_CONTACTS_RULES", str(tmp_path))
    with pytest.raises(kb.ContentError, match=r"routing\.yaml.*nowhere"):
        contacts.routing_rules()
    with pytest.raises(kb.ContentError, match=r"policy\.yaml.*opt_in"):
        contacts.policy_rules()
    with pytest.raises(kb.ContentError, match="missing"):
        contacts.menu_rules()
