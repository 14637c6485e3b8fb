"""`istok render` and `istok preview` over a real store holding the sample content."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer

import kb
from api import runtime
from api.cli import render as render_cli
from tests.helpers import CliRunner
from tests.renderers.support import CONTENT

app = typer.Typer()
app.command("render")(render_cli.render)
app.command("preview")(render_cli.preview)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated SQLite store with the samples imported and published, plus one draft."""
    url = f"sqlite:///{tmp_path_factory.mktemp('render-cli') / 'istok.db'}"
    engine = kb.make_engine(url)
    kb.upgrade(engine)
    kb.import_paths([CONTENT], engine=engine, publish=True)
    draft = (CONTENT / "ru" / "billing" / "top-up.md").read_text(encoding="utf-8")
    with kb.write_session(engine) as session:
        article = kb.get_article(session=session, key="top-up", locale="ru")
        kb.save_draft(
            session=session,
            source=draft.replace("\n---\n", "\n---\nЧерновик: новое вступление.\n\n", 1),
            base_revision=article.draft_revision,
            actor="test",
        )
    engine.dispose()
    yield url


@pytest.fixture
def cli(store: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("ISTOK_DATABASE_URL", store)
    runtime.engine.cache_clear()
    yield CliRunner()
    runtime.engine.cache_clear()


def test_render_prints_the_body(cli: CliRunner) -> None:
    result = cli.invoke(app, ["render", "ru", "promised-payment", "sms"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Обещанный платёж: приложение «Сфера»")


def test_render_json_has_content_type_and_channel_meta(cli: CliRunner) -> None:
    result = cli.invoke(app, ["render", "ru", "promised-payment", "sms", "--json"])
    data = json.loads(result.stdout)
    assert set(data) == {"channel", "format", "content_type", "body", "meta"}
    assert (data["channel"], data["format"], data["content_type"]) == ("sms", "plain", "text/plain; charset=utf-8")
    assert data["meta"]["encoding"] == "ucs2"
    assert data["meta"]["segments"] == 2
    assert data["meta"]["warnings"] == []
    ivr = json.loads(cli.invoke(app, ["render", "en", "contact-support", "ivr", "--json"]).stdout)
    assert ivr["content_type"] == "application/ssml+xml; charset=utf-8"
    assert 0 < ivr["meta"]["duration_s"] <= 45


def test_render_with_a_format(cli: CliRunner) -> None:
    result = cli.invoke(app, ["render", "uk", "contact-support", "bot", "--format", "telegram"])
    assert result.exit_code == 0
    assert "<b>555</b>" in result.stdout


def test_published_by_default_draft_with_revision(cli: CliRunner) -> None:
    live = cli.invoke(app, ["render", "ru", "top-up", "web"])
    draft = cli.invoke(app, ["render", "ru", "top-up", "web", "--revision", "2"])
    assert "Черновик" not in live.stdout
    assert "<p>Черновик: новое вступление.</p>" in draft.stdout
    card = json.loads(cli.invoke(app, ["render", "ru", "top-up", "operator", "--format", "json"]).stdout)
    assert card["revision"] == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["render", "ru", "no-such-article", "web"], "error: no article 'no-such-article' in locale 'ru'"),
        (
            ["render", "ru", "top-up", "fax"],
            "error: no channel 'fax' (known channels: web, bot, sms, ivr, operator, email)",
        ),
        (["render", "ru", "top-up", "bot", "--format", "viber"], "error: channel 'bot' has no format 'viber'"),
        (["render", "ru", "top-up", "web", "--revision", "99"], "error: article 'top-up' (ru) has no revision 99"),
        (["preview", "en", "no-such-article"], "error: no article 'no-such-article' in locale 'en'"),
    ],
)
def test_errors_are_one_line_on_stderr_and_exit_1(cli: CliRunner, args: list[str], message: str) -> None:
    result = cli.invoke(app, args)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith(message)
    assert "Traceback" not in result.output


def test_preview_shows_every_channel_with_its_figures(cli: CliRunner) -> None:
    result = cli.invoke(app, ["preview", "ru", "promised-payment"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("ru/promised-payment · revision 1 (published) · hash ")
    headers = [line for line in out.splitlines() if line.startswith("━━ ")]
    assert [h.split()[1] for h in headers] == ["web", "bot", "sms", "ivr", "operator", "email"]
    assert "2 segment(s), ucs2" in headers[2]
    assert " s of speech" in headers[3]
    assert all("no warnings" in h for h in headers)
    assert "Subject: Как взять обещанный платёж" in out


def test_cli_reads_from_the_configured_store(cli: CliRunner, store: str) -> None:
    assert Path(store.removeprefix("sqlite:///")).exists()
    assert str(runtime.engine().url) == store
