"""Sources to parsed units: front matter, channel blocks, Markdown, facts and links.

A revision is parsed once; the unit is cached by its content hash, so every channel,
every request and every process thread share the same tree. With `keep_parsed_units`
the trees also go to a file beside the search index, so other processes and later
starts load them instead of parsing (`kb.unitfile`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from kb import tree as t
from kb.channels import BLOCK_CHANNELS
from kb.errors import ContentError, ContentProblem
from kb.frontmatter import FrontMatter, split_source
from kb.limits import MAX_BRACKETS, MAX_NESTING, brackets_message, nesting_message, paragraphs, tree_nesting
from kb.markdown_ext import FACT_RE, parse_blocks, parse_inline
from kb.unitfile import UnitFile

logger = logging.getLogger(__name__)

_OPEN_RE = re.compile(r"^:::\s*(\S+)(.*?)\s*$")
_CLOSE_RE = re.compile(r"^:::\s*$")
_FENCE_RE = re.compile(r"^(`{3,}|~{3,})")
_ATTR_RE = re.compile(r"([a-z_]+)=([\w-]+)")
_FACT_LINE_RE = re.compile(FACT_RE)
_FACT_LINK_RE = re.compile(r"\]\(\s*\{\{")
#: Control characters (tab and newline aside), lone surrogates and noncharacters: not text a
#: person wrote, and not something every channel can carry (SSML is XML; the store is UTF-8).
_UNREADABLE_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")

CACHE_SIZE = 4096


def normalise_source(source: str) -> str:
    """One spelling of a source: Unix newlines, no BOM, exactly one final newline."""
    text = source.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    return text.rstrip() + "\n"


def content_hash(front: FrontMatter, body: str) -> str:
    """sha256 over what the unit says: the front matter's data (not its layout or
    status) and the body, so an export re-imported gives the same hash."""
    data = front.to_yaml_data()
    canonical = json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)
    body_norm = body.strip("\n") + "\n"
    return hashlib.sha256((canonical + "\x00" + body_norm).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class _Segment:
    channel: str | None
    segment: str | None
    text: str


def _segments(body: str, *, file: str, first_line: int) -> list[_Segment]:
    """Cut the body at `:::` lines, outside fenced code, checking every opener and closer."""
    problems: list[ContentProblem] = []
    segments: list[_Segment] = []
    current: list[str] = []
    open_block: tuple[str, str | None, int] | None = None
    fence: str | None = None
    for offset, line in enumerate(body.split("\n")):
        lineno = first_line + offset
        stripped = line.strip()
        fence_m = _FENCE_RE.match(stripped)
        if fence is not None:
            if fence_m and stripped.startswith(fence):
                fence = None
            current.append(line)
            continue
        if fence_m:
            fence = fence_m.group(1)
            current.append(line)
            continue
        if _FACT_LINK_RE.search(line):
            problems.append(
                ContentProblem(file, lineno, "a fact cannot be a link target; write the fact as text: {{ website }}")
            )
        if _CLOSE_RE.match(stripped):
            if open_block is None:
                problems.append(ContentProblem(file, lineno, "':::' closes a block that was never opened"))
                continue
            segments.append(_Segment(open_block[0], open_block[1], "\n".join(current)))
            current, open_block = [], None
            continue
        opener = _OPEN_RE.match(stripped) if stripped.startswith(":::") else None
        if opener is None:
            current.append(line)
            continue
        name, rest = opener.group(1), opener.group(2)
        if open_block is not None:
            problems.append(
                ContentProblem(
                    file,
                    lineno,
                    f"'::: {name}' opens a block inside '::: {open_block[0]}' "
                    f"(opened on line {open_block[2]}); close it with ':::' first",
                )
            )
            continue
        if name not in BLOCK_CHANNELS:
            problems.append(
                ContentProblem(file, lineno, f"unknown block '::: {name}' (known: {', '.join(BLOCK_CHANNELS)})")
            )
        attrs = dict(_ATTR_RE.findall(rest))
        leftover = _ATTR_RE.sub("", rest).strip()
        if leftover or set(attrs) - {"segment"}:
            problems.append(
                ContentProblem(file, lineno, f"'::: {name}' takes only 'segment=NAME', not {rest.strip()!r}")
            )
        segments.append(_Segment(None, None, "\n".join(current)))
        current, open_block = [], (name, attrs.get("segment"), lineno)
    if open_block is not None:
        problems.append(ContentProblem(file, open_block[2], f"'::: {open_block[0]}' is never closed with ':::'"))
    if problems:
        raise ContentError(problems)
    segments.append(_Segment(None, None, "\n".join(current)))
    return [s for s in segments if s.text.strip() or s.channel]


def _anchored(blocks: tuple[t.Block, ...], used: dict[str, int]) -> tuple[t.Block, ...]:
    out: list[t.Block] = []
    for block in blocks:
        if isinstance(block, t.Heading):
            base = _slugify(t.plain_text(block.children)) or "section"
            n = used.get(base, 0) + 1
            used[base] = n
            out.append(t.Heading(block.level, block.children, base if n == 1 else f"{base}-{n}"))
        elif isinstance(block, t.ChannelBlock):
            out.append(t.ChannelBlock(block.channel, _anchored(block.children, used), block.segment))
        else:
            out.append(block)
    return tuple(out)


def _slugify(text: str) -> str:
    return re.sub(r"[^\w]+", "-", text.lower().replace("ё", "е")).strip("-_")[:80]


@dataclass(frozen=True)
class CheckedSource:
    """A source whose front matter and blocks are valid, with its content hash."""

    front: FrontMatter
    content_hash: str


def unreadable_characters(source: str, *, file: str) -> list[ContentProblem]:
    """Each line holding a character that is not text (a control character, a lone surrogate)."""
    problems: list[ContentProblem] = []
    if _UNREADABLE_RE.search(source) is None:
        return problems
    for lineno, line in enumerate(source.split("\n"), start=1):
        if (m := _UNREADABLE_RE.search(line)) is not None:
            problems.append(ContentProblem(file, lineno, f"character U+{ord(m.group(0)):04X} is not text; remove it"))
    return problems


def check_source(source: str, *, file: str = "<source>") -> CheckedSource:
    """Everything parse_source checks, without building the tree unless it must.

    An import checks every file this way first and parses only what changed. Only a source
    whose lines could nest past the limit (`kb.limits`) is parsed here, to decide.
    """
    source = normalise_source(source)
    if unreadable := unreadable_characters(source, file=file):
        raise ContentError(unreadable)
    split = split_source(source, file=file)
    _segments(split.body, file=file, first_line=split.body_line)
    digest = content_hash(split.front, split.body)
    if _suspect_line(split.front, split.body, file=file, body_line=split.body_line) is not None:
        _remember(_build_unit(split.front, split.body, body_line=split.body_line, digest=digest, file=file))
    return CheckedSource(front=split.front, content_hash=digest)


def _suspect_line(front: FrontMatter, body: str, *, file: str, body_line: int) -> int | None:
    """The line of the paragraph most likely to nest past the limit, if any could; too many
    brackets in a paragraph are refused outright (they cost time, not depth)."""
    runs = paragraphs(body, first_line=body_line)
    if front.summary:
        runs += paragraphs(front.summary, first_line=1)
    crowded = [
        ContentProblem(file, r.first_line, brackets_message(r.brackets)) for r in runs if r.brackets > MAX_BRACKETS
    ]
    if crowded:
        raise ContentError(crowded)
    deep = max(runs, key=lambda r: r.bound, default=None)
    return deep.first_line if deep is not None and deep.bound > MAX_NESTING else None


def parse_source(source: str, *, file: str = "<source>", digest: str | None = None) -> t.Unit:
    """Parse a whole source (front matter and body) into a unit, through the caches.

    A caller that holds the revision's stored content hash passes it as `digest`: a tree
    already parsed (in memory or in the parsed-unit file) is then found without even
    reading the front matter.
    """
    if digest is not None and (known := _known(digest)) is not None:
        return known
    source = normalise_source(source)
    if unreadable := unreadable_characters(source, file=file):
        raise ContentError(unreadable)
    split = split_source(source, file=file)
    digest = content_hash(split.front, split.body)
    known = _known(digest)
    if known is not None:
        return known
    unit = _build_unit(split.front, split.body, body_line=split.body_line, digest=digest, file=file)
    _remember(unit)
    if _file is not None:
        _file.put(unit)
    return unit


def keep_parsed_units(path: Path | None) -> None:
    """Keep parsed trees in a file at `path` (None: in memory only) for this process."""
    global _file
    if _file is not None and (path is None or _file.path != path):
        _file.close()
    if path is None:
        _file = None
    elif _file is None or _file.path != path:
        _file = UnitFile(path) if _folder_made(path.parent) else None


def _folder_made(folder: Path) -> bool:
    """Whether the unit file's folder exists or could be made.

    A folder that cannot be made (a read-only data folder) would fail every parse with an
    OSError the unit file does not expect; the trees are then kept in memory only.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        logger.warning("parsed units are kept in memory only: cannot make %s (%s)", folder, exc)
        return False
    return True


