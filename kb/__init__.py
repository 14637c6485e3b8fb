"""Istok's core: the versioned article store, content parsing, facts and the publication log.

Other packages import from here, never from the submodules.
"""

import importlib
from typing import TYPE_CHECKING, Any

from kb import tree
from kb.channels import (
    BLOCK_CHANNELS,
    CHANNEL_NAMES,
    CHANNELS,
    PUBLIC_BLOCK_CHANNELS,
    STAFF_BLOCK_CHANNELS,
    Audience,
    Channel,
    UnknownChannel,
    check_channel,
)
from kb.config import Settings, load_settings, secret_key
from kb.content import content_hash, normalise_source, parse_source, unknown_facts
from kb.db import (
    MIGRATION_LOCK,
    ensure_migrated,
    make_engine,
    read_session,
    upgrade,
    write_session,
)
from kb.errors import (
    ArticleNotFound,
    ContentError,
    ContentProblem,
    DatabaseNotMigrated,
    FactNotFound,
    InvalidChange,
    IstokError,
    NotFound,
    RevisionConflict,
    RevisionNotFound,
)
from kb.events import changes_since, last_seq
from kb.facts import FactValue, Money, fact_history, fact_values, get_fact, set_fact
from kb.frontmatter import FrontMatter, split_source
from kb.importer import ImportReport, export_folder, import_paths
from kb.models import Article, Fact, FactVersion, LogEntry, LogHead, Revision, SynonymSet
from kb.store import (
    SaveResult,
    counts_by_locale,
    diff,
    find_article,
    get_article,
    get_revision,
    history,
    list_articles,
    load_unit,
    load_unit_of,
    publish,
    publish_all,
    publish_many,
    published_at,
    rollback,
    save_draft,
    status_of,
    unpublish,
)
from kb.synonyms import create_set, delete_set, get_set, list_sets, replace_locale, update_set
from kb.tree import Unit
from kb.types import (
    LOCALES,
    ArticleKey,
    ArticleStatus,
    ChannelName,
    FactKey,
    FactType,
    Locale,
    LogKind,
)

__all__ = [
    "BLOCK_CHANNELS",
    "CHANNELS",
    "CHANNEL_NAMES",
    "LOCALES",
    "MIGRATION_LOCK",
    "PUBLIC_BLOCK_CHANNELS",
    "STAFF_BLOCK_CHANNELS",
    "Article",
    "ArticleKey",
    "ArticleNotFound",
    "ArticleStatus",
    "Audience",
    "Channel",
    "ChannelName",
    "ContentError",
    "ContentProblem",
    "DatabaseNotMigrated",
    "Fact",
    "FactKey",
    "FactNotFound",
    "FactType",
    "FactValue",
    "FactVersion",
    "FrontMatter",
    "ImportReport",
    "InvalidChange",
    "IstokError",
    "Locale",
    "LogEntry",
    "LogHead",
    "LogKind",
    "Money",
    "NotFound",
    "Revision",
    "RevisionConflict",
    "RevisionNotFound",
    "SaveResult",
    "Settings",
    "SynonymSet",
    "Unit",
    "UnknownChannel",
    "changes_since",
    "check_channel",
    "content_hash",
    "counts_by_locale",
    "create_set",
    "delete_set",
    "diff",
    "ensure_migrated",
    "export_folder",
    "fact_history",
    "fact_values",
    "find_article",
    "get_article",
    "get_fact",
    "get_revision",
    "history",
    "import_paths",
    "last_seq",
    "list_articles",
    "list_sets",
    "load_settings",
    "load_unit",
    "load_unit_of",
    "make_engine",
    "normalise_source",
    "parse_source",
    "publish",
    "publish_all",
    "publish_many",
    "published_at",
    "read_session",
    "replace_locale",
    "rollback",
    "save_draft",
    "secret_key",
    "set_fact",
    "split_source",
    "status_of",
    "tree",
    "unknown_facts",
    "unpublish",
    "update_set",
    "upgrade",
    "write_session",
]

