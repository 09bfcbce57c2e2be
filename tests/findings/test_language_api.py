"""The language of findings through the API: stored by an analysis, shown, filtered, summarised."""

from __future__ import annotations

import pytest

from tests.findings.factories import AnalysisRunFactory, RepositoryFactory, engine_finding, record

pytestmark = pytest.mark.django_db
URL = "/api/v1/findings"


@pytest.fixture
def mixed_run(org):
    repo = RepositoryFactory(organization=org, name="acme/web")
    run = AnalysisRunFactory(repository=repo)
    record(
        run,
        [
            engine_finding("bare-except", "app/util.py", 7, severity="medium", category="bug_risk"),
            engine_finding("loose-equality", "web/a.js", 3, severity="low", category="bug_risk", language="javascript"),
            engine_finding("unused-import", "web/b.ts", 1, severity="low", category="dead_code", language="typescript"),
        ],
    )
    return run


def detectors(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return sorted(f["detector"] for f in response.json()["results"])


def test_language_is_stored_shown_and_filtered(mixed_run, viewer):
    results = {f["detector"]: f["language"] for f in viewer.client.get(URL).json()["results"]}
    assert results == {"bare-except": "python", "loose-equality": "javascript", "unused-import": "typescript"}
    assert detectors(viewer.client.get(URL, {"language": "typescript"})) == ["unused-import"]
    assert detectors(viewer.client.get(URL, {"language": "javascript,typescript"})) == ["loose-equality", "unused-import"]


def test_unknown_language_is_a_validation_error(mixed_run, viewer):
    response = viewer.client.get(URL, {"language": "cobol"})
    assert response.status_code == 400 and response.json()["error_code"] == "VALIDATION_ERROR"
    assert "language" in {name.split(".")[0] for name in response.json()["fields"]}


def test_summary_counts_by_language(mixed_run, viewer):
    body = viewer.client.get(URL + "/summary", {"analysis_id": mixed_run.id}).json()
    assert body["by_language"] == {"javascript": 1, "python": 1, "typescript": 1}
