"""The sandbox: preview evidence, new findings introduced by a fix, unsafe diffs refused, the
repository's test command under a timeout without network."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from analysis import services as analysis_services
from fixes.fixers import unified_diff
from fixes.models import FixStatus
from fixes.sandbox import DiffRejected, diff_paths, inside
from tests.analysis.conftest import git
from tests.fixes.conftest import APP_PY, make_git_repo, make_proposal

pytestmark = pytest.mark.django_db


def _escape_diff(path: str) -> str:
    return f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n@@ -0,0 +1 @@\n+owned = True\n"


@pytest.mark.parametrize(
    "diff",
    [
        _escape_diff("../outside.py"),
        _escape_diff("pkg/../../outside.py"),
        "--- /etc/passwd\n+++ /etc/passwd\n@@ -1 +1 @@\n-root\n+toor\n",
        _escape_diff(".git/hooks/post-checkout"),
        "diff --git a/app.py b/evil.py\nsimilarity index 90%\nrename from app.py\nrename to evil.py\n",
        "diff --git a/run.sh b/run.sh\nnew file mode 100755\n--- /dev/null\n+++ b/run.sh\n@@ -0,0 +1 @@\n+rm -rf /\n",
        "diff --git a/l b/l\nnew file mode 120000\n--- /dev/null\n+++ b/l\n@@ -0,0 +1 @@\n+/etc\n",
        "--- a/app.py\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n",
        "",
    ],
)
def test_unsafe_diff_paths_are_refused(diff):
    with pytest.raises(DiffRejected):
        diff_paths(diff)


def test_a_symlink_leading_out_of_the_checkout_is_refused(tmp_path: Path):
    root, outside = tmp_path / "repo", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "link").symlink_to(outside)
    with pytest.raises(DiffRejected, match="outside"):
        inside(root, "link/evil.py")
    with pytest.raises(DiffRejected, match="symbolic link"):
        inside(root, "link")
    assert inside(root, "pkg/ok.py") == root.resolve() / "pkg/ok.py"


def test_preview_stores_the_evidence_on_the_proposal(member, analysed, generate, settings):
    proposal = generate(member.client, analysed.finding("unused-import"))
    response = member.client.post(f"/api/v1/fixes/{proposal.pk}/preview")
    assert response.status_code == 200, response.json()
    result = response.json()
    assert result["applies"] is True and result["syntax_ok"] is True and result["finding_resolved"] is True
    assert result["new_findings"] == [] and result["tests"]["ran"] is False
    assert result["duration_ms"] > 0
    proposal.refresh_from_db()
    assert proposal.preview["finding_resolved"] is True and proposal.previewed_at is not None
    assert member.client.get(f"/api/v1/fixes/{proposal.pk}").json()["preview"]["applies"] is True
    # the sandbox checkouts are deleted afterwards
    assert list((Path(settings.REPOTOIRE_WORKSPACE_DIR) / "sandboxes").iterdir()) == []


def test_preview_detects_a_fix_that_introduces_a_new_finding(member, analysed, settings):
    finding = analysed.finding("bare-or-swallowed-except")
    fixed = APP_PY.replace("    except:\n        pass\n", "    except Exception:\n        return eval(text)\n")
    proposal = make_proposal(finding, FixStatus.PENDING, diff=unified_diff("app.py", APP_PY, fixed))
    result = member.client.post(f"/api/v1/fixes/{proposal.pk}/preview").json()
    assert result["applies"] is True and result["finding_resolved"] is True
    assert [f["detector"] for f in result["new_findings"]] == ["code-injection"]
    assert result["new_findings"][0]["path"] == "app.py"
    sandboxes = Path(settings.REPOTOIRE_WORKSPACE_DIR) / "sandboxes"
    assert not any(sandboxes.iterdir())


def test_preview_of_a_diff_that_does_not_apply(member, analysed):
    finding = analysed.finding("unused-import")
    proposal = make_proposal(finding, FixStatus.PENDING, diff=unified_diff("app.py", "print(1)\n", "print(2)\n"))
    result = member.client.post(f"/api/v1/fixes/{proposal.pk}/preview").json()
    assert result["applies"] is False and result["finding_resolved"] is False
    assert "git apply --check failed" in result["errors"][0]


def test_traversal_diff_is_refused_by_preview_and_apply_and_writes_nothing(member, analysed, tmp_path):
    finding = analysed.finding("unused-import")
    target = analysed.path.parent / "outside.py"
    proposal = make_proposal(finding, FixStatus.APPROVED, diff=_escape_diff("../outside.py"))
    result = member.client.post(f"/api/v1/fixes/{proposal.pk}/preview").json()
    assert result["applies"] is False and "leaves the repository" in result["errors"][0]
    body = member.client.post(f"/api/v1/fixes/{proposal.pk}/apply").json()
    assert body["status"] == "failed" and body["error_code"] == "DIFF_REJECTED"
    assert not target.exists()
    assert git(analysed.path, "branch", "--list", "repotoire/*") == ""


def test_symlinked_directory_in_the_repository_cannot_be_written_through(member, org, tmp_path, analyse):
    outside = tmp_path / "outside"
    outside.mkdir()
    path = make_git_repo(tmp_path / "linked", {"app.py": APP_PY})
    (path / "vendor").symlink_to(outside)
    git(path, "add", "vendor")
    git(path, "commit", "-q", "-m", "vendor link")
    repo = analysis_services.repository_create(organization=org, name="acme/linked", clone_url=str(path))
    analyse(repo)
    from findings.models import Finding

    finding = Finding.objects.get(repository=repo, detector="unused-import")
    diff = "diff --git a/vendor/evil.py b/vendor/evil.py\nnew file mode 100644\n--- /dev/null\n+++ b/vendor/evil.py\n@@ -0,0 +1 @@\n+x = 1\n"
    proposal = make_proposal(finding, FixStatus.APPROVED, diff=diff)
    result = member.client.post(f"/api/v1/fixes/{proposal.pk}/preview").json()
    assert result["applies"] is False and "outside the repository" in " ".join(result["errors"])
    assert member.client.post(f"/api/v1/fixes/{proposal.pk}/apply").json()["status"] == "failed"
    assert list(outside.iterdir()) == []


def _repo_with_tests(org, tmp_path, analyse, toml: str):
    path = make_git_repo(tmp_path / "tested", {"app.py": APP_PY, "repotoire.toml": toml})
    repo = analysis_services.repository_create(organization=org, name="acme/tested", clone_url=str(path))
    analyse(repo)
    from findings.models import Finding

    return Finding.objects.get(repository=repo, detector="unused-import")


def test_validation_runs_the_repositorys_test_command(member, org, tmp_path, analyse, generate):
    toml = '[fixes]\ntest_command = "python3 -c \'import app; print(\\"tests ok\\")\'"\n'
    proposal = generate(member.client, _repo_with_tests(org, tmp_path, analyse, toml))
    proposal.refresh_from_db()
    tests = proposal.validation["tests"]
    assert tests["ran"] is True and tests["passed"] is True and tests["exit_code"] == 0
    assert "tests ok" in tests["output_tail"]
    assert proposal.status == FixStatus.PENDING


def test_failing_tests_are_recorded_and_lower_the_confidence(member, org, tmp_path, analyse, generate):
    toml = '[fixes]\ntest_command = "python3 -c \'import sys; print(\\"boom\\"); sys.exit(3)\'"\n'
    proposal = generate(member.client, _repo_with_tests(org, tmp_path, analyse, toml))
    proposal.refresh_from_db()
    tests = proposal.validation["tests"]
    assert tests["passed"] is False and tests["exit_code"] == 3 and "boom" in tests["output_tail"]
    assert proposal.confidence <= 0.2 and proposal.confidence_label == "low"


def test_test_command_is_killed_at_its_timeout(member, org, tmp_path, analyse, generate):
    toml = "[fixes]\ntest_command = \"python3 -c 'import time; time.sleep(60)'\"\ntest_timeout = 1\n"
    proposal = generate(member.client, _repo_with_tests(org, tmp_path, analyse, toml))
    proposal.refresh_from_db()
    tests = proposal.validation["tests"]
    assert tests["ran"] is True and tests["timed_out"] is True and tests["passed"] is False


def test_test_command_has_no_network(member, org, tmp_path, analyse, generate):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    try:
        toml = (
            "[fixes]\ntest_command = \"python3 -c 'import socket; "
            f'socket.create_connection((\\"127.0.0.1\\", {port}), timeout=3)\'"\n'
        )
        proposal = generate(member.client, _repo_with_tests(org, tmp_path, analyse, toml))
    finally:
        server.close()
    proposal.refresh_from_db()
    tests = proposal.validation["tests"]
    assert tests["network_isolated"] is True
    assert tests["passed"] is False and "Error" in tests["output_tail"]


def test_previews_beyond_the_organisations_concurrency_are_429(member, analysed, settings, django_db_blocker):
    import psycopg
    from django.db import connection

    from tests.fixes.conftest import make_proposal

    settings.REPOTOIRE_FIXES_PREVIEW_CONCURRENCY = 1
    proposal = make_proposal(analysed.finding("unused-import"), FixStatus.PENDING)
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as other:
        # another web process holds the organisation's only preview slot
        other.execute("SELECT pg_advisory_lock(hashtext('fixes.preview'), hashtext(%s))", [f"{analysed.repo.organization_id}:0"])
        response = member.client.post(f"/api/v1/fixes/{proposal.pk}/preview")
        assert response.status_code == 429 and response.json()["error_code"] == "RATE_LIMIT_EXCEEDED"
        assert response["Retry-After"]
    assert member.client.post(f"/api/v1/fixes/{proposal.pk}/preview").status_code == 200


def test_the_sandbox_reads_the_commit_from_the_analysis_clone_without_fetching(analysed, settings):
    """The analysed commit is materialised from the analysis clone's objects (no transport, the
    clone untouched); a commit the clone does not have is fetched from the repository instead."""
    from analysis.services import repository_clone_dir
    from fixes.sandbox import Sandbox

    clone = repository_clone_dir(analysed.repo)
    commit = analysed.run.commit_sha
    index_before = (clone / ".git" / "index").read_bytes()
    with Sandbox(analysed.repo, commit) as sandbox:
        assert sandbox.root.parent == sandbox.scratch / "tree"
        assert not (sandbox.scratch / "git").exists()  # nothing was fetched
        assert sandbox.read("app.py") == APP_PY
        applied, output = sandbox.apply(unified_diff("app.py", APP_PY, "# patched\n" + APP_PY))
        assert applied, output
        assert sandbox.read("app.py").startswith("# patched\n")
    assert (clone / ".git" / "index").read_bytes() == index_before
    assert git(clone, "status", "--porcelain") == ""

    git(analysed.path, "commit", "-q", "--allow-empty", "-m", "later")
    later = git(analysed.path, "rev-parse", "HEAD")
    with Sandbox(analysed.repo, later) as sandbox:
        assert (sandbox.scratch / "git").is_dir()  # not in the clone: fetched from the repository
        assert sandbox.read("app.py") == APP_PY
