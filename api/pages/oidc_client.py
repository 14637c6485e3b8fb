"""The relying-party half of OpenID Connect: the company's provider, its keys, and checked id tokens.

Authorization code flow with PKCE (S256), `state` against login CSRF and `nonce` against a
replayed id token. The provider is found by discovery (`/.well-known/openid-configuration`), its
signing keys from its `jwks_uri`; both are kept an hour, and the keys are fetched again once when a
token names a key id they lack (the provider rotated). An id token counts only when its signature
verifies with one of those keys under an algorithm the provider announces (never `none` nor a
shared-secret HMAC), its `iss` is the configured issuer, its `aud` holds our client id (and `azp`
names us when there are several), it has not expired and its `nonce` is the one this browser sent.

Settings (the README's table): ISTOK_OIDC_ISSUER, ISTOK_OIDC_CLIENT_ID, ISTOK_OIDC_CLIENT_SECRET;
ISTOK_OIDC_ROLES maps claim values to roles (`support-admins=admin,support-editors=editor`, `*` for
anyone the provider vouches for), read from the claim ISTOK_OIDC_ROLE_CLAIM (default `groups`, a
list or a single value); ISTOK_OIDC_CREATE_USERS=1 creates an account on a first sign-in.
"""

from __future__ import annotations

import base64
import functools
import json
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlparse

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

import kb

CACHE_SECONDS = 3600
LEEWAY_SECONDS = 60  # clock skew allowed between us and the provider
_ROLE_ORDER = ("admin", "editor", "operator", "bot")  # the first one matched wins
_ASYMMETRIC = {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}


class OidcFailed(kb.IstokError):
    """The provider's answer could not be trusted or used; the detail says which check failed."""

    status = 400
    slug = "oidc-failed"


@dataclass(frozen=True)
class OidcSettings:
    issuer: str
    client_id: str
    client_secret: str
    display_name: str
    scopes: str
    role_claim: str
    roles: dict[str, str] = field(default_factory=dict)
    username_claim: str = "preferred_username"
    create_users: bool = False

    def role_for(self, claims: dict[str, Any]) -> str | None:
        """The Istok role these claims map to (the highest matched), or None."""
        value = claims.get(self.role_claim)
        values = {str(v) for v in value} if isinstance(value, list) else {str(value)} if value else set()
        matched = {role for name, role in self.roles.items() if name in values or name == "*"}
        return next((role for role in _ROLE_ORDER if role in matched), None)


def _parse_roles(text: str) -> dict[str, str]:
    roles: dict[str, str] = {}
    for pair in filter(None, (p.strip() for p in text.split(","))):
        name, sep, role = pair.rpartition("=")
        if not sep or not name.strip():
            raise ValueError(f"ISTOK_OIDC_ROLES wants claim-value=role pairs, not {pair!r}")
        roles[name.strip()] = kb.parse_role(role.strip()).value
    return roles


@functools.cache
def oidc_settings() -> OidcSettings | None:
    """The provider this deployment signs people in with, or None when ISTOK_OIDC_ISSUER is unset."""
    env = os.environ.get
    issuer = env("ISTOK_OIDC_ISSUER", "").rstrip("/")
    if not issuer:
        return None
    client_id = env("ISTOK_OIDC_CLIENT_ID", "")
    if not client_id:
        raise ValueError("ISTOK_OIDC_ISSUER is set but ISTOK_OIDC_CLIENT_ID is not")
    return OidcSettings(
        issuer=issuer,
        client_id=client_id,
        client_secret=env("ISTOK_OIDC_CLIENT_SECRET", ""),
        display_name=env("ISTOK_OIDC_NAME", "") or (urlparse(issuer).hostname or issuer),
        scopes=env("ISTOK_OIDC_SCOPES", "openid profile email groups"),
        role_claim=env("ISTOK_OIDC_ROLE_CLAIM", "groups"),
        roles=_parse_roles(env("ISTOK_OIDC_ROLES", "")),
        username_claim=env("ISTOK_OIDC_USERNAME_CLAIM", "preferred_username"),
        create_users=env("ISTOK_OIDC_CREATE_USERS", "0") == "1",
    )


@dataclass(frozen=True)
class Pending:
    """What one browser's sign-in must come back with: kept in its signed cookie, never on the server."""

    state: str
    nonce: str
    verifier: str
    next: str


def new_pending(next_path: str) -> Pending:
    return Pending(state=generate_token(32), nonce=generate_token(32), verifier=generate_token(64), next=next_path)


