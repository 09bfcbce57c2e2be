"""Findings' kind, file role, taint path and confidence through the API: stored by an analysis,
shown, filtered (source files above the default confidence unless asked), summarised."""

from __future__ import annotations

import pytest

from analysis.engine.calibration import DEFAULT_MIN_CONFIDENCE
from tests.findings.factories import AnalysisRunFactory, RepositoryFactory, engine_finding, record

pytestmark = pytest.mark.django_db
URL = "/api/v1/findings"
PATH = [
    {"path": "app/views.py", "line": 4, "note": "source: request.GET"},
    {"path": "app/db.py", "line": 10, "note": "sink: execute"},
]


@pytest.fixture
def trust_run(org):
    repo = RepositoryFactory(organization=org, name="acme/trust")
    run = AnalysisRunFactory(repository=repo)
    record(
        run,
        [
            engine_finding("sql-injection", "app/db.py", 10, kind="vulnerability", taint_path=PATH, confidence=0.9),
            engine_finding("weak-crypto", "app/cache.py", 3, kind="hotspot", severity="medium", confidence=0.7),
            engine_finding("insecure-random", "app/retry.py", 8, kind="hotspot", severity="medium", confidence=0.3),
            engine_finding("code-injection", "tests/test_views.py", 2, kind="vulnerability", role="test", confidence=0.9),
            engine_finding("bare-except", "app/util.py", 7, severity="medium", category="bug_risk", title="Bare except"),
        ],
    )
    return run


def detectors(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return sorted(f["detector"] for f in response.json()["results"])


def test_default_list_shows_source_files_above_the_default_confidence(trust_run, viewer):
    assert DEFAULT_MIN_CONFIDENCE > 0.3
    assert detectors(viewer.client.get(URL)) == ["bare-except", "sql-injection", "weak-crypto"]


def test_kind_role_and_taint_path_are_in_the_output(trust_run, viewer):
    results = {f["detector"]: f for f in viewer.client.get(URL).json()["results"]}
    assert results["sql-injection"]["kind"] == "vulnerability" and results["sql-injection"]["role"] == "source"
    assert results["sql-injection"]["taint_path"] == PATH
    assert results["weak-crypto"]["kind"] == "hotspot" and results["bare-except"]["kind"] == "issue"


def test_scope_all_role_kind_and_min_confidence_filters(trust_run, viewer):
    assert detectors(viewer.client.get(URL, {"scope": "all"})) == [
        "bare-except",
        "code-injection",
        "sql-injection",
        "weak-crypto",
    ]
    assert detectors(viewer.client.get(URL, {"role": "test"})) == ["code-injection"]
    assert detectors(viewer.client.get(URL, {"kind": "hotspot", "min_confidence": 0})) == ["insecure-random", "weak-crypto"]
    assert detectors(viewer.client.get(URL, {"kind": "vulnerability,issue", "min_confidence": 0.8})) == [
        "bare-except",
        "sql-injection",
    ]


@pytest.mark.parametrize("params", [{"min_confidence": 2}, {"scope": "everything"}, {"kind": "bug"}, {"role": "docs"}])
def test_bad_trust_filters_are_validation_errors(trust_run, viewer, params):
    response = viewer.client.get(URL, params)
    assert response.status_code == 400 and response.json()["error_code"] == "VALIDATION_ERROR"
    assert {name.split(".")[0] for name in response.json()["fields"]} == set(params)


def test_summary_counts_every_kind_and_role(trust_run, viewer):
    body = viewer.client.get(URL + "/summary", {"analysis_id": trust_run.id}).json()
    assert body["by_kind"] == {"vulnerability": 2, "hotspot": 2, "issue": 1}
    assert body["by_role"] == {"source": 4, "test": 1, "example": 0, "vendored": 0, "generated": 0}


def test_by_detector_follows_the_same_defaults(trust_run, viewer):
    rows = viewer.client.get(URL + "/by-detector").json()
    assert sorted(r["detector"] for r in rows) == ["bare-except", "sql-injection", "weak-crypto"]
