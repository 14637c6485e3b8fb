"""Import and export of content folders: all-or-nothing, hash-stable, every problem located."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import select

import kb
from kb.models import Revision
from tests.conftest import CONTENT
from tests.helpers import article, snapshot


def _hashes(engine: sa.Engine) -> dict[tuple[str, str], str]:
    with kb.read_session(engine) as session:
        return {
            (a.key, a.locale): kb.get_revision(session=session, article=a, number=a.draft_revision).content_hash
            for a in kb.list_articles(session=session)
        }


def _write(folder: Path, rel: str, text: str | bytes) -> Path:
    path = folder / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A small valid content folder: two articles and a fact."""
    root = tmp_path / "content"
    _write(root, "facts.yaml", 'support_phone:\n  type: phone\n  value: "+37167000100"\n')
    _write(root, "en/billing/check-balance.md", article(body="Call {{ support_phone }}.", status="published"))
    _write(root, "en/billing/top-up.md", article(key="top-up", title="Top up", body="Pay.", status="draft"))
    _write(root, "synonyms/en.txt", "# money words\ntop up, recharge, add credit\n")
    return root


def test_sample_content_imports_and_publishes(engine: sa.Engine) -> None:
    report = kb.import_paths([CONTENT], engine=engine, publish=True)
    assert report.articles >= 45 and report.created == report.articles
    with kb.read_session(engine) as session:
        counts = kb.counts_by_locale(session=session)
        facts = kb.fact_values(session=session)
        synonyms = kb.list_sets(session=session)
    assert set(counts) == {"ru", "uk", "en"}
    assert all(c["published"] >= 15 for c in counts.values())
    assert len(facts) >= 8
    assert {s.locale for s in synonyms} == {"ru", "uk", "en"}


def test_reimporting_unchanged_files_creates_nothing(engine: sa.Engine) -> None:
    kb.import_paths([CONTENT], engine=engine, publish=True)
    before = snapshot(engine)
    report = kb.import_paths([CONTENT], engine=engine, publish=True)
    assert report.created == report.updated == report.published == 0
    assert report.unchanged == report.articles
    assert snapshot(engine) == before


def test_changed_file_becomes_a_new_revision(engine: sa.Engine, folder: Path) -> None:
    kb.import_paths([folder], engine=engine, publish=True)
    _write(folder, "en/billing/check-balance.md", article(body="Call {{ support_phone }} now.", status="published"))
    report = kb.import_paths([folder], engine=engine, publish=True)
    assert (report.created, report.updated, report.unchanged, report.published) == (0, 1, 1, 1)


def test_publish_flag_publishes_only_published_status(engine: sa.Engine, folder: Path) -> None:
    kb.import_paths([folder], engine=engine)
    with kb.read_session(engine) as session:
        assert kb.list_articles(session=session, status=kb.ArticleStatus.PUBLISHED) == []
    kb.import_paths([folder], engine=engine, publish=True)
    with kb.read_session(engine) as session:
        live = kb.list_articles(session=session, status=kb.ArticleStatus.PUBLISHED)
    assert [a.key for a in live] == ["check-balance"]


def test_export_then_import_reproduces_hashes(engine: sa.Engine, tmp_path: Path, sqlite_template: Path) -> None:
    kb.import_paths([CONTENT], engine=engine, publish=True)
    out = tmp_path / "exported"
    assert kb.export_folder(out, engine=engine) >= 45
    fresh_path = tmp_path / "fresh.db"
    shutil.copy(sqlite_template, fresh_path)
    fresh = kb.make_engine(f"sqlite:///{fresh_path}")
    kb.import_paths([out], engine=fresh, publish=True)
    assert _hashes(fresh) == _hashes(engine)
    with kb.read_session(fresh) as session:
        assert (
            kb.fact_values(session=session) == kb.fact_values(session=session)
            and len(kb.fact_values(session=session)) >= 8
        )
        assert len(kb.list_articles(session=session, status=kb.ArticleStatus.PUBLISHED)) >= 45
    fresh.dispose()


