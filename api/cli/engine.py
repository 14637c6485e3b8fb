"""`istok answer`, `search`, `reindex` and `eval`: the answer engine from the command line (`gaps`: gaps.py).

`api/cli/main.py` registers the functions of `COMMANDS`, wrapped in its `_clean_errors`, so
Istok's errors end a command with their message and exit code 1. `answer` asks through
`api/answering.py`, the use-case every channel shares, and prints the rendering, the
confidence and exactly which revision was served.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

LocaleOpt = Annotated[str, typer.Option("--locale", "-l", help="Locale of the question: ru, uk or en.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def answer(
    question: Annotated[str, typer.Argument(help="The client's question, as typed.")],
    locale: LocaleOpt = "ru",
    channel: Annotated[str, typer.Option("--channel", "-c", help="web, bot, sms, ivr, operator or email.")] = "web",
    format: Annotated[str | None, typer.Option("--format", help="Channel format, e.g. telegram for bot.")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Answer a question as a channel would: the unit rendered for it, confidence, provenance."""
    import anyio

    import kb
    from api import answering, runtime

    kb.check_channel(channel)  # the one check: exit 1 before the index or database is opened
    from api.pages.settings import base_url

    reply = anyio.run(lambda: answering.ask(question, locale, channel, format=format, base_url=base_url()))
    result, rendered = reply.answer, reply.rendered
    runtime.index().gaps.flush()
    if json_out:
        data = result.as_dict()
        data["rendered"] = None
        if rendered is not None:
            data["rendered"] = {
                "format": rendered.format,
                "content_type": rendered.media_type,
                "body": rendered.body,
                "warnings": list(rendered.warnings),
            }
        _print_json(data)
        return
    if rendered is not None:
        typer.echo(rendered.body)
        typer.echo("")
    verdict = "answered" if result.answered else "handoff: pass the client to a person"
    typer.echo(f"{verdict} · confidence {result.confidence:.2f} (threshold {result.threshold:.2f} for {channel})")
    if result.key:
        typer.echo(
            f"{'from' if result.answered else 'best guess'}: {result.locale}/{result.key} revision {result.revision} "
            f"hash {(result.content_hash or '')[:12]} · {result.title}"
        )
    for alt in result.alternatives:
        typer.echo(f"  or: {alt.key} · {alt.title}")


def search(
    question: Annotated[str, typer.Argument(help="What to look for.")],
    locale: LocaleOpt = "ru",
    role: Annotated[str, typer.Option(help="public, or operator to search internal notes too.")] = "public",
    page: Annotated[int, typer.Option(help="Page number, from 1.")] = 1,
    per_page: Annotated[int, typer.Option(help="Hits per page.")] = 10,
    category: Annotated[str | None, typer.Option(help="Only this category.")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Search published articles: ranked hits with highlighted snippets, counts per category."""
    import kb
    from api import runtime

    index = kb.get_index(runtime.engine())
    found = kb.search_articles(question, locale, role, page=page, per_page=per_page, category=category, index=index)
    if json_out:
        _print_json(found.as_dict())
        return
    typer.echo(f"{found.total} hit(s); by category: {found.facets}")
    for hit in found.hits:
        typer.echo(f"{hit.score:8.2f}  {hit.key:28} {hit.title}")
        typer.echo(f"          {hit.snippet}")
        if hit.internal_snippet:
            typer.echo(f"          [internal] {hit.internal_snippet}")


def reindex() -> None:
    """Rebuild this host's search index from the database."""
    import kb
    from api import runtime

    started = time.perf_counter()
    count = kb.reindex(runtime.engine())
    typer.echo(f"indexed {count} published articles in {time.perf_counter() - started:.1f} s")


def eval_(
    kb_dir: Annotated[Path, typer.Option("--kb", help="A content folder to build a throw-away store from.")],
    questions: Annotated[Path, typer.Option(help="CSV: question,expected[,locale]; empty expected = hand off.")],
    channel: Annotated[str, typer.Option(help="Channel whose threshold decides answer or handoff.")] = "web",
    semantic: Annotated[
        bool | None, typer.Option("--semantic/--no-semantic", help="Use the optional semantic model.")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Also write the JSON figures to this file.")] = None,
    per_question: Annotated[
        Path | None,
        typer.Option(help="Also write one row per question to this file: CSV if it ends in .csv, else JSON Lines."),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Measure the answer engine on a content folder and a question file."""
    import kb

    use = kb.semantic_wanted() if semantic is None else semantic
    result = kb.evaluate(kb_dir, questions, channel=channel, use_semantic=use, per_question=per_question)
    if out is not None:
        out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    if json_out:
        _print_json(result)
        return
    typer.echo(
        f"{result['questions']} questions: top1 {result['top1']:.3f} top3 {result['top3']:.3f} "
        f"mrr {result['mrr']:.3f}; "
        f"at {channel}: answered right {result['answered_correct']:.3f}, wrong {result['wrong_answer_rate']:.3f}, "
        f"oos handed off {result['oos_recall']}; calibration ECE {result['calibration']['ece']}; "
        f"p50 {result['p50_ms']} ms p99 {result['p99_ms']} ms"
        + (f" (semantic encoding p50 {result['semantic_p50_ms']} ms)" if "semantic_p50_ms" in result else "")
    )
    found = result["search"]
    typer.echo(
        f"search ({found['role']}, top {found['depth']}) over {found['in_scope']} in-scope questions: "
        f"mrr@10 {found['mrr_at_10']:.3f} top1 {found['top1']:.3f}"
    )
    if per_question is not None:
        typer.echo(f"one row per question written to {per_question}")


#: Command name -> function, for `api/cli/main.py` to register.
COMMANDS: dict[str, Callable[..., None]] = {
    "answer": answer,
    "search": search,
    "reindex": reindex,
    "eval": eval_,
}
