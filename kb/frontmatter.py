"""Front matter: the YAML head of a source, checked key by key with line numbers.

`kind: announcement` makes a unit a notice (an outage, planned works) that every channel gives
first while it lasts: from `from` (default: as soon as it is live) until `until` (required: a
notice is time-boxed), both times with their zone; `regions` (country codes, `LV`) and the usual
`segments` target it (kb/announcements.py). Only announcements take those three keys.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import yaml

from kb.errors import ContentError, ContentProblem
from kb.types import ArticleStatus

ALLOWED_KEYS: frozenset[str] = frozenset(
    {
        "key",
        "locale",
        "title",
        "slug",
        "category",
        "tags",
        "questions",
        "summary",
        "segments",
        "owner",
        "review_by",
        "status",
        "kind",
        "from",
        "until",
        "regions",
    }
)
KINDS: tuple[str, ...] = ("article", "announcement")
ANNOUNCEMENT_KEYS: tuple[str, ...] = ("from", "until", "regions")
REQUIRED_KEYS: tuple[str, ...] = ("key", "locale", "title")

KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,127}$")
LOCALE_RE = re.compile(r"^[a-z]{2,3}(-[A-Z]{2})?$")
SLUG_RE = re.compile(r"^[\w][\w-]{0,199}$")
REGION_RE = re.compile(r"^[A-Z]{2}$")


@dataclass(frozen=True)
class FrontMatter:
    key: str
    locale: str
    title: str
    slug: str
    category: str | None
    tags: tuple[str, ...]
    questions: tuple[str, ...]
    summary: str | None
    segments: tuple[str, ...]
    owner: str | None
    review_by: dt.date | None
    status: ArticleStatus
    kind: str = "article"
    starts: dt.datetime | None = None  # an announcement's `from`
    ends: dt.datetime | None = None  # an announcement's `until`
    regions: tuple[str, ...] = ()

    @property
    def announcement(self) -> bool:
        return self.kind == "announcement"

    def to_yaml_data(self) -> dict[str, Any]:
        """The front matter as plain data, in the canonical key order, without empty keys."""
        data: dict[str, Any] = {"key": self.key, "locale": self.locale, "title": self.title}
        if self.slug != self.key:
            data["slug"] = self.slug
        optional: dict[str, Any] = {
            "category": self.category,
            "tags": list(self.tags),
            "questions": list(self.questions),
            "summary": self.summary,
            "segments": list(self.segments),
            "owner": self.owner,
            "review_by": self.review_by,
        }
        if self.announcement:  # an article's data (and so its content hash) has none of these keys
            optional |= {
                "kind": self.kind,
                "from": self.starts.isoformat() if self.starts else None,
                "until": self.ends.isoformat() if self.ends else None,
                "regions": list(self.regions),
            }
        data.update({k: v for k, v in optional.items() if v})
        return data


@dataclass(frozen=True)
class SplitSource:
    """A source cut into its front matter and body; `body_line` is the body's first line."""

    front: FrontMatter
    body: str
    body_line: int


def split_source(source: str, *, file: str) -> SplitSource:
    """Separate and check the front matter; every problem found is reported at once."""
    lines = source.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise ContentError([ContentProblem(file, 1, "the file must start with '---' front matter")])
    end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
    if end is None:
        raise ContentError([ContentProblem(file, 1, "front matter opened by '---' is never closed")])
    head = "".join(lines[1:end])
    body = "".join(lines[end + 1 :])
    front = _HEADS.get(head)
    if front is None:
        front = _parse_head(head, file=file)
        if len(_HEADS) >= _HEADS_MAX:
            _HEADS.clear()
        _HEADS[head] = front
    return SplitSource(front=front, body=body, body_line=end + 2)


# Front matter already checked, by its text: imports and saves split the same source
# several times, and YAML parsing is the slowest step of all.
_HEADS: dict[str, FrontMatter] = {}
_HEADS_MAX = 50_000
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _key_lines(head: str) -> dict[str, int]:
    """Line of each top-level key, computed only when a message needs one."""
    node = yaml.compose(head, Loader=_Loader)
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {str(k.value): k.start_mark.line + 2 for k, _ in node.value if isinstance(k, yaml.ScalarNode)}


