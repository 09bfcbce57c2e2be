"""The web process learns that it is stopping before its connections are cut.

uvicorn, on SIGTERM/SIGINT, stops accepting, waits for open responses to finish (at most
``--timeout-graceful-shutdown``) and then cancels them mid-body, which an SSE client reads as a
protocol error (an unterminated chunked body). Server-Sent Events never finish on their own, so
every stop ended that way and took the whole graceful period. ``install()`` chains a handler in
front of uvicorn's: it first runs the registered callbacks (the SSE hubs end their streams with
a last ``retry`` line, a clean end that EventSource reconnects after), then hands the signal to
uvicorn as before. uvicorn imports the application before it installs its own handlers, so the
chain is installed at the ASGI lifespan startup (``StopAware``), which comes after.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from types import FrameType
from typing import Any

_callbacks: list[Callable[[], None]] = []
_lock = threading.Lock()
stopping = threading.Event()


def on_stop(callback: Callable[[], None]) -> None:
    """Run ``callback`` (from the main thread, in the signal handler: keep it short and
    thread-safe, e.g. ``loop.call_soon_threadsafe``) when the process is asked to stop."""
    with _lock:
        _callbacks.append(callback)


def _run_callbacks() -> None:
    stopping.set()
    with _lock:
        callbacks = list(_callbacks)
    for callback in callbacks:
        try:
            callback()
        except Exception:  # noqa: BLE001, S110 - a failing callback must not stop the shutdown itself
            pass


def install(signals: tuple[int, ...] = (signal.SIGINT, signal.SIGTERM)) -> None:
    """Chain the stop callbacks in front of the current handlers (uvicorn's, when uvicorn imports
    the application). Outside the main thread (an application imported by a test) it does nothing."""
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in signals:
        previous = signal.getsignal(sig)

        def handler(signum: int, frame: FrameType | None, previous: Any = previous) -> None:
            _run_callbacks()
            if callable(previous):
                previous(signum, frame)
            elif previous == signal.SIG_DFL:
                signal.signal(signum, signal.SIG_DFL)
                signal.raise_signal(signum)

        signal.signal(sig, handler)


ASGIApp = Callable[[MutableMapping[str, Any], Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]]


class StopAware:
    """ASGI middleware: answers the lifespan protocol (Django does not), installing the stop
    callbacks at startup, once uvicorn's handlers are in place; everything else goes to ``app``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(
        self, scope: MutableMapping[str, Any], receive: Callable[[], Awaitable[Any]], send: Callable[[Any], Awaitable[None]]
    ) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                install()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
