"""Requesting, generating (sandbox validation), reviewing and applying fixes through the API on a
real git repository analysed by the real engine."""

from __future__ import annotations

import pytest

from fixes.models import FixProposal, FixStatus
from fixes.services import apply
from tests.analysis.conftest import commit_files, git

pytestmark = pytest.mark.django_db


def test_requesting_a_fix_generates_a_validated_pending_proposal(member, analysed, generate):
    finding = analysed.finding("unused-import")
    proposal = generate(member.client, finding)
    proposal.refresh_from_db()
    assert proposal.status == FixStatus.PENDING, (proposal.error_code, proposal.error)
    assert proposal.source == "rule:unused-import" and proposal.provenance == "rule"
    assert proposal.base_commit == analysed.run.commit_sha
    assert "-import os\n" in proposal.diff and proposal.files == ["app.py"]
    validation = proposal.validation
    assert validation["applies"] is True and validation["syntax_ok"] is True
    assert validation["finding_resolved"] is True and validation["target_present_before"] is True
    assert validation["new_findings"] == []
    assert validation["duration_ms"] > 0
    assert proposal.confidence_label == "high"

    body = member.client.get(f"/api/v1/fixes/{proposal.pk}").json()
    assert body["diff"] == proposal.diff
    assert body["validation"]["finding_resolved"] is True
    assert [(e["from_status"], e["to_status"]) for e in body["audit"]] == [("", "generating"), ("generating", "pending")]


def test_requesting_again_returns_the_same_live_proposal(member, analysed, generate):
    finding = analysed.finding("mutable-default-argument")
    first = generate(member.client, finding)
    again = generate(member.client, finding, expect=200)
    assert again.pk == first.pk
    assert FixProposal.objects.filter(finding=finding).count() == 1


def test_finding_no_rule_covers_without_llm_is_503_llm_not_configured(member, analysed):
    response = member.client.post(f"/api/v1/findings/{analysed.finding('code-injection').pk}/fix")
    assert response.status_code == 503
    assert response.json()["error_code"] == "LLM_NOT_CONFIGURED"
    assert not FixProposal.objects.exists()


def test_llm_fix_outside_the_plan_is_402(member, analysed, settings, org):
    settings.OPENAI_API_KEY = "sk-test"
    org.plan = "free"
    org.save(update_fields=["plan"])
    response = member.client.post(f"/api/v1/findings/{analysed.finding('code-injection').pk}/fix")
    assert response.status_code == 402


def test_approve_then_apply_commits_a_branch_in_the_local_repository(member, analysed, generate):
    proposal = generate(member.client, analysed.finding("bare-or-swallowed-except"))
    head_before = git(analysed.path, "rev-parse", "HEAD")
    text_before = (analysed.path / "app.py").read_text()

    assert member.client.post(f"/api/v1/fixes/{proposal.pk}/approve").json()["status"] == "approved"
    response = member.client.post(f"/api/v1/fixes/{proposal.pk}/apply")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "applied"
    branch = f"repotoire/fix-{proposal.pk.hex[:8]}"
    assert body["apply_result"]["branch"] == branch
    commit = body["apply_result"]["commit_sha"]
    assert git(analysed.path, "rev-parse", branch) == commit
    assert git(analysed.path, "rev-parse", f"{commit}^") == analysed.run.commit_sha
    fixed = git(analysed.path, "show", f"{branch}:app.py")
    assert "    except Exception:\n" in fixed and "except:\n" not in fixed
    assert "Repotoire-Fix: " in git(analysed.path, "log", "-1", "--format=%B", branch)
    # the working tree, index and current branch of the repository are untouched
    assert git(analysed.path, "rev-parse", "HEAD") == head_before
    assert git(analysed.path, "rev-parse", "--abbrev-ref", "HEAD") == "main"
    assert (analysed.path / "app.py").read_text() == text_before
    assert git(analysed.path, "status", "--porcelain") == ""
    assert [e["to_status"] for e in body["audit"]] == ["generating", "pending", "approved", "applied"]
    assert body["applied_by"] == member.user.username


def test_reject_with_reason_then_reopen(member, analysed, generate):
    proposal = generate(member.client, analysed.finding("unused-import"))
    body = member.client.post(f"/api/v1/fixes/{proposal.pk}/reject", {"reason": "we keep os for plugins"}, format="json").json()
    assert body["status"] == "rejected" and body["rejection_reason"] == "we keep os for plugins"
    assert body["rejected_by"] == member.user.username
    assert member.client.post(f"/api/v1/fixes/{proposal.pk}/reopen").json()["status"] == "pending"


