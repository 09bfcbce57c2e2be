"""Writes for accounts: organisations, memberships, API keys, provisioning from Clerk."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import cast
from uuid import UUID

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import ROLE_SCOPES, ApiKey, Membership, Organization, Role, Scope, User, role_at_least
from repotoire.api.exceptions import Conflict, Forbidden, ValidationFailed

KEY_PREFIX = "rpt_"


def hash_api_key(raw_key: str) -> str:
    # Keys carry 192 random bits, so a fast hash is enough (no password stretching needed).
    return hashlib.sha256(raw_key.encode("utf-8")).hexdigest()


def _unique_slug(base: str) -> str:
    slug = slugify(base)[:90] or "org"
    candidate, n = slug, 1
    while Organization.objects.filter(slug=candidate).exists():
        n += 1
        candidate = f"{slug}-{n}"
    return candidate


def organization_get_or_create(*, slug: str, name: str | None = None, plan: str | None = None) -> tuple[Organization, bool]:
    org, created = Organization.objects.get_or_create(slug=slug, defaults={"name": name or slug, "plan": plan or "free"})
    if plan and org.plan != plan:
        org.plan = plan
        org.save(update_fields=["plan", "updated_at"])
    return org, created


def organization_set_plan(*, organization: Organization, plan: str) -> Organization:
    """Set the organisation's plan label (billing decides it; limits read billing.entitlements)."""
    if organization.plan != plan:
        Organization.objects.filter(pk=organization.pk).update(plan=plan, updated_at=timezone.now())
        organization.plan = plan
    return organization


def organization_set_stripe_customer(*, organization: Organization, customer_id: str) -> str:
    """Record the Stripe customer once; the first one recorded stays. Returns the recorded id."""
    Organization.objects.filter(pk=organization.pk, stripe_customer_id__isnull=True).update(
        stripe_customer_id=customer_id, updated_at=timezone.now()
    )
    recorded = Organization.objects.values_list("stripe_customer_id", flat=True).get(pk=organization.pk)
    organization.stripe_customer_id = recorded
    # Not null: set just above, unless another request recorded its own first.
    return cast(str, recorded)


def membership_ensure(*, organization: Organization, user: User, role: str) -> Membership:
    membership, created = Membership.objects.get_or_create(organization=organization, user=user, defaults={"role": role})
    if not created and membership.role != role:
        membership.role = role
        membership.save(update_fields=["role"])
    return membership


def service_user_for(organization: Organization) -> User:
    """The service principal that owns keys created by scripts for ``organization``."""
    username = f"svc-{organization.slug}"[:150]
    user, _ = User.objects.get_or_create(username=username, defaults={"is_service": True})
    membership_ensure(organization=organization, user=user, role=Role.OWNER)
    return user


def staff_login_create(*, username: str, organization: Organization, role: str = Role.OWNER) -> tuple[User, str] | None:
    """A staff user (admin and API through the session) with a generated password, member of
    ``organization``; returns it with the password, or None when the username is taken."""
    if User.objects.filter(username=username).exists():
        return None
    password = secrets.token_urlsafe(12)
    user = User.objects.create_user(username=username, password=password, is_staff=True, is_superuser=True)
    membership_ensure(organization=organization, user=user, role=role)
    return user, password


def apikey_create(
    *,
    organization: Organization,
    created_by: User,
    name: str,
    role: str = Role.MEMBER,
    scopes: list[str] | None = None,
    expires_at: datetime | None = None,
    creator_role: str | None = None,
) -> tuple[ApiKey, str]:
    """Create a key and return it with the raw secret (shown once, never stored)."""
    if creator_role is not None and not role_at_least(creator_role, role):
        raise Forbidden("You cannot create a key with a higher role than your own")
    allowed = {str(s) for s in ROLE_SCOPES[Role(role)]}
    scopes = list(dict.fromkeys(scopes)) if scopes else sorted(allowed)
    unknown = [s for s in scopes if s not in Scope.values]
    if unknown:
        raise ValidationFailed(
            f"Unknown scopes: {', '.join(unknown)}", fields={"scopes": [f"Unknown scope: {s}" for s in unknown]}
        )
    if not set(scopes) <= allowed:
        raise ValidationFailed(
            "Scopes exceed the key's role", fields={"scopes": [f"A {role} key may have only: {', '.join(sorted(allowed))}"]}
        )
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationFailed("expires_at must be in the future", fields={"expires_at": ["Must be in the future"]})
    for _ in range(3):
        public = secrets.token_hex(4)
        raw = f"{KEY_PREFIX}{public}_{secrets.token_urlsafe(24)}"
        try:
            with transaction.atomic():
                key = ApiKey.objects.create(
                    organization=organization,
                    created_by=created_by,
                    name=name,
                    prefix=f"{KEY_PREFIX}{public}",
                    key_hash=hash_api_key(raw),
                    role=role,
                    scopes=scopes,
                    expires_at=expires_at,
                )
            return key, raw
        except IntegrityError:  # pragma: no cover - 2**-192 collision
            continue
    raise RuntimeError("could not generate a unique API key")


def apikey_revoke(*, key: ApiKey, actor_role: str | None = None) -> ApiKey:
    """Revoke ``key``. As at creation, nobody acts on a key whose role is above their own: an
    admin cannot revoke an owner's key (``actor_role`` None = the system, e.g. a management command)."""
    if actor_role is not None and not role_at_least(actor_role, key.role):
        raise Forbidden("You cannot revoke a key with a higher role than your own")
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key


