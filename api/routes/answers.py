"""Answers, search and content gaps: what chatbots, the IVR, the widget and operators ask."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

import kb
import renderers
from api import announcing, answering, runtime
from api.deps import AskerKey, EditorKey, Forbidden, Principal, actor_of, reading
from api.http.errors_doc import responses
from api.http.metrics import ANSWERS
from api.pages.settings import base_url
from api.schemas import (
    CHANNEL_PATTERN,
    AlternativeOut,
    AnnouncementOut,
    AnswerOut,
    GapOut,
    Provenance,
    RenderedOut,
    SearchHitOut,
    SearchOut,
)
from api.schemas.fields import CHANNEL_NAMES, FORMAT_NAMES, one_of

router = APIRouter(prefix="/api/v1", tags=["answers"], responses=responses(401, 403, 422))
DEFAULT_LOCALE = kb.default_locale()  # the required locale, else the first (ISTOK_REQUIRED_LOCALE, read at start)
Question = Annotated[str, Query(min_length=1, max_length=500, description="The client's words, as typed")]
LocaleQ = Annotated[str, Query(pattern=r"^[a-z]{2,3}(-[A-Z]{2})?$", examples=["ru"])]


def rendered_out(out: renderers.Rendered) -> RenderedOut:
    data = out.as_dict()
    return RenderedOut(
        channel=out.channel,
        format=out.format,
        content_type=out.media_type,
        body=out.body,
        meta=data["meta"],
        warnings=list(out.warnings),
    )


def answer_out(reply: answering.Reply) -> AnswerOut:
    """The HTTP shape of a reply: the engine's verdict, provenance, and the rendering."""
    result, rendered = reply.answer, reply.rendered
    provenance = None
    if result.key is not None and result.revision is not None and result.content_hash is not None:
        provenance = Provenance(
            key=result.key,
            locale=result.locale,
            revision=result.revision,
            content_hash=result.content_hash,
            title=result.title,
            category=result.category,
        )
    return AnswerOut(
        question=result.question,
        locale=result.locale,
        asked_locale=result.asked_locale or result.locale,
        channel=result.channel,
        status=result.status.value,
        confidence=round(result.confidence, 4),
        threshold=result.threshold,
        provenance=provenance,
        alternatives=[AlternativeOut(**vars_of(a)) for a in result.alternatives],
        rendered=rendered_out(rendered) if rendered else None,
    )


def announced_out(reply: answering.Reply, found: list[announcing.Notice], *, base_url: str = "") -> AnswerOut:
    """The reply with the notices of now: listed, and opening a chatbot's or an SMS rendering, which give them first."""
    out = answer_out(reply)
    out.announcements = [AnnouncementOut.model_validate(n.as_dict()) for n in found]
    if out.rendered is not None and out.rendered.channel == "sms":
        segment = None
        if reply.contact_id is not None:  # the asker's own sms block, as the kept rendering has it
            segment = answering.find_asker(contact_id=reply.contact_id, identity=None).segment
        sms = announcing.sms_answer(reply.answer, found, segment=segment, base_url=base_url)
        out.rendered = rendered_out(sms) if sms is not None else out.rendered
    if out.rendered is not None and out.rendered.channel == "bot":
        out.rendered.body = announcing.lead(found, out.rendered.format) + out.rendered.body
        cap = out.rendered.meta.get("max_length")
        length = len(out.rendered.body.encode("utf-16-le")) // 2  # as messengers count: UTF-16 units
        if isinstance(cap, int) and length > cap:
            out.rendered.warnings.append(f"with the announcements the answer is {length} characters, over {cap}")
    return out


def vars_of(alt: kb.Alternative) -> dict[str, object]:
    return {
        "key": alt.key,
        "title": alt.title,
        "score": alt.score,
        "revision": alt.revision,
        "content_hash": alt.content_hash,
    }


def _check_channel(who: Principal, channel: str, fmt: str | None) -> None:
    """Before any work: the channel is in kb's table (else 422 `unknown-channel`), this key may read it."""
    if not kb.check_channel(channel).public and not who.may(kb.Role.OPERATOR):
        raise Forbidden("the operator channel shows internal notes: operators only")
    if fmt is not None and fmt not in renderers.FORMATS.get(channel, ()):
        raise renderers.UnknownFormat(channel, fmt, renderers.FORMATS.get(channel, ()))


