"""Images travel with an exported content folder (`assets/<sha256>.png|jpg`) and load first on import,
so an export imports into an empty store; a file that is not exactly such an image changes nothing."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image
from sqlmodel import select

import kb
from kb.models import Asset
from tests.api.commands import istok as run_istok
from tests.helpers import article, snapshot


def _picture(fmt: str = "PNG", colour: tuple[int, int, int] = (200, 30, 90), **save: object) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, format=fmt, **save)
    return out.getvalue()


def _with_images(engine: sa.Engine, folder: Path) -> tuple[str, str]:
    """A published article showing a PNG and a draft showing a JPEG, both uploaded; their ids."""
    with kb.write_session(engine) as session:
        png = kb.store_image(session, _picture(), "editor").id
        jpeg = kb.store_image(session, _picture("JPEG", (10, 120, 30)), "editor").id
    (folder / "en" / "help").mkdir(parents=True)
    (folder / "en" / "help" / "wps.md").write_text(
        article(key="wps", body=f"Press it.\n\n![The WPS button](asset:{png})", status="published", category="help"),
        encoding="utf-8",
    )
    (folder / "en" / "help" / "led.md").write_text(
        article(key="led", title="Lights", body=f"![A green light](asset:{jpeg})", status="draft", category="help"),
        encoding="utf-8",
    )
    kb.import_paths([folder], engine=engine, publish=True)
    return png, jpeg


def _assets(engine: sa.Engine) -> dict[str, tuple[str, bytes]]:
    with kb.read_session(engine) as session:
        return {a.id: (a.media_type, a.data) for a in session.exec(select(Asset))}


def _empty(sqlite_template: Path, tmp_path: Path, name: str) -> sa.Engine:
    path = tmp_path / name / "istok.db"
    path.parent.mkdir()
    shutil.copy(sqlite_template, path)
    return kb.make_engine(f"sqlite:///{path}")


def test_an_export_carries_its_images_and_imports_into_an_empty_store(
    engine: sa.Engine, tmp_path: Path, sqlite_template: Path
) -> None:
    png, jpeg = _with_images(engine, tmp_path / "source")
    with kb.write_session(engine) as session:  # an image no article names stays behind
        orphan = kb.store_image(session, _picture(colour=(1, 1, 1)), "editor").id
    out = tmp_path / "exported"
    kb.export_folder(out, engine=engine)
    written = sorted(p.name for p in (out / "assets").iterdir())
    assert written == sorted([f"{png}.png", f"{jpeg}.jpg"])
    stored = _assets(engine)
    assert (out / "assets" / f"{png}.png").read_bytes() == stored[png][1]  # the bytes served, untouched
    assert hashlib.sha256((out / "assets" / f"{jpeg}.jpg").read_bytes()).hexdigest() == jpeg

    fresh = _empty(sqlite_template, tmp_path, "fresh")
    try:
        report = kb.import_paths([out], engine=fresh, publish=True)
        assert report.images_added == 2 and report.created == 2
        assert _assets(fresh) == {k: v for k, v in stored.items() if k != orphan}
        with kb.read_session(fresh) as session:
            live = {a.key for a in kb.list_articles(session=session, status=kb.ArticleStatus.PUBLISHED)}
            audit = kb.audit_entries(session=session, action="asset.upload")
        assert live == {"wps"}
        assert {e.target for e in audit} == {f"asset:{png}", f"asset:{jpeg}"}
        again = kb.import_paths([out], engine=fresh, publish=True)  # the same folder again: nothing new
        assert (again.images_added, again.unchanged) == (0, 2)
    finally:
        fresh.dispose()


def test_istok_export_and_import_round_trip_the_images(tmp_path: Path, sqlite_template: Path) -> None:
    source = _empty(sqlite_template, tmp_path, "source")
    png, jpeg = _with_images(source, tmp_path / "written")
    source.dispose()
    target = _empty(sqlite_template, tmp_path, "target")
    target.dispose()
    out = tmp_path / "exported"
    env = os.environ | {"ISTOK_DATA_DIR": str(tmp_path / "data")}

    def istok(db: Path, *args: str) -> str:
        done = run_istok(args, env | {"ISTOK_DATABASE_URL": f"sqlite:///{db}"})
        assert done.returncode == 0, done.stderr
        return done.stdout

    exported = istok(tmp_path / "source" / "istok.db", "export", str(out))
    assert "2 images" in exported
    imported = istok(tmp_path / "target" / "istok.db", "import", "--publish", str(out))
    assert "2 images added" in imported
    target = kb.make_engine(f"sqlite:///{tmp_path / 'target' / 'istok.db'}")
    try:
        assert set(_assets(target)) == {png, jpeg}
    finally:
        target.dispose()


@pytest.mark.parametrize(
    ("name", "data", "problem"),
    [
        ("renamed", None, "must be the sha256 of its bytes"),
        ("wrong type", "jpeg-as-png", "not the PNG its name says"),
        ("metadata", "exif", "carries metadata"),
        ("not a picture", b"GIF89a but not really", "not a readable picture"),
    ],
)
def test_an_image_file_that_is_not_an_exported_image_is_refused_and_changes_nothing(
    sqlite_engine: sa.Engine, tmp_path: Path, name: str, data: bytes | str | None, problem: str
) -> None:
    png = _picture()
    if data is None:
        body, file = png, "0" * 64 + ".png"
    elif data == "jpeg-as-png":
        body = _picture("JPEG")
        file = hashlib.sha256(body).hexdigest() + ".png"
    elif data == "exif":
        exif = Image.Exif()
        exif[0x010F] = "CameraMaker"  # Make: the kind of detail an upload strips
        body = _picture("JPEG", exif=exif.tobytes())
        file = hashlib.sha256(body).hexdigest() + ".jpg"
    else:
        assert isinstance(data, bytes)
        body, file = data, hashlib.sha256(data).hexdigest() + ".png"
    folder = tmp_path / "content"
    (folder / "assets").mkdir(parents=True)
    (folder / "assets" / file).write_bytes(body)
    (folder / "en").mkdir()
    (folder / "en" / "ok.md").write_text(article(key="ok", body="Fine."), encoding="utf-8")
    before = snapshot(sqlite_engine)
    with pytest.raises(kb.ContentError) as caught:
        kb.import_paths([folder], engine=sqlite_engine)
    assert any(problem in p.message and p.file.endswith(file) for p in caught.value.problems), caught.value.problems
    assert snapshot(sqlite_engine) == before, name


def test_an_article_naming_an_image_neither_stored_nor_in_the_folder_changes_nothing(
    sqlite_engine: sa.Engine, tmp_path: Path
) -> None:
    png = _picture(colour=(5, 6, 7))
    with_image = tmp_path / "content"
    (with_image / "assets").mkdir(parents=True)
    digest = hashlib.sha256(png).hexdigest()  # a clean PNG of Pillow's: it passes as an exported image
    (with_image / "assets" / f"{digest}.png").write_bytes(png)
    (with_image / "en").mkdir()
    (with_image / "en" / "a.md").write_text(article(key="a", body=f"![Shown](asset:{digest})"), encoding="utf-8")
    (with_image / "en" / "b.md").write_text(article(key="b", body=f"![Gone](asset:{'e' * 64})"), encoding="utf-8")
    before = snapshot(sqlite_engine)
    with pytest.raises(kb.ContentError, match="unknown image"):
        kb.import_paths([with_image], engine=sqlite_engine)
    assert snapshot(sqlite_engine) == before  # not even the good image was kept