def test_github_repository_apply_is_409_until_the_github_app_is_connected(member, analysed, monkeypatch):
    from tests.fixes.conftest import make_proposal

    analysed.repo.provider = "github"
    analysed.repo.save(update_fields=["provider"])
    proposal = make_proposal(analysed.finding("unused-import"), FixStatus.APPROVED)
    response = member.client.post(f"/api/v1/fixes/{proposal.pk}/apply")
    assert response.status_code == 409
    assert response.json()["error_code"] == "GITHUB_NOT_CONNECTED"
    proposal.refresh_from_db()
    assert proposal.status == FixStatus.APPROVED


def test_github_repository_apply_opens_a_pull_request_through_the_github_app(member, analysed, generate, monkeypatch):
    proposal = generate(member.client, analysed.finding("unused-import"))
    member.client.post(f"/api/v1/fixes/{proposal.pk}/approve")
    analysed.repo.provider = "github"
    analysed.repo.default_branch = "main"
    analysed.repo.save(update_fields=["provider", "default_branch"])
    calls = []

    def open_pull_request(**kwargs):
        calls.append(kwargs)
        return {"pull_request_url": "https://github.com/acme/shop/pull/7", "commit_sha": "abc123"}

    monkeypatch.setattr(apply, "github_open_pull_request", open_pull_request)
    body = member.client.post(f"/api/v1/fixes/{proposal.pk}/apply").json()
    assert body["status"] == "applied"
    assert body["apply_result"]["pull_request_url"] == "https://github.com/acme/shop/pull/7"
    (call,) = calls
    assert call["branch"] == f"repotoire/fix-{proposal.pk.hex[:8]}" and call["base"] == "main"
    assert call["patch"] == proposal.diff and "Repotoire-Fix: " in call["commit_message"]


def test_github_repository_not_linked_to_the_github_app_is_409_github_not_connected(member, analysed):
    from tests.fixes.conftest import make_proposal

    analysed.repo.provider = "github"
    analysed.repo.save(update_fields=["provider"])
    proposal = make_proposal(analysed.finding("unused-import"), FixStatus.APPROVED)
    response = member.client.post(f"/api/v1/fixes/{proposal.pk}/apply")
    assert response.status_code == 409, response.json()
    assert response.json()["error_code"] == "GITHUB_NOT_CONNECTED"
    proposal.refresh_from_db()
    assert proposal.status == FixStatus.APPROVED


def test_github_patch_that_no_longer_applies_fails_the_proposal(member, analysed, generate, monkeypatch):
    from repotoire.api.exceptions import Conflict

    proposal = generate(member.client, analysed.finding("unused-import"))
    member.client.post(f"/api/v1/fixes/{proposal.pk}/approve")
    analysed.repo.provider = "github"
    analysed.repo.save(update_fields=["provider"])

    def open_pull_request(**kwargs):
        raise Conflict("The patch does not apply to the base branch: app.py: patch does not apply")

    monkeypatch.setattr(apply, "github_open_pull_request", open_pull_request)
    body = member.client.post(f"/api/v1/fixes/{proposal.pk}/apply").json()
    assert body["status"] == "failed" and body["error_code"] == "APPLY_FAILED"
    assert "does not apply" in body["error"]


def test_changed_base_file_makes_open_proposals_stale_after_the_next_analysis(member, analysed, generate, analyse):
    pending = generate(member.client, analysed.finding("unused-import"))
    commit_files(analysed.path, {"pkg/extra.py": '"""Unrelated."""\n'}, "unrelated change")
    analyse(analysed.repo)
    pending.refresh_from_db()
    assert pending.status == FixStatus.PENDING

    commit_files(analysed.path, {"app.py": analysed.path.joinpath("app.py").read_text() + "\n\nX = 1\n"}, "edit app")
    run = analyse(analysed.repo)
    pending.refresh_from_db()
    assert pending.status == FixStatus.STALE
    event = pending.events.order_by("-id").first()
    assert event.from_status == "pending" and "app.py" in event.reason and str(run.pk) in event.reason
    response = member.client.post(f"/api/v1/fixes/{pending.pk}/approve")
    assert response.status_code == 409


def test_automatic_proposals_after_an_analysis_are_capped_and_validated(org, analysed, analyse, settings):
    settings.REPOTOIRE_FIXES_AUTO_GENERATE = True
    settings.REPOTOIRE_FIXES_AUTO_MAX_PER_RUN = 2
    commit_files(analysed.path, {"README.md": "shop\n"}, "docs")
    run = analyse(analysed.repo)
    proposals = list(FixProposal.objects.filter(repository=analysed.repo))
    assert len(proposals) == 2
    for proposal in proposals:
        assert proposal.status == FixStatus.PENDING, (proposal.error_code, proposal.error)
        assert proposal.base_commit == run.commit_sha and proposal.requested_by is None
        assert proposal.validation["finding_resolved"] is True
    # the next analysis covers the third rule-fixable finding, never a second proposal for one
    analyse(analysed.repo)
    findings = list(FixProposal.objects.filter(repository=analysed.repo).values_list("finding__detector", flat=True))
    assert sorted(findings) == ["bare-or-swallowed-except", "mutable-default-argument", "unused-import"]
    analyse(analysed.repo)
    assert FixProposal.objects.filter(repository=analysed.repo).count() == 3


