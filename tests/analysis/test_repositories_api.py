from __future__ import annotations

import pytest

from analysis.models import AnalysisRun, Repository
from tests.factories import AnalysisRunFactory, RepositoryFactory

pytestmark = pytest.mark.django_db


def test_member_registers_https_repository_and_credentials_are_never_echoed(member):
    response = member.client.post(
        "/api/v1/repositories",
        {"name": "api", "clone_url": "https://x-access-token:s3cr3t@github.com/acme/api.git", "default_branch": "main"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["provider"] == "github"
    assert "s3cr3t" not in response.content.decode()
    assert body["clone_url"] == "https://***@github.com/acme/api.git"
    listed = member.client.get("/api/v1/repositories").content.decode()
    assert "s3cr3t" not in listed
    # stored as given: a private remote still needs its token to be fetched
    assert Repository.objects.get(pk=body["id"]).clone_url.startswith("https://x-access-token:s3cr3t@")


@pytest.mark.parametrize(
    "url, provider",
    [
        ("ssh://git@git.example.test/acme/api.git", "git"),
        ("git@github.com:acme/api.git", "github"),
        ("https://gitlab.example.test/acme/api", "git"),
    ],
)
def test_remote_url_forms_are_accepted(member, url, provider):
    response = member.client.post("/api/v1/repositories", {"name": "r", "clone_url": url}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["provider"] == provider


@pytest.mark.parametrize(
    "url",
    [
        "ext::sh -c touch% /tmp/pwned",
        "http://example.test/a.git",
        "-uhelp",
        "ftp://example.test/x",
        "relative/path",
        "https:///nohost",
    ],
)
def test_unsafe_or_unsupported_urls_are_refused(member, url):
    response = member.client.post("/api/v1/repositories", {"name": "r", "clone_url": url}, format="json")
    assert response.status_code == 400
    assert response.json()["error_code"] == "VALIDATION_ERROR"
    assert "clone_url" in response.json()["fields"]


def test_local_path_is_refused_when_local_repositories_are_disabled(member, sample_repo, settings):
    settings.REPOTOIRE_ALLOW_LOCAL_REPOS = False
    for url in (str(sample_repo), f"file://{sample_repo}", "/etc"):
        response = member.client.post("/api/v1/repositories", {"name": "r", "clone_url": url}, format="json")
        assert response.status_code == 400, url
        assert "disabled" in response.json()["detail"]


def test_local_path_is_accepted_when_allowed_and_confined_to_the_allowed_roots(member, sample_repo, settings, tmp_path):
    response = member.client.post("/api/v1/repositories", {"name": "local", "clone_url": f"file://{sample_repo}"}, format="json")
    assert response.status_code == 201
    assert response.json()["provider"] == "local"
    assert response.json()["clone_url"] == str(sample_repo.resolve())

    settings.REPOTOIRE_LOCAL_REPO_ROOTS = [str(tmp_path / "elsewhere")]
    response = member.client.post("/api/v1/repositories", {"name": "local2", "clone_url": str(sample_repo)}, format="json")
    assert response.status_code == 400
    assert "outside" in response.json()["detail"]


def test_duplicate_name_in_the_same_org_is_a_conflict(member):
    member.client.post("/api/v1/repositories", {"name": "api", "clone_url": "https://example.test/a.git"}, format="json")
    response = member.client.post(
        "/api/v1/repositories", {"name": "api", "clone_url": "https://example.test/b.git"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["error_code"] == "CONFLICT"


def test_plan_repository_limit_is_402(member, org):
    org.plan = "free"
    org.save()
    for i in range(3):
        assert (
            member.client.post(
                "/api/v1/repositories", {"name": f"r{i}", "clone_url": "https://example.test/a.git"}, format="json"
            ).status_code
            == 201
        )
    response = member.client.post(
        "/api/v1/repositories", {"name": "r4", "clone_url": "https://example.test/a.git"}, format="json"
    )
    assert response.status_code == 402
    assert response.json()["error_code"] == "PLAN_LIMIT_EXCEEDED"


def test_viewer_can_read_but_not_register(viewer, org):
    RepositoryFactory(organization=org)
    assert viewer.client.get("/api/v1/repositories").status_code == 200
    response = viewer.client.post("/api/v1/repositories", {"name": "x", "clone_url": "https://example.test/a.git"}, format="json")
    assert response.status_code == 403


def test_patch_changes_fields_and_delete_removes_repository(member, org):
    repo = RepositoryFactory(organization=org, name="old")
    response = member.client.patch(f"/api/v1/repositories/{repo.pk}", {"name": "new", "is_active": False}, format="json")
    assert response.status_code == 200
    assert response.json()["name"] == "new"
    assert response.json()["is_active"] is False
    assert member.client.delete(f"/api/v1/repositories/{repo.pk}").status_code == 204
    assert not Repository.objects.filter(pk=repo.pk).exists()


def test_delete_is_refused_while_an_analysis_runs(member, org):
    repo = RepositoryFactory(organization=org)
    AnalysisRunFactory(repository=repo, status="running")
    response = member.client.delete(f"/api/v1/repositories/{repo.pk}")
    assert response.status_code == 409
    assert Repository.objects.filter(pk=repo.pk).exists()


def test_trend_lists_completed_runs_oldest_first(member, org):
    repo = RepositoryFactory(organization=org)
    from django.utils import timezone

    now = timezone.now()
    for i, score in enumerate([70.0, 80.0]):
        AnalysisRunFactory(
            repository=repo,
            status="completed",
            health_score=score,
            grade="B",
            finished_at=now + timezone.timedelta(minutes=i),
            pillar_scores={"security": score},
            findings_counts={"total": i},
        )
    AnalysisRunFactory(repository=repo, status="failed", finished_at=now)
    response = member.client.get(f"/api/v1/repositories/{repo.pk}/trend")
    assert response.status_code == 200
    assert [p["health_score"] for p in response.json()] == [70.0, 80.0]
    assert response.json()[0]["pillar_scores"] == {"security": 70.0}
    assert member.client.get(f"/api/v1/repositories/{repo.pk}/trend?limit=0").status_code == 400


def test_repository_list_query_count_is_fixed(member, org, django_assert_max_num_queries):
    for _ in range(15):
        RepositoryFactory(organization=org)
    with django_assert_max_num_queries(8):
        response = member.client.get("/api/v1/repositories?page_size=100")
    assert response.json()["count"] == 15


# --- tenancy -------------------------------------------------------------------------------------
def test_outsider_gets_404_for_another_orgs_repository_everywhere(outsider, org):
    repo = RepositoryFactory(organization=org)
    assert outsider.client.get(f"/api/v1/repositories/{repo.pk}").status_code == 404
    assert outsider.client.patch(f"/api/v1/repositories/{repo.pk}", {"name": "x"}, format="json").status_code == 404
    assert outsider.client.delete(f"/api/v1/repositories/{repo.pk}").status_code == 404
    assert outsider.client.get(f"/api/v1/repositories/{repo.pk}/trend").status_code == 404
    assert outsider.client.get("/api/v1/repositories").json()["count"] == 0
    assert Repository.objects.filter(pk=repo.pk, name=repo.name).exists()


def test_anonymous_gets_401_on_repository_routes(anon, org):
    repo = RepositoryFactory(organization=org)
    for method, url in [
        ("get", "/api/v1/repositories"),
        ("post", "/api/v1/repositories"),
        ("get", f"/api/v1/repositories/{repo.pk}"),
        ("patch", f"/api/v1/repositories/{repo.pk}"),
        ("delete", f"/api/v1/repositories/{repo.pk}"),
        ("get", f"/api/v1/repositories/{repo.pk}/trend"),
    ]:
        response = getattr(anon, method)(url)
        assert response.status_code == 401, (method, url)
        assert response.json()["error_code"] == "UNAUTHORIZED"
    assert AnalysisRun.objects.count() == 0
