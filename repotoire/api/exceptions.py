"""One error format everywhere: ``{"error": "not_found", "detail": "...", "error_code": "NOT_FOUND"}``.

Domain code raises ``ApplicationError`` subclasses; it never raises DRF exceptions. The DRF
handler below converts them (and Django's Http404/PermissionDenied/ValidationError) into DRF
exceptions and delegates to DRF's default handler, so transaction rollback and
``WWW-Authenticate`` headers still apply; then it renders the envelope.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from rest_framework import exceptions as drf
from rest_framework import status
from rest_framework.response import Response

from repotoire.dbbackend.base import DatabaseUnreachable
from repotoire.logs import current_request_id

logger = logging.getLogger("repotoire.errors")

# status -> (error, error_code); the seed's codes plus the few HTTP answers DRF produces itself.
STATUS_CODES: dict[int, tuple[str, str]] = {
    400: ("validation_error", "VALIDATION_ERROR"),
    401: ("unauthorized", "UNAUTHORIZED"),
    402: ("payment_required", "PLAN_LIMIT_EXCEEDED"),
    403: ("forbidden", "FORBIDDEN"),
    404: ("not_found", "NOT_FOUND"),
    405: ("method_not_allowed", "METHOD_NOT_ALLOWED"),
    406: ("not_acceptable", "NOT_ACCEPTABLE"),
    409: ("conflict", "CONFLICT"),
    413: ("payload_too_large", "PAYLOAD_TOO_LARGE"),
    415: ("unsupported_media_type", "UNSUPPORTED_MEDIA_TYPE"),
    429: ("rate_limit_exceeded", "RATE_LIMIT_EXCEEDED"),
    500: ("internal_error", "INTERNAL_ERROR"),
    503: ("service_unavailable", "SERVICE_UNAVAILABLE"),
}


class ApplicationError(Exception):
    """Base of every domain error. Subclasses set status_code, error and error_code."""

    status_code = 400
    error = "validation_error"
    error_code = "VALIDATION_ERROR"
    default_detail = "Invalid request"

    def __init__(
        self,
        detail: str | None = None,
        *,
        error_code: str | None = None,
        fields: dict[str, list[str]] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.detail = detail or self.default_detail
        if error_code:
            self.error_code = error_code
        self.fields = fields
        self.extra = extra or {}
        super().__init__(self.detail)


class ValidationFailed(ApplicationError):
    pass


class Unauthorized(ApplicationError):
    status_code, error, error_code, default_detail = 401, "unauthorized", "UNAUTHORIZED", "Authentication required"


class Forbidden(ApplicationError):
    status_code, error, error_code, default_detail = 403, "forbidden", "FORBIDDEN", "You do not have permission to do this"


class NotFound(ApplicationError):
    status_code, error, error_code, default_detail = 404, "not_found", "NOT_FOUND", "Not found"


class Conflict(ApplicationError):
    status_code, error, error_code, default_detail = 409, "conflict", "CONFLICT", "Conflict with the current state"


class PlanLimitExceeded(ApplicationError):
    status_code, error, error_code, default_detail = (
        402,
        "payment_required",
        "PLAN_LIMIT_EXCEEDED",
        "Your plan does not allow this",
    )


class RateLimitExceeded(ApplicationError):
    status_code, error, error_code, default_detail = 429, "rate_limit_exceeded", "RATE_LIMIT_EXCEEDED", "Rate limit exceeded"

    def __init__(self, detail: str | None = None, *, retry_after: int, **kwargs: Any) -> None:
        super().__init__(detail, **kwargs)
        self.retry_after = max(int(retry_after), 1)


class ServiceUnavailable(ApplicationError):
    status_code, error, error_code, default_detail = 503, "service_unavailable", "SERVICE_UNAVAILABLE", "Service unavailable"


def envelope(
    status_code: int, detail: str, *, error_code: str | None = None, fields: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    error, default_code = STATUS_CODES.get(status_code, ("error", "ERROR"))
    body: dict[str, Any] = {"error": error, "detail": detail, "error_code": error_code or default_code}
    if fields:
        body["fields"] = fields
    body.update(extra)
    if status_code >= 500 and (request_id := current_request_id()):
        # What a user quotes to an operator, who finds the request's log lines (and stack trace) by it.
        body["request_id"] = request_id
    return body


def json_error(status_code: int, detail: str, **kwargs: Any) -> JsonResponse:
    response = JsonResponse(envelope(status_code, detail, **kwargs), status=status_code)
    if "retry_after" in kwargs:
        response["Retry-After"] = str(kwargs["retry_after"])
    return response


def _flatten(detail: Any) -> dict[str, list[str]]:
    """DRF's nested validation detail as {field: [messages]} (nested fields dotted)."""
    out: dict[str, list[str]] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(f"{prefix}.{k}" if prefix else str(k), v)
        elif isinstance(value, list):
            if all(not isinstance(v, (dict, list)) for v in value):
                out.setdefault(prefix or "non_field_errors", []).extend(str(v) for v in value)
            else:
                for i, v in enumerate(value):
                    walk(f"{prefix}.{i}" if prefix else str(i), v)
        else:
            out.setdefault(prefix or "non_field_errors", []).append(str(value))

    walk("", detail)
    return out