def test_list_filters_and_pagination(member, analysed, django_assert_max_num_queries):
    from tests.fixes.conftest import make_proposal

    a = make_proposal(analysed.finding("unused-import"), FixStatus.PENDING, confidence=0.95)
    b = make_proposal(analysed.finding("bare-or-swallowed-except"), FixStatus.REJECTED, confidence=0.4)
    c = make_proposal(analysed.finding("code-injection"), FixStatus.APPROVED, provenance="llm", source="llm:gpt", confidence=0.6)

    def ids(**params):
        return {row["id"] for row in member.client.get("/api/v1/fixes", params).json()["results"]}

    assert ids() == {str(a.pk), str(b.pk), str(c.pk)}
    assert ids(status="rejected") == {str(b.pk)}
    assert ids(source="llm") == {str(c.pk)}
    assert ids(source="rule:test") == {str(a.pk), str(b.pk)}
    assert ids(confidence="high") == {str(a.pk)}
    assert ids(min_confidence=0.5) == {str(a.pk), str(c.pk)}
    assert ids(finding_id=str(a.finding_id)) == {str(a.pk)}
    assert ids(repository_id=str(analysed.repo.pk)) == {str(a.pk), str(b.pk), str(c.pk)}
    page = member.client.get("/api/v1/fixes", {"page_size": 2}).json()
    assert page["count"] == 3 and len(page["results"]) == 2 and page["next"]
    with django_assert_max_num_queries(8):
        assert member.client.get("/api/v1/fixes").status_code == 200
    assert member.client.get("/api/v1/fixes", {"status": "bogus"}).status_code == 400


def test_apply_to_another_remote_pushes_the_branch(member, org, tmp_path, analyse, generate):
    from tests.factories import RepositoryFactory
    from tests.fixes.conftest import APP_PY, make_git_repo

    work = make_git_repo(tmp_path / "work", {"app.py": APP_PY})
    bare = tmp_path / "remote.git"
    git(tmp_path, "clone", "-q", "--bare", str(work), str(bare))
    repo = RepositoryFactory(organization=org, name="acme/remote", clone_url=f"file://{bare}", provider="git")
    analyse(repo)
    from findings.models import Finding

    proposal = generate(member.client, Finding.objects.get(repository=repo, detector="unused-import"))
    member.client.post(f"/api/v1/fixes/{proposal.pk}/approve")
    body = member.client.post(f"/api/v1/fixes/{proposal.pk}/apply").json()
    assert body["status"] == "applied", body
    assert body["apply_result"]["pushed"] is True
    branch = f"repotoire/fix-{proposal.pk.hex[:8]}"
    assert git(bare, "rev-parse", branch) == body["apply_result"]["commit_sha"]
    assert "import os\n" not in git(bare, "show", f"{branch}:app.py")


def test_preview_marks_a_proposal_stale_when_its_file_changed_since(member, analysed, generate, analyse, settings):
    proposal = generate(member.client, analysed.finding("unused-import"))
    settings.REPOTOIRE_POST_ANALYSIS_HOOKS = {}  # no post-analysis hook: only the preview notices
    commit_files(analysed.path, {"app.py": analysed.path.joinpath("app.py").read_text() + "\n\nY = 2\n"}, "edit app")
    analyse(analysed.repo)
    proposal.refresh_from_db()
    assert proposal.status == FixStatus.PENDING
    result = member.client.post(f"/api/v1/fixes/{proposal.pk}/preview").json()
    assert result["base_changed"] == ["app.py"] and result["applies"] is True
    proposal.refresh_from_db()
    assert proposal.status == FixStatus.STALE


def test_a_proposal_abandoned_while_generating_is_replaced_by_a_new_request(member, analysed, generate):
    from datetime import timedelta

    from django.utils import timezone

    from tests.fixes.conftest import make_proposal

    finding = analysed.finding("unused-import")
    stuck = make_proposal(finding, FixStatus.GENERATING, diff="", validation={})
    FixProposal.objects.filter(pk=stuck.pk).update(created_at=timezone.now() - timedelta(hours=1))
    fresh = generate(member.client, finding)
    assert fresh.pk != stuck.pk
    stuck.refresh_from_db()
    assert stuck.status == FixStatus.INVALID and stuck.error_code == "GENERATION_TIMEOUT"
    fresh.refresh_from_db()
    assert fresh.status == FixStatus.PENDING
