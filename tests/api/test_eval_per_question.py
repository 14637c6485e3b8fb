"""`istok eval`: one row per question with its outcome, people's search MRR, and refusing to measure nothing."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

import kb
from api.cli import app
from tests.helpers import CliRunner, article

BALANCE = article(
    key="check-balance",
    title="How do I check my balance?",
    body="Dial *100# and press call: the balance shows on the screen.",
    questions=["How much money is left on my account?"],
    status="published",
)
ROAMING_DRAFT = article(key="roaming-prices", title="Roaming prices", body="A day abroad costs 2.99 EUR.")
QUESTIONS = "question,expected,locale\nhow do I check my balance,check-balance,en\nborscht recipe with sour cream,,en\n"


def _folder(root: Path, *sources: str) -> Path:
    """A content folder holding `sources`, one article file each."""
    root.mkdir()
    for n, source in enumerate(sources):
        (root / f"article-{n}.md").write_text(source, encoding="utf-8")
    return root


@pytest.fixture
def tiny(tmp_path: Path) -> tuple[Path, Path]:
    """One published article, one draft, and a question file with one in-scope and one out-of-scope question."""
    questions = tmp_path / "questions.csv"
    questions.write_text(QUESTIONS, encoding="utf-8")
    return _folder(tmp_path / "content", BALANCE, ROAMING_DRAFT), questions


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["eval", *args, "--no-semantic"])
    return result.exit_code, result.output


def test_per_question_csv_has_one_row_per_question_with_its_outcome(tiny: tuple[Path, Path], tmp_path: Path) -> None:
    content, questions = tiny
    rows_file = tmp_path / "rows.csv"
    code, output = _invoke("--kb", str(content), "--questions", str(questions), "--per-question", str(rows_file))
    assert code == 0, output
    with rows_file.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["outcome"] for r in rows] == ["right", "handoff-right"]
    first, second = rows
    assert first["question"] == "how do I check my balance" and first["locale"] == "en"
    assert first["expected"] == "check-balance" and first["ranked"].split(" ")[0] == "check-balance"
    assert float(first["threshold"]) == kb.THRESHOLDS["web"] <= float(first["confidence"])
    assert second["expected"] == "" and float(second["confidence"]) < float(second["threshold"])
    assert "mrr@10 1.000 top1 1.000" in output


def test_per_question_jsonl_and_the_search_figures_in_json(tiny: tuple[Path, Path], tmp_path: Path) -> None:
    content, questions = tiny
    rows_file = tmp_path / "rows.jsonl"
    figures = kb.evaluate(content, questions, channel="sms", per_question=rows_file)
    rows = [json.loads(line) for line in rows_file.read_text(encoding="utf-8").splitlines()]
    assert [r["outcome"] for r in rows] == ["right", "handoff-right"]
    assert rows[0]["ranked"][0] == "check-balance" and len(rows[0]["ranked"]) <= 5
    assert {r["threshold"] for r in rows} == {kb.THRESHOLDS["sms"]}
    assert figures["search"] == {"role": "public", "depth": 10, "in_scope": 1, "mrr_at_10": 1.0, "top1": 1.0}
    assert figures["answered_correct"] == 0.5 and figures["oos_recall"] == 1.0


def test_an_answer_to_an_out_of_scope_question_is_wrong(tiny: tuple[Path, Path], tmp_path: Path) -> None:
    content, questions = tiny
    questions.write_text("question,expected,locale\ncheck my balance,,en\nroaming prices,check-balance,en\n")
    rows_file = tmp_path / "rows.jsonl"
    kb.evaluate(content, questions, per_question=rows_file)
    outcomes = [json.loads(line)["outcome"] for line in rows_file.read_text(encoding="utf-8").splitlines()]
    assert outcomes[0] == "wrong" and outcomes[1] in {"handoff-missed", "wrong"}


def test_a_drafts_only_folder_is_refused_with_its_draft_count(tmp_path: Path) -> None:
    content = _folder(tmp_path / "drafts", ROAMING_DRAFT, BALANCE.replace("status: published", "status: draft"))
    questions = tmp_path / "questions.csv"
    questions.write_text(QUESTIONS, encoding="utf-8")
    code, output = _invoke("--kb", str(content), "--questions", str(questions), "--json")
    assert code == 1
    assert f"no published article in {content} (2 drafts): publish some" in output and "--kb" in output


def test_an_empty_folder_is_refused(tmp_path: Path) -> None:
    questions = tmp_path / "questions.csv"
    questions.write_text(QUESTIONS, encoding="utf-8")
    with pytest.raises(kb.NothingToMeasure, match=r"\(0 drafts\)"):
        kb.evaluate(_folder(tmp_path / "empty"), questions)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("question,expected,locale\n", "no questions"),
        (
            "question,expected,locale\nскільки коштує роумінг,,uk\n",
            "no published article in the questions' locales (uk)",
        ),
    ],
)
def test_a_question_file_with_nothing_to_ask_is_refused(
    tiny: tuple[Path, Path], tmp_path: Path, text: str, message: str
) -> None:
    content, questions = tiny
    questions.write_text(text, encoding="utf-8")
    code, output = _invoke("--kb", str(content), "--questions", str(questions))
    assert code == 1 and message in output, output
