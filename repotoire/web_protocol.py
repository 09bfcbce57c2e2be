"""uvicorn's HTTP protocol with its own 400 (a request it cannot parse) in the error envelope.

uvicorn answers a malformed request itself, before any application code runs, with a plain-text
``Invalid HTTP request received.``; API clients get ``{error, detail, error_code}`` everywhere
else. ``python -m repotoire.run web`` selects this class with ``--http``. No Django here: uvicorn
imports it before the application.
"""

from __future__ import annotations

import json

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

BAD_REQUEST_BODY = json.dumps(
    {"error": "validation_error", "detail": "Malformed HTTP request", "error_code": "VALIDATION_ERROR"},
    separators=(",", ":"),
).encode()


class EnvelopeHttpToolsProtocol(HttpToolsProtocol):
    """httptools (what uvicorn's ``auto`` picks with uvicorn[standard]), with an envelope 400."""

    def send_400_response(self, msg: str) -> None:
        content = [STATUS_LINE[400]]
        for name, value in self.server_state.default_headers:
            content.extend([name, b": ", value, b"\r\n"])
        content.extend(
            [
                b"content-type: application/json\r\n",
                b"content-length: " + str(len(BAD_REQUEST_BODY)).encode("ascii") + b"\r\n",
                b"connection: close\r\n",
                b"\r\n",
                BAD_REQUEST_BODY,
            ]
        )
        self.transport.write(b"".join(content))
        self.transport.close()
