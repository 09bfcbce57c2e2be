"""Clone URLs get the customer-webhook SSRF guard: non-public hosts are refused when saved and
before every fetch (a name resolving to one included), and every failed fetch reads the same."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from analysis import services
from analysis.models import AnalysisRun, Repository
from analysis.sources import UNREACHABLE

pytestmark = pytest.mark.django_db


@pytest.fixture
def guarded(settings) -> None:
    settings.REPOTOIRE_CLONE_ALLOW_PRIVATE_TARGETS = False


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A TCP port on 127.0.0.1 that records whether anything connected to it."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.setblocking(False)
    yield sock
    sock.close()


def _contacted(sock: socket.socket) -> bool:
    try:
        conn, _ = sock.accept()
    except BlockingIOError:
        return False
    conn.close()
    return True


def _run(client, repo: Repository, capture) -> AnalysisRun:
    with capture(execute=True):
        response = client.post("/api/v1/analysis/trigger", {"repository_id": str(repo.pk)}, format="json")
    assert response.status_code == 202, response.json()
    return AnalysisRun.objects.get(pk=response.json()["id"])


@pytest.mark.parametrize(
    "url",
    [
        "https://169.254.169.254/latest/meta-data.git",
        "https://127.0.0.1/x.git",
        "https://0x7f000001/x.git",
        "https://2130706433/x.git",
        "https://127.1:8443/x.git",
        "https://10.0.0.5/x.git",
        "ssh://git@127.0.0.1/x.git",
        "git@127.0.0.1:x.git",
        "git@192.168.1.1:org/x.git",
    ],
)
def test_non_public_literal_hosts_are_refused_when_saved(member, guarded, url):
    response = member.client.post("/api/v1/repositories", {"name": "r", "clone_url": url}, format="json")
    assert response.status_code == 400, url
    assert response.json()["error_code"] == "VALIDATION_ERROR"
    assert response.json()["detail"] == "This clone URL's host is not allowed"


def test_a_name_resolving_to_loopback_is_never_fetched(
    member, org, guarded, listener, q_sync, django_capture_on_commit_callbacks
):
    port = listener.getsockname()[1]
    for name, url in (
        ("by-name", f"https://localhost:{port}/x.git"),
        ("by-ssh-name", f"ssh://git@localhost:{port}/x.git"),
        # a row saved before the guard (or by hand) is vetted again before the fetch
        ("by-address", f"https://127.0.0.1:{port}/x.git"),
    ):
        repo = (
            services.repository_create(organization=org, name=name, clone_url=url)
            if "localhost" in url
            else Repository.objects.create(organization=org, name=name, clone_url=url, provider="git")
        )
        run = _run(member.client, repo, django_capture_on_commit_callbacks)
        assert (run.status, run.error_code, run.error_message) == ("failed", "CLONE_FAILED", UNREACHABLE), name
        assert not _contacted(listener), name


def test_fetch_failures_read_the_same_whatever_the_cause(
    member, org, settings, listener, q_sync, django_capture_on_commit_callbacks
):
    """Refused, open but not git, closed, unresolvable: one message (no port scanner), in
    development too where private targets are allowed."""
    settings.REPOTOIRE_CLONE_ALLOW_PRIVATE_TARGETS = True
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    closed_port = closed.getsockname()[1]
    closed.close()
    open_port = listener.getsockname()[1]
    messages = set()
    for name, url in (
        ("open", f"https://127.0.0.1:{open_port}/x.git"),
        ("closed", f"https://127.0.0.1:{closed_port}/x.git"),
        ("unresolvable", "https://no-such-host.invalid/x.git"),
        ("ssh-closed", f"ssh://git@127.0.0.1:{closed_port}/x.git"),
    ):
        settings.REPOTOIRE_ANALYSIS_TIMEOUT_SECONDS = 5 if name == "open" else 60
        repo = services.repository_create(organization=org, name=name, clone_url=url)
        run = _run(member.client, repo, django_capture_on_commit_callbacks)
        assert (run.status, run.error_code) == ("failed", "CLONE_FAILED"), name
        messages.add(run.error_message)
    assert messages == {UNREACHABLE}
