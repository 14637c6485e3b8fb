"""Images over HTTP: an editor uploads through the typed client, anyone fetches with immutable caching,
an article shows the image on the web and lists it for messengers; on SQLite and PostgreSQL."""

from __future__ import annotations

import io

import httpx
import pytest
from PIL import Image

from istok_client import Client, Forbidden, InvalidRequest, IstokError, PayloadTooLarge, Unauthorized
from tests.api.conftest import Live
from tests.helpers import article


def png(width: int = 120, height: int = 80, colour: tuple[int, int, int] = (250, 200, 0)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="PNG")
    return out.getvalue()


def _client(live: Live, role: str = "editor") -> Client:
    return Client(live.base, api_key=live.keys[role])


def test_an_upload_answers_with_the_markdown_and_the_same_image_is_one_asset(live: Live) -> None:
    with _client(live) as client:
        first = client.upload_image(png(colour=(1, 2, 3)))
        again = client.upload_image(png(colour=(1, 2, 3)))
    assert first["created"] and not again["created"] and first["id"] == again["id"]
    assert first["markdown"] == f"![](asset:{first['id']})"
    assert (first["width"], first["height"], first["media_type"]) == (120, 80, "image/png")
    assert first["url"] == f"/assets/{first['id']}"


def test_the_image_is_served_to_anyone_cached_for_ever(live: Live) -> None:
    with _client(live) as client:
        stored = client.upload_image(png(colour=(9, 9, 9)))
    with live.client() as anon:
        got = anon.get(stored["url"])
        head = anon.head(stored["url"])
        again = anon.get(stored["url"], headers={"If-None-Match": f'"{stored["id"]}"'})
        missing = anon.get("/assets/" + "0" * 64)
    assert got.status_code == 200 and got.headers["content-type"] == "image/png"
    assert got.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert got.headers["etag"] == f'"{stored["id"]}"'
    assert got.headers["x-content-type-options"] == "nosniff"
    assert Image.open(io.BytesIO(got.content)).size == (120, 80)
    assert head.status_code == 200 and head.content == b"" and head.headers["etag"] == got.headers["etag"]
    assert again.status_code == 304 and again.content == b""
    assert missing.status_code == 404


def test_multipart_uploads_work_too(live: Live) -> None:
    with live.client("editor") as c:
        r = c.post("/api/v1/assets", files={"file": ("shot.png", png(30, 20), "image/png")})
    assert r.status_code == 201, r.text
    assert (r.json()["width"], r.json()["height"]) == (30, 20)


@pytest.mark.parametrize(
    "data",
    [b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', b"just text", b""],
    ids=["svg", "text", "empty"],
)
def test_not_a_picture_is_415_problem(live: Live, data: bytes) -> None:
    with _client(live) as client, pytest.raises(IstokError) as caught:
        client.upload_image(data, media_type="image/svg+xml")
    assert caught.value.status == 415
    assert "unsupported-image" in caught.value.type


def test_too_large_is_413_and_only_editors_may_upload(live: Live) -> None:
    with _client(live) as client, pytest.raises(PayloadTooLarge):
        client.upload_image(b"\x89PNG" + b"\0" * (10 * 1024 * 1024))
    with _client(live) as client, pytest.raises(PayloadTooLarge):
        client.upload_image(b"\0" * (11 * 1024 * 1024))  # refused before it is read
    with _client(live, "bot") as client, pytest.raises(Forbidden):
        client.upload_image(png())
    with Client(live.base) as client, pytest.raises(Unauthorized):
        client.upload_image(png())


def test_an_article_shows_the_image_on_the_web_and_lists_it_for_messengers(live: Live) -> None:
    with _client(live) as client:
        stored = client.upload_image(png(colour=(0, 120, 255)))
        without_alt = article(key="image-howto", body=f"Press it.\n\n![](asset:{stored['id']})")
        with pytest.raises(InvalidRequest, match="no alt text"):
            client.create_article("en", "image-howto", without_alt)
        unknown = article(key="image-howto", body=f"Press it.\n\n![The button](asset:{'f' * 64})")
        with pytest.raises(InvalidRequest, match="unknown image"):
            client.create_article("en", "image-howto", unknown)
        ref = f"asset:{stored['id']}"
        body = f"::: bot\nPress ![the blue button]({ref}) now.\n:::\n\n![The blue button]({ref})"
        client.create_article("en", "image-howto", article(key="image-howto", body=body))
        client.publish_article("en", "image-howto")
        web = client.render("en", "image-howto", "web")
        tg = client.render("en", "image-howto", "bot", format="telegram")
        sms = client.render("en", "image-howto", "sms")
    assert (
        f'<img src="{live.base}/assets/{stored["id"]}" alt="The blue button" width="120" height="80" '
        'loading="lazy" decoding="async">'
    ) in web["body"]
    assert [i["asset"] for i in tg["meta"]["images"]] == [stored["id"]]
    assert tg["meta"]["images"][0]["width"] == 120 and "the blue button" in tg["body"]
    assert "/assets/" not in sms["body"] and "blue button" not in sms["body"]
    page = httpx.get(f"{live.base}/help/en/image-howto", timeout=30)
    assert f'src="/assets/{stored["id"]}"' in page.text and 'loading="lazy"' in page.text


def test_a_form_that_cannot_be_read_is_422(live: Live) -> None:
    with live.client("editor") as c:
        crowded = c.post("/api/v1/assets", data={f"f{i}": "x" for i in range(10)}, files={"file": ("a.png", png())})
        no_file = c.post("/api/v1/assets", data={"other": "x"}, files={"notfile": ("a.png", png())})
    assert crowded.status_code == 422 and crowded.json()["type"].endswith("bad-upload")
    assert no_file.status_code == 415 and "`file` field" in no_file.json()["detail"]
