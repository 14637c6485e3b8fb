"""Builders for renderer tests: facts as the store hands them, sample units, Markdown sources."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

import kb

CONTENT = Path(__file__).resolve().parents[2] / "content"


def make_fact(
    key: str, type: str, value: Any, locales: Mapping[str, Any] | None = None, version: int = 1
) -> kb.FactValue:
    """A fact as the store would hand it to a renderer: values in their canonical form."""
    fact_type = kb.FactType(type)
    canonical = kb.validate_value(fact_type, value) if value not in (None, "") else value
    per_locale = {loc: kb.validate_value(fact_type, v) for loc, v in (locales or {}).items()}
    return kb.FactValue(key=key, type=fact_type, value=canonical, locales=per_locale, version=version)


def load_facts(path: Path = CONTENT / "facts.yaml") -> dict[str, kb.FactValue]:
    """Every fact of `content/facts.yaml`."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {key: make_fact(key, spec["type"], spec["value"], spec.get("locales")) for key, spec in data.items()}


def sample_units() -> list[kb.Unit]:
    """Every sample article under content/, parsed."""
    files = sorted(CONTENT.glob("*/*/*.md"))
    return [kb.parse_source(f.read_text(encoding="utf-8"), file=str(f)) for f in files]


def slugs_by_locale(units: list[kb.Unit]) -> dict[str, dict[str, str]]:
    """For each locale, article key → slug, as the store would give it."""
    out: dict[str, dict[str, str]] = {}
    for unit in units:
        out.setdefault(unit.locale, {})[unit.key] = unit.slug
    return out


def source(
    body: str,
    *,
    key: str = "test-article",
    locale: str = "ru",
    title: str = "Тестовая статья",
    summary: str | None = None,
    **front: Any,
) -> str:
    """A whole Markdown source: front matter (values JSON-quoted, which YAML reads) and `body`."""
    head: dict[str, Any] = {"key": key, "locale": locale, "title": title}
    if summary is not None:
        head["summary"] = summary
    head.update(front)
    lines = [f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in head.items()]
    return "---\n" + "\n".join(lines) + "\n---\n" + body.strip("\n") + "\n"


def unit_of(body: str, **front: Any) -> kb.Unit:
    """The parsed unit of `source(body, **front)`."""
    return kb.parse_source(source(body, **front))
