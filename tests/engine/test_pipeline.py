"""The whole pipeline: analyze(), progress, incremental runs, configuration, sources and the
command line."""

from __future__ import annotations

import json
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from analysis.engine import analyze
from analysis.engine.__main__ import main
from analysis.engine.source import SourceError, fetch, redact


def write_files(root, files: dict[str, str]) -> None:
    for rel, content in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(textwrap.dedent(content), encoding="utf-8")


PROJECT = {
    "app/__init__.py": "",
    "app/core.py": '''
        """Core."""
        import os
        from app import util


        def busy(a, b, c, d, e, f, g, h):
            """Too many parameters."""
            return util.helper(a) + len(os.sep)
    ''',
    "app/util.py": '''
        """Utilities."""


        def helper(x):
            """Deep."""
            for a in x:
                if a:
                    for b in a:
                        if b:
                            while b:
                                b -= 1
            return x
    ''',
    "app/broken.py": "def oops(:\n",
    "tests/test_core.py": "from app.core import busy\n\n\ndef test_busy():\n    assert busy(*range(8))\n",
    "README.md": "# demo\n",
}


def fingerprints(result) -> set[str]:
    return {f.fingerprint for f in result.findings}


def test_analyze_end_to_end(make_tree):
    root = make_tree(PROJECT)
    events: list[tuple[str, float, str]] = []
    result = analyze(root, progress=lambda s, p, m: events.append((s, p, m)), workers=1)
    by_detector = {f.detector: f for f in result.findings}
    assert {"long-parameter-list", "deep-nesting", "parse-error"} <= set(by_detector)
    assert by_detector["long-parameter-list"].path == "app/core.py"
    assert by_detector["parse-error"].path == "app/broken.py"
    assert result.files_analyzed == 5
    assert result.files["app/core.py"].module == "app.core"
    assert result.files["tests/test_core.py"].is_test
    assert result.skipped["other_language"] == 1  # README.md: in no analysed language
    assert result.score.grade in "ABCDF"
    for stage in ("discover", "parse", "graph", "detect", "score"):
        assert stage in result.timings
    stages = [e[0] for e in events]
    assert stages[0] == "discover" and stages[-1] == "report"
    assert [s for i, s in enumerate(stages) if i == 0 or stages[i - 1] != s] == [
        "discover",
        "parse",
        "graph",
        "detect",
        "score",
        "report",
    ]
    percents = [e[1] for e in events]
    assert percents == sorted(percents) and percents[-1] == 100.0
    assert {d["id"] for d in result.detectors} >= {"deep-nesting", "parse-error"}


def test_process_pool_gives_the_same_result_as_in_process(make_tree, monkeypatch):
    monkeypatch.setattr("analysis.engine.pipeline.IN_PROCESS_MAX_FILES", 1)
    root = make_tree(PROJECT)
    pooled = analyze(root, workers=2)
    inline = analyze(root, workers=1)
    assert fingerprints(pooled) == fingerprints(inline)
    assert pooled.files.keys() == inline.files.keys()
    assert pooled.timings["parse.cpu.parse"] >= 0


def test_incremental_run_equals_a_cold_run(make_tree):
    root = make_tree(PROJECT)
    first = analyze(root, workers=1)
    # change one file, add one, delete one
    write_files(
        root,
        {
            "app/util.py": PROJECT["app/util.py"].replace("while b:", "while b and a:"),
            "app/extra.py": "def g(a, b, c, d, e, f, g, h, i):\n    pass\n",
        },
    )
    (root / "app/broken.py").unlink()
    incremental = analyze(root, previous=first, workers=1)
    cold = analyze(root, workers=1)
    assert fingerprints(incremental) == fingerprints(cold)
    assert incremental.files.keys() == cold.files.keys()
    assert "app/broken.py" not in incremental.files
    assert incremental.score == cold.score
    # only the changed and new files were parsed; the others were reused
    assert incremental.files["app/core.py"] is first.files["app/core.py"]
    assert incremental.files["app/util.py"] is not first.files["app/util.py"]


def test_incremental_ignores_a_previous_result_made_with_another_configuration(make_tree):
    root = make_tree(PROJECT)
    first = analyze(root, workers=1)
    again = analyze(root, previous=first, workers=1, config={"detectors": {"deep-nesting": {"max_depth": 10}}})
    assert "deep-nesting" not in {f.detector for f in again.findings}
    assert again.files["app/core.py"] is not first.files["app/core.py"]