@router.get(
    "/answer",
    response_model=AnswerOut,
    summary="The best published answer for a question",
    responses=responses(404, 409, 429),
)
async def answer(
    q: Question,
    who: AskerKey,
    request: Request,
    locale: LocaleQ = DEFAULT_LOCALE,
    channel: Annotated[str, Query(max_length=32, json_schema_extra=one_of(CHANNEL_NAMES))] = "web",
    format: Annotated[
        str | None, Query(max_length=32, description="One of the channel's", json_schema_extra=one_of(FORMAT_NAMES))
    ] = None,
    contact: Annotated[int | None, Query(ge=1, le=2**31 - 1, description="Record on this contact's timeline")] = None,
    identity: Annotated[
        str | None, Query(max_length=300, description="Or by identity, channel:address (created on first sight)")
    ] = None,
    via: Annotated[
        str | None,
        Query(
            pattern=CHANNEL_PATTERN,
            description="Where the client is (telegram, whatsapp, ivr…): the timeline's channel; default `channel`",
        ),
    ] = None,
    message: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=128,
            description="The outside system's id of the message answered: asked "
            "again with the same `via` and `message`, the reply says `X-Istok-Replayed: true` and nothing is "
            "recorded twice",
        ),
    ] = None,
) -> Response:
    """`answered` with the unit rendered for the channel, or `handoff` when nothing is good enough.

    IVR and SMS need more confidence than the web; every weak answer is logged as a content gap.
    Replies are kept, serialised, per publication sequence number (`api/answering.py`): real
    traffic repeats itself, and any publish moves the sequence and so retires every kept reply.
    With `contact=` or `identity=` the answer is put on the client's timeline (a handoff
    opens a case) and `X-Istok-Contact` / `X-Istok-Case` say where; a contact in a segment
    gets that segment's channel blocks. Announcements of now (outages, planned works) for the
    client are listed in `announcements` and open a chatbot answer's body, or an SMS answer's
    within its segment budget.
    """
    _check_channel(who, channel, format)
    reply = await answering.ask(
        q,
        locale,
        channel,
        format=format,
        contact_id=contact,
        identity=identity,
        actor=actor_of(who, request),
        base_url=base_url(request),
        via=via,
        message=message,
    )
    ANSWERS.labels(reply.answer.status.value, channel).inc()
    found = (
        []
        if announcing.known_quiet()
        else await run_in_threadpool(
            announcing.notices_for_contact, reply.answer.locale, reply.contact_id, base_url=base_url(request)
        )
    )
    body = reply.presented.get("json")
    if found:  # notices come and go by the clock: never kept with the reply
        announced = await run_in_threadpool(announced_out, reply, found, base_url=base_url(request))
        body = announced.model_dump_json().encode()
    elif body is None:  # the first time this reply is served: later repeats reuse the bytes
        body = reply.presented["json"] = answer_out(reply).model_dump_json().encode()
    headers = {}
    if reply.contact_id is not None:
        headers = {"X-Istok-Contact": str(reply.contact_id), "X-Istok-Case": str(reply.case_id or "")}
        if reply.replayed:
            headers["X-Istok-Replayed"] = "true"
    return Response(body, media_type="application/json", headers=headers)


@router.get(
    "/search", response_model=SearchOut, summary="Ranked articles with highlighted snippets", responses=responses(429)
)
async def search(
    q: Question,
    who: AskerKey,
    locale: LocaleQ = DEFAULT_LOCALE,
    page: Annotated[int, Query(ge=1, le=1000, description="page × per_page: at most 1000 hits deep")] = 1,
    per_page: Annotated[int, Query(ge=1, le=50)] = 10,  # kb's MAX_PER_PAGE
    category: Annotated[str | None, Query(max_length=128)] = None,
) -> SearchOut:
    """Operators also search internal notes (shown apart, as `internal_snippet`); bots never see them."""
    role = "operator" if who.may(kb.Role.OPERATOR) else "public"

    def run() -> kb.SearchResults:
        index = runtime.index()
        return kb.search_articles(q, locale, role, page=page, per_page=per_page, category=category, index=index)

    found = await run_in_threadpool(run)
    return SearchOut(
        query=found.query,
        locale=found.locale,
        page=found.page,
        per_page=found.per_page,
        total=found.total,
        hits=[SearchHitOut.model_validate(h, from_attributes=True) for h in found.hits],
        facets=dict(found.facets),
        corrected=found.corrected,
    )


@router.get("/gaps", response_model=list[GapOut], summary="Questions answered without confidence")
def gaps(
    _who: EditorKey,
    locale: Annotated[str | None, Query(max_length=16)] = None,
    channel: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> list[GapOut]:
    """Most frequent first: the articles editors should write next."""
    runtime.index().gaps.flush()
    with reading() as session:
        rows = kb.list_gaps(session=session, locale=locale, channel=channel, limit=limit)
        return [GapOut.model_validate(g, from_attributes=True) for g in rows]
