"""Request ids and structured logs.

Every request gets an id: the proxy's ``X-Request-ID`` when it sends a sane one (so one id follows a
request from the load balancer to our logs), else a new one. It is on the response
(``X-Request-ID``), in the body of every 5xx error (so a user can quote it), and on every log record
written while the request is handled, the access line ``repotoire.access`` included (the web role
turns uvicorn's own access log off). ``LOG_FORMAT=json`` writes one JSON object per line.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime

from django.http import HttpRequest, HttpResponse

access_logger = logging.getLogger("repotoire.access")
_request_id: ContextVar[str] = ContextVar("repotoire_request_id", default="")
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def current_request_id() -> str:
    """The id of the request being handled in this context ("" outside a request)."""
    return _request_id.get()


class RequestIdMiddleware:
    """Assign the request id (first in the chain, so redirects and errors carry it too)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SANE_ID.match(incoming) else uuid.uuid4().hex
        token = _request_id.set(request_id)
        started = time.monotonic()
        try:
            request.request_id = request_id  # type: ignore[attr-defined]
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            # The access log (uvicorn's own runs outside the request and cannot name its id).
            access_logger.info(
                "%s %s %s %.0fms",
                request.method,
                request.path[:500],  # no query string: it can carry codes and tokens
                response.status_code,
                (time.monotonic() - started) * 1000,
            )
            return response
        finally:
            _request_id.reset(token)


class RequestIdFilter(logging.Filter):
    """Put ``request_id`` on every record ("-" outside a request), for both formats."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, process, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
            "process": record.process,
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)
