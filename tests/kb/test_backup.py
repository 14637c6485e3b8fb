"""Backups: a snapshot restored into an empty database is the same database, and erasures outlive it."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import subprocess
import tarfile
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from sqlmodel import Session, col, select

import contacts
import kb
from kb.db import alembic_config, current_revision, head_revision
from tests.api.commands import istok as run_istok
from tests.conftest import ROOT, fresh_pg_database
from tests.helpers import article, snapshot

WHO = kb.Actor(name="Ann Admin", role="admin")
PHONE = "+380671234567"
EMAIL = "olena@example.com"


@pytest.fixture(autouse=True)
def own_journal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test keeps its erasure journal and hashing key in its own folder."""
    journal = tmp_path / "journal" / "erasures.jsonl"
    monkeypatch.setenv("ISTOK_ERASURE_JOURNAL", str(journal))
    monkeypatch.setenv("ISTOK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ISTOK_SECRET_KEY", "test-secret-" + uuid.uuid4().hex)
    return journal


@contextmanager
def _empty_target(dialect: str, tmp_path: Path, *, migrated: bool, template: Path) -> Iterator[sa.Engine]:
    """An empty database of `dialect`: migrated with no data, or with no tables at all."""
    if dialect == "sqlite":
        path = tmp_path / f"target-{uuid.uuid4().hex[:6]}" / "istok.db"
        if migrated:
            path.parent.mkdir()
            shutil.copy(template, path)
        eng = kb.make_engine(f"sqlite:///{path}")
        yield eng
        eng.dispose()
        return
    with fresh_pg_database("istok_restore", migrated=migrated) as url:
        eng = kb.make_engine(url)
        try:
            yield eng
        finally:
            eng.dispose()


def _reapply(session: Session, erasures: Sequence[kb.Erasure], since: dt.datetime) -> list[int]:
    return contacts.reapply_erasures(session=session, erasures=erasures, since=since)


def _restore(path: Path, target: sa.Engine, *, force: bool = False) -> kb.RestoreReport:
    return kb.restore_backup(path, engine=target, reapply=_reapply, actor=WHO, force=force)


def _populate(engine: sa.Engine) -> dict[str, int]:
    """Articles with history (published, edited, rolled back), facts, contacts and their timeline, keys, users."""
    with kb.write_session(engine) as session:
        kb.set_fact(
            session=session, key="support_phone", type="phone", value="+380800300500", base_version=None, actor=WHO
        )
    with kb.write_session(engine) as session:
        first = kb.save_draft(session=session, source=article(), base_revision=None, actor=WHO)
        kb.publish(session=session, article=first.article, actor=WHO)
        other = kb.save_draft(
            session=session,
            source=article(key="card-arrival", title="When does my card arrive?", body="Call {{ support_phone }}."),
            base_revision=None,
            actor=WHO,
        )
        kb.publish(session=session, article=other.article, actor=WHO)
    with kb.write_session(engine) as session:
        found = kb.get_article(session=session, key="check-balance", locale="en")
        second = kb.save_draft(
            session=session, source=article(body="Dial *100# and press call."), base_revision=1, actor=WHO
        )
        kb.publish(session=session, article=second.article, actor=WHO)
        kb.rollback(session=session, article=found, to_revision=1, base_revision=2, actor=WHO)
    with kb.write_session(engine) as session:
        kb.set_fact(
            session=session, key="support_phone", type="phone", value="+380800300600", base_version=1, actor=WHO
        )
        kb.create_key(session=session, name="chatbot", role="bot", actor=WHO)
        kb.create_user(session=session, username="anna", password="correct horse battery", role="editor", actor=WHO)
    with kb.write_session(engine) as session:
        olena = contacts.create_contact(
            session=session,
            name="Olena",
            locale="uk",
            identities=[contacts.normalise("phone", PHONE), contacts.normalise("email", EMAIL)],
        )
        petro = contacts.create_contact(
            session=session, name="Petro", identities=[contacts.normalise("phone", "+380501112233")]
        )
        contacts.record_interaction(
            session=session, contact=olena, channel="bot", outcome="handoff", question="my card?"
        )
        contacts.record_interaction(
            session=session, contact=olena, channel="phone", outcome="resolved", question="thanks"
        )
        contacts.record_interaction(
            session=session, contact=petro, channel="web", outcome="answered", question="balance"
        )
    return {"olena": olena.id or 0, "petro": petro.id or 0}


def _without_restore_audit(rows: dict[str, list[tuple[Any, ...]]]) -> dict[str, list[tuple[Any, ...]]]:
    return {**rows, "audit_log": [r for r in rows["audit_log"] if "database.restore" not in r]}


