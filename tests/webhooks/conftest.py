"""Webhook test helpers: a real HTTP receiver on 127.0.0.1 (a thread) that records requests, and
the signature check copied out of the README (so the documented example is what the tests run)."""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"


@dataclass
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Reply:
    status: int = 200
    body: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    on_request: Callable[[], None] | None = None  # runs in the server thread before answering
    drip: float = 0.0  # seconds between the bytes of the answer (a slow-loris receiver)


class Receiver:
    """Answers each POST with the next queued reply (then ``default``) and records it."""

    def __init__(self) -> None:
        self.requests: list[ReceivedRequest] = []
        self.replies: deque[Reply] = deque()
        self.default = Reply()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver._lock:
                    receiver.requests.append(
                        ReceivedRequest("POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                    )
                    reply = receiver.replies.popleft() if receiver.replies else receiver.default
                if reply.on_request:
                    reply.on_request()
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.drip:
                    raw = f"HTTP/1.0 {reply.status} X\r\nContent-Length: {len(reply.body)}\r\n\r\n".encode() + reply.body
                    try:
                        for i in range(len(raw)):
                            self.wfile.write(raw[i : i + 1])
                            self.wfile.flush()
                            time.sleep(reply.drip)
                    except (BrokenPipeError, ConnectionResetError):
                        pass
                    self.close_connection = True
                    return
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/repotoire"

    def reply(self, *replies: Reply | int) -> None:
        for r in replies:
            self.replies.append(Reply(status=r) if isinstance(r, int) else r)

    def wait_for(self, count: int, timeout: float = 60.0) -> list[ReceivedRequest]:
        deadline = time.monotonic() + timeout
        while len(self.requests) < count and time.monotonic() < deadline:
            time.sleep(0.1)
        return self.requests


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    r.thread.start()
    try:
        yield r
    finally:
        r.server.shutdown()
        r.server.server_close()


@pytest.fixture
def allow_private_targets(settings) -> None:
    """Lets deliveries reach the receiver on 127.0.0.1 (development/test escape hatch)."""
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True


@pytest.fixture(scope="session")
def verify_signature() -> Callable[..., bool]:
    """``verify_signature(secret, header, body, tolerance=300)`` exactly as the README shows it."""
    text = README.read_text()
    section = text.split("## Customer webhooks", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    code = next(b for b in blocks if "def verify_signature" in b)
    namespace: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), namespace)
    return namespace["verify_signature"]  # type: ignore[return-value]
