"""git's smart HTTP protocol on 127.0.0.1, served by the real ``git http-backend`` (CGI) behind a
check of one required request header, as a git host behind token authentication would."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

from tests.stubs.http import Recorded, StubResponse, StubServer


def git_http_server(project_root: Path, *, accepted: set[str]) -> StubServer:
    """Repositories under ``project_root`` at ``<url>/<name>.git``; 401 unless the request carries
    an ``Authorization`` header in ``accepted`` (a set the test may change: tokens rotate)."""

    def handle(request: Recorded) -> StubResponse:
        headers = {k.lower(): v for k, v in request.headers.items()}
        if headers.get("authorization") not in accepted:
            return StubResponse(401, b"authentication required", {"WWW-Authenticate": 'Basic realm="git"'})
        parts = urlsplit(request.path)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "GIT_PROJECT_ROOT": str(project_root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "REQUEST_METHOD": request.method,
            "PATH_INFO": parts.path,
            "QUERY_STRING": parts.query,
            "CONTENT_TYPE": headers.get("content-type", ""),
            "CONTENT_LENGTH": str(len(request.body)),
            "HTTP_CONTENT_ENCODING": headers.get("content-encoding", ""),
            "GIT_PROTOCOL": headers.get("git-protocol", ""),
            "REMOTE_ADDR": "127.0.0.1",
        }
        proc = subprocess.run(["git", "http-backend"], input=request.body, env=env, capture_output=True, check=False)
        head, _, body = proc.stdout.partition(b"\r\n\r\n")
        status, out_headers = 200, {}
        for line in head.decode("latin-1").split("\r\n"):
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.strip().split()[0])
            elif name:
                out_headers[name.strip()] = value.strip()
        return StubResponse(status, body, out_headers)

    return StubServer(handle)