def _summary(fields: dict[str, list[str]]) -> str:
    name, messages = next(iter(fields.items()))
    text = messages[0] if messages else "Invalid value"
    return text if name == "non_field_errors" else f"{name}: {text}"


def validation_failed(detail: Any) -> ValidationFailed:
    """A serializer's errors as the ValidationFailed the API answers with (same wording)."""
    fields = _flatten(detail)
    return ValidationFailed(_summary(fields) if fields else "Invalid request", fields=fields)


def too_large_detail(limit: int) -> str:
    return f"The request body is larger than the {limit} bytes allowed"


DATABASE_BUSY_RETRY_AFTER = 5


def database_busy(exc: BaseException) -> bool:
    """No database connection could be had in time (the web pool exhausted, or the server out of
    connection slots): the request did nothing and can be retried, so 503 + Retry-After, not 500."""
    from django.db import OperationalError
    from psycopg_pool import PoolTimeout

    if not isinstance(exc, OperationalError):
        return False
    if isinstance(exc.__cause__, PoolTimeout):
        return True
    text = str(exc)
    return "too many clients" in text or "remaining connection slots" in text


DATABASE_UNAVAILABLE_RETRY_AFTER = 10


def database_unavailable(exc: BaseException) -> bool:
    """The database server did not answer within the connect timeout (repotoire/dbbackend)."""
    from django.db import OperationalError

    return isinstance(exc, OperationalError) and isinstance(exc.__cause__, DatabaseUnreachable)


def database_unavailable_body() -> dict[str, Any]:
    return envelope(
        503,
        "The service is unavailable: the database cannot be reached. Retry shortly.",
        error_code="DATABASE_UNAVAILABLE",
        retry_after=DATABASE_UNAVAILABLE_RETRY_AFTER,
    )


def database_busy_body() -> dict[str, Any]:
    return envelope(
        503,
        "The service is busy: no database connection was free in time. Retry shortly.",
        error_code="DATABASE_BUSY",
        retry_after=DATABASE_BUSY_RETRY_AFTER,
    )


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    # Imported here: rest_framework.views loads the throttle classes, which import this module.
    from rest_framework.views import exception_handler as drf_exception_handler
    from rest_framework.views import set_rollback

    extra_headers: dict[str, str] = {}
    if isinstance(exc, ApplicationError):
        body = envelope(exc.status_code, exc.detail, error_code=exc.error_code, fields=exc.fields, **exc.extra)
        if isinstance(exc, RateLimitExceeded):
            body["retry_after"] = exc.retry_after
            extra_headers["Retry-After"] = str(exc.retry_after)
        set_rollback()
        response = Response(body, status=exc.status_code, headers=extra_headers)
        if exc.status_code == 401:
            response["WWW-Authenticate"] = 'ApiKey header="X-API-Key", Bearer'
        return response

    if isinstance(exc, RequestDataTooBig):
        return Response(envelope(413, too_large_detail(settings.REPOTOIRE_MAX_REQUEST_BYTES)), status=413)

    if database_unavailable(exc):
        set_rollback()
        return Response(database_unavailable_body(), status=503, headers={"Retry-After": str(DATABASE_UNAVAILABLE_RETRY_AFTER)})

    if database_busy(exc):
        set_rollback()
        return Response(database_busy_body(), status=503, headers={"Retry-After": str(DATABASE_BUSY_RETRY_AFTER)})

    if isinstance(exc, Http404):
        exc = drf.NotFound(str(exc) if str(exc) and "No " not in str(exc) else "Not found")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf.PermissionDenied(str(exc) or None)
    elif isinstance(exc, DjangoValidationError):
        exc = drf.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)

    response = drf_exception_handler(exc, context)
    if response is None:
        logger.exception(
            "Unhandled error in %s", context.get("view").__class__.__name__ if context.get("view") else "view", exc_info=exc
        )
        return Response(envelope(500, "An unexpected error occurred"), status=500)

    code = response.status_code
    if isinstance(exc, drf.ValidationError):
        fields = _flatten(exc.detail)
        response.data = envelope(400, _summary(fields) if fields else "Invalid request", fields=fields)
    elif isinstance(exc, drf.Throttled):
        wait = int(exc.wait or 1) if exc.wait is not None else 1
        response.data = envelope(429, "Rate limit exceeded. Try again later.", retry_after=max(wait, 1))
        response["Retry-After"] = str(max(wait, 1))
    elif isinstance(exc, (drf.NotAuthenticated, drf.AuthenticationFailed)):
        response.status_code = status.HTTP_401_UNAUTHORIZED
        response.data = envelope(401, str(exc.detail))
        if "WWW-Authenticate" not in response:
            response["WWW-Authenticate"] = 'ApiKey header="X-API-Key", Bearer'
    else:
        detail = exc.detail if isinstance(exc, drf.APIException) else "Error"
        response.data = envelope(code, str(detail) if not isinstance(detail, (dict, list)) else "Invalid request")
    return response
