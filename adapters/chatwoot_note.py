"""The private note a handed-off Chatwoot conversation gets: Istok's operator card, as markdown.

Chatwoot shows a note's `content` as markdown to agents only, so the card's JSON (Istok's
`operator` channel: title, summary, staff-only notes, the chat reply) becomes a few lines an
agent reads at a glance and a reply they can copy. The labels are for staff and follow the
language of the article, as the card itself does.
"""

from __future__ import annotations

import json
from typing import Any

from adapters.phrases import language

LABELS: dict[str, dict[str, str]] = {
    "ru": {
        "title": "Istok передал разговор оператору",
        "question": "Вопрос клиента",
        "confidence": "уверенность",
        "closest": "Ближайшая статья",
        "summary": "Кратко",
        "notes": "Заметки для операторов",
        "reply": "Предлагаемый ответ",
        "others": "Ещё может подойти",
        "nothing": "Подходящей статьи в базе нет.",
        "no_card": "Карточка оператора недоступна (нужен ключ оператора ISTOK_OPERATOR_KEY).",
    },
    "uk": {
        "title": "Istok передав розмову операторові",
        "question": "Питання клієнта",
        "confidence": "упевненість",
        "closest": "Найближча стаття",
        "summary": "Коротко",
        "notes": "Нотатки для операторів",
        "reply": "Запропонована відповідь",
        "others": "Ще може підійти",
        "nothing": "Відповідної статті в базі немає.",
        "no_card": "Картка оператора недоступна (потрібен ключ оператора ISTOK_OPERATOR_KEY).",
    },
    "en": {
        "title": "Istok handed this conversation to a person",
        "question": "The client asked",
        "confidence": "confidence",
        "closest": "Closest article",
        "summary": "Summary",
        "notes": "Operator notes",
        "reply": "Suggested reply",
        "others": "Also possible",
        "nothing": "No article in the knowledge base fits.",
        "no_card": "The operator card is unavailable (it needs an operator key, ISTOK_OPERATOR_KEY).",
    },
}


def _quote(text: str) -> str:
    """A markdown block quote, so a multi-line reply stays one visible block."""
    return "\n".join("> " + line if line.strip() else ">" for line in text.strip().splitlines())


def note(
    *,
    locale: str,
    question: str,
    confidence: float,
    card_json: str | None,
    reply: str | None,
    others: list[str],
) -> str:
    """The note's markdown: `card_json` is the operator card's body (format json), when it could be had;
    `reply` the chat reply to fall back on without it."""
    say = LABELS[language(locale)]
    # The client's words are quoted, not written into the note's own markdown.
    lines = [f"**{say['title']}** ({say['confidence']} {confidence:.2f})", "", f"{say['question']}:", _quote(question)]
    card: dict[str, Any] = json.loads(card_json) if card_json else {}
    if card:
        lines += ["", f"**{say['closest']}:** {card.get('title', '')} (`{card.get('locale')}/{card.get('key')}`)"]
        if card.get("url"):
            lines.append(str(card["url"]))
        if card.get("summary"):
            lines += ["", f"**{say['summary']}:** {card['summary']}"]
        internal = [str(block.get("text", "")).strip() for block in card.get("internal", [])]
        internal = [text for text in internal if text]
        if internal:
            lines += ["", f"**{say['notes']}:**"] + [_quote(text) for text in internal]
        reply = str(card.get("replies", {}).get("chat") or "") or reply
    elif reply:
        lines += ["", say["no_card"]]
    if reply:
        lines += ["", f"**{say['reply']}:**", _quote(reply)]
    elif not card:
        lines += ["", say["nothing"]]
    if others:
        lines += ["", f"**{say['others']}:** " + "; ".join(others)]
    return "\n".join(lines)
