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
                "PAYLOAD_TOO_LARGE, INTERNAL_ERROR, SERVICE_UNAVAILABLE, DATABASE_UNAVAILABLE, DATABASE_BUSY, "
                "and specific ones such as BILLING_NOT_CONFIGURED, "
                "LLM_NOT_CONFIGURED, LLM_UNAVAILABLE, EMBEDDINGS_UNAVAILABLE, GITHUB_NOT_CONNECTED."
            ),
        },
        "fields": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "description": "Validation errors by field (400 only).",
        },
        "retry_after": {"type": "integer", "description": "Seconds to wait (429, and 503 DATABASE_*)."},
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
    "409": "Conflict with the current state (e.g. an analysis already queued, a proposal no longer pending)",
    "413": "The request body is larger than REPOTOIRE_MAX_REQUEST_BYTES (PAYLOAD_TOO_LARGE)",
    "503": "Unavailable: the database cannot be reached or is busy (DATABASE_UNAVAILABLE, DATABASE_BUSY, with "
    "Retry-After), or a required integration is not configured (e.g. BILLING_NOT_CONFIGURED, LLM_NOT_CONFIGURED)",
}
# GETs that answer 409: a report of an analysis that has not completed.
_CONFLICTING_READS = ("/report",)
SSE_DESCRIPTION = (
    "A `text/event-stream`. Each event is `event: progress` followed by one `data:` line holding an "
    "AnalysisProgressEvent as JSON (schema in `x-sse-events`), comment lines (`: heartbeat …`) keep the "
    "connection alive, and a `retry:` line sets the reconnection delay. The stream ends after the event with a "
    "terminal status, or with `retry: 1000` and a comment when the server is stopping (reconnect)."
)


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
    for path, item in result.get("paths", {}).items():
        for method, operation in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            secured = bool(operation.get("security")) and {} not in operation.get("security", [])
            # 404 on collections too: a page past the last one, or a filter naming an unknown id.
            # 503 everywhere: any operation may find the database unreachable.
            codes = ["400", "429", "503"] if not secured else ["400", "401", "403", "404", "429", "503"]
            if secured and method == "post":
                codes.append("402")
            if secured and (method != "get" or path.endswith(_CONFLICTING_READS)):
                codes.append("409")
            if "requestBody" in operation:
                codes.append("413")
            for code in codes:
                responses.setdefault(code, {"description": _DESCRIPTIONS[code], "content": {"application/json": {"schema": ref}}})
            _document_event_stream(operation)
            if secured:
                for code, response in responses.items():
                    if code.startswith("2"):
                        response.setdefault("headers", {}).update(RATE_LIMIT_HEADERS)
    return result


def _document_event_stream(operation: dict[str, Any]) -> None:
    """An event stream's body is text, not the JSON object of one event: say so, and keep the
    event's schema beside it (OpenAPI 3.0 has no way to type the events of a stream)."""
    for response in operation.get("responses", {}).values():
        content = response.get("content", {})
        stream = content.get("text/event-stream")
        if stream is None or "$ref" not in stream.get("schema", {}):
            continue
        event = stream["schema"]
        stream["schema"] = {"type": "string", "description": SSE_DESCRIPTION}
        stream["x-sse-events"] = {"progress": event}
