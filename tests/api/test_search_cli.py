"""`istok answer`, `search`, `reindex`, `gaps` and `eval` over a real store holding the sample content."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import kb
from api import runtime
from api.cli import app
from tests.conftest import CONTENT
from tests.helpers import CliRunner


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    folder = tmp_path_factory.mktemp("search-cli")
    url = f"sqlite:///{folder / 'istok.db'}"
    engine = kb.make_engine(url)
    kb.upgrade(engine)
    kb.import_paths([CONTENT], engine=engine, publish=True)
    engine.dispose()
    return url, folder


@pytest.fixture
def cli(store: tuple[str, Path], monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("ISTOK_DATABASE_URL", store[0])
    monkeypatch.setenv("ISTOK_DATA_DIR", str(store[1]))
    runtime.engine.cache_clear()
    yield CliRunner()
    kb.close_indexes()
    runtime.engine.cache_clear()


def test_answer_renders_the_unit_for_the_channel_with_provenance(cli: CliRunner) -> None:
    result = cli.invoke(app, ["answer", "как проверить баланс", "--locale", "ru", "--channel", "sms", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["status"] == "answered" and data["key"] == "check-balance"
    assert data["revision"] == 1 and len(data["content_hash"]) == 64
    assert data["rendered"]["body"] and "*100#" in data["rendered"]["body"]
    text = cli.invoke(app, ["answer", "ghjdthbnm ,fkfyc", "-l", "ru", "-c", "ivr"])
    assert text.exit_code == 0 and "<speak" in text.output and "check-balance revision 1" in text.output


def test_a_handoff_is_said_and_logged_as_a_gap(cli: CliRunner) -> None:
    result = cli.invoke(app, ["answer", "рецепт борща со сметаной", "--locale", "ru", "--channel", "ivr"])
    assert result.exit_code == 0 and "handoff" in result.output
    gaps = cli.invoke(app, ["gaps", "--json"])
    rows = json.loads(gaps.output)
    assert {"question": "рецепт борща со сметаной", "channel": "ivr"}.items() <= rows[0].items()
    assert "рецепт борща" in cli.invoke(app, ["gaps"]).output


def test_search_reindex_and_eval(cli: CliRunner, tmp_path: Path) -> None:
    found = json.loads(cli.invoke(app, ["search", "роуминг", "--locale", "ru", "--json"]).output)
    assert found["hits"][0]["key"].startswith("roaming-") and "<mark>" in found["hits"][0]["snippet"]
    assert "indexed 54 published articles" in cli.invoke(app, ["reindex"]).output
    questions = tmp_path / "q.csv"
    questions.write_text("question,expected,locale\nкак пополнить счёт,top-up,ru\nрецепт борща,,ru\n", encoding="utf-8")
    out = cli.invoke(app, ["eval", "--kb", str(CONTENT), "--questions", str(questions), "--json", "--no-semantic"])
    figures = json.loads(out.output)
    assert figures["questions"] == 2 and figures["top1"] == 1.0 and figures["oos_recall"] == 1.0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["answer", "   ", "--locale", "ru"], "the question is empty"),
        (["answer", "баланс", "--locale", "xx"], "no locale 'xx'"),
        (["answer", "баланс", "--channel", "fax"], "no channel 'fax'"),
        (["search", "баланс", "--role", "root"], "no role 'root'"),
    ],
)
def test_bad_input_is_one_line_and_exit_1(cli: CliRunner, args: list[str], message: str) -> None:
    result = cli.invoke(app, args)
    assert result.exit_code == 1 and message in result.output


def test_the_cli_help_names_exactly_the_channels_of_kbs_table() -> None:
    """The help is written out (reading the table would import the service for `istok --help`); it must not drift."""
    names = list(kb.CHANNEL_NAMES)
    listed = f"{', '.join(names[:-1])} or {names[-1]}."
    for command in ("answer", "render"):
        result = CliRunner().invoke(app, [command, "--help"], terminal_width=400)
        assert listed in " ".join(result.stdout.split()), result.stdout