def _parse_head(head: str, *, file: str) -> FrontMatter:
    try:
        data = yaml.load(head, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 2 if mark is not None else 2
        reason = getattr(exc, "problem", None) or str(exc)
        raise ContentError([ContentProblem(file, line, f"broken YAML in front matter: {reason}")]) from None
    if not isinstance(data, dict):
        raise ContentError([ContentProblem(file, 2, "front matter must be a YAML mapping of keys")])
    problems: list[ContentProblem] = []
    lines_of: dict[str, int] = {}

    def line_of(key: str) -> int:
        if not lines_of:
            lines_of.update(_key_lines(head) or {"": 2})
        return lines_of.get(key, 2)

    def problem(key: str, message: str) -> None:
        problems.append(ContentProblem(file, line_of(key), message))

    for key in data:
        if str(key) not in ALLOWED_KEYS:
            problem(str(key), f"unknown front-matter key {key!r} (allowed: {', '.join(sorted(ALLOWED_KEYS))})")
    for key in REQUIRED_KEYS:
        if key not in data or data[key] in (None, ""):
            problems.append(ContentProblem(file, line_of(key), f"missing required key {key!r}"))

    def text(key: str) -> str | None:
        value = data.get(key)
        if value is None:
            return None
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            problem(key, f"{key!r} must be text")
            return None
        return str(value).strip() or None

    def text_list(key: str) -> tuple[str, ...]:
        value = data.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            return (value.strip(),)
        if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
            problem(key, f"{key!r} must be a list of text")
            return ()
        return tuple(str(v).strip() for v in value if str(v).strip())

    key = text("key") or ""
    if key and not KEY_RE.match(key):
        problem("key", f"key {key!r} must be lowercase letters, digits and '-' (e.g. 'card-arrival')")
    locale = text("locale") or ""
    if locale and not LOCALE_RE.match(locale):
        problem("locale", f"locale {locale!r} is not a language code like 'ru', 'uk' or 'en'")
    slug = text("slug") or key
    if slug and not SLUG_RE.match(slug):
        problem("slug", f"slug {slug!r} may hold only letters, digits and '-'")
    status_raw = text("status") or ArticleStatus.DRAFT.value
    try:
        status = ArticleStatus(status_raw)
    except ValueError:
        problem("status", f"status must be 'draft' or 'published', not {status_raw!r}")
        status = ArticleStatus.DRAFT
    review_by = _review_date(data.get("review_by"), lambda m: problem("review_by", m))
    kind = text("kind") or "article"
    if kind not in KINDS:
        problem("kind", f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
        kind = "article"
    starts = _moment(data.get("from"), lambda m: problem("from", f"'from' {m}"))
    ends = _moment(data.get("until"), lambda m: problem("until", f"'until' {m}"))
    regions = text_list("regions")
    for region in regions:
        if not REGION_RE.match(region):
            problem("regions", f"region {region!r} must be a two-letter country code like 'LV' or 'UA'")
    if kind == "announcement":
        if ends is None and "until" not in data:
            problem("kind", "an announcement needs 'until': when it stops being given (e.g. 2026-12-03T18:00:00+02:00)")
        if not text("summary"):
            problem("kind", "an announcement needs a 'summary': the sentence every channel gives first")
        if starts is not None and ends is not None and ends <= starts:
            problem("until", "'until' must come after 'from'")
    else:
        for name in ANNOUNCEMENT_KEYS:
            if name in data:
                problem(name, f"{name!r} belongs to announcements only (add 'kind: announcement')")
    front = FrontMatter(
        key=key,
        locale=locale,
        title=text("title") or "",
        slug=slug,
        category=text("category"),
        tags=text_list("tags"),
        questions=text_list("questions"),
        summary=text("summary"),
        segments=text_list("segments"),
        owner=text("owner"),
        review_by=review_by,
        status=status,
        kind=kind,
        starts=starts,
        ends=ends,
        regions=regions,
    )
    if problems:
        raise ContentError(sorted(problems, key=lambda p: p.line))
    return front


def _review_date(value: object, complain: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        complain(f"review_by must be a date like 2027-03-01, not {value!r}")
        return None


def _moment(value: object, complain: Any) -> dt.datetime | None:
    """A time with its zone, in UTC; naive times are refused (whose clock would they be on?)."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        complain(f"must be a time with its zone, like {value.isoformat()}T09:00:00+02:00, not a date")
        return None
    try:
        moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    except ValueError:
        complain(f"must be a time like 2026-12-03T09:00:00+02:00, not {value!r}")
        return None
    if moment.tzinfo is None:
        complain(f"{moment.isoformat()} has no zone: write it with one, like {moment.isoformat()}+02:00 or …Z")
        return None
    return moment.astimezone(dt.UTC)


def render_front_matter(front: FrontMatter) -> str:
    """The front matter as a '---' block, the canonical way export writes it."""
    dumped = yaml.safe_dump(
        front.to_yaml_data() | {"status": front.status.value},
        allow_unicode=True,
        sort_keys=False,
        width=1000,
    )
    return f"---\n{dumped}---\n"