def _known(digest: str) -> t.Unit | None:
    with _cache_lock:
        cached = _cache.get(digest)
        if cached is not None:
            _cache.move_to_end(digest)
            return cached
    stored = _file.get(digest) if _file is not None else None
    if stored is not None:
        _remember(stored)
    return stored


def _remember(unit: t.Unit) -> None:
    with _cache_lock:
        _cache[unit.content_hash] = unit
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)


def _build_unit(front: FrontMatter, body: str, *, body_line: int, digest: str, file: str) -> t.Unit:
    suspect = _suspect_line(front, body, file=file, body_line=body_line)
    try:
        body_nodes, summary = _parse_body(front, body, body_line=body_line, file=file)
    except RecursionError:
        raise ContentError([ContentProblem(file, suspect or body_line, nesting_message())]) from None
    everything = (*body_nodes, *summary)
    if (depth := tree_nesting(everything)) > MAX_NESTING:
        raise ContentError([ContentProblem(file, suspect or body_line, nesting_message(depth))])
    facts = frozenset(n.key for n in t.walk(everything) if isinstance(n, t.Fact))
    links = frozenset(n.article_key for n in t.walk(everything) if isinstance(n, t.Link) and n.article_key)
    assets = frozenset(n.asset for n in t.walk(everything) if isinstance(n, t.Image) and n.asset)
    return t.Unit(
        key=front.key,
        locale=front.locale,
        title=front.title,
        slug=front.slug,
        category=front.category,
        tags=front.tags,
        questions=front.questions,
        summary=summary,
        segments=front.segments,
        owner=front.owner,
        review_by=front.review_by,
        body=body_nodes,
        content_hash=digest,
        facts=facts,
        links=links,
        assets=assets,
    )


