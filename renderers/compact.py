"""The compact form of a unit: the short answer, the steps, a link to the full page.

A chat bubble or a 380 px widget panel cannot hold a whole article (its tables, its
sections); a client there needs what to do and where to read the rest. One function
builds that content, so every bot format, the widget and the SMS's key step read the
same answer: the channel's own block when the editor wrote one, else the summary (or
the first paragraph) and the unit's steps, which are its first numbered list.
"""

from __future__ import annotations

from dataclasses import dataclass

from kb import ChannelName, tree
from renderers.context import Context, Source


@dataclass(frozen=True, slots=True)
class Compact:
    """What a compact answer shows; `steps` is empty when a channel block speaks instead."""

    answer: tuple[tree.Block, ...]
    steps: tree.ListBlock | None
    url: str
    source: Source

    def blocks(self, *, with_steps: bool = True) -> tuple[tree.Block, ...]:
        """The answer, then the steps as a numbered list (no link: each format writes its own)."""
        if with_steps and self.steps is not None:
            return (*self.answer, self.steps)
        return self.answer


def compact_content(ctx: Context, *, block: ChannelName | None = "bot") -> Compact:
    """The compact form of `ctx.unit`: `block`'s own wording wins, else summary and steps.

    With `block=None` it is always the derived form (what a caller falls back to when the
    block is over its cap). Only the general text is read then, so `internal` and other
    channels' blocks never reach a compact answer; tables, headings and the rest of the
    body are left to the full page behind the link.
    """
    own = ctx.unit.block_for(block, ctx.options.segment) if block is not None else None
    if own is not None:
        return Compact(own.children, None, ctx.own_url(), "block")
    unit = ctx.unit
    source: Source = "summary" if unit.summary else "paragraph" if unit.first_paragraph() else "title"
    return Compact(ctx.summary(), steps_of(unit), ctx.own_url(), source)


def steps_of(unit: tree.Unit) -> tree.ListBlock | None:
    """The unit's steps: the first numbered list of its general text, at any depth of it."""
    for node in tree.walk(unit.general()):
        if isinstance(node, tree.ListBlock) and node.ordered and node.items:
            return tree.ListBlock(ordered=True, items=node.items, start=1)
    return None


def key_step(unit: tree.Unit) -> tuple[tree.Block, ...]:
    """The first of the unit's steps, as blocks (empty when it has none): what SMS keeps."""
    steps = steps_of(unit)
    return steps.items[0].children if steps is not None else ()
