"""Request bodies at the ASGI edge: a size limit, and chunked bodies made readable.

Django's ASGI handler spools the whole body before any middleware runs, so a limit enforced
inside Django comes after the bytes are read; and a body sent with ``Transfer-Encoding: chunked``
(no ``Content-Length``) reaches Django, and DRF, as an empty body (both size the body by
``CONTENT_LENGTH``). This wrapper answers 413 ``PAYLOAD_TOO_LARGE`` in the envelope for a
declared length over the limit without reading a byte of it, reads a chunked body up to the
limit (stopping there with a 413), and hands Django the chunked body with its length declared.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from repotoire.api.exceptions import envelope, too_large_detail

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class RequestBodyLimit:
    """ASGI middleware: bodies over ``max_bytes`` are a 413; chunked bodies get a Content-Length."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers: list[tuple[bytes, bytes]] = list(scope.get("headers") or [])
        lengths = [v for k, v in headers if k.lower() == b"content-length"]
        if lengths:
            try:
                declared = int(lengths[0])
            except ValueError:
                declared = 0  # uvicorn refuses a malformed length before we see it
            if declared > self.max_bytes:
                await self._too_large(send)
                return
            await self.app(scope, receive, send)
            return
        chunked = any(k.lower() == b"transfer-encoding" and b"chunked" in v.lower() for k, v in headers)
        if not chunked:
            await self.app(scope, receive, send)
            return
        parts: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body = message.get("body", b"")
            size += len(body)
            if size > self.max_bytes:
                await self._too_large(send)
                return
            parts.append(body)
            if not message.get("more_body", False):
                break
        whole = b"".join(parts)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": whole, "more_body": False}
            return await receive()

        new_headers = [(k, v) for k, v in headers if k.lower() != b"transfer-encoding"]
        new_headers.append((b"content-length", str(len(whole)).encode()))
        await self.app({**scope, "headers": new_headers}, replay, send)

    async def _too_large(self, send: Send) -> None:
        body = json.dumps(envelope(413, too_large_detail(self.max_bytes))).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    # The rest of the body was not read: the connection cannot carry another request.
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