# ---- keys and audit (the HTTP API's and the admin's) ----
from kb.audit import Actor
from kb.audit import entries as audit_entries
from kb.audit import record as audit_record
from kb.errors import Conflict
from kb.facts import delete_fact, find_fact, list_facts, validate_value
from kb.keys import (
    Role,
    create_key,
    find_active_key,
    hash_key,
    list_keys,
    needs_touch,
    parse_role,
    revoke_key,
    touch_key,
)
from kb.models import ApiKey, AuditEntry, ContentGap, UTCDateTime, utcnow

__all__ += [
    "Actor",
    "ApiKey",
    "AuditEntry",
    "Conflict",
    "ContentGap",
    "Role",
    "UTCDateTime",
    "audit_entries",
    "audit_record",
    "create_key",
    "delete_fact",
    "find_active_key",
    "find_fact",
    "get_set",
    "hash_key",
    "list_facts",
    "list_keys",
    "needs_touch",
    "parse_role",
    "revoke_key",
    "touch_key",
    "utcnow",
    "validate_value",
]

# ---- search and the answer engine (kb/search/, issue #5) ----
# Loaded on first use: the engine brings numpy, whoosh and the morphology dictionaries, which a
# command such as `istok articles list` never needs (PEP 562 module __getattr__).
_LAZY = {
    "THRESHOLDS": "kb.search",
    "Alternative": "kb.search",
    "Answer": "kb.search",
    "Answerer": "kb.search",
    "AnswerStatus": "kb.search",
    "InvalidQuery": "kb.search",
    "SearchHit": "kb.search",
    "SearchIndex": "kb.search",
    "SearchResults": "kb.search",
    "answer": "kb.search",
    "note_gap": "kb.search",
    "close_indexes": "kb.search",
    "forget_gaps": "kb.search",
    "dismiss_gap": "kb.search",
    "merge_gaps": "kb.search",
    "restore_gap": "kb.search",
    "GapGroup": "kb.search",
    "GapNotFound": "kb.search",
    "get_index": "kb.search",
    "hidden_units": "kb.search",
    "list_gaps": "kb.search",
    "refresh_index": "kb.search",
    "reindex": "kb.search",
    "search_articles": "kb.search",
    "clean_question": "kb.search.text",
    "evaluate": "kb.search.evaluation",
    "NothingToMeasure": "kb.search.evaluation",
    "REINDEX_POOL_FROM": "kb.search.loading:POOL_FROM",
    "semantic_wanted": "kb.search.semantic:wanted",
    "semantic_status": "kb.search.semantic:status",
    "SemanticStatus": "kb.search.semantic:Status",
    "limit_math_threads": "kb.search.serving",
    "settle_heap": "kb.search.serving",
}

if TYPE_CHECKING:
    from kb.search import (
        THRESHOLDS,
        Alternative,
        Answer,
        Answerer,
        AnswerStatus,
        GapGroup,
        GapNotFound,
        InvalidQuery,
        SearchHit,
        SearchIndex,
        SearchResults,
        answer,
        close_indexes,
        dismiss_gap,
        forget_gaps,
        get_index,
        hidden_units,
        list_gaps,
        merge_gaps,
        note_gap,
        refresh_index,
        reindex,
        restore_gap,
        search_articles,
    )
    from kb.search.evaluation import NothingToMeasure, evaluate
    from kb.search.loading import POOL_FROM as REINDEX_POOL_FROM
    from kb.search.semantic import Status as SemanticStatus
    from kb.search.semantic import status as semantic_status
    from kb.search.semantic import wanted as semantic_wanted
    from kb.search.serving import limit_math_threads, settle_heap
    from kb.search.text import clean_question


def __getattr__(name: str) -> Any:
    where = _LAZY.get(name)
    if where is None:
        raise AttributeError(f"module 'kb' has no attribute {name!r}")
    module_name, _, attribute = where.partition(":")
    value = getattr(importlib.import_module(module_name), attribute or name)
    globals()[name] = value
    return value


