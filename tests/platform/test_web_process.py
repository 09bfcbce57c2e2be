"""The web process as ``python -m repotoire.run web`` starts it: uvicorn's own 400 (a request it
cannot parse) is the error envelope, and a stop ends Server-Sent Events streams cleanly (a final
``retry`` line and a terminated body, no cut connection) well within the stop deadline."""

from __future__ import annotations

import signal
import socket
import threading

import httpx
import pytest

from analysis.sse import STOPPING_BYTES
from tests.asgi import asgi_process, asgi_server
from tests.factories import AnalysisRunFactory, RepositoryFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _raw(base: str, request: bytes) -> bytes:
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_a_request_uvicorn_cannot_parse_is_a_400_envelope(tmp_path):
    with asgi_server(tmp_path) as base:
        answer = _raw(base, b"GET /api/v1/me HTTP/1.1\r\nHost: x\r\nBroken header line\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400"), answer[:300]
    assert b"content-type: application/json" in head.lower()
    assert body == b'{"error":"validation_error","detail":"Malformed HTTP request","error_code":"VALIDATION_ERROR"}'


class _Stream(threading.Thread):
    def __init__(self, url: str, key: str) -> None:
        super().__init__(daemon=True)
        self.url, self.key = url, key
        self.raw = b""
        self.error: BaseException | None = None
        self.first_event = threading.Event()

    def run(self) -> None:
        try:
            with httpx.stream("GET", self.url, headers={"X-API-Key": self.key}, timeout=60) as response:
                for chunk in response.iter_raw():
                    self.raw += chunk
                    if b"event: progress" in self.raw:
                        self.first_event.set()
        except BaseException as exc:  # noqa: BLE001 - what the client saw is the result
            self.error = exc
        finally:
            self.first_event.set()


def test_stopping_the_web_process_ends_sse_streams_cleanly_and_quickly(tmp_path, member, org):
    run = AnalysisRunFactory(repository=RepositoryFactory(organization=org), status="running", progress_percent=40)
    with asgi_process(tmp_path) as (base, proc):
        streams = [_Stream(f"{base}/api/v1/analysis/{run.pk}/progress", member.key) for _ in range(3)]
        for stream in streams:
            stream.start()
        for stream in streams:
            assert stream.first_event.wait(30)
        proc.send_signal(signal.SIGTERM)
        # Well within a process manager's stop deadline, and before uvicorn's graceful period
        # (5 s) would cut the streams: TimeoutExpired fails the test.
        proc.wait(timeout=4)
        for stream in streams:
            stream.join(10)
            assert stream.error is None, repr(stream.error)
            assert stream.raw.endswith(STOPPING_BYTES), stream.raw[-200:]
