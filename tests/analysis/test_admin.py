from __future__ import annotations

import pytest

from analysis.models import AnalysisRun
from tests.factories import AnalysisRunFactory, MembershipFactory, RepositoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, org):
    user = MembershipFactory(organization=org, role="owner").user
    user.is_staff = user.is_superuser = True
    user.save()
    client.force_login(user)
    return client


def test_admin_rerun_action_queues_a_new_run_at_the_same_commit(staff_client, org):
    repo = RepositoryFactory(organization=org, clone_url="https://example.test/x.git")
    done = AnalysisRunFactory(repository=repo, status="completed", commit_sha="a" * 40, branch="main")
    response = staff_client.post(
        "/admin/analysis/analysisrun/", {"action": "rerun_analysis", "_selected_action": [str(done.pk)]}, follow=True
    )
    assert response.status_code == 200
    rerun = AnalysisRun.objects.exclude(pk=done.pk).get()
    assert (rerun.status, rerun.trigger, rerun.commit_sha, rerun.branch) == ("queued", "rerun", "a" * 40, "main")


def test_admin_rerun_of_a_busy_repository_reports_the_conflict(staff_client, org):
    repo = RepositoryFactory(organization=org)
    AnalysisRunFactory(repository=repo, status="running")
    done = AnalysisRunFactory(repository=repo, status="completed")
    response = staff_client.post(
        "/admin/analysis/analysisrun/", {"action": "rerun_analysis", "_selected_action": [str(done.pk)]}, follow=True
    )
    assert "already running" in response.content.decode()
    assert AnalysisRun.objects.filter(repository=repo).count() == 2


def test_admin_lists_repositories_without_credentials(staff_client, org):
    RepositoryFactory(organization=org, clone_url="https://user:t0ken@example.test/x.git")
    response = staff_client.get("/admin/analysis/repository/")
    assert response.status_code == 200
    assert "t0ken" not in response.content.decode()
    assert staff_client.get("/admin/analysis/analysisrun/").status_code == 200