__all__ += [
    "REINDEX_POOL_FROM",
    "THRESHOLDS",
    "Alternative",
    "Answer",
    "AnswerStatus",
    "Answerer",
    "GapGroup",
    "GapNotFound",
    "InvalidQuery",
    "NothingToMeasure",
    "SearchHit",
    "SearchIndex",
    "SearchResults",
    "SemanticStatus",
    "answer",
    "clean_question",
    "close_indexes",
    "dismiss_gap",
    "evaluate",
    "forget_gaps",
    "get_index",
    "hidden_units",
    "limit_math_threads",
    "list_gaps",
    "merge_gaps",
    "note_gap",
    "refresh_index",
    "reindex",
    "restore_gap",
    "search_articles",
    "semantic_status",
    "semantic_wanted",
    "settle_heap",
]

# ---- people and readers' votes (the pages' accounts and "was this helpful?", issue #7) ----
from kb.models import HelpfulVote, User, UserSession  # noqa: E402
from kb.users import (  # noqa: E402
    authenticate,
    create_user,
    create_user_session,
    disable_user,
    end_user_session,
    end_user_sessions,
    find_user,
    get_user,
    list_users,
    session_user,
    set_password,
    set_user_locale,
)
from kb.votes import COMMENT_MAX as VOTE_COMMENT_MAX  # noqa: E402
from kb.votes import VoteComment, VoteReason, VoteTally, recent_comments, record_vote, tally  # noqa: E402

__all__ += [
    "VOTE_COMMENT_MAX",
    "HelpfulVote",
    "User",
    "UserSession",
    "VoteComment",
    "VoteReason",
    "VoteTally",
    "authenticate",
    "create_user",
    "create_user_session",
    "disable_user",
    "end_user_session",
    "end_user_sessions",
    "find_user",
    "get_user",
    "list_users",
    "recent_comments",
    "record_vote",
    "session_user",
    "set_password",
    "set_user_locale",
    "tally",
]

# ---- personal data in client words (issue #12) ----
from kb.db import checkpoint_after_commit  # noqa: E402
from kb.pii import mask_personal  # noqa: E402

__all__ += ["checkpoint_after_commit", "mask_personal"]

# ---- work that happens later, and events that leave (issue #13) ----
from kb.jobs import KINDS as JOB_KINDS  # noqa: E402
from kb.jobs import JobKind, JobsHealth, JobState  # noqa: E402
from kb.jobs import Runner as JobRunner  # noqa: E402
from kb.jobs import enqueue as enqueue_job  # noqa: E402
from kb.jobs import handler as job_handler  # noqa: E402
from kb.jobs import health as jobs_health  # noqa: E402
from kb.jobs import register as register_job  # noqa: E402
from kb.jobs import run_due as run_due_jobs  # noqa: E402
from kb.models import Job, OutboxEvent  # noqa: E402
from kb.outbox import events_after  # noqa: E402

__all__ += [
    "JOB_KINDS",
    "Job",
    "JobKind",
    "JobRunner",
    "JobState",
    "JobsHealth",
    "OutboxEvent",
    "enqueue_job",
    "events_after",
    "job_handler",
    "jobs_health",
    "register_job",
    "run_due_jobs",
]

# ---- the editors' article list, paged in SQL (issue #13) ----
from kb.listing import ArticlePage, ArticleRow, article_categories, article_page, translations_of  # noqa: E402

__all__ += ["ArticlePage", "ArticleRow", "article_categories", "article_page", "translations_of"]

# ---- announcements: what every channel gives first while it lasts (kb/announcements.py) ----
from kb.announcements import Announcement, announced, live_announcements  # noqa: E402
from kb.announcements import choose as choose_announcements  # noqa: E402

__all__ += ["Announcement", "announced", "choose_announcements", "live_announcements"]

# ---- outbound webhooks (issue #13) ----
from kb.audit import record_action  # noqa: E402
from kb.models import WebhookDelivery, WebhookSubscription  # noqa: E402
from kb.webhooks import ALL_EVENTS as WEBHOOK_ALL_EVENTS  # noqa: E402
from kb.webhooks import EVENT_TYPES as WEBHOOK_EVENT_TYPES  # noqa: E402
from kb.webhooks import (  # noqa: E402
    DeliveryNotFound,
    DeliveryState,
    SubscriptionState,
    UnsafeDestination,
    WebhookNotFound,
    create_subscription,
    delete_subscription,
    get_delivery,
    get_subscription,
    list_deliveries,
    list_subscriptions,
    pause_subscription,
    replay_delivery,
    resume_subscription,
    update_subscription,
)
from kb.webhooks import forget_contacts as forget_webhook_contacts  # noqa: E402

