"""Settings of contact context, read from the environment when asked (tests set it first)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import phonenumbers

from kb import InvalidChange

ROOT = Path(__file__).resolve().parent.parent


def default_region() -> str:
    """ISTOK_DEFAULT_REGION (default LV): the country of phone numbers given without `+`."""
    region = os.environ.get("ISTOK_DEFAULT_REGION", "LV").strip().upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise InvalidChange(f"ISTOK_DEFAULT_REGION={region!r} is not a two-letter region phonenumbers knows")
    return region


def retention() -> dt.timedelta:
    """ISTOK_CONTACTS_RETENTION_DAYS (default 730): interactions older than this are anonymised."""
    raw = os.environ.get("ISTOK_CONTACTS_RETENTION_DAYS", "730")
    try:
        days = int(raw)
    except ValueError:
        raise InvalidChange(f"ISTOK_CONTACTS_RETENTION_DAYS={raw!r} is not a whole number of days") from None
    if days < 1:
        raise InvalidChange("ISTOK_CONTACTS_RETENTION_DAYS must be at least 1")
    return dt.timedelta(days=days)


def rules_dir() -> Path:
    """ISTOK_CONTACTS_RULES (default `content/`): where ivr-menu.yaml, routing.yaml and policy.yaml live."""
    return Path(os.environ.get("ISTOK_CONTACTS_RULES", str(ROOT / "content"))).resolve()
