from __future__ import annotations

import os

from analysis.engine.detectors.architecture import (
    ArchitecturalBottleneck,
    HubModule,
    ImportCycle,
    LayerViolation,
    UnstableDependency,
    package_metrics,
)
from tests.engine.graph_helpers import Config, facts_from_sources, project_from_sources, run_detector

CYCLE = {
    "app/a.py": "from app import b\n",
    "app/b.py": "import app.c\n",
    "app/c.py": "from app.a import thing\n\nthing = 1\n",
    "app/d.py": "import app.a\n",
}


def test_import_cycle_reports_one_finding_per_cycle_in_order() -> None:
    findings = run_detector(ImportCycle, project_from_sources(CYCLE))
    assert len(findings) == 1
    f = findings[0]
    assert f.metadata["modules"] == ["app.a", "app.b", "app.c"]
    assert f.path == "app/a.py" and f.line == 1
    assert f.category == "architecture"
    assert "app.a -> app.b -> app.c -> app.a" in f.message


def test_import_cycle_negative_acyclic_project() -> None:
    acyclic = dict(CYCLE, **{"app/c.py": "thing = 1\n"})
    assert run_detector(ImportCycle, project_from_sources(acyclic)) == []


def test_import_cycle_fingerprint_is_independent_of_file_order_and_lines() -> None:
    one = run_detector(ImportCycle, project_from_sources(CYCLE))[0]
    shifted = {path: "\n\n" + src for path, src in reversed(list(CYCLE.items()))}
    two = run_detector(ImportCycle, project_from_sources(shifted))[0]
    assert one.fingerprint == two.fingerprint
    assert one.line != two.line


def test_import_cycle_ignores_type_checking_and_function_imports_unless_configured() -> None:
    sources = {
        "p/a.py": "from typing import TYPE_CHECKING\nimport p.b\nif TYPE_CHECKING:\n    pass\n",
        "p/b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import p.a\n\ndef f():\n    import p.a\n",
    }
    assert run_detector(ImportCycle, project_from_sources(sources)) == []
    config = Config({"import-cycle": {"include_function_imports": True}})
    assert len(run_detector(ImportCycle, project_from_sources(sources, config))) == 1


def _star(center: str, importers: int, imported: int) -> dict[str, str]:
    sources = {f"s/low{i}.py": "x = 1\n" for i in range(imported)}
    sources[f"s/{center}.py"] = "".join(f"import s.low{i}\n" for i in range(imported))
    for i in range(importers):
        sources[f"s/user{i}.py"] = f"import s.{center}\n"
    return sources


def test_hub_module_positive_and_negative() -> None:
    config = Config({"hub-module": {"min_total": 10, "min_each": 4}})
    hub = run_detector(HubModule, project_from_sources(_star("hub", 6, 6), config))
    assert [f.symbol for f in hub] == ["s.hub"]
    assert hub[0].metadata["fan_in"] == 6 and hub[0].metadata["fan_out"] == 6
    # many importers but few imports is a stable library module, not a hub
    assert run_detector(HubModule, project_from_sources(_star("hub", 12, 2), config)) == []


def test_architectural_bottleneck_positive_and_negative() -> None:
    config = Config({"architectural-bottleneck": {"min_fan_in": 5, "min_fan_out": 5, "pagerank_factor": 1.5}})
    found = run_detector(ArchitecturalBottleneck, project_from_sources(_star("core", 8, 6), config))
    assert [f.symbol for f in found] == ["s.core"]
    assert found[0].metadata["pagerank_relative"] >= 1.5
    assert run_detector(ArchitecturalBottleneck, project_from_sources(_star("core", 8, 2), config)) == []


def _stability_sources() -> dict[str, str]:
    # "base" is imported by four other packages (stable) and imports "volatile", which only imports
    sources = {f"user{i}/mod.py": "import base.core\n" for i in range(4)}
    sources["base/__init__.py"] = ""
    sources["base/core.py"] = "import volatile.impl\n"
    sources["volatile/__init__.py"] = ""
    sources["volatile/impl.py"] = "import ext1.a\nimport ext2.a\n"
    sources["ext1/a.py"] = "x = 1\n"
    sources["ext2/a.py"] = "x = 1\n"
    return sources


def test_unstable_dependency_positive() -> None:
    config = Config({"unstable-dependency": {"min_afferent": 2, "min_difference": 0.3}})
    found = run_detector(UnstableDependency, project_from_sources(_stability_sources(), config))
    assert [f.symbol for f in found] == ["base"]
    meta = found[0].metadata
    assert meta["instability"] == 0.2  # Ca = 4, Ce = 1
    assert meta["unstable_dependencies"][0]["package"] == "volatile"
    assert meta["unstable_dependencies"][0]["instability"] == 0.667  # Ca = 1, Ce = 2
    assert "distance_from_main_sequence" in meta