__all__ += [
    "WEBHOOK_ALL_EVENTS",
    "WEBHOOK_EVENT_TYPES",
    "DeliveryNotFound",
    "DeliveryState",
    "SubscriptionState",
    "UnsafeDestination",
    "WebhookDelivery",
    "WebhookNotFound",
    "WebhookSubscription",
    "create_subscription",
    "delete_subscription",
    "forget_webhook_contacts",
    "get_delivery",
    "get_subscription",
    "list_deliveries",
    "list_subscriptions",
    "pause_subscription",
    "record_action",
    "replay_delivery",
    "resume_subscription",
    "update_subscription",
]

# ---- scheduled publishing and unpublishing (issue #16) ----
from kb.models import Schedule  # noqa: E402
from kb.schedules import (  # noqa: E402
    ScheduleAction,
    ScheduleNotFound,
    ScheduleState,
    cancel_schedule,
    editor_zone,
    get_schedule,
    list_schedules,
    local_time,
    run_schedule,
    schedule_publish,
    schedule_unpublish,
)

__all__ += [
    "Schedule",
    "ScheduleAction",
    "ScheduleNotFound",
    "ScheduleState",
    "cancel_schedule",
    "editor_zone",
    "get_schedule",
    "list_schedules",
    "local_time",
    "run_schedule",
    "schedule_publish",
    "schedule_unpublish",
]

# ---- backups and the erasure journal (issue #17) ----
from kb.backup import BackupError, RestoreReport, create_backup, restore_backup  # noqa: E402
from kb.backup import Manifest as BackupManifest  # noqa: E402
from kb.backup import read_manifest as read_backup_manifest  # noqa: E402
from kb.erasure_journal import (  # noqa: E402
    ErasedContact,
    Erasure,
    ErasureJournalError,
    identity_digest,
    read_erasures,
    record_erasure,
)
from kb.erasure_journal import journal_path as erasure_journal_path  # noqa: E402
from kb.erasure_journal import key_id as erasure_key_id  # noqa: E402

__all__ += [
    "BackupError",
    "BackupManifest",
    "ErasedContact",
    "Erasure",
    "ErasureJournalError",
    "RestoreReport",
    "create_backup",
    "erasure_journal_path",
    "erasure_key_id",
    "identity_digest",
    "read_backup_manifest",
    "read_erasures",
    "record_erasure",
    "restore_backup",
]

from kb.translations import (  # noqa: E402
    Translation,
    TranslationState,
    default_locale,
    required_locale,
)
from kb.translations import report as translation_report  # noqa: E402
from kb.translations import translations as translation_states  # noqa: E402

__all__ += [
    "Translation",
    "TranslationState",
    "default_locale",
    "required_locale",
    "translation_report",
    "translation_states",
]

# ---- review and approval per workflow (issue #16) ----
from kb.models import ReviewStep  # noqa: E402
from kb.workflows import COMMENT_MAX as REVIEW_COMMENT_MAX  # noqa: E402
from kb.workflows import (  # noqa: E402
    NotAllowed,
    Review,
    ReviewRequired,
    ReviewState,
    StepKind,
    Workflow,
    add_comment,
    approve,
    pending_reviews,
    request_changes,
    review_of,
    rollback_needs_emergency,
    submit_review,
    workflow_for,
)
from kb.workflows import workflows as review_workflows  # noqa: E402

__all__ += [
    "REVIEW_COMMENT_MAX",
    "NotAllowed",
    "Review",
    "ReviewRequired",
    "ReviewState",
    "ReviewStep",
    "StepKind",
    "Workflow",
    "add_comment",
    "approve",
    "pending_reviews",
    "request_changes",
    "review_of",
    "review_workflows",
    "rollback_needs_emergency",
    "submit_review",
    "workflow_for",
]