def _parse_body(
    front: FrontMatter, body: str, *, body_line: int, file: str
) -> tuple[tuple[t.Block, ...], tuple[t.Inline, ...]]:
    blocks: list[t.Block] = []
    for seg in _segments(body, file=file, first_line=body_line):
        parsed = parse_blocks(seg.text)
        if seg.channel is None:
            blocks.extend(parsed)
        else:
            blocks.append(t.ChannelBlock(channel=seg.channel, children=parsed, segment=seg.segment))
    summary = parse_inline(front.summary) if front.summary else ()
    return _anchored(tuple(blocks), {}), summary


def unknown_facts(source: str, known: Collection[str], *, file: str) -> list[ContentProblem]:
    """Every `{{ fact }}` in the source that names no known fact, with its line."""
    problems: list[ContentProblem] = []
    for lineno, line in _prose_lines(source):
        for m in _FACT_LINE_RE.finditer(line):
            if m.group(1) not in known:
                problems.append(ContentProblem(file, lineno, f"unknown fact {{{{ {m.group(1)} }}}}"))
    return problems


_IMAGE_RE = re.compile(r"!\[([^\]]*)\]\(\s*<?([^)\s>]*)")


def image_problems(unit: t.Unit, source: str, known_assets: Collection[str], *, file: str) -> list[ContentProblem]:
    """Every image without alt text, and every `asset:` id that names no stored image, with its line.

    Alt text is required: it is all a screen reader, an SMS or a slow connection gets. The
    lines come from the source; the tree decides (an image the lines cannot place is reported
    at line 1, so nothing slips through).
    """
    images = [n for n in t.walk((*unit.body, *unit.summary)) if isinstance(n, t.Image)]
    if not images:
        return []
    problems: list[ContentProblem] = []
    placed_alt = placed_asset = 0
    for lineno, line in _prose_lines(source):
        for m in _IMAGE_RE.finditer(line):
            alt, src = m.group(1).strip(), m.group(2)
            if not alt:
                placed_alt += 1
                problems.append(
                    ContentProblem(file, lineno, f"image {src!r} has no alt text; describe it: ![what it shows]({src})")
                )
            asset = src[len("asset:") :].lower() if src.startswith("asset:") else None
            if asset is not None and asset not in known_assets:
                placed_asset += 1
                problems.append(ContentProblem(file, lineno, f"unknown image asset:{asset}; upload it first"))
    if placed_alt < sum(1 for n in images if not n.alt):
        problems.append(ContentProblem(file, 1, "an image has no alt text; every image needs a description"))
    unknown = {n.asset for n in images if n.asset and n.asset not in known_assets}
    if placed_asset == 0 and unknown:
        problems.append(ContentProblem(file, 1, f"unknown image asset:{sorted(unknown)[0]}; upload it first"))
    return problems


def _prose_lines(source: str) -> Iterator[tuple[int, str]]:
    """(line number, line without code spans) of every line outside fenced code: where facts and images live."""
    in_fence: str | None = None
    for lineno, line in enumerate(normalise_source(source).split("\n"), start=1):
        fence_m = _FENCE_RE.match(line.strip())
        if in_fence is not None:
            if fence_m and line.strip().startswith(in_fence):
                in_fence = None
            continue
        if fence_m:
            in_fence = fence_m.group(1)
            continue
        yield lineno, _strip_code_spans(line)


def _strip_code_spans(line: str) -> str:
    return re.sub(r"`[^`]*`", "", line)


def facts_of(units: Iterable[t.Unit]) -> frozenset[str]:
    return frozenset(k for u in units for k in u.facts)


_cache: OrderedDict[str, t.Unit] = OrderedDict()
_cache_lock = threading.Lock()
_file: UnitFile | None = None
