"""Pull-request analysis end to end: the real engine runs on a local git repository standing in
for the GitHub remote; GitHub answers from the stand-in. New findings vs the base commit, the
quality gate, the check run with annotations on changed lines, one PR comment updated in place,
and the ``quality_gate.failed`` customer webhook."""

from __future__ import annotations

import json
import subprocess

import pytest

from analysis.engine.calibration import DEFAULT_MIN_CONFIDENCE
from analysis.models import AnalysisRun
from github_app import services
from github_app.models import CheckStatus, GithubPullRequestCheck, GithubRepository
from github_app.services import dispatch, reporting
from tests.github_app.conftest import commit, deliver, git, link_installation, pull_request_event

pytestmark = pytest.mark.django_db

# Request data reaching eval(): code-injection, critical (remote taint), on line 7.
DANGER_PY = '''"""A view."""


def calculate(request):
    """Evaluate the expression the client sent."""
    expression = request.GET["expr"]
    return eval(expression)
'''
EVAL_LINE = 7
SAFE_PY = '''"""Reads a number."""


def ask() -> int:
    """Parse what the user types."""
    return int(input())
'''


def _added_patch(text: str) -> str:
    lines = text.splitlines()
    return f"@@ -0,0 +1,{len(lines)} @@\n" + "\n".join("+" + line for line in lines)


@pytest.fixture
def linked(github, org, remote, q_sync, django_capture_on_commit_callbacks):
    """The remote's repository enabled through the app, with its first (base) analysis done."""
    with django_capture_on_commit_callbacks(execute=True):
        link_installation(org, github, str(remote))
    base = AnalysisRun.objects.get()
    assert base.status == "completed", base.error_message
    return GithubRepository.objects.select_related("repository").get()


def _open_pr(anon, github, remote, files: dict[str, str], *, number: int = 7, action: str = "opened", capture=None):
    base_sha = git(remote, "rev-parse", "main")
    if action == "opened":
        git(remote, "checkout", "-q", "-b", "feature")
    head_sha = commit(remote, files, f"change {action}")
    git(remote, "checkout", "-q", "main")
    github.pull_files[("acme-gh/api", number)] = [
        {"filename": path, "status": "added", "patch": _added_patch(text)} for path, text in files.items()
    ]
    with capture(execute=True):
        response = deliver(anon, "pull_request", pull_request_event(action, number=number, head_sha=head_sha, base_sha=base_sha))
    assert response.status_code == 202
    return head_sha


def test_pr_with_a_new_critical_finding_fails_with_an_annotation_and_one_comment(
    github, linked, anon, remote, django_capture_on_commit_callbacks
):
    head_sha = _open_pr(anon, github, remote, {"pkg/danger.py": DANGER_PY}, capture=django_capture_on_commit_callbacks)

    check = GithubPullRequestCheck.objects.get()
    assert check.status == CheckStatus.COMPLETED and check.conclusion == "failure", check.error
    assert check.run.trigger == "pull_request" and check.run.pull_request_number == 7 and check.run.commit_sha == head_sha
    assert check.base_run.branch == "main"
    assert check.new_findings["critical"] >= 1
    failed = [c for c in check.gate["conditions"] if not c["passed"]]
    assert [c["metric"] for c in failed] == ["new_critical_findings"]

    (run,) = github.check_runs.values()
    assert run["head_sha"] == head_sha and run["name"] == "Repotoire"
    assert run["status"] == "completed" and run["conclusion"] == "failure"
    assert "New critical findings" in run["output"]["summary"]
    critical = [a for a in run["annotations"] if a["annotation_level"] == "failure"]
    assert {(a["path"], a["start_line"]) for a in critical} >= {("pkg/danger.py", EVAL_LINE)}
    assert all(a["path"] == "pkg/danger.py" for a in run["annotations"])  # only changed files

    (comment,) = github.comments.values()
    assert services.COMMENT_MARKER in comment["body"] and "failed" in comment["body"]
    # the vulnerability is shown with its source-to-sink path
    assert "New vulnerabilities (1)" in comment["body"]
    assert "`pkg/danger.py:6` source: request.GET → `pkg/danger.py:7` sink: eval" in comment["body"]


