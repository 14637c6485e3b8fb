"""The WhatsApp adapter's settings, all from its environment; a missing or malformed one is named.

The template languages map the locale Istok served (ru, uk, en) to the language code the template
was approved in (`ru`, `uk`, `en_US`, …: https://developers.facebook.com/docs/whatsapp/business-management-api/message-templates/supported-languages).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from adapters import settings

TEMPLATE_LANGUAGES = "ru:ru,uk:uk,en:en_US"


@dataclass(frozen=True)
class WhatsAppSettings:
    access_token: str
    app_secret: str  # keys X-Hub-Signature-256
    verify_token: str  # what Meta's subscription check must carry
    phone_number_id: str | None  # only this business number's messages; None: each webhook's own
    api_url: str
    api_version: str
    template: str  # sent outside the customer-service window
    template_languages: dict[str, str]  # ru / uk / en → the template's language code
    listen: str
    port: int
    retries: int
    backoff: float  # seconds before the first repeat of a rate-limited send; doubled each time
    istok: settings.IstokSettings

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> WhatsAppSettings:
        env = os.environ if env is None else env
        version = env.get("WHATSAPP_API_VERSION", "").strip() or "v21.0"
        if not re.fullmatch(r"v\d+\.\d+", version):
            raise settings.SettingsError(f"WHATSAPP_API_VERSION must look like v21.0, not {version!r}")
        raw_backoff = env.get("WHATSAPP_BACKOFF", "").strip() or "1"
        try:
            backoff = float(raw_backoff)
        except ValueError:
            raise settings.SettingsError(f"WHATSAPP_BACKOFF must be a number of seconds, not {raw_backoff!r}") from None
        return cls(
            access_token=settings.required(env, "WHATSAPP_ACCESS_TOKEN", "a system user's access token for the app"),
            app_secret=settings.required(env, "WHATSAPP_APP_SECRET", "the app secret Meta signs webhooks with"),
            verify_token=settings.required(env, "WHATSAPP_VERIFY_TOKEN", "the verify token set for the callback URL"),
            phone_number_id=env.get("WHATSAPP_PHONE_NUMBER_ID", "").strip() or None,
            api_url=(env.get("WHATSAPP_API_URL", "").strip() or "https://graph.facebook.com").rstrip("/"),
            api_version=version,
            template=settings.required(
                env, "WHATSAPP_TEMPLATE", "an approved template sent outside the 24-hour customer-service window"
            ),
            template_languages=_languages(env.get("WHATSAPP_TEMPLATE_LANGUAGES", "").strip() or TEMPLATE_LANGUAGES),
            listen=env.get("WHATSAPP_LISTEN", "").strip() or "127.0.0.1",
            port=settings.number(env, "WHATSAPP_PORT", 8444),
            retries=settings.number(env, "WHATSAPP_RETRIES", 5),
            backoff=backoff,
            istok=settings.istok(env),
        )


def _languages(raw: str) -> dict[str, str]:
    pairs = [p.split(":", 1) for p in raw.split(",") if p.strip()]
    if not pairs or any(len(p) != 2 or not p[0].strip() or not p[1].strip() for p in pairs):
        raise settings.SettingsError(f"WHATSAPP_TEMPLATE_LANGUAGES must look like {TEMPLATE_LANGUAGES}, not {raw!r}")
    return {k.strip(): v.strip() for k, v in pairs}
