"""Fixtures of the fixes tests: a real git repository with known problems, analysed through the
real analysis service (django-q2's synchronous path), and proposals in any state."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from analysis import services as analysis_services
from analysis.models import AnalysisRun, Repository
from findings.models import Finding
from fixes.models import FixProposal, FixStatus, confidence_label
from tests.analysis.conftest import commit_files, git

# One unused import (rule), one bare except (rule), one eval (no rule covers code-injection).
APP_PY = '''"""Orders."""

import os
import json


def total(items, seen=[]):  # cache of seen ids
    """Sum of the item prices."""
    for item in items:
        seen.append(item["id"])
    return sum(item["price"] for item in items)


def parse(text):
    """Parse an order, or None."""
    try:
        return json.loads(text)
    except:
        pass


def run():
    """Evaluate what the user types."""
    value = eval(input())
    return value
'''


@dataclass
class Analysed:
    path: Path
    repo: Repository
    run: AnalysisRun

    def finding(self, detector: str) -> Finding:
        return Finding.objects.get(repository=self.repo, detector=detector, is_present=True)

    def reanalyse(self, analyse: Callable[..., AnalysisRun]) -> AnalysisRun:
        return analyse(self.repo)


@pytest.fixture(autouse=True)
def _fixes_settings(tmp_path: Path, settings) -> None:
    settings.REPOTOIRE_WORKSPACE_DIR = tmp_path / "workspaces"
    settings.REPOTOIRE_ALLOW_LOCAL_REPOS = True
    settings.REPOTOIRE_LOCAL_REPO_ROOTS = [str(tmp_path)]
    settings.REPOTOIRE_FIXES_AUTO_GENERATE = False
    settings.OPENAI_API_KEY = ""


@pytest.fixture
def analyse(q_sync, django_capture_on_commit_callbacks) -> Callable[..., AnalysisRun]:
    """Run a real analysis of a registered repository through the task queue's sync path."""

    def run(repo: Repository) -> AnalysisRun:
        with django_capture_on_commit_callbacks(execute=True):
            created = analysis_services.analysis_trigger(organization=repo.organization, repository_id=repo.pk)
        created.refresh_from_db()
        assert created.status == "completed", (created.error_code, created.error_message)
        return created

    return run


def make_git_repo(path: Path, files: dict[str, str]) -> Path:
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    commit_files(path, files, "initial")
    return path


@pytest.fixture
def analysed(org, tmp_path: Path, analyse) -> Analysed:
    path = make_git_repo(tmp_path / "shop", {"app.py": APP_PY, "pkg/__init__.py": ""})
    repo = analysis_services.repository_create(organization=org, name="acme/shop", clone_url=str(path))
    return Analysed(path, repo, analyse(repo))


@pytest.fixture
def generate(django_capture_on_commit_callbacks) -> Callable[..., FixProposal]:
    """Request a fix through the API client and run its generation task (sync)."""

    def request(client, finding: Finding, expect: int = 202) -> FixProposal:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"/api/v1/findings/{finding.pk}/fix", format="json")
        assert response.status_code == expect, response.json()
        return FixProposal.objects.get(pk=response.json()["id"])

    return request


def make_proposal(finding: Finding, status: str = FixStatus.PENDING, **extra) -> FixProposal:
    """A proposal in any state, built directly (for state-machine and tenancy tests)."""
    confidence = extra.pop("confidence", 0.9)
    return FixProposal.objects.create(
        organization=finding.organization,
        repository=finding.repository,
        finding=finding,
        analysis_run=finding.last_seen_run,
        base_commit=finding.last_seen_run.commit_sha if finding.last_seen_run else "",
        status=status,
        provenance=extra.pop("provenance", "rule"),
        source=extra.pop("source", "rule:test"),
        confidence=confidence,
        confidence_label=confidence_label(confidence),
        validation=extra.pop("validation", {"applies": True, "syntax_ok": True, "finding_resolved": True, "new_findings": []}),
        diff=extra.pop("diff", "diff --git a/app.py b/app.py\n--- a/app.py\n+++ b/app.py\n@@ -1 +1 @@\n-x\n+y\n"),
        files=extra.pop("files", ["app.py"]),
        **extra,
    )
