"""What must hold in the store after a fault: tests/bulkstore.py's invariants, and nothing acknowledged lost."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import col

import kb
from kb import Article, LogEntry, Revision
from tests.bulkstore import check_store
from tests.faults.traffic import Traffic


def check_acknowledged(db_url: str, traffic: Traffic) -> dict[str, int]:
    """Every revision whole and the log gap-free (check_store), and every acknowledged write there.

    Returns check_store's counts with the acknowledged ones added.
    """
    counts = check_store(db_url)
    missing = missing_acknowledged(db_url, traffic)
    assert missing == [], f"{len(missing)} acknowledged writes are missing: {missing[:5]}"
    return {**counts, "acknowledged_saves": len(traffic.saved), "acknowledged_publishes": len(traffic.published)}


def missing_acknowledged(db_url: str, traffic: Traffic) -> list[str]:
    """The acknowledged writes the store does not hold, each said in words (none: an empty list).

    An acknowledged save is a revision with the very source and hash the service answered with;
    an acknowledged publish is a log entry with its sequence naming that article and revision.
    """
    engine = kb.make_engine(db_url)
    try:
        with engine.connect() as conn:
            revisions = {
                (locale, key, number): (source, digest)
                for locale, key, number, source, digest in conn.execute(
                    sa.select(
                        col(Article.locale),
                        col(Article.key),
                        col(Revision.number),
                        col(Revision.source),
                        col(Revision.content_hash),
                    ).join(Article, col(Article.id) == col(Revision.article_id))
                )
            }
            log = {
                int(seq): (locale, key, revision)
                for seq, locale, key, revision in conn.execute(
                    sa.select(col(LogEntry.seq), col(LogEntry.locale), col(LogEntry.key), col(LogEntry.revision))
                )
            }
    finally:
        engine.dispose()
    missing = [
        f"revision {s.revision} of {s.locale}/{s.key} (saved via {s.base})"
        for s in traffic.saved
        if revisions.get((s.locale, s.key, s.revision)) != (s.source, s.content_hash)
    ]
    missing += [
        f"publish of {p.locale}/{p.key} revision {p.revision} as log entry {p.seq} (via {p.base}): {log.get(p.seq)}"
        for p in traffic.published
        if p.seq is not None and log.get(p.seq) != (p.locale, p.key, p.revision)  # no seq: it was live already
    ]
    return missing
