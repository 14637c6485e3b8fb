"""Synonym sets over HTTP: editors keep the words clients use interchangeably."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

import kb
from api.deps import EditorKey, ReaderKey, actor_of, reading, writing
from api.http.errors_doc import responses
from api.http.etags import base_version, conditional, etag
from api.schemas import SynonymsIn, SynonymsOut, SynonymsUpdate

router = APIRouter(prefix="/api/v1/synonyms", tags=["synonyms"], responses=responses(401, 403, 404, 422))
SetId = Annotated[int, Path(ge=1, le=2**31 - 1)]
ETAG_PREFIX = "v"


def _out(syn: kb.SynonymSet) -> SynonymsOut:
    return SynonymsOut(
        id=syn.id or 0,
        locale=syn.locale,
        terms=list(syn.terms),
        version=syn.version,
        updated_by=syn.updated_by,
        updated_at=syn.updated_at,
    )


@router.get("", response_model=list[SynonymsOut], summary="Synonym sets")
def list_sets(_who: ReaderKey, locale: Annotated[str | None, Query(max_length=16)] = None) -> list[SynonymsOut]:
    with reading() as session:
        return [_out(s) for s in kb.list_sets(session=session, locale=locale)]


@router.post("", response_model=SynonymsOut, status_code=201, summary="Add a synonym set", responses=responses(413))
def create_set(body: SynonymsIn, request: Request, response: Response, who: EditorKey) -> SynonymsOut:
    with writing() as session:
        syn = kb.create_set(session=session, locale=body.locale, terms=body.terms, actor=actor_of(who, request))
        response.headers["ETag"] = etag(ETAG_PREFIX, syn.version)
        return _out(syn)


@router.get("/{set_id:int}", response_model=SynonymsOut, summary="One synonym set")
def get_set(set_id: SetId, _who: ReaderKey, response: Response) -> SynonymsOut:
    with reading() as session:
        syn = kb.get_set(session=session, set_id=set_id)
        response.headers["ETag"] = etag(ETAG_PREFIX, syn.version)
        return _out(syn)


@router.put(
    "/{set_id:int}",
    response_model=SynonymsOut,
    summary="Change a synonym set",
    responses=responses(412, 413, 428),
    openapi_extra=conditional(creates=False),
)
def update_set(
    set_id: SetId, body: SynonymsUpdate, request: Request, response: Response, who: EditorKey
) -> SynonymsOut:
    with writing() as session:
        current = kb.get_set(session=session, set_id=set_id)
        base = base_version(request, prefix=ETAG_PREFIX, current=current.version, what=f"synonym set {set_id}")
        syn = kb.update_set(
            session=session, set_id=set_id, terms=body.terms, base_version=base, actor=actor_of(who, request)
        )
        response.headers["ETag"] = etag(ETAG_PREFIX, syn.version)
        return _out(syn)


@router.delete(
    "/{set_id:int}",
    status_code=204,
    summary="Delete a synonym set",
    responses=responses(412, 428),
    openapi_extra=conditional(creates=False),
)
def delete_set(set_id: SetId, request: Request, who: EditorKey) -> Response:
    with writing() as session:
        syn = kb.get_set(session=session, set_id=set_id)
        base = base_version(request, prefix=ETAG_PREFIX, current=syn.version, what=f"synonym set {set_id}")
        kb.delete_set(session=session, set_id=set_id, base_version=base, actor=actor_of(who, request))
        return Response(status_code=204)