# ---- article verification: rules, the owners' queue, one-click "still true" (issue #16) ----
from kb.models import ArticleVerification  # noqa: E402
from kb.verification_rules import DueArticle, DueReason, VerificationRules, last_verification  # noqa: E402
from kb.verification_rules import Reason as DueReasonDetail  # noqa: E402
from kb.verification_rules import due as due_for_verification  # noqa: E402
from kb.verification_rules import load_rules as verification_rules  # noqa: E402
from kb.verification_rules import verify as verify_article  # noqa: E402

__all__ += [
    "ArticleVerification",
    "DueArticle",
    "DueReason",
    "DueReasonDetail",
    "VerificationRules",
    "due_for_verification",
    "last_verification",
    "verification_rules",
    "verify_article",
]

# ---- publishes seen by every process at once: LISTEN/NOTIFY (issue #17) ----
from kb.notify import Listener, ListenerState  # noqa: E402

__all__ += ["Listener", "ListenerState"]

# ---- images in articles, kept by content hash (issue #16, images) ----
from kb.assets import (  # noqa: E402
    MAX_BYTES as MAX_IMAGE_BYTES,
)
from kb.assets import (  # noqa: E402
    AssetNotFound,
    ImageTooLarge,
    StoredImage,
    UnsupportedImage,
    asset_sizes,
    get_asset,
    store_image,
)
from kb.content import image_problems  # noqa: E402
from kb.models import Asset  # noqa: E402

__all__ += [
    "MAX_IMAGE_BYTES",
    "Asset",
    "AssetNotFound",
    "ImageTooLarge",
    "StoredImage",
    "UnsupportedImage",
    "asset_sizes",
    "get_asset",
    "image_problems",
    "store_image",
]

# ---- staff sign-in: OpenID Connect identities, a second factor, rights per category and locale (issue #16) ----
from kb.identities import (  # noqa: E402
    Claims,
    SignInRefused,
    has_password,
    link_identity,
    sign_in_with_identity,
)
from kb.keys import key_rights  # noqa: E402
from kb.models import RecoveryCode, UserIdentity  # noqa: E402
from kb.rights import EVERYTHING as ALL_RIGHTS  # noqa: E402
from kb.rights import OutsideRights, Rights, make_rights  # noqa: E402
from kb.second_factor import (  # noqa: E402
    confirm_enrolment,
    has_second_factor,
    otpauth_uri,
    recovery_codes_left,
    remove_second_factor,
    start_enrolment,
    verify_second_factor,
)
from kb.users import check_password, record_login, rights_of, set_rights  # noqa: E402

__all__ += [
    "ALL_RIGHTS",
    "Claims",
    "OutsideRights",
    "RecoveryCode",
    "Rights",
    "SignInRefused",
    "UserIdentity",
    "check_password",
    "confirm_enrolment",
    "has_password",
    "has_second_factor",
    "key_rights",
    "link_identity",
    "make_rights",
    "otpauth_uri",
    "record_login",
    "recovery_codes_left",
    "remove_second_factor",
    "rights_of",
    "set_rights",
    "sign_in_with_identity",
    "start_enrolment",
    "verify_second_factor",
]

# ---- fact changes under review: the `facts` workflow (issue #16) ----
from kb.fact_reviews import (  # noqa: E402
    FactChange,
    FactReview,
    ProposalNotFound,
    ProposalState,
    apply_proposal,
    approve_proposal,
    change_fact,
    comment_proposal,
    fact_proposals,
    facts_workflow,
    remove_fact,
    request_fact_changes,
    review_of_proposal,
)
from kb.models import FactProposal, FactReviewStep  # noqa: E402

__all__ += [
    "FactChange",
    "FactProposal",
    "FactReview",
    "FactReviewStep",
    "ProposalNotFound",
    "ProposalState",
    "apply_proposal",
    "approve_proposal",
    "change_fact",
    "comment_proposal",
    "fact_proposals",
    "facts_workflow",
    "remove_fact",
    "request_fact_changes",
    "review_of_proposal",
]