@pytest.mark.parametrize("migrated", [True, False], ids=["migrated-target", "blank-target"])
def test_a_restore_reproduces_every_row_of_every_table(
    engine: sa.Engine, tmp_path: Path, sqlite_template: Path, migrated: bool
) -> None:
    _populate(engine)
    before = snapshot(engine)
    file = tmp_path / "istok.backup"
    manifest = kb.create_backup(file, engine=engine, actor=WHO)
    assert manifest.dialect == engine.dialect.name and manifest.alembic_revision == head_revision()
    assert manifest.counts["revisions"] == 4 and manifest.counts["contacts"] == 2 and manifest.counts["api_keys"] == 1
    assert kb.read_backup_manifest(file) == manifest
    with _empty_target(engine.dialect.name, tmp_path, migrated=migrated, template=sqlite_template) as target:
        report = _restore(file, target)
        assert report.reerased == [] and report.migrated_to == head_revision()
        after = snapshot(target)
        assert _without_restore_audit(after) == before  # ids, hashes, log sequence, fact versions, contacts, keys
        assert len(after["audit_log"]) == len(before["audit_log"]) + 1
        assert current_revision(target) == head_revision()
        with kb.read_session(engine) as session:
            seq = kb.last_seq(session)
        with kb.read_session(target) as session:
            assert kb.last_seq(session) == seq > 0
            history = kb.history(
                session=session, article=kb.get_article(session=session, key="check-balance", locale="en")
            )
            assert [r.number for r in history] == [1, 2, 3]
        with kb.write_session(target) as session:  # ids go on from where they were, never reused
            newcomer = contacts.create_contact(session=session, name="New")
        assert (newcomer.id or 0) > max(r[0] for r in before["contacts"])


def test_erasure_outlives_the_backup(
    engine: sa.Engine, tmp_path: Path, sqlite_template: Path, own_journal: Path
) -> None:
    people = _populate(engine)
    file = tmp_path / "istok.backup"
    kb.create_backup(file, engine=engine, actor=WHO)
    with kb.write_session(engine) as session:
        olena = contacts.get_contact(session=session, contact_id=people["olena"])
        contacts.erase_contact(session=session, contact=olena)
    journal = own_journal.read_text(encoding="utf-8")
    assert PHONE not in journal and EMAIL not in journal and "Olena" not in journal
    assert json.loads(journal)["contacts"][0]["id"] == people["olena"]
    with _empty_target(engine.dialect.name, tmp_path, migrated=True, template=sqlite_template) as target:
        report = _restore(file, target)
        assert report.reerased == [people["olena"]] and report.journal_entries == 1
        with kb.read_session(target) as session:
            gone = session.get(contacts.Contact, people["olena"])
            assert gone is not None and gone.erased_at is not None and gone.name is None
            assert contacts.identities_of(session=session, contact_id=people["olena"]) == []
            asked = session.exec(
                select(contacts.Interaction.question).where(col(contacts.Interaction.anonymised))
            ).all()
            assert sorted(asked, key=str) == [None, None]
            kept = contacts.get_contact(session=session, contact_id=people["petro"])
            assert kept.name == "Petro" and kept.erased_at is None
            assert contacts.find_by_identity(session=session, address=contacts.normalise("phone", PHONE)) is None
        assert len(own_journal.read_text(encoding="utf-8").splitlines()) == 1  # the re-erasure is not journaled again
        # restoring again later erases again, and an already-erased row is left as it is
        again = _restore(file, target, force=True)
        assert again.reerased == [people["olena"]]


def test_a_journaled_identity_finds_the_person_under_another_id(engine: sa.Engine, tmp_path: Path) -> None:
    """Erased elsewhere after the backup (say, in a database re-created since): the address still finds them."""
    people = _populate(engine)
    file = tmp_path / "istok.backup"
    manifest = kb.create_backup(file, engine=engine, actor=WHO)
    elsewhere = kb.ErasedContact(id=people["olena"], created_at=kb.utcnow())  # not the backup's row
    kb.record_erasure(
        contacts=[elsewhere], identities=[("phone", "+380501112233")], at=manifest.created_at - dt.timedelta(hours=1)
    )
    assert _restore(file, engine, force=True).reerased == []  # older than the backup: the backup already shows it
    kb.record_erasure(contacts=[elsewhere], identities=[("phone", "+380501112233")], at=kb.utcnow())
    assert _restore(file, engine, force=True).reerased == [people["petro"]]


