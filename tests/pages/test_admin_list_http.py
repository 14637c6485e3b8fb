"""The admin's article list pages in SQL: page 2 of a filtered list, and pager links that keep the filters."""

from __future__ import annotations

import html
import re
from urllib.parse import urlencode

import kb
from api.pages.admin import PER_PAGE
from tests.helpers import article
from tests.pages.conftest import Site, http_login

CATEGORY = "paging-check"  # only these drafts name it, so the other tests' articles stay out of the way
COUNT = 2 * PER_PAGE + 30


def _seed(site: Site) -> None:
    engine = site.engine()
    with kb.write_session(engine) as session:
        if kb.find_article(session=session, key="zz-paging-000", locale="en") is None:
            for i in range(COUNT):
                title = f"ЯЛИНКА {i}" if i % 2 else f"Paging {i}"
                source = article(key=f"zz-paging-{i:03d}", title=title, category=CATEGORY)
                kb.save_draft(session=session, source=source, base_revision=None, actor="test")
    engine.dispose()


def _keys(text: str) -> list[str]:
    return re.findall(r'<span class="muted">(zz-paging-\d+)</span>', text)


def test_page_two_of_a_filtered_list_shows_the_right_rows(site: Site) -> None:
    _seed(site)
    http = http_login(site, "editor")
    try:
        first = http.get("/admin", params={"category": CATEGORY})
        second = http.get("/admin", params={"category": CATEGORY, "page": 2})
        odd = http.get("/admin", params={"category": CATEGORY, "q": "ялинка", "status": "draft", "page": 2})
    finally:
        http.close()
    assert first.status_code == second.status_code == odd.status_code == 200
    assert f"({COUNT})" in first.text
    assert _keys(first.text) == [f"zz-paging-{i:03d}" for i in range(PER_PAGE)]
    assert _keys(second.text) == [f"zz-paging-{i:03d}" for i in range(PER_PAGE, 2 * PER_PAGE)]
    # the title words match upper-case Cyrillic; odd numbers only, the second hundred of them
    assert f"({COUNT // 2})" in odd.text
    assert _keys(odd.text) == [f"zz-paging-{i:03d}" for i in range(2 * PER_PAGE + 1, COUNT, 2)]
    links = {html.unescape(h) for h in re.findall(r'<a class="btn" href="(\?page=[^"]+)"', odd.text)}
    query = urlencode({"category": CATEGORY, "status": "draft", "q": "ялинка"})
    assert links == {f"?page={n}&{query}" for n in (1, 2)}
