"""`istok render` and `istok preview`: one article in one channel's form, or in all of them.

The CLI registers these two functions as commands. They read the store (the published
revision, or `--revision N` to preview a draft), hand the renderers plain data, and
print. Istok's own errors end the command with a one-line message and exit code 1.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    import kb
    import renderers
    from api import live


LocaleArg = Annotated[str, typer.Argument(help="Locale of the article: ru, uk or en.")]
KeyArg = Annotated[str, typer.Argument(help="Article key, e.g. promised-payment.")]
ChannelArg = Annotated[str, typer.Argument(help="Channel: web, bot, sms, ivr, operator or email.")]
FormatOpt = Annotated[
    str | None,
    typer.Option("--format", help="Channel format, e.g. telegram for bot, plain for ivr."),
]
RevisionOpt = Annotated[
    int | None,
    typer.Option("--revision", help="Render this revision (a draft preview), not the live one."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
QUICK_REPLIES = 3


@dataclass(frozen=True)
class _Loaded:
    unit: kb.Unit
    snapshot: live.Snapshot
    related: list[renderers.RelatedArticle]
    revision: int
    published: bool

    def render(self, channel: str, format: str | None = None) -> renderers.Rendered:
        from api import rendering
        from api.pages.settings import base_url

        return rendering.render(
            channel,
            self.unit,
            snapshot=self.snapshot,
            format=format,
            related=self.related,
            revision=self.revision,
            base_url=base_url(),
        )


def render(
    locale: LocaleArg,
    key: KeyArg,
    channel: ChannelArg,
    format: FormatOpt = None,
    revision: RevisionOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Print an article in one channel's form (the body; `--json` adds content type and meta)."""
    import kb

    def run() -> None:
        kb.check_channel(channel)  # the one check: exit 1 before the index or database is opened
        loaded = _load(locale, key, revision)
        out = loaded.render(channel, format)
        if json_out:
            data = {
                "channel": out.channel,
                "format": out.format,
                "content_type": out.media_type,
                "body": out.body,
                "meta": {**out.as_dict()["meta"], "warnings": list(out.warnings)},
            }
            typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
        else:
            typer.echo(out.body)
        for warning in out.warnings:
            typer.echo(f"warning: {warning}", err=True)

    _guarded(run)


def preview(locale: LocaleArg, key: KeyArg, revision: RevisionOpt = None) -> None:
    """Print the article in every channel, one after another, with segments, duration, warnings."""
    import renderers

    def run() -> None:
        loaded = _load(locale, key, revision)
        state = "published" if loaded.published else "draft"
        typer.echo(
            f"{locale}/{key} · revision {loaded.revision} ({state}) · "
            f"hash {loaded.unit.content_hash[:12]} · {loaded.unit.title}"
        )
        for channel in renderers.RENDERERS:
            out = loaded.render(channel)
            typer.echo("")
            typer.echo(typer.style(_header(out), bold=True))
            typer.echo(_shown(out).rstrip("\n"))
            for warning in out.warnings:
                typer.echo(typer.style(f"warning: {warning}", fg="yellow"))

    _guarded(run)


def _shown(out: renderers.Rendered) -> str:
    """The body as a person checks it; an email shows its subject and text part, not MIME."""
    if out.channel == "email" and "text" in out.meta:
        return f"Subject: {out.meta['subject']}\n\n{out.meta['text']}"
    return out.body


def _header(out: renderers.Rendered) -> str:
    """One line saying what a client of this channel would get, and how big it is."""
    meta = out.meta
    facts = [out.format, out.media_type.split(";")[0]]
    if "segments" in meta:
        facts.append(f"{meta['segments']} segment(s), {meta['encoding']}, {meta['length']} units")
    if "duration_s" in meta:
        facts.append(f"{meta['duration_s']} s of speech")
    if "subject" in meta:
        facts.append(f"subject {meta['subject']!r}")
    if "source" in meta:
        facts.append(f"from the {meta['source']}")
    facts.append(f"{len(out.warnings)} warning(s)" if out.warnings else "no warnings")
    return f"━━ {out.channel} ━━ " + " · ".join(facts)


def _load(locale: str, key: str, revision: int | None) -> _Loaded:
    """The unit of the live revision (or of `--revision N`), over the live snapshot.

    A draft is rendered exactly as it would be if published now: links to live articles,
    today's facts, its live peers in the category as quick replies.
    """
    import kb
    import renderers
    from api import live, runtime

    with kb.read_session(runtime.engine()) as session:
        article = kb.get_article(session=session, key=key, locale=locale)
        number = article.published_revision if revision is None else revision
        if number is None:
            raise kb.NotFound(
                f"article {key!r} ({locale}) is not published; "
                f"pass --revision {article.draft_revision} to render the draft"
            )
        unit = kb.load_unit(kb.get_revision(session=session, article=article, number=number))
        published = article.published_revision == number
    snap = live.load()
    peers = snap.related_to(locale, unit.key, unit.category, unit.tags, QUICK_REPLIES)
    related = [renderers.RelatedArticle(e.title, e.key) for e in peers]
    return _Loaded(unit=unit, snapshot=snap, related=related, revision=number, published=published)


def _guarded(run: Callable[[], Any]) -> None:
    """Istok's errors as one line on stderr and exit code 1, never a traceback."""
    import kb

    try:
        run()
    except kb.IstokError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(1) from None
