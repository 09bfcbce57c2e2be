"""Middleware that keeps the error envelope and rate-limit headers on every response."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import BadRequest, PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError

from repotoire.api.exceptions import (
    DATABASE_BUSY_RETRY_AFTER,
    DATABASE_UNAVAILABLE_RETRY_AFTER,
    STATUS_CODES,
    database_busy,
    database_busy_body,
    database_unavailable,
    database_unavailable_body,
    json_error,
    too_large_detail,
)

logger = logging.getLogger("repotoire.errors")

# Paths whose own HTML error pages are right for their users (staff in the admin, the docs,
# people in the dashboard).
_HTML_PREFIXES = ("/admin/", "/docs", "/redoc", "/app/")
_CLIENT_ERRORS = (Http404, PermissionDenied, BadRequest, SuspiciousOperation, MultiPartParserError)


class RequestSizeMiddleware:
    """A declared body over REPOTOIRE_MAX_REQUEST_BYTES is a 413 before anything reads it (under
    uvicorn repotoire/request_body.py already refused it; this covers WSGI servers)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > settings.REPOTOIRE_MAX_REQUEST_BYTES:
            response = json_error(413, too_large_detail(settings.REPOTOIRE_MAX_REQUEST_BYTES))
            response["Connection"] = "close"
            return response
        return self.get_response(request)


class ErrorEnvelopeMiddleware:
    """Turn Django's HTML error pages (unknown URLs, non-DRF views, crashes) into the envelope.

    DRF views already answer with the envelope (see exceptions.py); this covers the rest, in
    DEBUG too, so no stack trace or HTML page ever reaches an API client.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code < 400 or request.path.startswith(_HTML_PREFIXES):
            return response
        content_type = response.get("Content-Type", "")
        if content_type.startswith("application/json") or getattr(response, "streaming", False):
            return response
        detail = {404: "Not found", 405: "Method not allowed", 403: "Forbidden", 400: "Bad request"}.get(
            response.status_code, "An unexpected error occurred" if response.status_code >= 500 else "Request failed"
        )
        code = response.status_code if response.status_code in STATUS_CODES else (500 if response.status_code >= 500 else 400)
        new = json_error(code, detail)
        new.status_code = response.status_code
        for header in ("Allow", "Retry-After", "WWW-Authenticate"):
            if header in response:
                new[header] = response[header]
        return new

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, RequestDataTooBig):
            return json_error(413, too_large_detail(settings.REPOTOIRE_MAX_REQUEST_BYTES))
        # Exceptions Django answers with a 4xx itself; __call__ then puts them in the envelope.
        if request.path.startswith(_HTML_PREFIXES) or isinstance(exception, _CLIENT_ERRORS):
            return None
        if database_unavailable(exception):
            logger.warning("Database unreachable for %s %s: %s", request.method, request.path, exception)
            response = JsonResponse(database_unavailable_body(), status=503)
            response["Retry-After"] = str(DATABASE_UNAVAILABLE_RETRY_AFTER)
            return response
        if database_busy(exception):
            logger.warning("No database connection for %s %s: %s", request.method, request.path, exception)
            response = JsonResponse(database_busy_body(), status=503)
            response["Retry-After"] = str(DATABASE_BUSY_RETRY_AFTER)
            return response
        logger.exception("Unhandled error on %s %s", request.method, request.path, exc_info=exception)
        return json_error(500, "An unexpected error occurred")


class RateLimitHeadersMiddleware:
    """Copy the rate-limit usage recorded by the throttle onto the response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        usage = getattr(request, "ratelimit_usage", None)
        if usage is not None:
            response["X-RateLimit-Limit"] = str(usage.limit)
            response["X-RateLimit-Remaining"] = str(usage.remaining)
            response["X-RateLimit-Reset"] = str(usage.reset)
        return response
