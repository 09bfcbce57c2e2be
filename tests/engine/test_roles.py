"""File roles (roles.py) and how they and finding kinds reach the score, reports and CLI."""

from __future__ import annotations

import json

import pytest

from analysis.engine import analyze
from analysis.engine.__main__ import main
from analysis.engine.config import ConfigError, EngineConfig
from analysis.engine.model import Finding
from analysis.engine.reports import render
from analysis.engine.roles import RoleResolver, path_role, pytest_testpaths, vendored_roots
from analysis.engine.scoring import compute_score


@pytest.mark.parametrize(
    ("path", "role"),
    [
        ("pkg/views.py", "source"),
        ("tests/test_views.py", "test"),
        ("pkg/tests/helpers.py", "test"),
        ("pkg/views_test.py", "test"),
        ("conftest.py", "test"),
        ("benchmarks/bench_parse.py", "test"),
        ("examples/flask_app/app.py", "example"),
        ("docs/conf.py", "example"),
        ("pkg/_vendor/six.py", "vendored"),
        ("pkg/api_pb2.py", "generated"),
        ("pkg/testing_utils.py", "source"),
        ("pkg/contest.py", "source"),
    ],
)
def test_path_role(path, role):
    assert path_role(path) == role


def test_configuration_overrides_win_and_source_globs_first():
    resolver = RoleResolver(overrides={"source": ["examples/real_app/**"], "test": ["qa/**", "examples/**"]})
    assert resolver.role("examples/real_app/main.py") == "source"
    assert resolver.role("examples/other.py") == "test"
    assert resolver.role("qa/check.py") == "test"
    assert resolver.role("pkg/mod.py", "generated") == "generated"


def test_nested_project_inside_a_package_is_vendored():
    roots = vendored_roots({"", "pkg/compat/six", "packages/tool"}, {"pkg", "pkg/compat", "pkg/compat/six"})
    assert roots == {"pkg/compat/six"}
    assert RoleResolver(vendored_roots=roots).role("pkg/compat/six/moves.py") == "vendored"


def test_pytest_testpaths_from_pyproject_and_setup_cfg(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.pytest.ini_options]\ntestpaths = ["checks"]\n')
    assert pytest_testpaths(tmp_path) == ["checks"]
    (tmp_path / "pyproject.toml").unlink()
    (tmp_path / "setup.cfg").write_text("[tool:pytest]\ntestpaths = qa integration\n")
    assert pytest_testpaths(tmp_path) == ["qa", "integration"]
    assert RoleResolver(test_paths=["qa"]).role("qa/smoke.py") == "test"


def test_bad_roles_configuration_is_refused():
    with pytest.raises(ConfigError):
        EngineConfig.from_mapping({"roles": {"production": ["x/**"]}})
    assert EngineConfig.from_mapping({"roles": {"test": "qa/**"}}).roles == {"test": ["qa/**"]}


def _finding(**kw) -> Finding:
    base = dict(detector="d", category="security", severity="critical", title="t", message="m", path="a.py", line=1)
    return Finding(**{**base, **kw})


def test_only_source_issues_and_vulnerabilities_count_in_the_score():
    from analysis.engine.facts import FileFacts

    files = {"a.py": FileFacts(path="a.py", module="a", content_hash="x", code_lines=1000)}
    clean = compute_score([], files)
    for extra in (_finding(kind="hotspot"), _finding(kind="vulnerability", role="test"), _finding(role="example")):
        assert compute_score([extra], files).overall == clean.overall
    assert compute_score([_finding(kind="vulnerability")], files).overall < clean.overall
    # test files' lines do not dilute the density of the source code
    files["tests/t.py"] = FileFacts(path="tests/t.py", module="t", content_hash="y", code_lines=100_000, role="test")
    assert compute_score([_finding(kind="vulnerability")], files).details["code_lines"] == 1000


@pytest.fixture
def project(tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "views.py").write_text(
        "import os\nfrom flask import request\n\n\ndef run():\n    os.system('ls ' + request.args['d'])\n"
    )
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_views.py").write_text("import os\n\n\ndef test_it(arg):\n    os.system('ls ' + arg)\n")
    return tmp_path


def test_roles_and_kinds_reach_findings_and_the_default_report(project):
    result = analyze(str(project), workers=1)
    injections = {f.path: f for f in result.findings if f.detector == "command-injection"}
    assert injections["app/views.py"].kind == "vulnerability" and injections["app/views.py"].role == "source"
    assert injections["tests/test_views.py"].kind == "hotspot" and injections["tests/test_views.py"].role == "test"
    assert result.files["tests/test_views.py"].role == "test"

    shown = json.loads(render(result, "json"))
    assert shown["schema_version"] == "1.2"
    assert {f["role"] for f in shown["findings"]} == {"source"}
    assert shown["view"]["scope"] == "source" and shown["view"]["hidden"] > 0
    everything = json.loads(render(result, "json", scope="all", min_confidence=0.0))
    assert len(everything["findings"]) == len(result.findings) and everything["view"]["hidden"] == 0

    vuln = next(f for f in everything["findings"] if f["detector"] == "command-injection" and f["role"] == "source")
    assert [s["note"] for s in vuln["taint_path"]] == ["source: request.args", "sink: os.system"]

    sarif = json.loads(render(result, "sarif", scope="all", min_confidence=0.0))
    results = {(r["ruleId"], r["properties"]["role"]): r for r in sarif["runs"][0]["results"]}
    assert results[("command-injection", "source")]["kind"] == "fail"
    assert results[("command-injection", "source")]["codeFlows"][0]["threadFlows"][0]["locations"][0]["location"][
        "physicalLocation"
    ]["region"] == {"startLine": 6}
    assert (results[("command-injection", "test")]["kind"], results[("command-injection", "test")]["level"]) == (
        "review",
        "none",
    )


def test_cli_fails_only_on_counted_findings(project):
    assert main([str(project), "--quiet", "--fail-on", "critical", "--workers", "1"]) == 1
    (project / "app" / "views.py").write_text("import os\n\n\ndef run(arg):\n    os.system('ls ' + arg)\n")
    # the test file's and the remaining hotspot's findings never fail the build
    assert main([str(project), "--quiet", "--fail-on", "low", "--workers", "1", "--min-confidence", "0.7"]) == 0


def test_a_package_listed_in_testpaths_for_its_doctests_stays_source(tmp_path):
    from analysis.engine.roles import resolver_for

    (tmp_path / "pytest.ini").write_text("[pytest]\ntestpaths = mypkg tests\naddopts = --doctest-modules\n")
    resolver = resolver_for(tmp_path, {}, set(), {"mypkg", "mypkg/sub"})
    assert resolver.role("mypkg/core.py") == "source"
    assert resolver.role("mypkg/test_core.py") == "test"
    assert resolver.role("tests/helpers.py") == "test"
