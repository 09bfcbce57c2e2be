"""Clerk session tokens: verified against a JWKS served by a local HTTP server (real PyJWT client)."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from rest_framework.test import APIClient

from accounts.models import Membership, Organization
from repotoire.api.authentication import reset_jwks_cache
from tests.stubs.http import StubResponse, StubServer

ISSUER = "https://clerk.example.test"
PARTY = "https://app.example.test"


@pytest.fixture(scope="module")
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def other_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _jwk(key, kid: str) -> dict:
    data = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    data.update({"kid": kid, "use": "sig", "alg": "RS256"})
    return data


@pytest.fixture
def jwks(rsa_key, settings):
    with StubServer(lambda req: StubResponse(200, {"keys": [_jwk(rsa_key, "k1")]})) as server:
        settings.CLERK_JWKS_URL = f"{server.url}/.well-known/jwks.json"
        settings.CLERK_JWT_KEY = ""
        settings.CLERK_ISSUER = ISSUER
        settings.CLERK_AUTHORIZED_PARTIES = [PARTY]
        reset_jwks_cache()
        yield server
        reset_jwks_cache()


def claims(**overrides) -> dict:
    now = int(time.time())
    base = {
        "sub": "user_123",
        "iss": ISSUER,
        "azp": PARTY,
        "iat": now,
        "nbf": now - 1,
        "exp": now + 300,
        "org_id": "org_abc",
        "org_role": "org:admin",
        "org_slug": "acme",
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def token(key, payload: dict, kid: str = "k1", alg: str = "RS256") -> str:
    return jwt.encode(payload, key, algorithm=alg, headers={"kid": kid})


def get_me(raw_token: str):
    client = APIClient()
    return client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw_token}")


@pytest.mark.django_db
def test_valid_v1_token_provisions_user_and_org(jwks, rsa_key):
    response = get_me(token(rsa_key, claims()))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["auth_method"] == "jwt" and body["role"] == "admin"
    org = Organization.objects.get(clerk_org_id="org_abc")
    assert body["organization"]["id"] == str(org.id)
    assert Membership.objects.filter(organization=org, user__clerk_user_id="user_123", role="admin").exists()
    assert response["X-RateLimit-Limit"] == "60"


@pytest.mark.django_db
def test_valid_v2_org_claim_shape(jwks, rsa_key):
    payload = claims(org_id=None, org_role=None, org_slug=None, o={"id": "org_v2", "rol": "member", "slg": "v2co"}, v=2)
    response = get_me(token(rsa_key, payload))
    assert response.status_code == 200, response.content
    assert response.json()["role"] == "member"
    assert Organization.objects.filter(clerk_org_id="org_v2").exists()


@pytest.mark.django_db
def test_jwks_is_fetched_once_and_cached(jwks, rsa_key):
    for _ in range(3):
        assert get_me(token(rsa_key, claims())).status_code == 200
    assert len(jwks.requests) == 1


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "case",
    [
        "expired",
        "wrong_issuer",
        "wrong_azp",
        "not_yet_valid",
        "tampered",
        "alg_none",
        "hs256_with_public_key",
        "other_key",
        "no_sub",
        "garbage",
    ],
)
def test_bad_tokens_are_rejected(jwks, rsa_key, other_key, case):
    now = int(time.time())
    if case == "expired":
        raw = token(rsa_key, claims(exp=now - 60, iat=now - 120, nbf=now - 120))
    elif case == "wrong_issuer":
        raw = token(rsa_key, claims(iss="https://evil.example.test"))
    elif case == "wrong_azp":
        raw = token(rsa_key, claims(azp="https://evil.example.test"))
    elif case == "not_yet_valid":
        raw = token(rsa_key, claims(nbf=now + 600))
    elif case == "tampered":
        header, payload, signature = token(rsa_key, claims()).split(".")
        forged = _b64({**claims(), "org_role": "org:owner", "org_id": "org_other"})
        raw = f"{header}.{forged}.{signature}"
    elif case == "alg_none":
        raw = f"{_b64({'alg': 'none', 'typ': 'JWT', 'kid': 'k1'})}.{_b64(claims())}."
    elif case == "hs256_with_public_key":
        public_pem = rsa_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        import hashlib
        import hmac

        signing_input = f"{_b64({'alg': 'HS256', 'typ': 'JWT', 'kid': 'k1'})}.{_b64(claims())}"
        sig = (
            base64.urlsafe_b64encode(hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()).rstrip(b"=").decode()
        )
        raw = f"{signing_input}.{sig}"
    elif case == "other_key":
        raw = token(other_key, claims())
    elif case == "no_sub":
        raw = token(rsa_key, claims(sub=None))
    else:
        raw = "not-a-jwt"
    response = get_me(raw)
    assert response.status_code == 401, (case, response.content)
    assert response.json()["error_code"] == "UNAUTHORIZED"
    assert not Organization.objects.filter(clerk_org_id="org_other").exists()


@pytest.mark.django_db
def test_pem_key_mode(rsa_key, settings):
    settings.CLERK_JWKS_URL = ""
    settings.CLERK_JWT_KEY = (
        rsa_key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    )
    settings.CLERK_ISSUER = ISSUER
    settings.CLERK_AUTHORIZED_PARTIES = [PARTY]
    assert get_me(token(rsa_key, claims())).status_code == 200


@pytest.mark.django_db
def test_bearer_refused_when_clerk_not_configured(rsa_key, settings):
    settings.CLERK_JWKS_URL = ""
    settings.CLERK_JWT_KEY = ""
    assert get_me(token(rsa_key, claims())).status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize(
    "overrides",
    [
        {"sub": "user_" + "x" * 300},
        {"org_id": "org_" + "x" * 300},
        {"org_slug": "s" * 300},
        {"org_role": "org:" + "r" * 300},
        {"email": "a" * 300 + "@example.test"},
        {"org_id": None, "org_role": None, "org_slug": None, "o": {"id": "org_" + "x" * 300, "rol": "admin"}},
        {"org_id": None, "org_role": None, "org_slug": None, "sub": "user_" + "y" * 250},  # personal workspace
        {"sub": {"nested": "object"}},
        {"org_id": ["a", "list"]},
    ],
    ids=["sub", "org_id", "org_slug", "org_role", "email", "v2_org_id", "personal", "sub_object", "org_id_list"],
)
def test_claims_too_long_or_not_strings_are_401_not_500(jwks, rsa_key, overrides):
    orgs, users = Organization.objects.count(), Membership.objects.count()
    response = get_me(token(rsa_key, claims(**overrides)))
    assert response.status_code == 401, response.content
    body = response.json()
    assert body["error_code"] == "UNAUTHORIZED" and body["detail"].startswith("Invalid token: ")
    assert (Organization.objects.count(), Membership.objects.count()) == (orgs, users)


@pytest.mark.django_db
def test_claims_of_clerks_own_size_still_sign_in(jwks, rsa_key):
    payload = claims(sub="user_" + "a" * 123, org_id="org_" + "b" * 124, org_slug="s" * 100, email="e" * 240 + "@example.test")
    assert get_me(token(rsa_key, payload)).status_code == 200
