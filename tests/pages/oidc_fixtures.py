"""Istok signing people in through the test OpenID provider (tests/fakes/oidc), for the sign-in tests."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import kb
from api.pages.oidc_client import OidcSettings
from tests.api.conftest import start_server
from tests.fakes.oidc import CLIENT_ID, CLIENT_SECRET, ROLES, running_provider


@dataclass
class World:
    """Istok (its own server and SQLite file, with a password account "olga") and the provider."""

    base: str
    issuer: str
    db_url: str

    @property
    def callback(self) -> str:
        return f"{self.base}/login/oidc/callback"

    def settings(self, client_id: str = CLIENT_ID) -> OidcSettings:
        return OidcSettings(
            issuer=self.issuer,
            client_id=client_id,
            client_secret=CLIENT_SECRET,
            display_name="Test IdP",
            scopes="openid profile email groups",
            role_claim="groups",
        )


@contextlib.contextmanager
def istok_with_provider(data_dir: Path, sqlite_template: Path) -> Iterator[World]:
    """The provider, and an Istok server signing people in with it (creating accounts on first use)."""
    shutil.copy(sqlite_template, data_dir / "istok.db")
    db_url = f"sqlite:///{data_dir / 'istok.db'}"
    engine = kb.make_engine(db_url)
    with kb.write_session(engine) as session:
        kb.create_user(session=session, username="olga", password="olga-password-1", role="operator", actor="test")
    engine.dispose()
    with running_provider(data_dir) as idp:
        proc, base = start_server(
            db_url,
            data_dir,
            ISTOK_SEMANTIC="0",
            ISTOK_SECRET_KEY="test-secret-key-for-oidc",
            ISTOK_OIDC_ISSUER=idp.issuer,
            ISTOK_OIDC_CLIENT_ID=CLIENT_ID,
            ISTOK_OIDC_CLIENT_SECRET=CLIENT_SECRET,
            ISTOK_OIDC_NAME="Sfera SSO",
            ISTOK_OIDC_ROLES=ROLES,
            ISTOK_OIDC_CREATE_USERS="1",
        )
        try:
            idp.ready(f"{base}/login/oidc/callback")
            yield World(base=base, issuer=idp.issuer, db_url=db_url)
        finally:
            proc.terminate()
            proc.wait(timeout=15)