class Provider:
    """The discovered provider, its keys (refreshed on an unknown key id), and the calls made to it."""

    def __init__(self, settings: OidcSettings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._meta: tuple[float, dict[str, Any]] | None = None
        self._keys: tuple[float, KeySet] | None = None

    def metadata(self) -> dict[str, Any]:
        with self._lock:
            if self._meta is None or self._meta[0] < time.monotonic():
                meta = _get_json(f"{self.settings.issuer}/.well-known/openid-configuration")
                if str(meta.get("issuer", "")).rstrip("/") != self.settings.issuer:
                    raise OidcFailed(f"the provider calls itself {meta.get('issuer')!r}, not {self.settings.issuer!r}")
                self._meta = (time.monotonic() + CACHE_SECONDS, meta)
            return self._meta[1]

    def authorization_url(self, pending: Pending, redirect_uri: str) -> str:
        params = {
            "response_type": "code",
            "client_id": self.settings.client_id,
            "redirect_uri": redirect_uri,
            "scope": self.settings.scopes,
            "state": pending.state,
            "nonce": pending.nonce,
            "code_challenge": create_s256_code_challenge(pending.verifier),
            "code_challenge_method": "S256",
        }
        return f"{self.metadata()['authorization_endpoint']}?{urlencode(params)}"

    def exchange(self, code: str, pending: Pending, redirect_uri: str) -> dict[str, Any]:
        """The verified claims of the id token the provider gives for this code."""
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": pending.verifier,  # PKCE: only the browser that started may finish
        }
        try:
            reply = httpx.post(
                self.metadata()["token_endpoint"],
                data=data,
                auth=(self.settings.client_id, self.settings.client_secret),
                timeout=10,
            )
        except httpx.HTTPError as exc:
            raise OidcFailed(f"the provider's token endpoint could not be reached: {exc}") from exc
        if reply.status_code != 200:
            raise OidcFailed(f"the provider refused the code ({reply.status_code}): {reply.text[:300]}")
        token = reply.json().get("id_token")
        if not isinstance(token, str):
            raise OidcFailed("the provider's answer has no id_token")
        return self.verify_id_token(token, nonce=pending.nonce)

    def verify_id_token(self, token: str, *, nonce: str) -> dict[str, Any]:
        meta = self.metadata()
        algorithms = [a for a in meta.get("id_token_signing_alg_values_supported", ["RS256"]) if a in _ASYMMETRIC]
        try:
            decoded = jwt.decode(token, self._key_set(token), algorithms=algorithms)
            registry = jwt.JWTClaimsRegistry(
                leeway=LEEWAY_SECONDS,
                iss={"essential": True, "value": self.settings.issuer},
                sub={"essential": True},
                exp={"essential": True},
                nonce={"essential": True, "value": nonce},
            )
            registry.validate(decoded.claims)
        except (JoseError, ValueError) as exc:
            raise OidcFailed(f"the id token was refused: {exc}") from exc
        claims = dict(decoded.claims)
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self.settings.client_id not in audiences:
            raise OidcFailed("the id token was issued to another client (aud)")
        if len(audiences) > 1 and claims.get("azp") != self.settings.client_id:
            raise OidcFailed("the id token names several audiences and not us as its azp")
        return claims

    def _key_set(self, token: str) -> KeySet:
        """The provider's keys; fetched again once if the token's key id is not among them."""
        kid = _header_kid(token)
        with self._lock:
            stale = self._keys is None or self._keys[0] < time.monotonic()
            if not stale and kid is not None and self._keys is not None:
                stale = all(k.kid != kid for k in self._keys[1].keys)
            if stale:
                jwks = _get_json(str(self._metadata_unlocked()["jwks_uri"]))
                self._keys = (time.monotonic() + CACHE_SECONDS, KeySet.import_key_set(jwks))  # type: ignore[arg-type]
            assert self._keys is not None
            return self._keys[1]

    def _metadata_unlocked(self) -> dict[str, Any]:
        assert self._meta is not None  # metadata() ran before any token reached us
        return self._meta[1]


def _header_kid(token: str) -> str | None:
    try:
        head = token.split(".", 1)[0]
        header = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    except (ValueError, IndexError):
        raise OidcFailed("the id token is not a JWT") from None
    kid = header.get("kid") if isinstance(header, dict) else None
    return kid if isinstance(kid, str) else None


def _get_json(url: str) -> dict[str, Any]:
    try:
        reply = httpx.get(url, timeout=10)
        reply.raise_for_status()
        body = reply.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise OidcFailed(f"the OpenID provider did not answer {url}: {exc}") from exc
    if not isinstance(body, dict):
        raise OidcFailed(f"{url} did not answer a JSON object")
    return body


@functools.cache
def provider() -> Provider | None:
    """This process's provider client (None: OpenID Connect is not configured)."""
    settings = oidc_settings()
    return Provider(settings) if settings else None
