"""The rules kept as YAML next to the content: IVR menu, routing and contact policy.

They are read when first needed and again whenever the file changes (its mtime), so an
edit takes effect without a restart. A broken file is an error naming the file.
"""

from __future__ import annotations

import datetime as dt
import threading
import zoneinfo
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from contacts.settings import rules_dir
from kb import ContentError, ContentProblem


@dataclass(frozen=True)
class MenuItem:
    topic: str
    labels: dict[str, str]
    digit: str | None = None


@dataclass(frozen=True)
class MenuRules:
    intro: dict[str, str]
    items: tuple[MenuItem, ...]


@dataclass(frozen=True)
class KeywordRule:
    queue: str
    phrases: tuple[str, ...]
    topic: str | None = None


@dataclass(frozen=True)
class RoutingRules:
    default_queue: str
    queues: dict[str, str]
    keywords: tuple[KeywordRule, ...]
    categories: dict[str, str]


@dataclass(frozen=True)
class ActionRule:
    blocked_by_open_case: bool
    consent: str  # opt_in, opt_out or none
    consent_key: str | None
    quiet_hours: bool


@dataclass(frozen=True)
class PolicyRules:
    quiet_start: dt.time
    quiet_end: dt.time
    timezone: zoneinfo.ZoneInfo
    actions: dict[str, ActionRule]


_lock = threading.Lock()
_cache: dict[Path, tuple[float, Any]] = {}


def _load(name: str, build: Any) -> Any:
    path = rules_dir() / name
    try:
        mtime = path.stat().st_mtime
    except OSError:
        raise ContentError([ContentProblem(str(path), 0, "the rules file is missing")]) from None
    with _lock:
        hit = _cache.get(path)
        if hit is not None and hit[0] == mtime:
            return hit[1]
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        built = build(data)
    except (yaml.YAMLError, KeyError, TypeError, ValueError, AttributeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        raise ContentError([ContentProblem(str(path), line, str(exc))]) from exc
    with _lock:
        _cache[path] = (mtime, built)
    return built


def menu_rules() -> MenuRules:
    def build(data: dict[str, Any]) -> MenuRules:
        items = tuple(
            MenuItem(topic=str(o["topic"]), labels=dict(o["label"]), digit=str(o["digit"]) if "digit" in o else None)
            for o in data["options"]
        )
        return MenuRules(intro=dict(data.get("intro") or {}), items=items)

    return _load("ivr-menu.yaml", build)  # type: ignore[no-any-return]


def routing_rules() -> RoutingRules:
    def build(data: dict[str, Any]) -> RoutingRules:
        keywords = tuple(
            KeywordRule(
                queue=str(r["queue"]), phrases=tuple(str(p).lower() for p in r["phrases"]), topic=r.get("topic")
            )
            for r in data.get("keywords") or []
        )
        queues = {str(k): str(v) for k, v in (data.get("queues") or {}).items()}
        categories = {str(k): str(v) for k, v in (data.get("categories") or {}).items()}
        default = str(data["default_queue"])
        unknown = {r.queue for r in keywords} | set(categories.values()) | {default}
        if unknown - set(queues):
            raise ValueError(f"queues used but not declared under `queues`: {sorted(unknown - set(queues))}")
        return RoutingRules(default_queue=default, queues=queues, keywords=keywords, categories=categories)

    return _load("routing.yaml", build)  # type: ignore[no-any-return]


def policy_rules() -> PolicyRules:
    def build(data: dict[str, Any]) -> PolicyRules:
        quiet = data.get("quiet_hours") or {}
        actions: dict[str, ActionRule] = {}
        for name, rule in (data.get("actions") or {}).items():
            consent = str(rule.get("consent", "none"))
            if consent not in ("opt_in", "opt_out", "none"):
                raise ValueError(f"action {name}: consent must be opt_in, opt_out or none, not {consent!r}")
            actions[str(name)] = ActionRule(
                blocked_by_open_case=bool(rule.get("blocked_by_open_case", False)),
                consent=consent,
                consent_key=rule.get("consent_key") or (str(name) if consent != "none" else None),
                quiet_hours=bool(rule.get("quiet_hours", False)),
            )
        return PolicyRules(
            quiet_start=dt.time.fromisoformat(str(quiet.get("start", "00:00"))),
            quiet_end=dt.time.fromisoformat(str(quiet.get("end", "00:00"))),
            timezone=zoneinfo.ZoneInfo(str(quiet.get("timezone", "UTC"))),
            actions=actions,
        )

    return _load("policy.yaml", build)  # type: ignore[no-any-return]