def test_repository_configuration_and_overrides(make_tree):
    root = make_tree(
        {
            **PROJECT,
            "repotoire.toml": """
            exclude = ["tests/**"]
            [detectors.long-parameter-list]
            severity = "critical"
            max_parameters = 8
            [detectors.parse-error]
            enabled = false
            [detectors.deep-nesting]
            severity = "info"
        """,
        }
    )
    result = analyze(root, workers=1)
    detectors = {f.detector: f for f in result.findings}
    assert "parse-error" not in detectors and "long-parameter-list" not in detectors
    assert detectors["deep-nesting"].severity == "info"
    assert "tests/test_core.py" not in result.files
    overridden = analyze(root, workers=1, config={"detectors": {"long-parameter-list": {"max_parameters": 3}}})
    assert {f.detector: f for f in overridden.findings}["long-parameter-list"].severity == "critical"


def test_missing_source_is_a_source_error(tmp_path):
    with pytest.raises(SourceError):
        analyze(tmp_path / "nope")


def test_credentials_are_redacted():
    assert redact("fetch https://user:s3cr3t@example.com/r.git failed") == "fetch https://***@example.com/r.git failed"


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_git_url_is_fetched_shallowly_and_reused(make_tree, tmp_path):
    origin = make_tree(PROJECT)
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@e"}

    def git(*args):
        return subprocess.run(
            ["git", *args], cwd=origin, check=True, capture_output=True, text=True, env={**env, "PATH": "/usr/bin:/bin"}
        ).stdout.strip()

    git("init", "-q", "-b", "main")
    git("add", ".")
    git("commit", "-qm", "one")
    sha = git("rev-parse", "HEAD")
    workspace = tmp_path / "ws"
    result = analyze(f"file://{origin}", ref="main", workspace=workspace, workers=1)
    assert result.commit == sha
    assert "app/core.py" in result.files
    write_files(origin, {"app/new.py": "x = 1\n"})
    git("add", ".")
    git("commit", "-qm", "two")
    again = analyze(f"file://{origin}", ref="main", workspace=workspace, workers=1, previous=result)
    assert again.commit != sha and "app/new.py" in again.files
    assert len(list(workspace.iterdir())) == 1  # the clone was reused
    pinned = analyze(f"file://{origin}", ref=sha, workspace=workspace, workers=1)
    assert pinned.commit == sha and "app/new.py" not in pinned.files
    with pytest.raises(SourceError):
        analyze(f"file://{origin}", ref="no-such-branch", workspace=workspace, workers=1)


def test_cli_formats_exit_codes_and_baseline(make_tree, tmp_path, capsys):
    root = make_tree(PROJECT)
    report = tmp_path / "out" / "report.json"
    assert main([str(root), "--format", "json", "--output", str(report), "--quiet"]) == 0
    data = json.loads(report.read_text())
    assert {f["detector"] for f in data["findings"]} >= {"deep-nesting", "parse-error"}
    assert main([str(root), "--fail-on", "high", "--quiet", "-o", str(tmp_path / "r2.json")]) == 1  # parse-error is high
    assert main([str(root), "--fail-on", "critical", "--quiet", "-o", str(tmp_path / "r3.json")]) == 0
    assert main([str(root), "--fail-on", "info", "--baseline", str(report), "--quiet", "-o", str(tmp_path / "r4.json")]) == 0
    for fmt in ("sarif", "markdown", "html"):
        assert main([str(root), "--format", fmt, "--quiet"]) == 0
        assert capsys.readouterr().out.strip()
    assert main([str(tmp_path / "missing"), "--quiet"]) == 2
    with pytest.raises(SystemExit) as exc:
        main([str(root), "--format", "pdf"])
    assert exc.value.code == 2


def test_cli_reports_a_bad_configuration_as_usage_error(make_tree):
    root = make_tree({"a.py": "x = 1\n", "repotoire.toml": "[detectors.a]\nseverity = 'bogus'\n"})
    assert main([str(root), "--quiet"]) == 2


def test_analyze_accepts_textwrapped_sources(make_tree):
    root = make_tree(
        {
            "m.py": textwrap.dedent("""
        def f(x):
            return x
    """)
        }
    )
    result = analyze(root, workers=1)
    assert result.files["m.py"].definitions[0].qualname == "m.f"


def _analyze_in_daemon(root: str, queue) -> None:
    result = analyze(root, workers=2)
    queue.put(sorted(result.files))


