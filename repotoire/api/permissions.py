"""Role and scope checks: viewers read, members write, admins manage keys and webhooks."""

from __future__ import annotations

from typing import Any

from rest_framework import permissions

from repotoire.api.authentication import AuthContext


class HasOrgAccess(permissions.BasePermission):
    """Authenticated with an organisation; reads need ``read``, writes ``write``, and a view
    may ask for more with ``required_scope`` (e.g. "admin") or per action with
    ``action_scopes = {"rotate_secret": "admin"}``."""

    message = "Your credential does not allow this action"

    def has_permission(self, request: Any, view: Any) -> bool:
        ctx = request.auth
        if not isinstance(ctx, AuthContext):
            return False
        needed = "read" if request.method in permissions.SAFE_METHODS else "write"
        action = getattr(view, "action", None)
        needed = getattr(view, "action_scopes", {}).get(action, getattr(view, "required_scope", None) or needed)
        return ctx.has_scope(needed)


class IsAdminScope(HasOrgAccess):
    def has_permission(self, request: Any, view: Any) -> bool:
        ctx = request.auth
        return isinstance(ctx, AuthContext) and ctx.has_scope("admin")