def test_hotspots_and_test_files_never_fail_the_gate_but_are_listed(
    github, linked, anon, remote, django_capture_on_commit_callbacks
):
    GithubRepository.objects.update(fail_on_new_security=True)
    tool = '''"""A calculator for whoever runs it."""


def main():
    """Evaluate what the operator types."""
    return eval(input())
'''
    _open_pr(
        anon,
        github,
        remote,
        {"tests/test_danger.py": DANGER_PY, "pkg/tool.py": tool},
        capture=django_capture_on_commit_callbacks,
    )
    check = GithubPullRequestCheck.objects.get()
    assert check.conclusion == "success", check.gate
    assert check.new_findings["critical"] == 0 and check.gate["min_confidence"] == DEFAULT_MIN_CONFIDENCE
    (comment,) = github.comments.values()
    assert "Security hotspots to review (1" in comment["body"] and "`pkg/tool.py:6`" in comment["body"]
    assert "are not counted" in comment["body"]

    # a stricter confidence floor set through the API is what the next gate uses
    GithubRepository.objects.update(gate_min_confidence=0.95)
    assert reporting.github_pull_request_report(check=check).gate["min_confidence"] == 0.95


# Request data reaching a sink in other languages of the engine: (path, text, sink line, path step).
OTHER_LANGUAGES = {
    "typescript": (
        "web/calc.ts",
        'import express from "express";\n\nconst app = express();\napp.get("/calc", (req, res) => {\n'
        "  const expression = String(req.query.expr);\n  res.json({ value: eval(expression) });\n});\nexport default app;\n",
        6,
        "`web/calc.ts:5` source: req.query",
    ),
    "go": (
        "cmd/run/main.go",
        'package main\n\nimport (\n\t"net/http"\n\t"os/exec"\n)\n\nfunc run(w http.ResponseWriter, r *http.Request) {\n'
        '\tname := r.URL.Query().Get("name")\n\tout, _ := exec.Command("sh", "-c", "ls "+name).Output()\n\tw.Write(out)\n}\n\n'
        'func main() {\n\thttp.HandleFunc("/run", run)\n\thttp.ListenAndServe(":8080", nil)\n}\n',
        10,
        "`cmd/run/main.go:9` source: r.URL",
    ),
}


@pytest.mark.parametrize("language", sorted(OTHER_LANGUAGES))
def test_a_pr_in_another_language_is_checked_like_python(
    github, linked, anon, remote, django_capture_on_commit_callbacks, language
):
    """The repository is Python; the pull request adds a file in another language with a vulnerability."""
    GithubRepository.objects.update(fail_on_new_security=True)
    path, text, line, source_step = OTHER_LANGUAGES[language]
    _open_pr(anon, github, remote, {path: text}, capture=django_capture_on_commit_callbacks)

    check = GithubPullRequestCheck.objects.get()
    assert check.conclusion == "failure", (check.error, check.gate)
    assert [c["metric"] for c in check.gate["conditions"] if not c["passed"]] == ["new_security_findings"]
    (run,) = github.check_runs.values()
    assert (path, line) in {(a["path"], a["start_line"]) for a in run["annotations"]}
    (comment,) = github.comments.values()
    assert "New vulnerabilities (1)" in comment["body"] and source_step in comment["body"], comment["body"]


def test_fixing_the_pr_passes_the_gate_and_updates_the_same_comment(
    github, linked, anon, remote, django_capture_on_commit_callbacks
):
    _open_pr(anon, github, remote, {"pkg/danger.py": DANGER_PY}, capture=django_capture_on_commit_callbacks)
    git(remote, "checkout", "-q", "feature")
    head_sha = _open_pr(
        anon, github, remote, {"pkg/danger.py": SAFE_PY}, action="synchronize", capture=django_capture_on_commit_callbacks
    )

    latest = GithubPullRequestCheck.objects.get(head_sha=head_sha)
    assert latest.conclusion == "success", latest.gate
    runs = sorted(github.check_runs.values(), key=lambda r: r["id"])
    assert [r["conclusion"] for r in runs] == ["failure", "success"]
    assert not [a for a in runs[-1]["annotations"] if a["annotation_level"] == "failure"]
    (comment,) = github.comments.values()
    assert "passed" in comment["body"] and head_sha[:12] in comment["body"]
    assert len(github.calls("PATCH", r"/issues/comments/\d+$")) == 1


