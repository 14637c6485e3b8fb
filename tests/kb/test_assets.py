"""Uploaded images: re-encoded clean, refused when not a picture or too big, kept once, on both databases."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from PIL import Image
from sqlmodel import select

import kb
from kb import assets
from kb.models import Asset, AuditEntry
from tests.helpers import article, save, snapshot

GPS = 0x8825  # the EXIF tag of the GPS block
ORIENTATION = 0x0112


def photo(width: int = 64, height: int = 48, *, gps: bool = True, orientation: int | None = None) -> bytes:
    """A JPEG with EXIF: a GPS position (and an orientation, when given), as a phone writes it."""
    picture = Image.new("RGB", (width, height), (200, 30, 30))
    for x in range(width // 2):  # a left half that differs, to see where a rotation puts it
        for y in range(height):
            picture.putpixel((x, y), (20, 20, 220))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # camera make
    if gps:
        exif[GPS] = {1: "N", 2: (55.0, 45.0, 21.0), 3: "E", 4: (37.0, 37.0, 4.0)}
    if orientation is not None:
        exif[ORIENTATION] = orientation
    out = io.BytesIO()
    picture.save(out, format="JPEG", exif=exif, quality=95)
    return out.getvalue()


def png(width: int = 40, height: int = 30, *, alpha: bool = False) -> bytes:
    picture = Image.new("RGBA" if alpha else "RGB", (width, height), (10, 120, 10, 128) if alpha else (10, 120, 10))
    out = io.BytesIO()
    picture.save(out, format="PNG")
    return out.getvalue()


def _store(engine: sa.Engine, data: bytes) -> kb.StoredImage:
    with kb.write_session(engine) as session:
        return kb.store_image(session, data, "editor")


def _stored_bytes(engine: sa.Engine, asset_id: str) -> bytes:
    with kb.read_session(engine) as session:
        return kb.get_asset(session=session, asset_id=asset_id).data


def test_a_photo_loses_its_gps_position_and_every_other_exif_field(engine: sa.Engine) -> None:
    raw = photo()
    assert Image.open(io.BytesIO(raw)).getexif().get_ifd(GPS)  # the upload really carries a position
    stored = _store(engine, raw)
    clean = Image.open(io.BytesIO(_stored_bytes(engine, stored.id)))
    assert clean.format == "JPEG" and stored.media_type == "image/jpeg"
    assert not clean.getexif().get_ifd(GPS)
    assert dict(clean.getexif()) == {}
    assert b"PhoneMaker" not in _stored_bytes(engine, stored.id)
    assert "exif" not in clean.info and "icc_profile" not in clean.info


def test_the_exif_orientation_is_applied_before_it_is_dropped(engine: sa.Engine) -> None:
    stored = _store(engine, photo(60, 20, gps=False, orientation=6))  # 6: rotate 90° clockwise to show
    assert (stored.width, stored.height) == (20, 60)
    clean = Image.open(io.BytesIO(_stored_bytes(engine, stored.id)))
    assert clean.size == (20, 60)
    assert ORIENTATION not in clean.getexif()
    top = clean.convert("RGB").getpixel((10, 5))
    assert isinstance(top, tuple) and top[2] > 150  # the blue left half is now on top


def test_the_same_image_twice_is_one_row_and_both_uploads_are_audited(engine: sa.Engine) -> None:
    first = _store(engine, photo())
    second = _store(engine, photo())
    assert first.id == second.id and first.created and not second.created
    with kb.read_session(engine) as session:
        assert len(list(session.exec(select(Asset)))) == 1
        rows = session.exec(select(AuditEntry).where(AuditEntry.action == "asset.upload")).all()
    assert [r.target for r in rows] == [f"asset:{first.id}"] * 2


def test_large_images_are_scaled_to_the_long_side_limit(engine: sa.Engine) -> None:
    stored = _store(engine, png(3000, 1500))
    assert (stored.width, stored.height) == (assets.MAX_SIDE, 1000)


def test_png_stays_png_and_keeps_its_transparency(engine: sa.Engine) -> None:
    stored = _store(engine, png(alpha=True))
    clean = Image.open(io.BytesIO(_stored_bytes(engine, stored.id)))
    assert stored.media_type == "image/png" and clean.mode == "RGBA"
    assert clean.getpixel((0, 0))[3] == 128  # type: ignore[index]


def test_webp_and_gif_are_accepted_and_stored_as_png_or_jpeg(engine: sa.Engine) -> None:
    for fmt, expect in (("WEBP", "image/jpeg"), ("GIF", "image/png")):
        out = io.BytesIO()
        Image.new("RGB", (16, 16), (1, 2, 3)).save(out, format=fmt)
        assert _store(engine, out.getvalue()).media_type == expect


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "SVG"),
        (b"<svg onload='alert(1)'></svg>", "SVG"),
        (png(400, 300)[:80], "could not be read"),  # a real PNG, cut short
        (b"not an image at all", "not a picture"),
        (b"", "not a picture"),
    ],
)
def test_svg_and_garbage_are_refused_and_nothing_is_stored(engine: sa.Engine, data: bytes, words: str) -> None:
    before = snapshot(engine)
    with pytest.raises(kb.UnsupportedImage, match=words) as caught:
        _store(engine, data)
    assert caught.value.status == 415
    assert snapshot(engine) == before


def test_other_formats_pillow_reads_are_refused_by_name(engine: sa.Engine) -> None:
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, format="BMP")
    with pytest.raises(kb.UnsupportedImage, match="BMP images are not accepted"):
        _store(engine, out.getvalue())


def test_over_the_byte_limit_is_refused(engine: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(kb.ImageTooLarge, match="limit is 10485760 bytes"):
        _store(engine, b"\x89PNG" + b"\0" * assets.MAX_BYTES)


def test_over_the_pixel_limit_is_refused_before_decoding(engine: sa.Engine) -> None:
    bomb = png(assets.MAX_PIXELS // 1000 + 1, 1000)  # one column too many; compresses to a few kB
    assert len(bomb) < assets.MAX_BYTES
    with pytest.raises(kb.ImageTooLarge, match="pixels") as caught:
        _store(engine, bomb)
    assert caught.value.status == 413


def test_an_article_may_show_a_stored_image_with_alt_text(engine: sa.Engine) -> None:
    stored = _store(engine, png())
    saved = save(engine, article(body=f"Press the button.\n\n![The green call button](asset:{stored.id})"))
    unit = kb.load_unit(saved.revision)
    assert unit.assets == frozenset({stored.id})
    with kb.read_session(engine) as session:
        assert kb.asset_sizes(session=session, ids=unit.assets) == {stored.id: (40, 30)}


def test_an_image_without_alt_text_is_a_content_error_naming_the_line(engine: sa.Engine) -> None:
    stored = _store(engine, png())
    before = snapshot(engine)
    with pytest.raises(kb.ContentError) as caught:
        save(engine, article(body=f"Press the button.\n\n![](asset:{stored.id})"))
    problems = [str(p) for p in caught.value.problems]
    assert len(problems) == 1 and "no alt text" in problems[0]
    assert caught.value.problems[0].line == 8
    assert snapshot(engine) == before


def test_an_unknown_asset_is_a_content_error_like_an_unknown_fact(engine: sa.Engine) -> None:
    missing = "ab" * 32
    with pytest.raises(kb.ContentError, match=f"unknown image asset:{missing}"):
        save(engine, article(body=f"See:\n\n![A screenshot](asset:{missing})"))
    with kb.read_session(engine) as session:
        assert session.exec(select(kb.Article)).first() is None


def test_get_asset_refuses_ids_that_are_not_hashes(engine: sa.Engine) -> None:
    with kb.read_session(engine) as session, pytest.raises(kb.AssetNotFound):
        kb.get_asset(session=session, asset_id="../etc/passwd")
