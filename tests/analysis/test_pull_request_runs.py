"""A pull-request run describes unmerged code: it must leave the repository's state alone."""

from __future__ import annotations

from analysis import services
from analysis.models import AnalysisFacts, AnalysisRun
from findings.models import Finding
from tests.analysis.conftest import commit_files
from tests.analysis.test_analysis_api import make_repo


def test_pull_request_run_does_not_move_the_repository_state(
    org, sample_repo, q_sync, django_capture_on_commit_callbacks, settings
):
    settings.REPOTOIRE_POST_ANALYSIS_HOOKS = {}
    repo = make_repo(org, sample_repo)
    with django_capture_on_commit_callbacks(execute=True):
        main = services.analysis_trigger(organization=org, repository_id=repo.pk)
    main.refresh_from_db()
    assert main.status == "completed"
    repo.refresh_from_db()
    main_state = (repo.last_score, repo.last_commit_sha)
    main_findings = set(Finding.objects.filter(repository=repo).values_list("id", "status"))
    assert main_findings

    head = commit_files(
        sample_repo, {"pkg/extra.py": "import os\n\n\ndef run(cmd):\n    os.system(cmd)\n    return eval(cmd)\n"}, "pr"
    )
    with django_capture_on_commit_callbacks(execute=True):
        pr = services.analysis_trigger(
            organization=org, repository_id=repo.pk, commit_sha=head, trigger="pull_request", pull_request_number=7
        )
    pr = AnalysisRun.objects.get(pk=pr.pk)
    assert pr.status == "completed" and pr.commit_sha == head
    assert pr.findings_counts["total"] > main.findings_counts["total"]
    repo.refresh_from_db()
    assert (repo.last_score, repo.last_commit_sha) == main_state
    assert set(Finding.objects.filter(repository=repo).values_list("id", "status")) == main_findings
    assert AnalysisFacts.objects.get(repository=repo).run_id == main.pk
    assert pr.report.data  # the PR's own results stay available with the run
