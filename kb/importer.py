"""Import and export of content folders (DESIGN.md section 1a).

An import checks every file before it writes anything, reports every problem with its
file and line, and then applies all changes in one transaction: a folder is taken
whole or not at all. The images of a folder (`assets/<sha256>.png|jpg`, kb/asset_files.py) are
stored first, so the articles naming them find them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml
from sqlmodel import Session, col, select

from kb import facts as facts_mod
from kb import store, synonyms, translations
from kb.asset_files import AssetFile, is_asset_file, keep_asset_files, read_asset_file, write_asset_files
from kb.audit import Actor
from kb.content import check_source, normalise_source, parse_source, unknown_facts
from kb.db import read_session, write_session
from kb.errors import ContentError, ContentProblem, InvalidChange
from kb.frontmatter import FrontMatter
from kb.models import Article, Fact, Revision
from kb.types import LOCALES, ArticleStatus

MAX_FILE_BYTES = 1024 * 1024
FACT_ENTRY_KEYS = frozenset({"type", "value", "locales"})
_STATUS_LINE_RE = re.compile(r"^status:.*$", re.MULTILINE)


@dataclass
class ImportReport:
    articles: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    published: int = 0
    facts_changed: int = 0
    images_added: int = 0
    synonym_locales_changed: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class _ArticleFile:
    path: str
    source: str
    front: FrontMatter
    content_hash: str


@dataclass(frozen=True)
class _FactEntry:
    key: str
    type: str
    value: Any
    locales: dict[str, Any]


@dataclass
class _Collected:
    articles: list[_ArticleFile] = field(default_factory=list)
    facts: list[_FactEntry] = field(default_factory=list)
    synonyms: dict[str, list[list[str]]] = field(default_factory=dict)
    assets: list[AssetFile] = field(default_factory=list)
    problems: list[ContentProblem] = field(default_factory=list)


def import_paths(
    paths: Sequence[Path], *, engine: sa.Engine, publish: bool = False, actor: Actor | str = "import"
) -> ImportReport:
    """Import files and folders all-or-nothing; ContentError lists every problem found.

    Every change is the kb action's own (save, publish, fact, synonyms), audited as `actor`:
    by default "import", a caller inside the system.
    """
    collected = _collect(paths)
    with write_session(engine) as session:
        known = facts_mod.fact_keys(session=session) | {f.key for f in collected.facts}
        for art in collected.articles:
            collected.problems.extend(unknown_facts(art.source, known, file=art.path))
        if collected.problems:
            raise ContentError(sorted(collected.problems, key=lambda p: (p.file, p.line)))
        return _apply(session, collected, publish=publish, actor=actor, known=known)


def _apply(
    session: Session, collected: _Collected, *, publish: bool, actor: Actor | str, known: set[str]
) -> ImportReport:
    report = ImportReport(articles=len(collected.articles))
    report.images_added = keep_asset_files(session, collected.assets, actor=actor)
    for entry in collected.facts:
        current = session.exec(select(Fact).where(Fact.key == entry.key)).first()
        before = current.version if current else 0
        fact = facts_mod.set_fact(
            session=session,
            key=entry.key,
            type=entry.type,
            value=entry.value,
            locales=entry.locales,
            base_version=current.version if current else None,
            actor=actor,
        )
        report.facts_changed += int(fact.version != before)
    for locale, sets in sorted(collected.synonyms.items()):
        if synonyms.replace_locale(session=session, locale=locale, sets=sets, actor=actor):
            report.synonym_locales_changed.append(locale)
    existing = _existing_articles(session, collected.articles)
    to_publish: list[Article] = []
    # Sources first, so a translation imported with its source is in step with it as imported.
    in_step: dict[str, int] = {}  # key → its source's draft revision, when this import wrote it
    for art in sorted(collected.articles, key=_source_first):
        article, draft_hash = existing.get((art.front.key, art.front.locale), (None, None))
        wants_live = publish and art.front.status is ArticleStatus.PUBLISHED
        if article is not None and draft_hash == art.content_hash:
            report.unchanged += 1  # no parse, no write: the hash says nothing changed
            if wants_live:
                to_publish.append(article)
            continue
        result = store.save_draft(
            session=session,
            source=art.source,
            base_revision=article.draft_revision if article else None,
            actor=actor,
            message=f"import {art.path}",
            file=art.path,
            known_facts=known,
            article=article,
            translated_from=in_step.get(art.front.key),
        )
        if result.created and result.revision.translated_from_revision is None:
            in_step.setdefault(art.front.key, result.revision.number)  # it is its key's source
        if not result.created:
            report.unchanged += 1
        elif result.revision.number == 1:
            report.created += 1
        else:
            report.updated += 1
        if wants_live:
            to_publish.append(result.article)
    report.published = store.publish_many(session=session, articles=to_publish, actor=actor, known_facts=known)
    return report


def _source_first(art: _ArticleFile) -> int:
    """The required locale first, then the others in the order of LOCALES (a new key's source is its first)."""
    required = translations.required_locale()
    rank = LOCALES.index(art.front.locale) + 1 if art.front.locale in LOCALES else len(LOCALES) + 1
    return 0 if art.front.locale == required else rank


def _existing_articles(session: Session, files: Iterable[_ArticleFile]) -> dict[tuple[str, str], tuple[Article, str]]:
    """The stored articles among the files' keys, each with its draft's content hash."""
    ordered = sorted({f.front.key for f in files})
    found: dict[tuple[str, str], tuple[Article, str]] = {}
    for start in range(0, len(ordered), 500):
        stmt = (
            select(Article, Revision.content_hash)
            .join(
                Revision,
                (col(Revision.article_id) == col(Article.id)) & (col(Revision.number) == col(Article.draft_revision)),
            )
            .where(col(Article.key).in_(ordered[start : start + 500]))
        )
        for a, digest in session.exec(stmt).all():
            found[(a.key, a.locale)] = (a, digest)
    return found


# ---- collecting and checking files ---------------------------------------------------


def _collect(paths: Sequence[Path]) -> _Collected:
    out = _Collected()
    for path in paths:
        if not path.exists() and not path.is_symlink():
            out.problems.append(ContentProblem(str(path), 0, "no such file or folder"))
            continue
        root = (path if path.is_dir() else path.parent).resolve()
        for file in _files(path, root, out.problems):
            _read_file(file, root, out)
    _check_duplicates(out)
    return out


def _files(path: Path, root: Path, problems: list[ContentProblem]) -> Iterable[Path]:
    if not path.is_dir():
        yield path
        return
    for dirpath, dirnames, filenames in os.walk(path, followlinks=False):
        dirnames.sort()
        for name in sorted(filenames) + [d for d in dirnames if (Path(dirpath) / d).is_symlink()]:
            candidate = Path(dirpath) / name
            if name.startswith("."):
                continue
            if candidate.is_symlink():
                target = candidate.resolve()
                if not target.is_relative_to(root):
                    problems.append(
                        ContentProblem(str(candidate), 0, f"symlink points outside the imported folder (to {target})")
                    )
                    continue
                if target.is_dir():
                    continue  # its files are imported where they really live
            yield candidate


def _read_text(file: Path, problems: list[ContentProblem]) -> str | None:
    size = file.stat().st_size
    if size > MAX_FILE_BYTES:
        problems.append(ContentProblem(str(file), 0, f"file is {size} bytes; the limit is {MAX_FILE_BYTES} (1 MiB)"))
        return None
    data = file.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problems.append(ContentProblem(str(file), line, f"not UTF-8 text (byte {data[exc.start]:#04x})"))
        return None


def _read_file(file: Path, root: Path, out: _Collected) -> None:
    if is_asset_file(file):
        image = read_asset_file(file, out.problems)
        if image is not None:
            out.assets.append(image)
        return
    name = file.name
    is_synonyms = file.suffix == ".txt" and file.parent.name == "synonyms"
    if not (file.suffix == ".md" or name == "facts.yaml" or is_synonyms):
        return
    text = _read_text(file, out.problems)
    if text is None:
        return
    if name == "facts.yaml":
        out.facts.extend(_parse_facts(text, file=str(file), problems=out.problems))
    elif is_synonyms:
        try:
            out.synonyms[file.stem] = synonyms.parse_synonyms_file(text)
        except InvalidChange as exc:
            line = int(m.group(1)) if (m := re.match(r"line (\d+)", exc.detail)) else 0
            out.problems.append(ContentProblem(str(file), line, exc.detail))
    else:
        _read_article(text, file=str(file), out=out)


def _read_article(text: str, *, file: str, out: _Collected) -> None:
    source = normalise_source(text)
    try:
        checked = check_source(source, file=file)
    except ContentError as exc:
        out.problems.extend(exc.problems)
        return
    out.articles.append(_ArticleFile(path=file, source=source, front=checked.front, content_hash=checked.content_hash))


def _check_duplicates(out: _Collected) -> None:
    by_id: dict[tuple[str, str], str] = {}
    by_slug: dict[tuple[str, str], str] = {}
    for art in out.articles:
        ident = (art.front.key, art.front.locale)
        if ident in by_id:
            out.problems.append(
                ContentProblem(art.path, 2, f"duplicate article {ident[0]!r} ({ident[1]}): also in {by_id[ident]}")
            )
        else:
            by_id[ident] = art.path
        slug = (art.front.locale, art.front.slug)
        if slug in by_slug and by_slug[slug] != by_id.get(ident):
            out.problems.append(
                ContentProblem(art.path, 2, f"duplicate slug {slug[1]!r} in locale {slug[0]}: also in {by_slug[slug]}")
            )
        else:
            by_slug.setdefault(slug, art.path)


def _parse_facts(text: str, *, file: str, problems: list[ContentProblem]) -> list[_FactEntry]:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problems.append(
            ContentProblem(file, mark.line + 1 if mark else 1, f"broken YAML: {getattr(exc, 'problem', exc)}")
        )
        return []
    if data is None:
        return []
    if not isinstance(data, dict) or node is None:
        problems.append(ContentProblem(file, 1, "facts.yaml must map fact keys to {type, value}"))
        return []
    lines = {str(k.value): k.start_mark.line + 1 for k, _ in node.value}
    entries: list[_FactEntry] = []
    for key, spec in data.items():
        line = lines.get(str(key), 1)
        if not isinstance(spec, dict):
            problems.append(ContentProblem(file, line, f"fact {key!r} must have 'type' and 'value'"))
            continue
        extra = set(spec) - FACT_ENTRY_KEYS
        if extra:
            problems.append(
                ContentProblem(file, line, f"fact {key!r} has unknown keys: {', '.join(sorted(map(str, extra)))}")
            )
            continue
        try:
            if not facts_mod.FACT_KEY_RE.match(str(key)):
                raise InvalidChange(f"fact key {key!r} must be letters, digits and '_'")
            ftype = facts_mod.parse_type(str(spec.get("type", "")))
            facts_mod.validate_value(ftype, spec.get("value"))
            locales = spec.get("locales") or {}
            if not isinstance(locales, dict):
                raise InvalidChange("'locales' must map a locale to a value")
            for v in locales.values():
                facts_mod.validate_value(ftype, v)
        except InvalidChange as exc:
            problems.append(ContentProblem(file, line, f"fact {key!r}: {exc.detail}"))
            continue
        entries.append(_FactEntry(str(key), ftype.value, spec.get("value"), {str(k): v for k, v in locales.items()}))
    return entries


# ---- export --------------------------------------------------------------------------


def export_folder(target: Path, *, engine: sa.Engine) -> int:
    """Write every article's latest revision, the images they name, the facts and the synonyms as a content folder.

    Importing the folder into an empty store gives the same content hashes; the
    `status` line says whether the article is live (it is not part of the hash).
    """
    count = 0
    images: set[str] = set()
    with read_session(engine) as session:
        for article in store.list_articles(session=session):
            rev = session.exec(
                select(Revision).where(Revision.article_id == article.id, Revision.number == article.draft_revision)
            ).one()
            live = article.published_revision is not None
            status = ArticleStatus.PUBLISHED if live else ArticleStatus.DRAFT
            path = target / article.locale / (article.category or "uncategorised") / f"{article.key}.md"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(with_status(rev.source, status), encoding="utf-8")
            images |= parse_source(rev.source, digest=rev.content_hash).assets
            count += 1
        write_asset_files(session, images, target)
        all_facts = list(session.exec(select(Fact).order_by(col(Fact.key))))
        if all_facts:
            data = {
                f.key: {"type": f.type, "value": f.value} | ({"locales": f.locales} if f.locales else {})
                for f in all_facts
            }
            target.mkdir(parents=True, exist_ok=True)
            (target / "facts.yaml").write_text(
                yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8"
            )
        by_locale: dict[str, list[list[str]]] = {}
        for syn in synonyms.list_sets(session=session):
            by_locale.setdefault(syn.locale, []).append(list(syn.terms))
        for locale, sets in by_locale.items():
            (target / "synonyms").mkdir(parents=True, exist_ok=True)
            (target / "synonyms" / f"{locale}.txt").write_text(synonyms.format_synonyms_file(sets), encoding="utf-8")
    return count


def with_status(source: str, status: ArticleStatus) -> str:
    """The source with its front matter's `status` line set to `status`."""
    lines = source.split("\n")
    end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    head = "\n".join(lines[1:end])
    if _STATUS_LINE_RE.search(head):
        head = _STATUS_LINE_RE.sub(f"status: {status.value}", head, count=1)
    else:
        head = head + f"\nstatus: {status.value}"
    return "\n".join(["---", head, *lines[end:]])
