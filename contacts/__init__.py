"""Contact context: one client across channels, their timeline, cases, personalisation and policy.

Imports `kb` only (DESIGN.md section 2); `api` exposes it. Other packages import from
here, never from the submodules.
"""

from contacts.context import (
    ContactContext,
    OpenCase,
    Served,
    Suggestion,
    build_context,
    frequent_topics,
    open_topics,
)
from contacts.directory import (
    VERIFICATIONS,
    add_identity,
    create_contact,
    ensure_contact,
    find_by_identity,
    get_contact,
    identities_of,
    lookup,
    update_contact,
)
from contacts.errors import (
    AlreadyRecorded,
    CaseNotFound,
    ContactGone,
    ContactNotFound,
    IdentityTaken,
    InvalidIdentity,
    MergeConflict,
    MergeNotFound,
)
from contacts.identities import Address, IdentityChannel, normalise, normalise_email, normalise_phone, parse_identity
from contacts.merging import merge_contacts, merges_of, undo_merge
from contacts.models import Case, CaseStatus, Contact, Identity, Interaction, Merge, Outcome
from contacts.personalisation import MenuChoice, answer_segment, intro, order_menu
from contacts.policy import Decision, decide
from contacts.privacy import anonymise_older_than, audit_access, erase_contact, export_contact, reapply_erasures
from contacts.routing import RouteSuggestion, detect_locale, suggest_route
from contacts.rules import MenuRules, PolicyRules, RoutingRules, menu_rules, policy_rules, routing_rules
from contacts.settings import default_region, retention
from contacts.timeline import (
    ArticleRef,
    cases_of,
    get_case,
    last_interaction,
    open_case_for,
    open_cases,
    record_interaction,
    resolve_case,
)
from contacts.verification import SENDER_AUTHENTICATED, PinLocked, WrongPin, check_pin, set_pin

__all__ = [
    "SENDER_AUTHENTICATED",
    "VERIFICATIONS",
    "Address",
    "AlreadyRecorded",
    "ArticleRef",
    "Case",
    "CaseNotFound",
    "CaseStatus",
    "Contact",
    "ContactContext",
    "ContactGone",
    "ContactNotFound",
    "Decision",
    "Identity",
    "IdentityChannel",
    "IdentityTaken",
    "Interaction",
    "InvalidIdentity",
    "MenuChoice",
    "MenuRules",
    "Merge",
    "MergeConflict",
    "MergeNotFound",
    "OpenCase",
    "Outcome",
    "PinLocked",
    "PolicyRules",
    "RouteSuggestion",
    "RoutingRules",
    "Served",
    "Suggestion",
    "WrongPin",
    "add_identity",
    "anonymise_older_than",
    "answer_segment",
    "audit_access",
    "build_context",
    "cases_of",
    "check_pin",
    "create_contact",
    "decide",
    "default_region",
    "detect_locale",
    "ensure_contact",
    "erase_contact",
    "export_contact",
    "find_by_identity",
    "frequent_topics",
    "get_case",
    "get_contact",
    "identities_of",
    "intro",
    "last_interaction",
    "lookup",
    "menu_rules",
    "merge_contacts",
    "merges_of",
    "normalise",
    "normalise_email",
    "normalise_phone",
    "open_case_for",
    "open_cases",
    "open_topics",
    "order_menu",
    "parse_identity",
    "policy_rules",
    "reapply_erasures",
    "record_interaction",
    "resolve_case",
    "retention",
    "routing_rules",
    "set_pin",
    "suggest_route",
    "undo_merge",
    "update_contact",
]
