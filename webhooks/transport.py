"""The HTTP transport for deliveries: connects only to the address the SSRF check vetted, and
bounds the whole exchange (connect, TLS, request, response headers, body) by one deadline.

httpx's timeouts apply per socket operation, so a receiver that drips its answer a byte at a
time could hold a worker indefinitely; here every operation gets at most the time left. The URL
keeps its host name, so the Host header, SNI and certificate checks are the ordinary ones, while
the TCP connection goes to the vetted IP (a second DNS answer is never used: no rebinding).
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream, deadline: float) -> None:
        self._inner = inner
        self._deadline = deadline

    def _left(self, timeout: float | None, exc: type[Exception]) -> float:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise exc("The delivery's time is up")
        return left if timeout is None else min(timeout, left)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        inner = self._inner.start_tls(ssl_context, server_hostname, self._left(timeout, httpcore.ConnectTimeout))
        return _DeadlineStream(inner, self._deadline)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _PinnedBackend(httpcore.NetworkBackend):
    def __init__(self, address: str, deadline: float) -> None:
        self._inner = httpcore.SyncBackend()
        self._address = address
        self._deadline = deadline

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise httpcore.ConnectTimeout("The delivery's time is up")
        timeout = left if timeout is None else min(timeout, left)
        stream = self._inner.connect_tcp(self._address, port, timeout, local_address, socket_options)
        return _DeadlineStream(stream, self._deadline)

    def connect_unix_socket(self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None) -> Any:
        raise httpcore.ConnectError("Unix sockets are not webhook targets")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class VettedTransport(httpx.HTTPTransport):
    """One-shot transport: every connection goes to ``address`` and must finish by ``deadline``
    (a ``time.monotonic()`` value). No proxies from the environment, one connection, no pooling
    across deliveries (a pooled TLS connection must never serve another host name)."""

    def __init__(self, *, address: str, deadline: float, ssl_context: ssl.SSLContext) -> None:
        super().__init__(verify=ssl_context, trust_env=False)
        # httpx exposes no network-backend hook; the httpcore pool it wraps does (versions pinned;
        # tests/webhooks/test_ssrf.py fails if the pinning stops working).
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context, max_connections=1, network_backend=_PinnedBackend(address, deadline)
        )
