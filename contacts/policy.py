"""Contact policy: may we reach this client now, for this purpose? Rules in `content/policy.yaml`.

Every reason that forbids the action is given, not just the first, so a planner can see
at once whether waiting (quiet hours, an open case) or asking (consent) would help.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session

from contacts.context import open_topics
from contacts.models import Contact
from contacts.rules import PolicyRules
from kb import InvalidChange, utcnow


@dataclass(frozen=True)
class Decision:
    action: str
    allowed: bool
    reasons: list[str]
    at: dt.datetime


def decide(
    *, session: Session, contact: Contact, action: str, rules: PolicyRules, at: dt.datetime | None = None
) -> Decision:
    """Allowed, or not with every reason: an open support case, an opt-out or no opt-in, quiet hours."""
    rule = rules.actions.get(action)
    if rule is None:
        raise InvalidChange(f"unknown action {action!r} (actions: {', '.join(sorted(rules.actions))})")
    when = at or utcnow()
    if when.tzinfo is None:
        raise InvalidChange("give the time with its offset, e.g. 2026-11-23T12:00:00+00:00")
    reasons: list[str] = []
    if rule.blocked_by_open_case:
        topics = open_topics(session=session, contact_id=contact.id or 0)
        if topics:
            reasons.append(f"an open support case ({', '.join(dict.fromkeys(topics))}): resolve it first")
    given = contact.consent.get(rule.consent_key or action)
    if rule.consent == "opt_out" and given is False:
        reasons.append(f"the client opted out of {rule.consent_key}")
    if rule.consent == "opt_in" and given is not True:
        reasons.append(f"no consent to {rule.consent_key}" + (" (the client said no)" if given is False else ""))
    if rule.quiet_hours and _quiet(rules, when):
        start, end = rules.quiet_start.strftime("%H:%M"), rules.quiet_end.strftime("%H:%M")
        reasons.append(f"quiet hours ({start}-{end} {rules.timezone.key})")
    return Decision(action=action, allowed=not reasons, reasons=reasons, at=when)


def _quiet(rules: PolicyRules, when: dt.datetime) -> bool:
    local = when.astimezone(rules.timezone).time()
    start, end = rules.quiet_start, rules.quiet_end
    if start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end  # over midnight