def test_a_daemonic_process_analyses_in_process(make_tree, monkeypatch):
    import multiprocessing

    monkeypatch.setattr("analysis.engine.pipeline.IN_PROCESS_MAX_FILES", 1)
    root = make_tree(PROJECT)
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_analyze_in_daemon, args=(str(root), queue), daemon=True)
    proc.start()
    files = queue.get(timeout=60)
    proc.join(timeout=10)
    assert files == ["app/__init__.py", "app/broken.py", "app/core.py", "app/util.py", "tests/test_core.py"]


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_a_clone_left_without_its_remote_by_a_killed_worker_is_fetched_again(make_tree, tmp_path):
    from analysis.engine.source import clone_dir

    origin = make_tree(PROJECT)
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@e"}
    for args in (["init", "-q", "-b", "main"], ["add", "."], ["commit", "-qm", "one"]):
        subprocess.run(["git", *args], cwd=origin, check=True, capture_output=True, env={**env, "PATH": "/usr/bin:/bin"})
    url, workspace = f"file://{origin}", tmp_path / "ws"
    target = clone_dir(url, workspace)
    target.mkdir(parents=True)
    subprocess.run(["git", "init", "--quiet"], cwd=target, check=True)  # killed before ``remote add``
    checkout = fetch(url, "main", workspace=workspace, timeout=30)
    assert (Path(checkout.path) / "app" / "core.py").is_file()


def test_a_token_in_an_http_header_fetches_without_touching_the_url_or_the_clone_config(make_tree, tmp_path):
    """A short-lived token travels in ``http.extraHeader`` through the environment: the clone
    cache is keyed by the unchanged URL (reused from one token to the next) and the token is
    written nowhere."""
    from tests.stubs.git_http import git_http_server

    origin = make_tree(PROJECT)
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@e"}
    for args in (["init", "-q", "-b", "main"], ["add", "."], ["commit", "-qm", "one"]):
        subprocess.run(["git", *args], cwd=origin, check=True, capture_output=True, env={**env, "PATH": "/usr/bin:/bin"})
    served = tmp_path / "served"
    served.mkdir()
    subprocess.run(["git", "clone", "-q", "--bare", str(origin), str(served / "app.git")], check=True, capture_output=True)
    workspace = tmp_path / "ws"
    accepted = {"Basic dG9rZW4tb25l"}
    with git_http_server(served, accepted=accepted) as server:
        url = f"{server.url}/app.git"
        with pytest.raises(SourceError):
            fetch(url, "main", workspace=workspace, timeout=30)
        first = fetch(url, "main", workspace=workspace, timeout=30, http_headers=["Authorization: Basic dG9rZW4tb25l"])
        assert (Path(first.path) / "app" / "core.py").is_file()
        accepted.clear()
        accepted.add("Basic dG9rZW4tdHdv")  # the token rotated: the old one is refused now
        with pytest.raises(SourceError):
            fetch(url, "main", workspace=workspace, timeout=30, http_headers=["Authorization: Basic dG9rZW4tb25l"])
        second = fetch(url, "main", workspace=workspace, timeout=30, http_headers=["Authorization: Basic dG9rZW4tdHdv"])
    assert second.path == first.path and second.commit == first.commit
    assert len(list(workspace.iterdir())) == 1  # one clone for the URL, whatever the token
    config = (Path(first.path) / ".git" / "config").read_text()
    assert "dG9rZW4" not in config and "Authorization" not in config
    assert first.url == url


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_a_fetched_repository_whose_root_is_a_package_is_named_after_the_repository(make_tree, tmp_path):
    """The clone's work tree carries the repository's name (not the cache's hash), so a root
    ``__init__.py`` makes ``mylib.core`` and the package's absolute imports resolve."""
    origin = make_tree(
        {
            "__init__.py": "",
            "util.py": "def helper():\n    return 1\n",
            "core.py": "from mylib.util import helper\n\n\ndef run():\n    return helper()\n",
        }
    )
    bare = tmp_path / "hosted" / "mylib.git"
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@e"}
    for args in (["init", "-q", "-b", "main"], ["add", "."], ["commit", "-qm", "one"]):
        subprocess.run(["git", *args], cwd=origin, check=True, capture_output=True, env={**env, "PATH": "/usr/bin:/bin"})
    subprocess.run(["git", "clone", "-q", "--bare", str(origin), str(bare)], check=True, capture_output=True)
    result = analyze(f"file://{bare}", ref="main", workspace=tmp_path / "ws", workers=1)
    assert result.files["core.py"].module == "mylib.core"
    (imported,) = result.files["core.py"].imports
    assert imported.resolved == "mylib.util"
    assert not [f for f in result.findings if f.detector == "unused-import"]
