"""Fixtures of the code search tests: a real git repository analysed by the real analysis
service, indexed and embedded through django-q2's synchronous path, and a local stand-in for the
OpenAI API (embeddings + chat completions) served on 127.0.0.1."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pytest

from tests.stubs.http import Recorded, StubResponse, StubServer

AUTH_PY = '''"""Authentication helpers: signed cookies and sessions."""

import hashlib
import hmac


def sign_cookie(value: str, secret: str) -> str:
    """Sign a cookie value with an HMAC so that the browser cannot tamper with it."""
    digest = hmac.new(secret.encode(), value.encode(), hashlib.sha256).hexdigest()
    return f"{value}.{digest}"


def verify_cookie(signed: str, secret: str) -> str | None:
    """Return the cookie value when its signature is valid, else None."""
    value, _, digest = signed.rpartition(".")
    expected = hmac.new(secret.encode(), value.encode(), hashlib.sha256).hexdigest()
    return value if hmac.compare_digest(digest, expected) else None


class SessionStore:
    """Keeps user sessions in memory."""

    def __init__(self):
        self.sessions = {}

    def create_session(self, user_id):
        """Start a new session for a user and return its key."""
        key = hashlib.sha256(str(user_id).encode()).hexdigest()
        self.sessions[key] = user_id
        return key

    def delete_session(self, key):
        """Log the user out by forgetting the session."""
        self.sessions.pop(key, None)
'''

HTTP_PY = '''"""HTTP header parsing."""


def parse_accept_header(header: str) -> list[tuple[str, float]]:
    """Parse an HTTP Accept header into media types ordered by quality."""
    result = []
    for part in header.split(","):
        media, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            quality = float(params.strip()[2:])
        result.append((media.strip(), quality))
    return sorted(result, key=lambda item: -item[1])


def run_user_expression():
    """Evaluate what the user types (dangerous)."""
    return eval(input())
'''

STATS_PY = '''"""Numbers."""


def compute_average(values):
    """Arithmetic mean of a list of numbers."""
    return sum(values) / len(values)
'''

FILES = {"pkg/__init__.py": "", "pkg/auth.py": AUTH_PY, "pkg/http.py": HTTP_PY, "pkg/stats.py": STATS_PY}


from tests.gitrepo import commit_files as commit  # noqa: E402
from tests.gitrepo import git  # noqa: E402


@pytest.fixture(autouse=True)
def _codesearch_settings(settings, tmp_path: Path) -> None:
    settings.REPOTOIRE_WORKSPACE_DIR = tmp_path / "workspaces"
    settings.REPOTOIRE_ALLOW_LOCAL_REPOS = True
    settings.REPOTOIRE_LOCAL_REPO_ROOTS = [str(tmp_path)]
    settings.REPOTOIRE_ANALYSIS_PROCESSES = 1
    settings.REPOTOIRE_POST_ANALYSIS_HOOKS = {}
    settings.REPOTOIRE_EMBEDDING_BACKEND = "local"
    settings.REPOTOIRE_EMBEDDING_DIMENSIONS = 384
    settings.OPENAI_API_KEY = ""
    settings.OPENAI_BASE_URL = None


@pytest.fixture
def sample_repo(tmp_path: Path) -> Path:
    path = tmp_path / "sample"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    commit(path, FILES, "initial")
    return path


def analyse(org, repo_path: Path, repository=None):
    """Register (once) and analyse the repository at ``repo_path`` with the analysis app's own
    services; returns the completed run."""
    from analysis import services as analysis_services

    if repository is None:
        repository = analysis_services.repository_create(organization=org, name=repo_path.name, clone_url=str(repo_path))
    run = analysis_services.analysis_trigger(organization=org, repository_id=repository.pk)
    run = analysis_services.analysis_execute(run_id=run.pk)
    assert run is not None and run.status == "completed", (run and run.status, run and run.error_message)
    return run


def index(run, capture) -> dict:
    """Index ``run`` and run the embedding tasks it queues (django-q2 sync path, at commit)."""
    from codesearch import services

    with capture(execute=True):
        stats = services.codesearch_index_run(run_id=run.pk)
    return stats


@pytest.fixture
def indexed(org, sample_repo, q_sync, django_capture_on_commit_callbacks):
    """``org``'s sample repository, analysed, indexed and embedded with the local model."""
    run = analyse(org, sample_repo)
    stats = index(run, django_capture_on_commit_callbacks)
    return run, stats


# --- a stand-in for the OpenAI API ----------------------------------------------------------------
def bag_of_words_vector(text: str, dims: int) -> list[float]:
    """Deterministic embedding: hashed identifier words, so texts sharing words are close."""
    vector = np.zeros(dims, dtype=np.float64)
    for word in re.findall(r"[a-z]+", text.lower()):
        vector[int(hashlib.md5(word.encode()).hexdigest(), 16) % dims] += 1.0  # noqa: S324 - a bucket, not security
    norm = np.linalg.norm(vector)
    return (vector / norm if norm else vector).tolist()


class OpenAIStub:
    """Serves /v1/embeddings and /v1/chat/completions like the OpenAI API; ``answer`` is what the
    chat model says (a callable of the request body, or a string)."""

    def __init__(self) -> None:
        self.answer: object = "The cookie is signed in sign_cookie [1]."
        self.server = StubServer(self.handle)

    @property
    def requests(self) -> list[Recorded]:
        return self.server.requests

    def bodies(self, path: str) -> list[dict]:
        return [json.loads(r.body) for r in self.requests if r.path.endswith(path)]

    def handle(self, request: Recorded) -> StubResponse:
        headers = {k.lower(): v for k, v in request.headers.items()}
        if headers.get("authorization") != "Bearer sk-test-local":
            return StubResponse(401, {"error": {"message": "bad key", "type": "invalid_request_error"}})
        body = json.loads(request.body or b"{}")
        if request.path.endswith("/embeddings"):
            inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
            dims = int(body.get("dimensions") or 1536)
            data = [{"object": "embedding", "index": i, "embedding": bag_of_words_vector(t, dims)} for i, t in enumerate(inputs)]
            return StubResponse(
                200, {"object": "list", "data": data, "model": body["model"], "usage": {"prompt_tokens": 5, "total_tokens": 5}}
            )
        if request.path.endswith("/chat/completions"):
            text = self.answer(body) if callable(self.answer) else self.answer
            return StubResponse(
                200,
                {
                    "id": "chatcmpl-1",
                    "object": "chat.completion",
                    "created": 1700000000,
                    "model": body["model"],
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 120, "completion_tokens": 12, "total_tokens": 132},
                },
            )
        return StubResponse(404, {"error": {"message": "unknown path"}})


@pytest.fixture
def openai_stub(settings):
    stub = OpenAIStub()
    with stub.server:
        settings.OPENAI_API_KEY = "sk-test-local"
        settings.OPENAI_BASE_URL = stub.server.url + "/v1"
        settings.OPENAI_MODEL = "gpt-test"
        settings.OPENAI_EMBEDDING_MODEL = "text-embedding-3-small"
        yield stub