BAD_CASES = {
    "broken YAML": ("en/billing/bad.md", "---\nkey: bad\nlocale: en\ntitle: [unclosed\n---\nx\n", 5, "broken YAML"),
    "missing key": ("en/billing/bad.md", "---\nlocale: en\ntitle: T\n---\nx\n", 2, "missing required key 'key'"),
    "missing locale": ("en/billing/bad.md", "---\nkey: bad\ntitle: T\n---\nx\n", 2, "missing required key 'locale'"),
    "missing title": ("en/billing/bad.md", "---\nkey: bad\nlocale: en\n---\nx\n", 2, "missing required key 'title'"),
    "unknown key": (
        "en/billing/bad.md",
        "---\nkey: bad\nlocale: en\ntitle: T\nprice: 5\n---\nx\n",
        5,
        "unknown front-matter key 'price'",
    ),
    "duplicate": ("en/other/dup.md", article(body="Same identity."), 2, "duplicate article 'check-balance' (en)"),
    "unknown fact": (
        "en/billing/bad.md",
        article(key="bad", body="Hi.\n\nCall {{ fax }}."),
        8,
        "unknown fact {{ fax }}",
    ),
    "unclosed block": ("en/billing/bad.md", article(key="bad", body="::: ivr\nSay it."), 6, "never closed"),
    "unknown block": ("en/billing/bad.md", article(key="bad", body="::: fax\nx\n:::"), 6, "unknown block"),
    "not UTF-8": ("en/billing/bad.md", article(key="bad").encode() + "Ціна\n".encode("cp1251"), 7, "not UTF-8"),
    "over 1 MiB": ("en/billing/big.md", article(key="big", body="x" * (1024 * 1024 + 10)), 0, "limit is 1048576"),
    "bad fact value": ("facts.yaml", 'support_phone:\n  type: phone\n  value: "12"\n', 1, "not a valid phone"),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_input_is_rejected_with_file_and_line_and_changes_nothing(
    engine: sa.Engine, folder: Path, case: str
) -> None:
    kb.import_paths([folder], engine=engine, publish=True)
    before = snapshot(engine)
    rel, text, line, message = BAD_CASES[case]
    # a good change rides along: it must not land either
    _write(folder, "en/billing/top-up.md", article(key="top-up", title="Top up", body="Changed.", status="published"))
    bad = _write(folder, rel, text)
    with pytest.raises(kb.ContentError) as err:
        kb.import_paths([folder], engine=engine, publish=True)
    found = [p for p in err.value.problems if p.file == str(bad)]
    assert found, err.value.problems
    assert found[0].line == line and message in found[0].message, found
    assert snapshot(engine) == before


def test_symlink_outside_the_folder_is_rejected(engine: sa.Engine, folder: Path, tmp_path: Path) -> None:
    secret = _write(tmp_path / "elsewhere", "secret.md", article(key="secret", title="Secret"))
    link = folder / "en" / "billing" / "secret.md"
    os.symlink(secret, link)
    before = snapshot(engine)
    with pytest.raises(kb.ContentError) as err:
        kb.import_paths([folder], engine=engine)
    assert any(p.file == str(link) and "outside the imported folder" in p.message for p in err.value.problems)
    assert snapshot(engine) == before


def test_symlink_inside_the_folder_is_followed(engine: sa.Engine, folder: Path) -> None:
    os.symlink(folder / "en" / "billing", folder / "en" / "alias")
    report = kb.import_paths([folder], engine=engine)
    assert report.articles == 2  # the aliased folder is not imported twice


def test_every_problem_is_reported_at_once(engine: sa.Engine, folder: Path) -> None:
    _write(folder, "en/a.md", "---\nkey: a\nlocale: en\n---\n")
    _write(folder, "en/b.md", article(key="b", body="::: ivr\nopen"))
    with pytest.raises(kb.ContentError) as err:
        kb.import_paths([folder], engine=engine)
    assert {Path(p.file).name for p in err.value.problems} == {"a.md", "b.md"}


def test_revision_records_author_and_message(sqlite_engine: sa.Engine, folder: Path) -> None:
    kb.import_paths([folder], engine=sqlite_engine, actor="alice")
    with kb.read_session(sqlite_engine) as session:
        rev = session.exec(select(Revision)).first()
    assert rev is not None and rev.author == "alice" and rev.message.startswith("import ")
