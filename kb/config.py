"""Settings read from the environment (DESIGN.md section 7a)."""

from __future__ import annotations

import contextlib
import functools
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from kb.errors import IstokError

#: Host names a request may name when ISTOK_ALLOWED_HOSTS is unset: this machine's own.
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
#: Listening addresses that stand for "every interface", so they name no host.
_ANY_ADDRESS = frozenset({"", "0.0.0.0", "::", "*"})


@dataclass(frozen=True)
class Settings:
    database_url: str
    data_dir: Path
    host: str
    port: int
    allowed_hosts: tuple[str, ...] = LOCAL_HOSTS  # `*.example.com` patterns, `*` for any
    metrics_token: str = ""  # "" leaves /metrics open
    index_poll: float = 1.0  # seconds between a reader's looks at the log (the fallback to LISTEN/NOTIFY)
    listen: bool = True  # LISTEN for publishes on PostgreSQL (kb/notify.py); off polls only


def load_settings() -> Settings:
    """Read settings now, so tests and subprocesses can set the environment first."""
    data_dir = Path(os.environ.get("ISTOK_DATA_DIR", "var")).resolve()
    default_db = f"sqlite:///{data_dir / 'istok.db'}"
    host = os.environ.get("ISTOK_HOST", "127.0.0.1")
    return Settings(
        database_url=os.environ.get("ISTOK_DATABASE_URL", default_db),
        data_dir=data_dir,
        host=host,
        port=int(os.environ.get("ISTOK_PORT", "8000")),
        allowed_hosts=_allowed_hosts(host),
        metrics_token=os.environ.get("ISTOK_METRICS_TOKEN", "").strip(),
        index_poll=float(os.environ.get("ISTOK_INDEX_POLL", "1")),
        listen=os.environ.get("ISTOK_LISTEN", "1").strip() != "0",
    )


def _allowed_hosts(listen: str) -> tuple[str, ...]:
    """ISTOK_ALLOWED_HOSTS, else the local names plus the public URL's host and a concrete ISTOK_HOST.

    A forged `Host` must not reach canonical links and the sitemap, which a CDN caches.
    """
    given = [h.strip().lower() for h in os.environ.get("ISTOK_ALLOWED_HOSTS", "").split(",") if h.strip()]
    if given:
        return tuple(given)
    public = urlsplit(os.environ.get("ISTOK_PUBLIC_URL", "").strip()).hostname or ""
    listen = listen.strip().strip("[]").lower()
    own = [h for h in (public.lower(), listen) if h not in _ANY_ADDRESS]
    return tuple(dict.fromkeys((*LOCAL_HOSTS, *own)))


class SecretKeyUnavailable(IstokError):
    """No ISTOK_SECRET_KEY and no `secret-key` file, which the data folder cannot take (read-only, not ours).

    A 503 naming the fix rather than a 500, and no key of the process's own: sessions would not
    survive a restart or cross workers, and erasures hashed with it could not be recognised again.
    The server checks for it at start (api/app.py): every answer's links go through the page
    settings, which sign with it.
    """

    status = 503
    slug = "secret-key-unavailable"


def secret_key() -> str:
    """ISTOK_SECRET_KEY, else the data folder's `secret-key`, made once (the pages sign with it, erasures hash with it).

    Every replica must be given the same ISTOK_SECRET_KEY; the file is for one host's own use.
    """
    given = os.environ.get("ISTOK_SECRET_KEY", "").strip()
    if given:
        return given
    return _key_file(load_settings().data_dir / "secret-key")


@functools.lru_cache(maxsize=8)
def _key_file(path: Path) -> str:
    if not path.exists():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(FileExistsError):  # another process made it first: read theirs
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w") as out:
                    out.write(secrets.token_urlsafe(48))
        except OSError as exc:
            raise SecretKeyUnavailable(
                f"ISTOK_SECRET_KEY is not set and {path} cannot be made ({exc.strerror}): set ISTOK_SECRET_KEY"
            ) from exc
    return path.read_text(encoding="utf-8").strip()
