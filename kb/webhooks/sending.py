"""One delivery attempt on the wire: the destination checked, the body signed, one POST.

Destinations are checked on creation and again at every attempt (a name may resolve
elsewhere tomorrow): only http(s), and every address the host resolves to must be a public
one — no loopback, private, link-local, multicast, reserved or unspecified address — unless
ISTOK_WEBHOOKS_ALLOW_PRIVATE=1. The request then goes to the very address that was checked
(the `Host` header and TLS server name keep the URL's host), so a name that answers
differently a second time cannot slip a private address in between. Redirects are not
followed: a 3xx is a failed attempt.

Signing is Standard Webhooks' (https://www.standardwebhooks.com, "Signature scheme"), done by
its reference library: `webhook-id` names the message and stays the same across attempts;
`webhook-timestamp` and `webhook-signature` are made afresh for each attempt.
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import os
import secrets
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from standardwebhooks import Webhook

from kb.errors import InvalidChange

USER_AGENT = "Istok-Webhooks/1"


class UnsafeDestination(InvalidChange):
    """A webhook URL Istok will not send to (scheme, unresolvable host, a private address)."""

    slug = "unsafe-webhook-destination"


def allow_private() -> bool:
    """ISTOK_WEBHOOKS_ALLOW_PRIVATE=1: send to private and loopback addresses too (tests, one LAN)."""
    return os.environ.get("ISTOK_WEBHOOKS_ALLOW_PRIVATE", "").strip().lower() in {"1", "true", "yes", "on"}


def timeout() -> float:
    """Seconds an attempt may take in all (ISTOK_WEBHOOKS_TIMEOUT, default 10)."""
    return float(os.environ.get("ISTOK_WEBHOOKS_TIMEOUT", "10"))


def new_secret() -> str:
    """A signing secret in the Standard Webhooks form: `whsec_` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def check_url(url: str) -> None:
    """Refuse a URL that is not plain http(s) to a host (no credentials in it)."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"}:
        raise UnsafeDestination(f"a webhook URL must be http or https, not {parts.scheme or 'none'!r}")
    if not parts.hostname:
        raise UnsafeDestination("a webhook URL must name a host")
    if parts.username is not None or parts.password is not None:
        raise UnsafeDestination("a webhook URL may not carry a user name or password")
    try:
        parts.port  # noqa: B018 - raises for a port out of range
    except ValueError as exc:
        raise UnsafeDestination(f"the webhook URL's port is invalid: {exc}") from None


def resolve(url: str) -> list[str]:
    """The addresses the URL's host resolves to, each checked; UnsafeDestination if any is refused."""
    check_url(url)
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise UnsafeDestination(f"the webhook host {host!r} does not resolve: {exc}") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
    if not allow_private():
        for address in addresses:
            why = _refused(ipaddress.ip_address(address.split("%")[0]))
            if why:
                raise UnsafeDestination(
                    f"the webhook host {host!r} resolves to {address}, a {why} address; "
                    "set ISTOK_WEBHOOKS_ALLOW_PRIVATE=1 to allow such destinations"
                )
    if not addresses:
        raise UnsafeDestination(f"the webhook host {host!r} has no address")
    return addresses


def _refused(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for why, flag in (
        ("loopback", ip.is_loopback),
        ("private", ip.is_private),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("reserved", ip.is_reserved),
        ("unspecified", ip.is_unspecified),
        ("non-global", not ip.is_global),
    ):
        if flag:
            return why
    return None


@dataclass(frozen=True)
class Outcome:
    """What one attempt got: the HTTP status if an answer came, else the error."""

    status: int | None
    error: str | None

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def send(url: str, *, secret: str, msg_id: str, body: str, now: dt.datetime | None = None) -> Outcome:
    """POST `body` signed for this attempt to the checked address of `url`; never raises for the far side."""
    try:
        addresses = resolve(url)
    except UnsafeDestination as exc:
        return Outcome(None, exc.detail)
    stamp = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(stamp.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, stamp, body),
    }
    parts = urlsplit(url)
    headers["host"] = parts.netloc
    address = addresses[0]
    literal = f"[{address}]" if ":" in address else address
    netloc = f"{literal}:{parts.port}" if parts.port else literal
    pinned = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    extensions = {"sni_hostname": parts.hostname} if parts.scheme == "https" else {}
    import httpx  # here, not at the top: every `istok` command imports kb, few of them send webhooks

    try:
        with httpx.Client(timeout=timeout(), follow_redirects=False, trust_env=False) as client:
            response = client.post(pinned, content=body.encode("utf-8"), headers=headers, extensions=extensions)
    except httpx.HTTPError as exc:
        return Outcome(None, f"{type(exc).__name__}: {exc}"[:500] or type(exc).__name__)
    if 200 <= response.status_code < 300:
        return Outcome(response.status_code, None)
    return Outcome(response.status_code, f"HTTP {response.status_code}: {response.text[:200]}")
