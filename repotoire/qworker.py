"""Graceful shutdown of django-q2 worker processes: nothing in hand is lost.

django-q2 stops a cluster by letting each worker finish its current task, however long it takes;
an analysis can take many minutes, and a supervisor (``make run``, systemd) kills what is still
running after its grace period. So a worker process handles SIGTERM itself (installed when it is
spawned) by noting the request:

- a long task asks :func:`shutdown_requested` at safe points (an analysis, at every progress
  callback) and then puts its work back in the queue and returns (raising :class:`WorkerShutdown`
  to get there); the signal handler never raises into arbitrary code (a half-sent database query);
- any other task finishes (they are short: deliveries, checks, hooks);
- a task taken from the cluster's local queue after the signal is sent back to the broker untouched
  (and acknowledged) instead of being started; the cluster's STOP ends the process.

Worker processes are named ``repotoire-qwrk`` (``/proc/<pid>/comm``) so that a supervisor can tell
them from the cluster's sentinel, pusher and monitor (which must not get SIGTERM: their default
action is to die, results unsaved).
"""

from __future__ import annotations

import ctypes
import logging
import signal
from collections.abc import Callable
from typing import Any

from django_q.brokers import get_broker
from django_q.signals import post_spawn, pre_execute
from django_q.signing import SignedPackage

from repotoire.run import WORKER_PROCESS_NAME

logger = logging.getLogger("repotoire.qworker")

_PR_SET_NAME = 15


class WorkerShutdown(BaseException):
    """The worker running this task was asked to stop: put the work back in the queue and return.
    A BaseException, so that no ``except Exception`` on the way swallows it."""


class _State:
    stopping = False


def shutdown_requested() -> bool:
    """True in a worker process that received SIGTERM (never in the web process or a test)."""
    return _State.stopping


def _on_sigterm(signum: int, frame: Any) -> None:
    _State.stopping = True


def _on_spawn(sender: Any, proc_name: str, **kwargs: Any) -> None:
    ctypes.CDLL(None).prctl(_PR_SET_NAME, WORKER_PROCESS_NAME.encode(), 0, 0, 0)
    signal.signal(signal.SIGTERM, _on_sigterm)


def _on_pre_execute(sender: Any, func: Callable[..., Any] | None, task: dict[str, Any], **kwargs: Any) -> None:
    if _State.stopping:
        # Taken from the local queue after the stop request: back to the broker, for another worker.
        ack_id = task.pop("ack_id", None)
        broker = get_broker(task.get("cluster"))
        broker.enqueue(SignedPackage.dumps(task))
        if ack_id:
            broker.acknowledge(ack_id)
        logger.info("Worker stopping: task %s sent back to the queue", task.get("name"))
        raise SystemExit(0)


def connect() -> None:
    post_spawn.connect(_on_spawn, dispatch_uid="repotoire.qworker.spawn")
    pre_execute.connect(_on_pre_execute, dispatch_uid="repotoire.qworker.pre_execute")
