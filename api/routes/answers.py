"""Answers, search and content gaps: what chatbots, the IVR, the widget and operators ask."""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from typing import Annotated

import anyio
import anyio.to_thread
from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

import kb
import renderers
from api import rendering, runtime
from api.deps import AskerKey, EditorKey, Forbidden, Principal, client_address, reading
from api.http.errors_doc import responses
from api.http.metrics import ANSWERS
from api.routes import interactions
from api.schemas import AlternativeOut, AnswerOut, GapOut, Provenance, RenderedOut, SearchHitOut, SearchOut

router = APIRouter(prefix="/api/v1", tags=["answers"], responses=responses(401, 403, 422, 429))
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


def _answer(
    q: str, locale: str, channel: str, fmt: str | None, segment: str | None = None, asker: int | None = None
) -> AnswerOut:
    result = kb.answer(q, locale, channel, index=runtime.index(), contact_id=asker)
    rendered = rendering.render_answer(result, fmt, segment) if result.answered else None
    ANSWERS.labels(result.status.value, channel).inc()
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
        channel=result.channel,
        status=result.status.value,
        confidence=round(result.confidence, 4),
        threshold=result.threshold,
        provenance=provenance,
        alternatives=[AlternativeOut(**vars_of(a)) for a in result.alternatives],
        rendered=rendered_out(rendered) if rendered else None,
    )


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


_limiter: anyio.CapacityLimiter | None = None


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


ANSWER_CACHE = 20_000
_answers: OrderedDict[tuple[str, str, str, str | None, int, str | None], tuple[str, bytes]] = OrderedDict()
_answers_lock = threading.Lock()


@router.get(
    "/answer",
    response_model=AnswerOut,
    summary="The best published answer for a question",
    responses=responses(404, 409),
)
async def answer(
    q: Question,
    who: AskerKey,
    request: Request,
    locale: LocaleQ = "ru",
    channel: Annotated[str, Query(max_length=32, description="web, bot, sms, ivr, operator or email")] = "web",
    format: Annotated[str | None, Query(max_length=32, description="e.g. telegram for bot, plain for ivr")] = None,
    contact: Annotated[int | None, Query(ge=1, le=2**31 - 1, description="Record on this contact's timeline")] = None,
    identity: Annotated[
        str | None, Query(max_length=300, description="Or by identity, channel:address (created on first sight)")
    ] = None,
) -> Response:
    """`answered` with the unit rendered for the channel, or `handoff` when nothing is good enough.

    IVR and SMS need more confidence than the web; every weak answer is logged as a content gap.
    Answered questions are kept, serialised, per publication sequence number: real traffic
    repeats itself, and any publish moves the sequence and so retires every kept answer.
    With `contact=` or `identity=` the answer is put on the client's timeline (a handoff
    opens a case) and `X-Istok-Contact` / `X-Istok-Case` say where; a contact in a segment
    gets that segment's channel blocks.
    """
    _check_channel(who, channel, format)
    if contact is not None and identity is not None:
        raise kb.InvalidChange("give either contact= or identity=, not both")
    segment = asker = None
    if contact is not None or identity is not None:
        asker, segment = await run_in_threadpool(interactions.asker_of, contact_id=contact, identity=identity)
    index = runtime.index()
    index.poll()
    ident = (" ".join(q.lower().split()), locale, channel, format, index.seq, segment)
    with _answers_lock:
        kept = _answers.get(ident)
    if kept is not None:
        status, body = kept
        if status != "answered":
            kb.answer(q, locale, channel, index=index, contact_id=asker)  # from the engine's cache: counts the gap
        ANSWERS.labels(status, channel).inc()
        return await _recorded(body, who, request, asker, None)
    out = await anyio.to_thread.run_sync(_answer, q, locale, channel, format, segment, asker, limiter=_engine_limiter())
    body = out.model_dump_json().encode()
    with _answers_lock:
        _answers[ident] = (out.status, body)
        while len(_answers) > ANSWER_CACHE:
            _answers.popitem(last=False)
    return await _recorded(body, who, request, asker, None)


async def _recorded(
    body: bytes, who: Principal, request: Request, contact: int | None, identity: str | None
) -> Response:
    """The answer's response; with a contact or identity, first put on the timeline (off the loop)."""
    if contact is None and identity is None:
        return Response(body, media_type="application/json")
    client = client_address(request)
    contact_id, case_id = await run_in_threadpool(
        lambda: interactions.record_answer(
            who=who, client=client, contact_id=contact, identity=identity, answer=AnswerOut.model_validate_json(body)
        )
    )
    headers = {"X-Istok-Contact": str(contact_id), "X-Istok-Case": "" if case_id is None else str(case_id)}
    return Response(body, media_type="application/json", headers=headers)


@router.get("/search", response_model=SearchOut, summary="Ranked articles with highlighted snippets")
async def search(
    q: Question,
    who: AskerKey,
    locale: LocaleQ = "ru",
    page: Annotated[int, Query(ge=1, le=1000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 10,
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