def test_gate_failure_emits_the_quality_gate_failed_customer_webhook(
    github, linked, anon, remote, org, owner, settings, django_capture_on_commit_callbacks
):
    from tests.webhooks.helpers import assert_documented_shape
    from webhooks.models import WebhookDelivery
    from webhooks.services import webhook_endpoint_create

    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    # Port 9 (discard): nothing listens; only the recorded delivery matters here.
    webhook_endpoint_create(
        organization=org, created_by=owner.user, name="ci", url="http://127.0.0.1:9/in", events=["quality_gate.failed"]
    )
    _open_pr(anon, github, remote, {"pkg/danger.py": DANGER_PY}, capture=django_capture_on_commit_callbacks)
    assert GithubPullRequestCheck.objects.get().conclusion == "failure"
    delivery = WebhookDelivery.objects.get(event_type="quality_gate.failed")
    data = json.loads(delivery.body)["data"]
    assert data["pull_request"] == 7 and data["repository"]["full_name"] == "acme-gh/api"
    assert [c["metric"] for c in data["failed_conditions"]] == ["new_critical_findings"]
    assert_documented_shape("quality_gate.failed", data)


def test_without_the_quality_gates_feature_the_check_is_neutral(
    github, linked, anon, remote, org, django_capture_on_commit_callbacks
):
    org.plan = "free"
    org.save()
    _open_pr(anon, github, remote, {"pkg/danger.py": DANGER_PY}, capture=django_capture_on_commit_callbacks)
    check = GithubPullRequestCheck.objects.get()
    assert check.conclusion == "neutral" and check.gate["enabled"] is False
    (run,) = github.check_runs.values()
    assert run["conclusion"] == "neutral"
    assert "not on your plan" in run["output"]["summary"]


def test_disabled_gate_is_neutral_and_passing_gate_with_thresholds_is_success(
    github, linked, anon, remote, django_capture_on_commit_callbacks
):
    GithubRepository.objects.update(max_new_critical=None, min_health_score=1, max_new_findings=50)
    _open_pr(anon, github, remote, {"pkg/danger.py": DANGER_PY}, capture=django_capture_on_commit_callbacks)
    check = GithubPullRequestCheck.objects.get()
    assert check.conclusion == "success"
    assert {c["metric"] for c in check.gate["conditions"]} == {"health_score", "new_findings"}


