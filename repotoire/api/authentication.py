"""Credentials → (user, AuthContext). The organisation comes from the credential, once per request.

* ``X-API-Key``: an organisation-scoped key (hash lookup; revoked/expired keys are refused).
* ``Authorization: Bearer <Clerk JWT>``: RS256 only (so ``alg: none`` and HS256-with-the-public-key
  confusion are refused by construction), verified against a JWKS URL (keys cached) or a PEM;
  ``exp``/``nbf``/``iss`` with a small leeway, ``azp`` against the authorised parties; org claims
  in both the v1 (``org_id``/``org_role``) and v2 (``o: {id, rol}``) shapes.
* Session (the dashboard, staff in the browser): the organisation chosen in the dashboard, else the first.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import jwt
from django.conf import settings
from django.utils import timezone
from rest_framework import authentication, exceptions

from accounts.models import ROLE_SCOPES, ApiKey, Organization, Role, User
from accounts.selectors import SESSION_ORG_KEY, membership_for_session
from accounts.services import apikey_touch, hash_api_key, principal_provision_from_clerk


@dataclass
class AuthContext:
    organization: Organization
    role: str
    scopes: list[str] = field(default_factory=list)
    method: str = "api_key"
    api_key: ApiKey | None = None

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


class ApiKeyAuthentication(authentication.BaseAuthentication):
    header = "HTTP_X_API_KEY"

    def authenticate(self, request: Any) -> tuple[User, AuthContext] | None:
        raw = request.META.get(self.header)
        if raw is None:
            return None
        key = ApiKey.objects.select_related("organization", "created_by").filter(key_hash=hash_api_key(raw.strip())).first()
        if key is None:
            raise exceptions.AuthenticationFailed("Invalid API key")
        if key.revoked_at is not None:
            raise exceptions.AuthenticationFailed("API key has been revoked")
        if key.expires_at is not None and key.expires_at <= timezone.now():
            raise exceptions.AuthenticationFailed("API key has expired")
        apikey_touch(key=key)
        return key.created_by, AuthContext(
            organization=key.organization, role=key.role, scopes=list(key.scopes), method="api_key", api_key=key
        )

    def authenticate_header(self, request: Any) -> str:
        return 'ApiKey header="X-API-Key"'


_jwks_lock = threading.Lock()
_jwks_clients: dict[str, jwt.PyJWKClient] = {}


def _jwks_client(url: str) -> jwt.PyJWKClient:
    with _jwks_lock:
        client = _jwks_clients.get(url)
        if client is None:
            client = jwt.PyJWKClient(url, cache_keys=True, lifespan=600, timeout=5)
            _jwks_clients[url] = client
        return client


def reset_jwks_cache() -> None:
    with _jwks_lock:
        _jwks_clients.clear()


def decode_clerk_token(token: str) -> dict[str, Any]:
    """Verify a Clerk session token and return its claims (raises jwt.PyJWTError)."""
    if settings.CLERK_JWT_KEY:
        key: Any = settings.CLERK_JWT_KEY
    elif settings.CLERK_JWKS_URL:
        key = _jwks_client(settings.CLERK_JWKS_URL).get_signing_key_from_jwt(token).key
    else:
        raise jwt.InvalidTokenError("Bearer tokens are not configured on this server")
    claims = jwt.decode(
        token,
        key=key,
        algorithms=["RS256"],
        issuer=settings.CLERK_ISSUER or None,
        leeway=settings.CLERK_LEEWAY_SECONDS,
        options={"require": ["exp", "sub"], "verify_aud": False},
    )
    parties = settings.CLERK_AUTHORIZED_PARTIES
    azp = claims.get("azp")
    if parties and azp not in parties:
        raise jwt.InvalidTokenError("Token was issued for another party")
    _check_principal_claims(claims)
    return claims


# The longest claim values kept: Clerk's ids are ~32 characters. Anything far longer is not a
# Clerk value and would overflow the columns it is stored in (a 500, before these checks).
MAX_ID_CLAIM = 128
MAX_ROLE_CLAIM = 64
MAX_SLUG_CLAIM = 100
MAX_EMAIL_CLAIM = 254


def _claim(value: Any, name: str, limit: int) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise jwt.InvalidTokenError(f"the {name} claim must be a string")
    text = str(value)
    if len(text) > limit:
        raise jwt.InvalidTokenError(f"the {name} claim is longer than {limit} characters")
    return text


def org_claims(claims: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    """(org id, role, slug) from a v2 ``o`` claim or v1 ``org_*`` claims (jwt.InvalidTokenError
    when one is not a string, or too long to be a Clerk value)."""
    o = claims.get("o")
    if isinstance(o, dict) and o.get("id"):
        raw = (o["id"], o.get("rol"), o.get("slg"))
    elif claims.get("org_id"):
        raw = (claims["org_id"], claims.get("org_role"), claims.get("org_slug"))
    else:
        return None, None, None
    return (
        _claim(raw[0], "org_id", MAX_ID_CLAIM),
        _claim(raw[1], "org_role", MAX_ROLE_CLAIM),
        _claim(raw[2], "org_slug", MAX_SLUG_CLAIM),
    )


def _check_principal_claims(claims: dict[str, Any]) -> None:
    """The claims a principal is made from are strings of a Clerk value's size (InvalidTokenError)."""
    if _claim(claims.get("sub"), "sub", MAX_ID_CLAIM) is None:
        raise jwt.InvalidTokenError("the sub claim is missing")
    org_claims(claims)
    _claim(claims.get("email"), "email", MAX_EMAIL_CLAIM)


class ClerkJWTAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Any) -> tuple[User, AuthContext] | None:
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        parts = header.split()
        if not parts or parts[0] != self.keyword:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Malformed Authorization header")
        try:
            claims = decode_clerk_token(parts[1])
        except jwt.ExpiredSignatureError as exc:
            raise exceptions.AuthenticationFailed("Token has expired") from exc
        except (jwt.PyJWTError, ValueError) as exc:
            raise exceptions.AuthenticationFailed(f"Invalid token: {exc}") from exc
        org_id, org_role, org_slug = org_claims(claims)
        user, org, role = principal_provision_from_clerk(
            sub=str(claims["sub"]), org_id=org_id, org_role=org_role, org_slug=org_slug, email=claims.get("email")
        )
        if not user.is_active:
            raise exceptions.AuthenticationFailed("User is inactive")
        scopes = [str(s) for s in ROLE_SCOPES[Role(role)]]
        return user, AuthContext(organization=org, role=role, scopes=scopes, method="jwt")

    def authenticate_header(self, request: Any) -> str:
        return 'Bearer realm="api"'


NO_ORGANISATION = (
    "Your user belongs to no organisation. A staff user can add you to one in the admin: "
    "/admin/accounts/membership/add/ (Accounts › Memberships › Add). Locally, the first `make run` "
    "prints a demo login that owns the 'demo' organisation; API keys act for their own organisation."
)


class StaffSessionAuthentication(authentication.SessionAuthentication):
    """Session login (the dashboard, staff in the admin) acting in the organisation chosen in the
    dashboard's switcher, else the person's first organisation."""

    def authenticate(self, request: Any) -> tuple[User, AuthContext] | None:
        result = super().authenticate(request)
        if result is None:
            return None
        user = result[0]
        session = getattr(request, "session", None)
        org_id = session.get(SESSION_ORG_KEY) if session is not None else None
        membership = membership_for_session(user=user, org_id=org_id)
        if membership is None:
            raise exceptions.PermissionDenied(NO_ORGANISATION)
        scopes = [str(s) for s in ROLE_SCOPES[Role(membership.role)]]
        return user, AuthContext(organization=membership.organization, role=membership.role, scopes=scopes, method="session")