def apikey_touch(*, key: ApiKey) -> None:
    """Record use; at most once a minute per key so hot keys don't write on every request."""
    now = timezone.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now


CLERK_ROLE_MAP = {
    "owner": Role.OWNER,
    "admin": Role.ADMIN,
    "member": Role.MEMBER,
    "basic_member": Role.MEMBER,
    "viewer": Role.VIEWER,
    "guest": Role.VIEWER,
}


def clerk_role(raw: str | None) -> str:
    name = (raw or "member").split(":", 1)[-1].lower()
    return CLERK_ROLE_MAP.get(name, Role.MEMBER)


@transaction.atomic
def principal_provision_from_clerk(
    *, sub: str, org_id: str | None, org_role: str | None, org_slug: str | None, email: str | None = None
) -> tuple[User, Organization, str]:
    """First sight of a Clerk user/organisation creates them; later tokens update the role."""
    user, _ = User.objects.get_or_create(clerk_user_id=sub, defaults={"username": f"clerk-{sub}"[:150], "email": email or ""})
    if org_id:
        org = Organization.objects.filter(clerk_org_id=org_id).first()
        if org is None:
            org = Organization.objects.create(clerk_org_id=org_id, name=org_slug or org_id, slug=_unique_slug(org_slug or org_id))
        role = clerk_role(org_role)
    else:
        # No active organisation in the token: the user's personal workspace.
        personal = f"personal:{sub}"
        org = Organization.objects.filter(clerk_org_id=personal).first()
        if org is None:
            org = Organization.objects.create(
                clerk_org_id=personal, name=f"{user.username} (personal)", slug=_unique_slug(f"personal-{sub}")
            )
        role = Role.OWNER
    membership_ensure(organization=org, user=user, role=role)
    return user, org, role


def _email_normalised(email: str) -> str:
    email = email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise ValidationFailed("email: enter a valid email address", fields={"email": ["Enter a valid email address."]})
    return email


def _password_set(user: User, password: str) -> None:
    """Django's password validators, then the hash; the validator's message in the API wording."""
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationFailed(f"password: {exc.messages[0]}", fields={"password": list(exc.messages)}) from exc
    user.set_password(password)


@transaction.atomic
def person_create(
    *, email: str, organization: Organization, role: str = Role.MEMBER, password: str, is_staff: bool = False
) -> tuple[User, bool]:
    """Create (or update) a person who signs in to the dashboard with ``email`` and ``password``
    and make them a ``role`` of ``organization``. Returns the user and whether it is new."""
    email = _email_normalised(email)
    user = User.objects.filter(email__iexact=email).first()
    created = user is None
    if user is None:
        user = User(username=email[:150], email=email)
    _password_set(user, password)
    user.is_staff = user.is_staff or is_staff
    user.save()
    membership_ensure(organization=organization, user=user, role=role)
    return user, created


@transaction.atomic
def membership_add(
    *, organization: Organization, email: str, role: str, actor_role: str, password: str = ""
) -> tuple[Membership, bool]:
    """An admin adds a person to ``organization`` as ``role``. Someone who already has an account
    (any organisation) joins with it, their password untouched; a new person needs an initial
    ``password`` (they sign in with it at /app/login/). Only owners grant the owner role.
    Returns the membership and whether the person's account is new."""
    if role not in Role.values:
        raise ValidationFailed("role: not a valid choice", fields={"role": [f'"{role}" is not a valid choice.']})
    if role == Role.OWNER and actor_role != Role.OWNER:
        raise Forbidden("Only owners can grant or take away the owner role")
    email = _email_normalised(email)
    user = User.objects.filter(email__iexact=email, is_service=False).first()
    created = user is None
    if user is None:
        if not password:
            raise ValidationFailed(
                "password: required for a person without an account",
                fields={"password": ["Required for a person without an account."]},
            )
        user = User(username=email[:150], email=email)
        _password_set(user, password)
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:
            raise Conflict(f"{email} cannot be added: the username is taken") from None
    elif Membership.objects.filter(organization=organization, user=user).exists():
        raise Conflict(f"{email} is already a member")
    membership = Membership.objects.create(organization=organization, user=user, role=role)
    return membership, created


def membership_set_role(*, membership: Membership, role: str, actor_role: str) -> Membership:
    """Change a member's role. Only owners grant or take away ownership, and an organisation
    always keeps at least one owner."""
    if Role.OWNER in (role, membership.role) and actor_role != Role.OWNER:
        raise Forbidden("Only owners can grant or take away the owner role")
    with transaction.atomic():
        Organization.objects.select_for_update().filter(pk=membership.organization_id).exists()
        if membership.role == Role.OWNER and role != Role.OWNER and _owners(membership.organization_id) <= 1:
            raise Conflict("An organisation needs at least one owner")
        membership.role = role
        membership.save(update_fields=["role"])
    return membership


def membership_remove(*, membership: Membership, actor_role: str) -> None:
    """Remove a person from an organisation (their API keys stay the organisation's)."""
    if membership.role == Role.OWNER and actor_role != Role.OWNER:
        raise Forbidden("Only owners can remove an owner")
    with transaction.atomic():
        Organization.objects.select_for_update().filter(pk=membership.organization_id).exists()
        if membership.role == Role.OWNER and _owners(membership.organization_id) <= 1:
            raise Conflict("An organisation needs at least one owner")
        membership.delete()


def _owners(organization_id: UUID) -> int:
    return Membership.objects.filter(organization_id=organization_id, role=Role.OWNER, user__is_service=False).count()
