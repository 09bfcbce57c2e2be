"""OpenAPI: both auth schemes declared, and the error envelope documented on every operation."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension

ERROR_SCHEMA = {
    "type": "object",
    "description": "Every error response has this shape.",
    "properties": {
        "error": {"type": "string", "example": "not_found"},
        "detail": {"type": "string", "example": "Repository not found"},
        "error_code": {
            "type": "string",
            "example": "NOT_FOUND",
            "description": (
                "Stable machine-readable code: VALIDATION_ERROR, UNAUTHORIZED, PLAN_LIMIT_EXCEEDED, FORBIDDEN, "
                "NOT_FOUND, METHOD_NOT_ALLOWED, CONFLICT, UNSUPPORTED_MEDIA_TYPE, RATE_LIMIT_EXCEEDED, "
                "INTERNAL_ERROR, SERVICE_UNAVAILABLE, and specific ones such as BILLING_NOT_CONFIGURED, "
                "LLM_NOT_CONFIGURED, LLM_UNAVAILABLE, EMBEDDINGS_UNAVAILABLE, GITHUB_NOT_CONNECTED."
            ),
        },
        "fields": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "description": "Validation errors by field (400 only).",
        },
        "retry_after": {"type": "integer", "description": "Seconds to wait (429 only)."},
        "request_id": {
            "type": "string",
            "description": "The request's id (5xx only; also the X-Request-ID header of every response).",
        },
    },
    "required": ["error", "detail", "error_code"],
}

RATE_LIMIT_HEADERS = {
    "X-RateLimit-Limit": {"schema": {"type": "integer"}, "description": "Requests allowed per minute on your plan."},
    "X-RateLimit-Remaining": {"schema": {"type": "integer"}, "description": "Requests left in the current window."},
    "X-RateLimit-Reset": {"schema": {"type": "integer"}, "description": "Unix time (seconds) when the window resets."},
}

_DESCRIPTIONS = {
    "400": "Validation error",
    "401": "Missing or invalid credentials",
    "403": "Insufficient permissions",
    "404": "Not found (also for another organisation's objects)",
    "429": "Rate limit exceeded",
    "402": "The plan does not include this (PLAN_LIMIT_EXCEEDED)",
    "503": "A required integration is not configured or unavailable (e.g. BILLING_NOT_CONFIGURED, LLM_NOT_CONFIGURED)",
}


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "repotoire.api.authentication.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-API-Key",
            "description": "Organisation API key (shown once at creation).",
        }


class ClerkScheme(OpenApiAuthenticationExtension):
    target_class = "repotoire.api.authentication.ClerkJWTAuthentication"
    name = "ClerkJWT"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": "Clerk session token (RS256)."}


class StaffSessionScheme(OpenApiAuthenticationExtension):
    target_class = "repotoire.api.authentication.StaffSessionAuthentication"
    name = "StaffSession"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {"type": "apiKey", "in": "cookie", "name": "sessionid", "description": "Django admin session (staff)."}


def add_error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """Postprocessing hook: ErrorEnvelope component + error responses and rate-limit headers."""
    components = result.setdefault("components", {})
    components.setdefault("schemas", {})["ErrorEnvelope"] = ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/ErrorEnvelope"}
    for item in result.get("paths", {}).values():
        for method, operation in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            secured = bool(operation.get("security")) and {} not in operation.get("security", [])
            # 404 on collections too: a page past the last one, or a filter naming an unknown id.
            codes = ["400", "429"] if not secured else ["400", "401", "403", "404", "429", "503"]
            if secured and method == "post":
                codes.append("402")
            for code in codes:
                responses.setdefault(code, {"description": _DESCRIPTIONS[code], "content": {"application/json": {"schema": ref}}})
            if secured:
                for code, response in responses.items():
                    if code.startswith("2"):
                        response.setdefault("headers", {}).update(RATE_LIMIT_HEADERS)
    return result
