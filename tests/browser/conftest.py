"""Browser tests: Playwright for Python driving Debian's Chromium against a real server.

How to use (other apps' browser tests too):

- ``live_platform`` (session): ``collectstatic`` into a temporary STATIC_ROOT (hashed, compressed names,
  as in production), then what ``make run`` starts — uvicorn on a free port, the django-q2 worker
  cluster and the background cluster — against the test database. ``live_platform.url`` is the base
  URL, ``live_platform.log`` the servers' combined output. Started once, on first use.
- ``page`` / ``context`` (pytest-playwright) have ``base_url`` set to it: ``page.goto("/docs")``.
  Chromium is Debian's (``shutil.which("chromium")``, through ``executable_path``); no browser is
  ever downloaded.
- Rows the server must see have to be committed: request ``transactional_db`` (the tables are
  emptied after each test) or use ``browser_db``, which also lets the ORM run beside
  Playwright's event loop.
- ``network_log``: every URL the page requested; ``assert_all_local(network_log)`` fails on any that
  went anywhere but 127.0.0.1.
- On failure a full-page screenshot of every open page lands in the test's ``tmp_path``
  (``playwright/test-failed-N.png``); the path is printed in the report.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import expect

from tests.asgi import ROOT, free_port, stop_processes

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


# Eight people share two cores here: a page that renders in 1 s alone can take 10 s under load.
expect.set_options(timeout=30_000)


def pytest_configure(config: pytest.Config) -> None:
    # pytest-playwright keeps screenshots of failed tests only when asked; ask by default.
    if config.getoption("--screenshot", default=None) == "off":
        config.option.screenshot = "only-on-failure"
        config.option.full_page_screenshot = True


@dataclass(frozen=True)
class Platform:
    url: str
    log: Path


def _start(cmd: list[str], env: dict[str, str], log) -> subprocess.Popen:
    # A session of its own: the teardown can signal the whole process group (qcluster's workers).
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def _stop(*procs: subprocess.Popen) -> None:
    stop_processes(*procs, sig=signal.SIGTERM, timeout=20)
    for proc in procs:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.fixture(scope="session")
def live_platform(django_db_setup, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """uvicorn + the worker and background clusters, as ``make run`` starts them, on the test database."""
    from django.db import connection

    base_dir = tmp_path_factory.mktemp("platform")
    env = {
        **os.environ,
        "REPOTOIRE_ENV": "test",
        "REPOTOIRE_DB_NAME": connection.settings_dict["NAME"],
        "STATIC_ROOT": str(base_dir / "static"),
        "REPOTOIRE_STATIC_MANIFEST": "true",
        "REPOTOIRE_WORKSPACE_DIR": str(base_dir / "workspaces"),
        "REPOTOIRE_ALLOW_LOCAL_REPOS": "true",
        # Embedding a repository loads the local model in the background worker (a gigabyte of
        # memory on a shared 2-core machine); the code-search tests cover that path.
        "REPOTOIRE_CODESEARCH_INDEX_ON_COMPLETE": "false",
        "REPOTOIRE_SSE_HEARTBEAT_SECONDS": "1",
        # Customer webhooks may reach a receiver on 127.0.0.1 (the dashboard's test delivery).
        "REPOTOIRE_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
        "Q_WORKERS": "1",
        "Q_BACKGROUND_WORKERS": "1",
    }
    log_path = base_dir / "servers.log"
    with open(log_path, "w") as log:
        collected = subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        assert collected.returncode == 0, log_path.read_text()[-3000:]
        port = free_port()
        procs = [
            _start(
                [sys.executable, "-m", "uvicorn", "repotoire.asgi:application", "--host", "127.0.0.1", "--port", str(port)],
                env,
                log,
            ),
            _start([sys.executable, "manage.py", "qcluster"], env, log),
            _start([sys.executable, "manage.py", "qcluster"], {**env, "Q_CLUSTER_NAME": "background"}, log),
        ]
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if any(p.poll() is not None for p in procs) or time.monotonic() > deadline:
                    raise RuntimeError("the platform did not start: " + log_path.read_text()[-3000:])
                time.sleep(0.2)
            yield Platform(url=url, log=log_path)
        finally:
            _stop(*procs)


@pytest.fixture(scope="session")
def base_url(live_platform: Platform) -> str:
    """pytest-playwright's contexts resolve ``page.goto("/docs")`` against this."""
    return live_platform.url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("Debian's Chromium is missing: apt-get install -y chromium (.ci/run does it)")
    return {**browser_type_launch_args, "executable_path": chromium, "args": CHROMIUM_ARGS}


@pytest.fixture
def output_path(tmp_path: Path) -> str:
    """Screenshots of failed tests go under the test's own temporary directory."""
    return str(tmp_path / "playwright")


@pytest.fixture
def browser_db(transactional_db, monkeypatch: pytest.MonkeyPatch) -> None:
    """Committed rows (the server is another process) and ORM calls between Playwright calls.

    Playwright's sync API keeps an asyncio loop running in this thread, and Django refuses ORM
    calls while one runs; the ORM is only ever called from the test's own code here, never from
    inside the loop.
    """
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


class NetworkLog:
    """Every request a page made; those the browser refused to send (CSP) are kept apart."""

    def __init__(self) -> None:
        self.urls: list[str] = []
        self.blocked: list[str] = []

    def sent(self) -> list[str]:
        blocked = list(self.blocked)
        sent = []
        for url in self.urls:
            if url in blocked:
                blocked.remove(url)
            else:
                sent.append(url)
        return sent


@pytest.fixture
def network_log(page) -> NetworkLog:
    """The page's requests from now on (documents, scripts, fonts, images, XHR)."""
    log = NetworkLog()
    page.on("request", lambda request: log.urls.append(request.url))
    page.on("requestfailed", lambda request: request.failure == "csp" and log.blocked.append(request.url))
    return log


def assert_all_local(log: NetworkLog) -> None:
    """No request left 127.0.0.1 (data: and blob: URLs never touch the network; a request the
    Content-Security-Policy blocked was never sent)."""
    outside = [u for u in log.sent() if urlsplit(u).scheme not in ("data", "blob") and urlsplit(u).hostname != "127.0.0.1"]
    assert not outside, f"requests left 127.0.0.1: {outside}"
