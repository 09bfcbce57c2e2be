from __future__ import annotations

from dataclasses import dataclass

import pytest

from analysis.models import AnalysisRun, Repository
from findings.models import Finding
from tests.findings.factories import AnalysisRunFactory, RepositoryFactory, engine_finding, record


@dataclass
class World:
    repo: Repository
    repo_b: Repository
    r1: AnalysisRun
    r2: AnalysisRun
    b1: AnalysisRun
    foreign: Finding

    def finding(self, detector: str, repo: Repository | None = None) -> Finding:
        return Finding.objects.get(detector=detector, repository=repo or self.repo)


def _sql(line: int):
    return engine_finding("sql-injection", "app/db.py", line, severity="high", title="SQL built from user input")


@pytest.fixture
def world(org, other_org) -> World:
    """Repository A: run 1 then run 2 (eval-used fixed, bare-except new, sql-injection moved
    from line 10 to 20); repository B: one run; another organisation: one finding."""
    repo = RepositoryFactory(organization=org, name="acme/api")
    repo_b = RepositoryFactory(organization=org, name="acme/lib")
    r1 = AnalysisRunFactory(repository=repo)
    record(
        r1,
        [
            _sql(10),
            engine_finding("eval-used", "app/views.py", 5, severity="critical", message="eval() on request data"),
            engine_finding("todo-comment", "docs/notes.py", 1, severity="info", category="documentation", title="TODO left"),
        ],
    )
    r2 = AnalysisRunFactory(repository=repo)
    record(
        r2,
        [
            _sql(20),
            engine_finding("todo-comment", "docs/notes.py", 3, severity="info", category="documentation", title="TODO left"),
            engine_finding("bare-except", "app/util.py", 7, severity="medium", category="bug_risk", title="Bare except"),
        ],
    )
    b1 = AnalysisRunFactory(repository=repo_b)
    record(b1, [engine_finding("magic-number", "lib/a.py", 2, severity="low", category="design")])
    foreign_repo = RepositoryFactory(organization=other_org, name="globex/api")
    record(AnalysisRunFactory(repository=foreign_repo), [_sql(1)])
    return World(repo, repo_b, r1, r2, b1, Finding.objects.get(repository=foreign_repo))
