"""Images in articles: uploaded bytes made safe, kept once by the hash of what is served.

An upload is never served as it came. Pillow decodes it (so only real PNG, JPEG, WebP or GIF
gets through; SVG can carry script and is refused), the EXIF orientation is applied and every
other piece of metadata (GPS position, camera, comments, colour profiles) is dropped by
writing fresh pixels, the long side is brought down to `MAX_SIDE`, and the result is encoded
as PNG (drawings, screenshots, anything transparent) or JPEG (photos), the two formats every
browser and messenger shows. The id is the sha256 of those bytes, so the same picture uploaded
twice is one row, and `/assets/{id}` never changes and may be cached for ever.
"""

from __future__ import annotations

import hashlib
import io
import re
import warnings
from collections.abc import Collection
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlmodel import Session, col, select

from kb.audit import Actor, as_actor, record_action
from kb.errors import IstokError, NotFound
from kb.models import Asset

#: Largest upload accepted, in bytes.
MAX_BYTES = 10 * 1024 * 1024
#: Largest decoded picture, in pixels (a small file can decode to gigabytes: a "pixel bomb").
MAX_PIXELS = 40_000_000
#: Longest side of a stored image; larger ones are scaled down (a help page needs no more).
MAX_SIDE = 2000
#: A PNG without transparency larger than this is a photo in disguise: stored as JPEG.
MAX_OPAQUE_PNG_BYTES = 1_500_000
JPEG_QUALITY = 85

ACCEPTED = ("PNG", "JPEG", "WEBP", "GIF")
ASSET_ID_RE = re.compile(r"^[0-9a-f]{64}$")
_MEDIA_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg"}
_SVG_RE = re.compile(rb"^\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*(<!doctype\s+svg[^>]*>\s*)?<svg[\s>]", re.I | re.S)


class ImageTooLarge(IstokError):
    """An upload over the byte or pixel limit."""

    status = 413
    slug = "image-too-large"


class UnsupportedImage(IstokError):
    """Bytes that are not a PNG, JPEG, WebP or GIF picture (SVG included)."""

    status = 415
    slug = "unsupported-image"


class AssetNotFound(NotFound):
    slug = "asset-not-found"

    def __init__(self, asset_id: str) -> None:
        super().__init__(f"no image {asset_id!r}")
        self.asset_id = asset_id


@dataclass(frozen=True)
class StoredImage:
    """What an upload became: its id, type and size, and whether this upload added the row."""

    id: str
    media_type: str
    width: int
    height: int
    size: int
    created: bool

    def markdown(self, alt: str = "") -> str:
        """The reference an editor puts in an article: `![alt](asset:<id>)`."""
        return f"![{alt}](asset:{self.id})"


def store_image(session: Session, data: bytes, actor: Actor | str) -> StoredImage:
    """Re-encode `data` and keep it by hash; raises ImageTooLarge or UnsupportedImage.

    The audit row `asset.upload` is written for every upload (`created` says whether it added
    the image), in the caller's transaction.
    """
    encoded, media_type, width, height = reencode(data)
    asset_id = hashlib.sha256(encoded).hexdigest()
    existing = session.get(Asset, asset_id)
    if existing is None:
        session.add(
            Asset(
                id=asset_id,
                media_type=media_type,
                width=width,
                height=height,
                data=encoded,
                created_by=as_actor(actor).name,
            )
        )
        session.flush()
    record_action(
        session,
        actor,
        action="asset.upload",
        target=f"asset:{asset_id}",
        created=existing is None,
        media_type=media_type,
        width=width,
        height=height,
        bytes=len(encoded),
    )
    return StoredImage(
        id=asset_id,
        media_type=media_type,
        width=width,
        height=height,
        size=len(encoded),
        created=existing is None,
    )


def reencode(data: bytes) -> tuple[bytes, str, int, int]:
    """Clean bytes of the picture in `data`: (bytes, media type, width, height)."""
    if len(data) > MAX_BYTES:
        raise ImageTooLarge(f"the image is {len(data)} bytes; the limit is {MAX_BYTES} bytes ({MAX_BYTES // 2**20} MB)")
    if _SVG_RE.match(data[:4096]):
        raise UnsupportedImage("SVG images are not accepted (they can carry scripts); upload a PNG or JPEG")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as opened:
                kind = opened.format or "?"
                if kind not in ACCEPTED:
                    raise UnsupportedImage(f"{kind} images are not accepted (accepted: PNG, JPEG, WebP, GIF)")
                width, height = opened.size
                if width * height > MAX_PIXELS:
                    raise ImageTooLarge(
                        f"the image is {width}×{height} = {width * height} pixels; the limit is {MAX_PIXELS}"
                    )
                opened.seek(0)  # an animated GIF or WebP keeps its first frame
                picture = ImageOps.exif_transpose(opened)
                picture.load()
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        if isinstance(exc, UnidentifiedImageError):
            raise UnsupportedImage("the data is not a picture (accepted: PNG, JPEG, WebP, GIF)") from None
        raise ImageTooLarge(f"the image has more than {MAX_PIXELS} pixels") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise UnsupportedImage(f"the picture could not be read ({exc}); it may be damaged") from None
    picture = _fresh(picture)
    picture.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    target = "JPEG" if kind == "JPEG" and picture.mode not in ("RGBA", "LA") else "PNG"
    if kind == "WEBP" and not _has_alpha(picture):
        target = "JPEG"
    encoded = _encode(picture, target)
    if target == "PNG" and len(encoded) > MAX_OPAQUE_PNG_BYTES and not _has_alpha(picture):
        target, encoded = "JPEG", _encode(picture, "JPEG")
    return encoded, _MEDIA_TYPES[target], picture.width, picture.height


def _fresh(picture: Image.Image) -> Image.Image:
    """The pixels alone in a new image: no EXIF, XMP, ICC, text chunks or comments survive."""
    if picture.mode == "P":
        picture = picture.convert("RGBA" if "transparency" in picture.info else "RGB")
    elif picture.mode not in ("1", "L", "LA", "RGB", "RGBA"):
        picture = picture.convert("RGBA" if "A" in picture.mode else "RGB")
    clean = Image.new(picture.mode, picture.size)
    clean.paste(picture)
    clean.info = {}
    return clean


def _has_alpha(picture: Image.Image) -> bool:
    if picture.mode not in ("RGBA", "LA"):
        return False
    extrema = picture.getchannel("A").getextrema()
    return isinstance(extrema[0], int | float) and extrema[0] < 255


def _encode(picture: Image.Image, target: str) -> bytes:
    out = io.BytesIO()
    if target == "JPEG":
        rgb = picture.convert("RGB") if picture.mode != "RGB" else picture
        rgb.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    else:
        picture.save(out, format="PNG", optimize=True)
    return out.getvalue()


def get_asset(*, session: Session, asset_id: str) -> Asset:
    """The stored image `asset_id`; raises AssetNotFound."""
    found = session.get(Asset, asset_id) if ASSET_ID_RE.match(asset_id) else None
    if found is None:
        raise AssetNotFound(asset_id)
    return found


def asset_sizes(*, session: Session, ids: Collection[str]) -> dict[str, tuple[int, int]]:
    """Width and height of each known image among `ids` (unknown ones are left out)."""
    wanted = sorted({i for i in ids if ASSET_ID_RE.match(i)})
    if not wanted:
        return {}
    rows = session.exec(select(Asset.id, Asset.width, Asset.height).where(col(Asset.id).in_(wanted)))
    return {asset_id: (width, height) for asset_id, width, height in rows}
