"""Images in a content folder: `assets/<sha256>.png` or `.jpg`, beside the articles that name them.

An export writes each image an exported article names (`![alt](asset:<id>)`) as the exact bytes
Istok serves, named by their hash, so an import into an empty store can load them before the
articles and every reference holds. Those bytes were made safe when they were uploaded; an import
takes a file back only if it is still exactly such a picture: its name is the sha256 of its
bytes, it decodes as the PNG or JPEG its extension says, within the size limits, and carries
none of the metadata an upload strips (EXIF, ICC profiles, XMP, comments, text chunks). Anything
else is a problem with file and line like every other, and the import changes nothing: a new
picture goes through the editor's upload, which re-encodes it.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError
from sqlmodel import Session, col, select

from kb.assets import ASSET_ID_RE, MAX_BYTES, MAX_SIDE
from kb.audit import Actor, as_actor, record_action
from kb.errors import ContentProblem
from kb.models import Asset

#: The folder of a content tree that holds its images.
FOLDER = "assets"
#: The extension each stored media type is written with, and the type each extension is read as.
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg"}
_TYPES = {"png": ("image/png", "PNG"), "jpg": ("image/jpeg", "JPEG"), "jpeg": ("image/jpeg", "JPEG")}
#: What Pillow reports for a clean PNG or JPEG of our own encoder: format details, never content.
_PLAIN_INFO = frozenset({"jfif", "jfif_version", "jfif_unit", "jfif_density", "dpi", "progressive", "progression"})


@dataclass(frozen=True)
class AssetFile:
    """An image file of a content folder, checked and ready to store."""

    path: str
    id: str
    media_type: str
    width: int
    height: int
    data: bytes


def is_asset_file(file: Path) -> bool:
    """Whether `file` sits in an `assets/` folder with an image's extension (so the importer reads it as one)."""
    return file.parent.name == FOLDER and file.suffix.lower().lstrip(".") in _TYPES


def read_asset_file(file: Path, problems: list[ContentProblem]) -> AssetFile | None:
    """The image in `file`, or None with the reason added to `problems`."""
    where = str(file)
    size = file.stat().st_size
    if size > MAX_BYTES:
        problems.append(ContentProblem(where, 0, f"image is {size} bytes; the limit is {MAX_BYTES}"))
        return None
    data = file.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if not ASSET_ID_RE.match(file.stem) or file.stem != digest:
        problems.append(
            ContentProblem(where, 0, f"an image's name must be the sha256 of its bytes ({digest}); upload new images")
        )
        return None
    media_type, expected = _TYPES[file.suffix.lower().lstrip(".")]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as opened:
                kind, info, (width, height) = opened.format, {str(k) for k in opened.info}, opened.size
                opened.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombWarning) as exc:
        problems.append(ContentProblem(where, 0, f"not a readable picture ({exc})"))
        return None
    if kind != expected:
        problems.append(ContentProblem(where, 0, f"holds a {kind} picture, not the {expected} its name says"))
        return None
    if max(width, height) > MAX_SIDE:
        problems.append(ContentProblem(where, 0, f"is {width}×{height}; stored images are at most {MAX_SIDE} px"))
        return None
    if extra := sorted(info - _PLAIN_INFO):
        problems.append(
            ContentProblem(where, 0, f"carries metadata ({', '.join(extra)}) an upload strips; upload it instead")
        )
        return None
    return AssetFile(where, digest, media_type, width, height, data)


def keep_asset_files(session: Session, files: Iterable[AssetFile], *, actor: Actor | str) -> int:
    """Store the images the store does not hold yet, each audited as an upload by `actor`; how many were new."""
    wanted = {f.id: f for f in files}
    if not wanted:
        return 0
    held = set(session.exec(select(Asset.id).where(col(Asset.id).in_(sorted(wanted)))))
    added = 0
    for asset_id, file in sorted(wanted.items()):
        if asset_id in held:
            continue
        session.add(
            Asset(
                id=asset_id,
                media_type=file.media_type,
                width=file.width,
                height=file.height,
                data=file.data,
                created_by=as_actor(actor).name,
            )
        )
        session.flush()
        record_action(
            session,
            actor,
            action="asset.upload",
            target=f"asset:{asset_id}",
            created=True,
            imported=file.path,
            media_type=file.media_type,
            width=file.width,
            height=file.height,
            bytes=len(file.data),
        )
        added += 1
    return added


def write_asset_files(session: Session, ids: Collection[str], target: Path) -> int:
    """Write the stored images among `ids` to `target/assets/`; how many were written."""
    wanted = sorted(i for i in ids if ASSET_ID_RE.match(i))
    if not wanted:
        return 0
    folder = target / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    written = 0
    for start in range(0, len(wanted), 200):
        for asset in session.exec(select(Asset).where(col(Asset.id).in_(wanted[start : start + 200]))):
            extension = EXTENSIONS.get(asset.media_type, "png")
            (folder / f"{asset.id}.{extension}").write_bytes(asset.data)
            written += 1
    return written
