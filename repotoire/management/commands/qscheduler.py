from __future__ import annotations

import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django_q.brokers import get_broker
from django_q.scheduler import scheduler


class Command(BaseCommand):
    help = (
        "The scheduler role: turns due django-q2 schedules (the sweepers) into queued tasks every "
        "--interval seconds. Run one per deployment; the clusters then run with Q_SCHEDULER=false. "
        "Several are harmless (schedules are claimed with SELECT ... FOR UPDATE), just redundant."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--interval",
            type=float,
            default=settings.REPOTOIRE_SCHEDULER_INTERVAL,
            help="seconds between two passes (REPOTOIRE_SCHEDULER_INTERVAL, default 30 as django-q2's own)",
        )
        parser.add_argument("--once", action="store_true", help="one pass, then exit")

    def handle(self, *args: Any, interval: float, once: bool, **options: Any) -> None:
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        broker = get_broker()
        self.stdout.write(f"Scheduler running (every {interval:g} s)")
        while not stop.is_set():
            scheduler(broker=broker)
            if once:
                break
            stop.wait(interval)
        self.stdout.write("Scheduler stopped")
