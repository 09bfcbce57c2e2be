"""The payloads the analysis and findings apps really send have the documented shape (README and
OpenAPI are rendered from ``webhooks.events``), key for key: a real repository analysed twice
through the API (django-q2 sync path) — one problem fixed between the commits, so the score
moves — then a run whose repository has disappeared. fix.* and quality_gate.failed are checked
the same way in the fixes and GitHub tests."""

from __future__ import annotations

import json
import shutil

import pytest

from analysis import services as analysis_services
from tests.analysis.conftest import APP_PY, HELPERS_PY, commit_files, git
from tests.webhooks.helpers import assert_documented_shape, create_endpoint
from webhooks.models import WebhookDelivery
from webhooks.services import EVENT_TYPES

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

# Every event the analysis and findings apps send (the run below must produce each of them).
ANALYSIS_EVENTS = [t for t in EVENT_TYPES if t.split(".")[0] in ("analysis", "health_score", "finding")]


def _trigger(client, repo, capture) -> str:
    with capture(execute=True):
        response = client.post("/api/v1/analysis/trigger", {"repository_id": str(repo.pk)}, format="json")
    assert response.status_code == 202, response.json()
    return response.json()["id"]


def test_analysis_and_finding_events_match_the_documented_examples(
    org, member, tmp_path, settings, q_sync, receiver, allow_private_targets, django_capture_on_commit_callbacks
):
    assert len(ANALYSIS_EVENTS) == 6
    settings.REPOTOIRE_WORKSPACE_DIR = tmp_path / "workspaces"
    settings.REPOTOIRE_ALLOW_LOCAL_REPOS = True
    settings.REPOTOIRE_LOCAL_REPO_ROOTS = [str(tmp_path)]
    settings.REPOTOIRE_POST_ANALYSIS_HOOKS = {}
    create_endpoint(org, receiver.url, events=ANALYSIS_EVENTS)
    path = tmp_path / "sample"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    commit_files(path, {"app.py": APP_PY, "pkg/__init__.py": "", "pkg/helpers.py": HELPERS_PY}, "initial")
    repo = analysis_services.repository_create(organization=org, name="sample", clone_url=str(path))

    _trigger(member.client, repo, django_capture_on_commit_callbacks)
    fixed = APP_PY.replace("value = eval(input())", "value = int(input())").replace("import os\n", "")
    commit_files(path, {"app.py": fixed}, "no eval, no unused import")
    _trigger(member.client, repo, django_capture_on_commit_callbacks)
    shutil.rmtree(path)
    failed = _trigger(member.client, repo, django_capture_on_commit_callbacks)
    assert member.client.get(f"/api/v1/analysis/{failed}/status").json()["status"] == "failed"

    sent: dict[str, list[dict]] = {}
    for delivery in WebhookDelivery.objects.filter(organization=org).order_by("created_at"):
        sent.setdefault(delivery.event_type, []).append(json.loads(delivery.body)["data"])
    assert set(sent) == set(ANALYSIS_EVENTS)
    for event_type, payloads in sent.items():
        for data in payloads:
            assert_documented_shape(event_type, data)
            assert data["repository"] == {"id": str(repo.pk), "name": "sample"}
    # what the receiver got is what was recorded
    received = [json.loads(r.body) for r in receiver.wait_for(sum(map(len, sent.values())))]
    assert sorted(b["type"] for b in received) == sorted(t for t, payloads in sent.items() for _ in payloads)
