"""Answering a question: the one use-case the answer route, the widget and `istok answer` call.

question → `kb.answer` → the chosen unit rendered for the channel → the client's timeline →
the content gap. A question travels api → kb → renderers → contacts once, and the caller
gets back the engine's `kb.Answer` and the renderer's `Rendered` as they are.

Replies are kept per publication sequence and index generation, because real traffic repeats
itself and any publish (or synonym change) moves them and so retires every kept reply. A kept reply is served without
the engine, but a weak one still counts as a content gap each time it is asked, and each
asker still gets it on their own timeline. A caller may keep what it made of a reply (the
JSON body, say) in `presented`, so a repeat is not serialised again.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from dataclasses import dataclass, field, replace
from typing import Any

import anyio
import anyio.to_thread
from cachetools import LRUCache

import contacts
import kb
import renderers
from api import live, rendering, runtime
from api.contact_access import contact_of, recording

#: What the kept replies may weigh, in bytes: a bound on a worker's memory whatever the articles
#: answered (20,000 replies by count, the bound before, came to about 120 MB a worker).
KEPT_BYTES = 24 * 2**20
#: A reply's weight besides its rendered body (the answer, its alternatives, the presented JSON's
#: other fields): 3,000 kept replies held 17.8 MB of Python objects at 10,000 generated articles
#: (`bench/memory_bench.py`), about 6 KB each, their bodies a few hundred bytes of it. The body
#: counts twice, since the presented JSON repeats it.
REPLY_OVERHEAD = 5632


@dataclass(frozen=True)
class Asker:
    """Who asks, when known: the contact, and the audience whose channel blocks they get."""

    contact_id: int
    segment: str | None


@dataclass(frozen=True)
class Reply:
    """The answer, its rendering (none on a handoff), and where it went on the timeline."""

    answer: kb.Answer
    rendered: renderers.Rendered | None
    presented: dict[str, Any] = field(default_factory=dict, compare=False)
    contact_id: int | None = None
    case_id: int | None = None
    replayed: bool = False  # the outside message was answered before: the caller sends nothing again


def _weight(reply: Reply) -> int:
    body = sys.getsizeof(reply.rendered.body) if reply.rendered is not None else 0
    return REPLY_OVERHEAD + 2 * body


_kept: LRUCache[tuple[object, ...], Reply] = LRUCache(maxsize=KEPT_BYTES, getsizeof=_weight)
_kept_lock = threading.Lock()
_limiter: anyio.CapacityLimiter | None = None


async def ask(
    question: str,
    locale: str,
    channel: str,
    *,
    format: str | None = None,
    base_url: str = "",
    contact_id: int | None = None,
    identity: str | None = None,
    actor: kb.Actor | None = None,
    via: str | None = None,
    message: str | None = None,
) -> Reply:
    """Answer `question` for `channel`; with `contact_id` or `identity`, also on the client's timeline.

    `actor` is who reads the contact (their access is audited). Blocking work runs off the
    event loop: the engine one question at a time, the database in the thread pool. `via`
    names where the client is (telegram, whatsapp…: the timeline's channel; default `channel`)
    and `message` the outside system's id of the message: asked again with the same pair,
    the reply comes back `replayed` and nothing is recorded twice.
    """
    asker = None
    if contact_id is not None or identity is not None:
        asker = await anyio.to_thread.run_sync(lambda: find_asker(contact_id=contact_id, identity=identity))
    index = runtime.index()
    index.poll()
    segment = asker.segment if asker else None
    ident = (
        " ".join(question.lower().split()),
        locale,
        channel,
        format,
        base_url,
        segment,
        id(index),
        index.seq,
        index.generation,
        kb.hidden_units(index),  # an announcement ending moves no sequence, yet its answer must go
    )
    with _kept_lock:
        reply = _kept.get(ident)
    if reply is not None:
        kb.note_gap(question, reply.answer, index=index, contact_id=asker.contact_id if asker else None)
    else:
        reply = await anyio.to_thread.run_sync(
            lambda: _answered(question, locale, channel, format, base_url, asker), limiter=_engine_limiter()
        )
        with _kept_lock, contextlib.suppress(ValueError):  # ValueError: one reply heavier than the whole budget
            _kept[ident] = reply
    if asker is None:
        return reply
    who = actor or kb.Actor(name="istok")
    where = via or channel
    contact, case, replayed = await anyio.to_thread.run_sync(
        lambda: _on_timeline(reply.answer, asker, who, where, message)
    )
    return replace(reply, contact_id=contact, case_id=case, replayed=replayed)


def _answered(
    question: str, locale: str, channel: str, format: str | None, base_url: str, asker: Asker | None
) -> Reply:
    found = kb.answer(question, locale, channel, index=runtime.index(), contact_id=asker.contact_id if asker else None)
    if not found.answered or found.key is None or found.revision is None:
        return Reply(found, None)
    rendered = rendering.render_revision(
        found.channel,
        locale=found.locale,
        key=found.key,
        revision=found.revision,
        snapshot=live.at(found.seq),
        format=format,
        base_url=base_url,
        related=[renderers.RelatedArticle(a.title, a.key) for a in found.alternatives],
        segment=asker.segment if asker else None,
    )
    return Reply(found, rendered)


def _engine_limiter() -> anyio.CapacityLimiter:
    """One question computed at a time per process (made lazily: it belongs to the running loop).

    The engine is pure Python under the GIL, so a second thread adds no throughput; it only
    adds a convoy in which the event loop waits behind the computing threads for the GIL,
    and requests that are ready stall for a hundred milliseconds and more.
    """
    global _limiter
    if _limiter is None:
        _limiter = anyio.CapacityLimiter(int(os.environ.get("ISTOK_ENGINE_THREADS", "1")))
    return _limiter


def find_asker(*, contact_id: int | None, identity: str | None) -> Asker:
    """Who asks, found by id or identity, created on first sight of the identity.

    Created before the question is answered, so that the content gap it may leave carries
    the contact's id and an erasure of the contact finds it.
    """
    if contact_id is not None and identity is not None:
        raise kb.InvalidChange("give either contact= or identity=, not both")
    with kb.read_session(runtime.engine()) as session:
        if contact_id is not None:
            contact: contacts.Contact | None = contacts.get_contact(session=session, contact_id=contact_id)
        else:
            contact = contacts.find_by_identity(session=session, address=contacts.parse_identity(identity or ""))
        if contact is not None:
            return Asker(contact.id or 0, contacts.answer_segment(contact.segments))
    with recording() as session:
        contact, _created = contact_of(session, contact_id=None, identity=identity)
        return Asker(contact.id or 0, contacts.answer_segment(contact.segments))


@dataclass(frozen=True)
class _Guess:
    """The engine's best unit, shaped like a search hit for the routing rules."""

    key: str
    locale: str
    title: str
    category: str | None


def _on_timeline(
    answer: kb.Answer, asker: Asker, actor: kb.Actor, via: str, message: str | None
) -> tuple[int, int | None, bool]:
    """The answer on the asker's timeline: (contact, case, whether `message` was recorded before).

    An answered question records the unit served; a handoff opens a case whose topic comes
    from the routing rules, or else from the engine's best guess.
    """
    answered = answer.answered and answer.key is not None and answer.revision is not None
    topic = queue = None
    if not answered:
        guesses = [_Guess(answer.key, answer.locale, answer.title or answer.key, answer.category)] if answer.key else []
        suggestion = contacts.suggest_route(answer.question, rules=contacts.routing_rules(), hits=guesses)
        topic, queue = suggestion.topic, suggestion.queue
    served = contacts.ArticleRef(answer.key or "", answer.locale, answer.revision or 0) if answered else None
    with recording() as session:
        contact, _created = contact_of(session, contact_id=asker.contact_id, identity=None)
        try:
            interaction = contacts.record_interaction(
                session=session,
                contact=contact,
                channel=via,
                outcome="answered" if answered else "handoff",
                question=answer.question,
                article=served,
                topic=topic,
                queue=queue,
                message_id=message,
            )
        except contacts.AlreadyRecorded as seen:
            return seen.interaction.contact_id or contact.id or 0, seen.interaction.case_id, True
        contacts.audit_access(
            session,
            actor=actor.name,
            role=actor.role,
            contact_id=contact.id or 0,
            action="answer",
            client=actor.client,
        )
        return contact.id or 0, interaction.case_id, False
