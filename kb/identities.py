"""People who sign in through the company's OpenID provider: which Istok account an identity opens.

An identity is the provider's issuer and `sub`, never an e-mail address or a user name, which
the provider may let people change or reuse. A first sign-in with an identity nobody is linked
to is refused unless the deployment says to create accounts (the explicit rule of
ISTOK_OIDC_CREATE_USERS); even then a name already taken by another account is refused rather
than joined, since a matching name proves nothing about who holds that account. An admin links an
existing account with `istok users link`.

The provider is the truth about the role: it is mapped from the id token's claims at every sign-in
(by the caller), and a person the mapping gives no role is refused, so taking someone out of the
group at the provider ends their way in here.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from kb.audit import Actor, record_action
from kb.errors import Conflict, IstokError, NotFound
from kb.keys import parse_role
from kb.models import User, UserIdentity
from kb.users import USERNAME_RE, find_user, record_login

NO_PASSWORD = "!"  # the password hash of an account that signs in only through its provider


class SignInRefused(IstokError):
    """The provider said who this is, and Istok will not let them in; the detail says why."""

    status = 403
    slug = "sign-in-refused"


@dataclass(frozen=True)
class Claims:
    """What the caller read from a verified id token, already mapped to an Istok role (None: no role)."""

    issuer: str
    subject: str
    username: str
    display_name: str
    role: str | None


def has_password(user: User) -> bool:
    return user.password_hash != NO_PASSWORD


def sign_in_with_identity(*, session: Session, claims: Claims, create: bool, client: str | None) -> User:
    """The account these verified claims open, its role brought in line with the provider's; audited
    `user.login` (method `oidc`). Raises SignInRefused for no role, a disabled account, or nobody linked."""
    user = _linked_user(session, claims.issuer, claims.subject)
    if claims.role is None:
        raise SignInRefused(f"your account at the provider ({claims.username or claims.subject}) has no Istok role")
    if user is None:
        if not create:
            raise SignInRefused(
                f"no Istok account is linked to {claims.username or claims.subject} at the provider; "
                "ask an admin to link one (`istok users link`)"
            )
        user = _create_from_claims(session, claims)
    if user.disabled_at is not None:
        raise SignInRefused(f"the account {user.username} is disabled")
    role = parse_role(claims.role).value
    detail = {"method": "oidc"} | ({"role_from": user.role} if user.role != role else {})
    user.role = role
    record_login(session=session, user=user, client=client, detail=detail)
    return user


def link_identity(*, session: Session, username: str, issuer: str, subject: str, actor: Actor | str) -> User:
    """Let the provider's account (issuer, sub) open this Istok account; audited as `user.link`."""
    user = find_user(session=session, username=username)
    if user is None:
        raise NotFound(f"no user {username!r}")
    taken = _linked_user(session, issuer, subject)
    if taken is not None:
        raise Conflict(f"that provider account already opens {taken.username}")
    session.add(UserIdentity(user_id=user.id or 0, issuer=issuer, subject=subject))
    session.flush()
    record_action(session, actor, action="user.link", target=user.username, issuer=issuer, subject=subject)
    return user


def _linked_user(session: Session, issuer: str, subject: str) -> User | None:
    stmt = select(User).join(UserIdentity).where(UserIdentity.issuer == issuer, UserIdentity.subject == subject)
    return session.exec(stmt).first()


def _create_from_claims(session: Session, claims: Claims) -> User:
    name = claims.username.strip().lower()
    if not USERNAME_RE.match(name):
        raise SignInRefused(f"the provider's user name {claims.username!r} cannot be an Istok user name")
    if find_user(session=session, username=name) is not None:
        raise SignInRefused(f"the user name {name} is taken by an account not linked to you; ask an admin to link it")
    user = User(
        username=name,
        display_name=claims.display_name.strip() or name,
        role=parse_role(claims.role or "").value,
        password_hash=NO_PASSWORD,
    )
    session.add(user)
    session.flush()
    session.add(UserIdentity(user_id=user.id or 0, issuer=claims.issuer, subject=claims.subject))
    session.flush()
    who = Actor(name=f"oidc:{claims.issuer}", role="system")
    record_action(session, who, action="user.create", target=user.username, granted=user.role, subject=claims.subject)
    return user
