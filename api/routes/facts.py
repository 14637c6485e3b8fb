"""Facts over HTTP: typed values kept once, changed with the same ETag rules as articles."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

import kb
from api.deps import AnyKey, EditorKey, actor_of, reading, writing
from api.http.errors_doc import responses
from api.http.etags import base_version, conditional, etag
from api.schemas import FactIn, FactOut, FactVersionOut

router = APIRouter(prefix="/api/v1/facts", tags=["facts"], responses=responses(401, 403, 404, 422))
FactKeyPath = Annotated[str, Path(pattern=r"^[A-Za-z_][A-Za-z0-9_.-]{0,127}$", examples=["support_phone"])]
ETAG_PREFIX = "v"


def _out(fact: kb.Fact) -> FactOut:
    return FactOut(
        key=fact.key,
        type=fact.type,
        value=fact.value,
        locales=dict(fact.locales),
        version=fact.version,
        updated_by=fact.updated_by,
        updated_at=fact.updated_at,
    )


@router.get("", response_model=list[FactOut], summary="All facts")
def list_facts(_who: AnyKey) -> list[FactOut]:
    with reading() as session:
        return [_out(f) for f in kb.list_facts(session=session)]


@router.get("/{key}", response_model=FactOut, summary="One fact")
def get_fact(key: FactKeyPath, _who: AnyKey, response: Response) -> FactOut:
    with reading() as session:
        fact = kb.get_fact(session=session, key=key)
        response.headers["ETag"] = etag(ETAG_PREFIX, fact.version)
        return _out(fact)


@router.put(
    "/{key}",
    response_model=FactOut,
    summary="Create or change a fact",
    responses=responses(412, 413, 428) | {201: {"model": FactOut, "description": "Created"}},
    openapi_extra=conditional(creates=True),
)
def put_fact(key: FactKeyPath, body: FactIn, request: Request, response: Response, who: EditorKey) -> FactOut:
    """Every published article showing the fact gets a publication-log entry, so channels refresh."""
    with writing() as session:
        current = kb.find_fact(session=session, key=key)
        version = current.version if current is not None else None
        base = base_version(request, prefix=ETAG_PREFIX, current=version, what=f"fact {key!r}")
        fact = kb.set_fact(
            session=session,
            key=key,
            type=body.type,
            value=body.value,
            locales=body.locales,
            base_version=base,
            actor=actor_of(who, request),
        )
        if current is None:
            response.status_code = 201
        response.headers["ETag"] = etag(ETAG_PREFIX, fact.version)
        return _out(fact)


@router.delete(
    "/{key}",
    status_code=204,
    summary="Delete an unused fact",
    responses=responses(409, 412, 428),
    openapi_extra=conditional(creates=False),
)
def delete_fact(key: FactKeyPath, request: Request, who: EditorKey) -> Response:
    """Refused (409) while any article's draft or live revision still uses the fact."""
    with writing() as session:
        fact = kb.get_fact(session=session, key=key)
        base = base_version(request, prefix=ETAG_PREFIX, current=fact.version, what=f"fact {key!r}")
        kb.delete_fact(session=session, key=key, base_version=base, actor=actor_of(who, request))
        return Response(status_code=204)


@router.get("/{key}/versions", response_model=list[FactVersionOut], summary="Every value a fact has had")
def fact_versions(key: FactKeyPath, _who: AnyKey) -> list[FactVersionOut]:
    with reading() as session:
        return [
            FactVersionOut(
                version=v.version, type=v.type, value=v.value, locales=dict(v.locales), author=v.author, at=v.at
            )
            for v in kb.fact_history(session=session, key=key)
        ]