def test_a_backup_while_another_thread_writes_is_one_instant(
    engine: sa.Engine, tmp_path: Path, sqlite_template: Path
) -> None:
    stop = threading.Event()
    written: list[int] = []

    def write() -> None:
        n = 0
        while not stop.is_set():
            with kb.write_session(engine) as session:  # one contact and one interaction per transaction
                person = contacts.create_contact(session=session, name=f"p{n}")
                contacts.record_interaction(session=session, contact=person, channel="web", outcome="answered")
            n += 1
            written.append(n)

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    manifests = []
    overlapped = 0  # backups during which the writer committed something
    try:
        deadline = time.monotonic() + 30
        while len(written) < 5 and writer.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(written) >= 5, "the writer did not get going"
        for i in range(5):
            started = len(written)
            manifests.append(kb.create_backup(tmp_path / f"b{i}.backup", engine=engine, actor=WHO))
            overlapped += len(written) > started
    finally:
        stop.set()
        writer.join(timeout=30)
    counts = [(m.counts["contacts"], m.counts["contact_interactions"]) for m in manifests]
    assert all(c == i for c, i in counts), counts  # never a contact without its interaction, nor the reverse
    assert overlapped > 0 and counts[-1][0] > counts[0][0], (overlapped, counts)
    with _empty_target(engine.dialect.name, tmp_path, migrated=True, template=sqlite_template) as target:
        report = _restore(tmp_path / "b4.backup", target)  # the restore checks every table's rows against the manifest
        with kb.read_session(target) as session:
            assert len(session.exec(select(contacts.Contact)).all()) == report.manifest.counts["contacts"]