def test_unstable_dependency_negative_when_depending_on_stabler_package() -> None:
    sources = _stability_sources()
    sources["volatile/impl.py"] = "x = 1\n"
    sources["base/core.py"] = "import ext1.a\n"
    config = Config({"unstable-dependency": {"min_afferent": 2, "min_difference": 0.3}})
    assert run_detector(UnstableDependency, project_from_sources(sources, config)) == []


def test_package_metrics_abstractness() -> None:
    sources = {
        "api/__init__.py": "",
        "api/iface.py": "from abc import ABC\n\nclass Port(ABC):\n    pass\n\nclass Impl:\n    pass\n",
        "user/a.py": "import api.iface\n",
    }
    project = project_from_sources(sources)
    metrics = package_metrics(project, project.module_graph())
    assert metrics["api"]["abstractness"] == 0.5
    assert metrics["api"]["instability"] == 0.0
    assert metrics["api"]["distance"] == 0.5


LAYERED = {
    "app/__init__.py": "",
    "app/api/__init__.py": "",
    "app/api/views.py": "from app.services import billing\n",
    "app/services/__init__.py": "",
    "app/services/billing.py": "from app.models import invoice\n",
    "app/models/__init__.py": "",
    "app/models/invoice.py": "x = 1\n",
}


def test_layer_violation_positive() -> None:
    sources = dict(LAYERED)
    sources["app/models/invoice.py"] = "x = 1\nfrom app.api import views\n"
    config = Config(layers=["app.api", "app.services", "app.models"])
    found = run_detector(LayerViolation, project_from_sources(sources, config))
    assert len(found) == 1
    assert found[0].path == "app/models/invoice.py" and found[0].line == 2
    assert found[0].metadata["importer_layer"] == "app.models"
    assert found[0].metadata["imported_layer"] == "app.api"


def test_layer_violation_negative_top_down_imports_and_no_layers() -> None:
    config = Config(layers=["app.api", "app.services", "app.models"])
    assert run_detector(LayerViolation, project_from_sources(LAYERED, config)) == []
    upward = dict(LAYERED, **{"app/models/invoice.py": "from app.api import views\n"})
    assert run_detector(LayerViolation, project_from_sources(upward)) == []


def test_architecture_detectors_on_real_code_the_engine_package() -> None:
    base = os.path.join(os.path.dirname(__file__), "..", "..")
    sources = {}
    engine = os.path.join(base, "analysis", "engine")
    for name in sorted(os.listdir(engine)):
        if name.endswith(".py"):
            with open(os.path.join(engine, name), encoding="utf-8") as fh:
                sources[f"analysis/engine/{name}"] = fh.read()
    from analysis.engine.project import build_project

    project = build_project(
        facts_from_sources(sources), Config(layers=["analysis.engine.project", "analysis.engine.model"]), base
    )
    # the engine's modules import each other only downwards: model/registry/context at the bottom
    assert run_detector(ImportCycle, project) == []
    assert run_detector(LayerViolation, project) == []
    assert project.graph.nodes["analysis.engine.graph"] == "module"


def test_pipeline_runs_graph_detectors_with_repotoire_toml(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from analysis.engine import analyze

    files = {
        "repotoire.toml": 'layers = ["app.api", "app.models"]\n',
        "app/__init__.py": "",
        "app/api.py": "from app import models\n\n\ndef view():\n    return models.load()\n",
        "app/models.py": "import json\n\n\ndef load():\n    from app import api\n    return api\n",
    }
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    result = analyze(str(tmp_path), workers=1)
    by_detector: dict[str, list] = {}
    for f in result.findings:
        by_detector.setdefault(f.detector, []).append(f)
    assert [f.path for f in by_detector["layer-violation"]] == ["app/models.py"]
    assert [f.metadata["import"] for f in by_detector["unused-import"]] == ["json"]
    assert "import-cycle" not in by_detector  # the upward import is function-local
    assert result.metrics["graph"]["edges"]["IMPORTS"] == 2
    assert result.metrics["duplicated_lines_percent"] == 0.0


def test_import_cycle_tangle_reports_shortest_cycle() -> None:
    sources = {
        "t/a.py": "import t.b\nimport t.c\n",
        "t/b.py": "import t.a\n",
        "t/c.py": "import t.a\n",
    }
    (finding,) = run_detector(ImportCycle, project_from_sources(sources))
    assert finding.metadata["modules"] == ["t.a", "t.b", "t.c"]
    assert finding.metadata["shortest_cycle"] == ["t.a", "t.b", "t.a"]
    assert "tangled" in finding.message and "t.a -> t.b -> t.a" in finding.message
    assert finding.line == 1