def test_closed_or_labelled_pull_request_events_are_ignored(github, linked, anon, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        deliver(anon, "pull_request", pull_request_event("labeled", number=3, head_sha="c" * 40, base_sha="d" * 40))
        deliver(anon, "pull_request", pull_request_event("closed", number=3, head_sha="c" * 40, base_sha="d" * 40))
    assert not GithubPullRequestCheck.objects.exists()


def test_pr_arriving_while_the_repository_is_busy_waits_and_runs_after(github, linked, org, anon, remote):
    from analysis.services import analysis_trigger

    busy = analysis_trigger(organization=org, repository_id=linked.repository_id)
    git(remote, "checkout", "-q", "-b", "feature")
    head_sha = commit(remote, {"pkg/danger.py": DANGER_PY}, "danger")
    git(remote, "checkout", "-q", "main")
    dispatch._on_pull_request(
        pull_request_event("opened", number=9, head_sha=head_sha, base_sha=git(remote, "rev-parse", "main"))
    )
    check = GithubPullRequestCheck.objects.get()
    assert check.status == CheckStatus.PENDING and check.run is None
    (run,) = github.check_runs.values()
    assert run["status"] == "in_progress"
    AnalysisRun.objects.filter(pk=busy.pk).update(status="cancelled")
    services.github_dispatch_pending(github_repository_id=linked.pk)
    check.refresh_from_db()
    assert check.status == CheckStatus.ANALYZING and check.run.commit_sha == head_sha


def test_failed_pr_run_is_closed_neutral_by_the_sweep(github, linked, org, anon, remote):
    dispatch._on_pull_request(pull_request_event("opened", number=4, head_sha="e" * 40, base_sha="f" * 40))
    check = GithubPullRequestCheck.objects.get()
    assert check.status == CheckStatus.ANALYZING
    AnalysisRun.objects.filter(pk=check.run_id).update(status="failed", error_message="Clone failed")
    services.github_sweep()
    check.refresh_from_db()
    assert (check.status, check.conclusion) == (CheckStatus.FAILED, "neutral")
    (run,) = github.check_runs.values()
    assert run["status"] == "completed" and run["conclusion"] == "neutral"
    assert "Clone failed" in run["output"]["summary"]


def test_check_run_rerequested_queues_a_new_analysis_of_the_same_head(github, linked, anon, django_capture_on_commit_callbacks):
    dispatch._on_pull_request(pull_request_event("opened", number=5, head_sha="a" * 40, base_sha="b" * 40))
    first = GithubPullRequestCheck.objects.get()
    AnalysisRun.objects.filter(pk=first.run_id).update(status="failed")
    services.github_sweep()
    payload = {
        "action": "rerequested",
        "check_run": {"id": first.check_run_id, "head_sha": "a" * 40, "pull_requests": []},
        "repository": {"id": linked.github_id},
        "installation": {"id": linked.installation.installation_id},
    }
    assert dispatch._on_check_run(payload).startswith("check ")
    again = GithubPullRequestCheck.objects.exclude(pk=first.pk).get()
    assert again.head_sha == "a" * 40 and again.pull_request_number == 5 and again.status == CheckStatus.ANALYZING


def test_annotations_are_sent_at_most_fifty_per_request(github, linked):
    check = GithubPullRequestCheck.objects.create(
        organization=linked.organization, github_repository=linked, pull_request_number=1, head_sha="a" * 40, conclusion="failure"
    )
    annotations = [
        {"path": "a.py", "start_line": i, "end_line": i, "annotation_level": "warning", "title": "t", "message": "m"}
        for i in range(1, 121)
    ]
    reporting._report_check_run(linked, check, {"title": "t", "summary": "s"}, annotations)
    patches = github.calls("PATCH", r"/check-runs/\d+$")
    sizes = [len(json.loads(p.body)["output"]["annotations"]) for p in patches]
    assert sizes == [50, 50, 20]
    assert "status" not in json.loads(patches[0].body) and json.loads(patches[-1].body)["status"] == "completed"
    (run,) = github.check_runs.values()
    assert len(run["annotations"]) == 120


def test_changed_lines_parses_added_lines_of_a_patch():
    files = [{"filename": "a.py", "patch": "@@ -1,3 +1,4 @@\n x\n-y\n+y2\n+y3\n z\n@@ -10,2 +11,2 @@\n k\n+m"}]
    assert services.changed_lines(files) == {"a.py": {2, 3, 12}}


def test_git_is_available():
    assert subprocess.run(["git", "--version"], capture_output=True).returncode == 0


def test_new_findings_come_from_the_stored_report_when_the_pr_run_has_no_recorded_occurrences(
    github, linked, anon, remote, django_capture_on_commit_callbacks
):
    from findings.models import FindingOccurrence
    from github_app import selectors

    _open_pr(anon, github, remote, {"pkg/danger.py": DANGER_PY}, capture=django_capture_on_commit_callbacks)
    check = GithubPullRequestCheck.objects.get()
    recorded = selectors.findings_diff(run=check.run, base_run=check.base_run)["new"]
    FindingOccurrence.objects.filter(run=check.run).delete()
    from_report = selectors.findings_diff(run=check.run, base_run=check.base_run)["new"]
    assert [(f["detector"], f["path"], f["line"], f["severity"]) for f in from_report] == [
        (f["detector"], f["path"], f["line"], f["severity"]) for f in recorded
    ]
    assert ("code-injection", "critical") in {(f["detector"], f["severity"]) for f in from_report}


def test_findings_triaged_as_false_positive_do_not_count_as_new(github, linked, anon, remote, django_capture_on_commit_callbacks):
    from findings.models import Finding
    from github_app import selectors

    _open_pr(anon, github, remote, {"pkg/danger.py": DANGER_PY}, capture=django_capture_on_commit_callbacks)
    check = GithubPullRequestCheck.objects.get()
    before = selectors.findings_diff(run=check.run, base_run=check.base_run)["new"]
    flagged = [f for f in before if f["detector"] == "code-injection"]
    assert flagged
    # A PR run does not enter the repository's findings; the same code triaged as a false
    # positive on the repository (e.g. earlier on the default branch) must not count as new.
    repo = check.run.repository
    Finding.objects.create(
        organization=repo.organization,
        repository=repo,
        fingerprint=flagged[0]["fingerprint"],
        detector="code-injection",
        category="security",
        severity="critical",
        title="Code injection",
        path="pkg/danger.py",
        status="false_positive",
    )
    new = selectors.findings_diff(run=check.run, base_run=check.base_run)["new"]
    assert "code-injection" not in {f["detector"] for f in new}


def test_sweep_reports_a_completed_pr_run_whose_hook_was_lost(github, linked, org, remote):
    from datetime import timedelta

    from django.utils import timezone

    base = AnalysisRun.objects.get()
    dispatch._on_pull_request(pull_request_event("opened", number=6, head_sha=base.commit_sha, base_sha=base.commit_sha))
    check = GithubPullRequestCheck.objects.get()
    AnalysisRun.objects.filter(pk=check.run_id).update(
        status="completed", health_score=base.health_score, grade=base.grade, finished_at=timezone.now() - timedelta(minutes=5)
    )
    assert services.github_sweep()["late_reports"] == 1
    check.refresh_from_db()
    assert check.status == CheckStatus.COMPLETED and check.conclusion == "success"
    assert services.github_sweep()["late_reports"] == 0


def _hot(branches: int) -> str:
    body = "".join(f"    if a == {i}:\n        return {i}\n" for i in range(branches))
    return f'"""Hot."""\n\n\ndef pick(a: int) -> int:\n    """Pick."""\n{body}    return -1\n'


def test_pr_raising_the_complexity_of_a_top_hotspot_fails_the_gate(
    github, org, remote, anon, q_sync, django_capture_on_commit_callbacks
):
    for i in range(1, 4):
        commit(remote, {"pkg/hot.py": _hot(i)}, f"hot {i}")
    with django_capture_on_commit_callbacks(execute=True):
        link_installation(org, github, str(remote))
    base = AnalysisRun.objects.get()
    assert base.status == "completed", base.error_message
    assert base.metrics["history"]["hotspots"][0]["path"] == "pkg/hot.py"
    GithubRepository.objects.update(fail_on_hotspot_complexity=True)

    _open_pr(anon, github, remote, {"pkg/hot.py": _hot(5)}, capture=django_capture_on_commit_callbacks)
    check = GithubPullRequestCheck.objects.get()
    assert check.conclusion == "failure", check.gate
    failed = [c["metric"] for c in check.gate["conditions"] if not c["passed"]]
    assert failed == ["hotspots_complexity_raised"]
    assert check.gate["hotspots_raised"] == [{"path": "pkg/hot.py", "rank": 1, "base": 4, "head": 6}]
    (comment,) = github.comments.values()
    assert "Top-10 hotspots made more complex" in comment["body"]


def test_hotspot_gate_counts_only_raised_top_ten_files():
    from github_app.gates import hotspots_complexity_raised

    base = {"history": {"hotspots": [{"path": f"f{i}.py", "rank": i + 1, "complexity": 10} for i in range(12)]}}
    head = {"history": {"complexity": {"f0.py": 11, "f1.py": 10, "f2.py": 9, "f11.py": 50}}}
    assert [r["path"] for r in hotspots_complexity_raised(head, base)] == ["f0.py"]  # f11 is not top-10
    assert hotspots_complexity_raised(head, None) == [] and hotspots_complexity_raised(None, base) == []