def test_an_erasure_that_cannot_be_journaled_is_not_made(
    engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    people = _populate(engine)
    monkeypatch.setenv("ISTOK_ERASURE_JOURNAL", str(tmp_path))  # a folder: no line can be appended to it
    journal_error = pytest.raises(kb.ErasureJournalError, match="the erasure was not made")
    with journal_error, kb.write_session(engine) as session:
        olena = contacts.get_contact(session=session, contact_id=people["olena"])
        contacts.erase_contact(session=session, contact=olena)
    with kb.read_session(engine) as session:
        assert contacts.get_contact(session=session, contact_id=people["olena"]).name == "Olena"


def test_a_restore_that_cannot_erase_again_is_undone(
    engine: sa.Engine, backup_file: Path, tmp_path: Path, sqlite_template: Path
) -> None:
    def broken(session: Session, erasures: Sequence[kb.Erasure], since: dt.datetime) -> list[int]:
        raise RuntimeError("disk gone")

    with _empty_target(engine.dialect.name, tmp_path, migrated=True, template=sqlite_template) as target:
        with pytest.raises(kb.BackupError, match=r"restore was undone .*disk gone"):
            kb.restore_backup(backup_file, engine=target, reapply=broken, actor=WHO)
        assert snapshot(target) == {}


def test_an_unreadable_journal_stops_the_restore_before_it_starts(
    engine: sa.Engine, backup_file: Path, own_journal: Path
) -> None:
    before = snapshot(engine)
    own_journal.parent.mkdir(parents=True, exist_ok=True)
    own_journal.write_text("not json\n{}\n", encoding="utf-8")
    with pytest.raises(kb.ErasureJournalError, match=r"erasures\.jsonl:1: not an erasure journal line"):
        _restore(backup_file, engine, force=True)
    assert snapshot(engine) == before


# ---- refusals: each changes nothing ----


def _rewrite(file: Path, out: Path, *, manifest: dict[str, Any] | None = None, payload: bytes | None = None) -> None:
    with tarfile.open(file, "r:*") as archive:
        members = {m.name: archive.extractfile(m).read() for m in archive.getmembers()}  # type: ignore[union-attr]
    meta = json.loads(members["manifest.json"])
    meta.update(manifest or {})
    members["manifest.json"] = json.dumps(meta).encode()
    if payload is not None:
        members[meta["payload"]] = payload
    with tarfile.open(out, "w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))


@pytest.fixture
def backup_file(engine: sa.Engine, tmp_path: Path) -> Path:
    _populate(engine)
    file = tmp_path / "istok.backup"
    kb.create_backup(file, engine=engine, actor=WHO)
    return file


def test_a_database_that_holds_data_is_refused(engine: sa.Engine, backup_file: Path) -> None:
    before = snapshot(engine)
    with pytest.raises(kb.BackupError, match=r"is not empty .*--force"):
        _restore(backup_file, engine)
    assert snapshot(engine) == before


def test_a_damaged_file_is_refused(engine: sa.Engine, backup_file: Path, tmp_path: Path, sqlite_template: Path) -> None:
    with tarfile.open(backup_file, "r:*") as archive:
        name = json.loads(archive.extractfile("manifest.json").read())["payload"]  # type: ignore[union-attr]
        payload = bytearray(archive.extractfile(name).read())  # type: ignore[union-attr]
    payload[len(payload) // 2] ^= 0xFF
    tampered = tmp_path / "tampered.backup"
    _rewrite(backup_file, tampered, payload=bytes(payload))
    truncated = tmp_path / "truncated.backup"
    truncated.write_bytes(backup_file.read_bytes()[: backup_file.stat().st_size // 2])
    with _empty_target(engine.dialect.name, tmp_path, migrated=True, template=sqlite_template) as target:
        before = snapshot(target)
        with pytest.raises(kb.BackupError, match="does not match the SHA-256"):
            _restore(tampered, target)
        with pytest.raises(kb.BackupError, match=r"damaged|not an Istok backup"):
            _restore(truncated, target)
        with pytest.raises(kb.BackupError, match="no backup file"):
            _restore(tmp_path / "missing.backup", target)
        assert snapshot(target) == before


def test_a_newer_format_or_schema_is_refused(
    engine: sa.Engine, backup_file: Path, tmp_path: Path, sqlite_template: Path
) -> None:
    newer = tmp_path / "newer.backup"
    _rewrite(backup_file, newer, manifest={"format_version": 99})
    future = tmp_path / "future.backup"
    _rewrite(backup_file, future, manifest={"alembic_revision": "9999"})
    with _empty_target(engine.dialect.name, tmp_path, migrated=True, template=sqlite_template) as target:
        before = snapshot(target)
        with pytest.raises(kb.BackupError, match=r"format version 99; this Istok .* reads up to version 1"):
            _restore(newer, target)
        with pytest.raises(kb.BackupError, match=r"migration 9999, which this Istok .* does not know"):
            _restore(future, target)
        assert snapshot(target) == before


def test_a_backup_of_the_other_dialect_is_refused(sqlite_engine: sa.Engine, tmp_path: Path) -> None:
    file = tmp_path / "istok.backup"
    kb.create_backup(file, engine=sqlite_engine, actor=WHO)
    with fresh_pg_database("istok_restore") as url:
        target = kb.make_engine(url)
        try:
            with pytest.raises(kb.BackupError, match="backup is of a sqlite database and the target is postgresql"):
                _restore(file, target)
        finally:
            target.dispose()


def test_an_older_backup_restores_into_the_newer_schema(db_url: str, tmp_path: Path, sqlite_template: Path) -> None:
    if db_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'old' / 'istok.db'}"
        context = None
    else:
        context = fresh_pg_database("istok_blank", migrated=False)
        url = context.__enter__()
    old = kb.make_engine(url)
    try:
        command.upgrade(alembic_config(old), "0010")
        file = tmp_path / "old.backup"
        assert kb.create_backup(file, engine=old, actor=WHO).alembic_revision == "0010"
        with _empty_target(old.dialect.name, tmp_path, migrated=False, template=sqlite_template) as target:
            report = _restore(file, target)
            assert (report.migrated_from, report.migrated_to) == ("0010", head_revision())
            assert current_revision(target) == head_revision()
    finally:
        old.dispose()
        if context is not None:
            context.__exit__(None, None, None)


def test_backup_and_restore_through_the_command_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ISTOK_")},
        "ISTOK_DATA_DIR": str(data),
        "ISTOK_DATABASE_URL": f"sqlite:///{data / 'istok.db'}",
        "ISTOK_ERASURE_JOURNAL": str(tmp_path / "erasures.jsonl"),
    }

    def istok(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return run_istok(args, {**env, **extra})

    assert istok("db", "upgrade").returncode == 0
    imported = istok("import", str(ROOT / "content"), "--publish")
    assert imported.returncode == 0, imported.stderr
    file = tmp_path / "istok.backup"
    made = istok("backup", str(file), "--json")
    assert made.returncode == 0, made.stderr
    counts = json.loads(made.stdout)["counts"]
    assert counts["articles"] > 0
    restored_url = f"sqlite:///{tmp_path / 'restored' / 'istok.db'}"
    done = istok("restore", str(file), "--json", ISTOK_DATABASE_URL=restored_url)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["manifest"]["counts"] == counts and report["reerased_contacts"] == []
    listed = istok("articles", "list", "--json", ISTOK_DATABASE_URL=restored_url)
    assert listed.returncode == 0 and len(json.loads(listed.stdout)) == counts["articles"]
    refused = istok("restore", str(file), ISTOK_DATABASE_URL=restored_url)
    assert refused.returncode == 1 and "is not empty" in refused.stderr and "Traceback" not in refused.stderr
