"""What every channel gives first: the announcements of now, for the client at hand.

One path for every channel (help pages, widget, answers, IVR, operator card): `notices()` asks
kb what is announced now (`kb.announced`, the time box and the audience judged there) and gives
each notice in words through the bot renderer, like any unit: its summary with the facts filled
in, and the help-centre page that tells more. Who the client is, when known, comes from contact
context: their segments, and the country of their phone numbers (or of the number calling) as
their region. An unknown client gets the notices meant for everyone.

What is live is read once per publication sequence, like the live snapshot; which of it is
given depends on the clock too, so that is judged on every request (`kb.choose_announcements`):
a notice starts and ends on its minute. Pages and answers kept per sequence add the notices
when served (`signature` goes into the pages' ETag).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

import phonenumbers

import contacts
import kb
import renderers
from api import live, rendering, runtime

#: Identity channels whose address is a phone number, so their country is the client's region.
PHONE_CHANNELS = ("phone", "whatsapp", "sms")


@dataclass(frozen=True)
class Notice:
    """One announcement as a channel gives it."""

    key: str
    locale: str
    title: str
    text: str  # the summary, facts filled in, plain
    url: str  # the help-centre page that tells more
    until: dt.datetime
    revision: int
    content_hash: str

    def as_dict(self) -> dict[str, object]:
        return {
            "key": self.key,
            "locale": self.locale,
            "title": self.title,
            "text": self.text,
            "url": self.url,
            "until": self.until.isoformat(),
            "revision": self.revision,
            "content_hash": self.content_hash,
        }


@dataclass(frozen=True)
class Audience:
    """Who a notice is for: the client's region and segments, as far as they are known."""

    region: str | None = None
    segments: tuple[str, ...] = ()


def notices(
    locale: str, *, audience: Audience = Audience(), base_url: str = "", now: dt.datetime | None = None
) -> list[Notice]:
    """The announcements to give first, now, to a client of `locale` and `audience`; newest first."""
    snapshot = live.current()
    found = kb.choose_announcements(
        _live_at(snapshot.seq),
        locale=locale,
        now=now or kb.utcnow(),
        region=audience.region,
        segments=audience.segments,
    )
    if not found:
        return []
    out: list[Notice] = []
    for a in found:
        shown = rendering.render_revision(
            "bot", locale=a.locale, key=a.key, revision=a.revision, snapshot=snapshot, format="plain", base_url=base_url
        )
        out.append(
            Notice(
                key=a.key,
                locale=a.locale,
                title=a.title,
                text=str(shown.meta.get("summary") or a.summary),
                url=str(shown.meta.get("url") or ""),
                until=a.ends,
                revision=a.revision,
                content_hash=a.content_hash,
            )
        )
    return out


_lock = threading.Lock()
_kept: tuple[int, tuple[kb.Announcement, ...]] | None = None


def _live_at(seq: int) -> tuple[kb.Announcement, ...]:
    """The live announcements at the snapshot's sequence: read when it moves, not per request."""
    global _kept
    with _lock:
        if _kept is not None and _kept[0] == seq:
            return _kept[1]
    with kb.read_session(runtime.engine()) as session:
        found = kb.live_announcements(session=session)
    with _lock:
        _kept = (seq, found)
    return found


def known_quiet() -> bool:
    """Whether no announcement is live at the current sequence, known without reading anything.

    An answer then needs no notices and no thread to look them up in: most of the time no
    announcement is live, and the hop to a thread was a fifth of a kept reply's time. Called on
    the event loop, so it reads the sequence the index has seen without polling the database.
    """
    seq = runtime.index().seq
    with _lock:
        return _kept is not None and _kept[0] == seq and not _kept[1]


def ended(locale: str, key: str, *, now: dt.datetime | None = None) -> kb.Announcement | None:
    """The announcement `locale/key` once its time box has closed (`until` passed), else None.

    Its page then says it has ended (410 Gone) rather than tell of an outage that is over.
    """
    moment = now or kb.utcnow()
    for a in _live_at(live.current().seq):
        if a.locale == locale and a.key == key and a.over(moment):
            return a
    return None


def notices_for_contact(locale: str, contact_id: int | None, *, base_url: str = "") -> list[Notice]:
    """`notices` for a client known by id, or nobody in particular.

    The client's region and segments are read from contact context only while some announcement
    is live: most of the time none is, and an answer then pays no extra read for them.
    """
    if not _live_at(live.current().seq):
        return []
    return notices(locale, audience=audience_of_contact(contact_id), base_url=base_url)


def audience_of_contact(contact_id: int | None) -> Audience:
    """A known client's region (the country of their phone numbers) and segments; nobody's when unknown."""
    if contact_id is None:
        return Audience()
    with kb.read_session(runtime.engine()) as session:
        try:
            contact = contacts.get_contact(session=session, contact_id=contact_id)
        except kb.NotFound:
            return Audience()
        known = contacts.identities_of(session=session, contact_id=contact.id or contact_id)
        numbers = [i.address for i in known if i.channel in PHONE_CHANNELS]
        return Audience(region=_region(numbers), segments=tuple(contact.segments))


def audience_of_caller(caller: str | None) -> Audience:
    """The region of a number calling in (a caller id says where the line is, not who holds it)."""
    return Audience(region=_region([caller])) if caller else Audience()


def signature(found: Sequence[Notice]) -> str:
    """A short digest of the notices given, for caches: a page's ETag changes when a notice starts or ends."""
    if not found:
        return ""
    joined = "|".join(f"{n.key}:{n.locale}:{n.content_hash}" for n in found)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:12]


def _region(numbers: Sequence[str]) -> str | None:
    for number in numbers:
        candidate = number if number.startswith("+") else "+" + number.lstrip("0")
        try:
            parsed = phonenumbers.parse(candidate, None)
        except phonenumbers.NumberParseException:
            continue
        region = phonenumbers.region_code_for_number(parsed)
        if region and region != "ZZ":
            return str(region)
    return None


def lead(found: Sequence[Notice], fmt: str) -> str:
    """The notices as the opening of a chat answer in format `fmt`, ready to go before its body."""
    if not found:
        return ""
    lines = [n.text for n in found]
    if fmt == "telegram":
        return "".join(f"<b>{escape(line, quote=False)}</b>\n" for line in lines) + "\n"
    if fmt == "html":
        return "".join(f'<p class="announcement"><strong>{escape(line)}</strong></p>' for line in lines)
    if fmt == "whatsapp":
        return "".join(f"*{line}*\n" for line in lines) + "\n"
    if fmt == "markdown":
        return "".join(f"**{line}**\n\n" for line in lines)
    return "\n".join(lines) + "\n\n"


def sms_answer(
    answer: kb.Answer, found: Sequence[Notice], *, segment: str | None = None, base_url: str = ""
) -> renderers.Rendered | None:
    """An answered SMS rendered again to open with the notices, inside the SMS renderer's segment budget.

    Not a prefix added to the kept rendering, as a chat answer gets (`lead`): a text message
    has a few segments only, so the SMS renderer chooses the answer's form with the notices
    already in, and the answer gives way to a shorter form rather than the notice to it.
    None when there is no answer to render.
    """
    if not found or not answer.answered or answer.key is None or answer.revision is None:
        return None
    return rendering.render_revision(
        "sms",
        locale=answer.locale,
        key=answer.key,
        revision=answer.revision,
        snapshot=live.at(answer.seq),
        base_url=base_url,
        segment=segment,
        notices=[n.text for n in found],
    )
