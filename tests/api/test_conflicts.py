"""A hundred editors saving from the same ETag at once: exactly one wins, nothing is lost."""

from __future__ import annotations

import asyncio
import uuid

import httpx

from tests.api.conftest import Live
from tests.helpers import article, run_in_own_loop


def test_hundred_concurrent_puts_from_one_etag(live: Live) -> None:
    key = f"race-{uuid.uuid4().hex[:8]}"
    url = f"/api/v1/articles/en/{key}"
    headers = {"Authorization": f"Bearer {live.keys['editor']}"}
    with httpx.Client(base_url=live.base, headers=headers) as c:
        created = c.put(url, json={"source": article(key=key)}, headers={"If-None-Match": "*"})
    etag = created.headers["ETag"]

    async def put_all() -> list[int]:
        limits = httpx.Limits(max_connections=100)
        async with httpx.AsyncClient(base_url=live.base, headers=headers, timeout=120, limits=limits) as ac:
            calls = [
                ac.put(url, json={"source": article(key=key, body=f"Writer {i}.")}, headers={"If-Match": etag})
                for i in range(100)
            ]
            return [r.status_code for r in await asyncio.gather(*calls)]

    statuses = run_in_own_loop(put_all())
    assert sorted(statuses) == [200] + [412] * 99, sorted(statuses)
    with httpx.Client(base_url=live.base, headers=headers) as c:
        revisions = c.get(f"{url}/revisions").json()
        current = c.get(url).json()
    assert [r["number"] for r in revisions] == [1, 2]
    assert current["draft_revision"] == 2
    assert sum(f"Writer {i}." in current["source"] for i in range(100)) == 1
