from __future__ import annotations

import os
import sys

import pytest

from analysis.engine import graph as g
from analysis.engine.model import compute_fingerprint
from analysis.engine.registry import all_specs
from tests.engine.graph_helpers import Config, project_from_sources


def test_scc_finds_cycles_and_ignores_acyclic_nodes() -> None:
    adj = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    components = g.strongly_connected_components(adj)
    assert sorted(map(tuple, components)) == [("a", "b", "c"), ("d",), ("e",)]


def test_scc_is_iterative_on_a_very_long_chain() -> None:
    n = sys.getrecursionlimit() * 3
    adj = {f"m{i}": {f"m{i + 1}"} for i in range(n)}
    adj[f"m{n}"] = {"m0"}
    components = g.strongly_connected_components(adj)
    assert len(components) == 1 and len(components[0]) == n + 1


def test_cycle_order_follows_edges_and_ignores_the_start() -> None:
    adj = {"c": {"a"}, "a": {"b"}, "b": {"c"}}
    assert g.cycle_order(["b", "c", "a"], adj) == ["a", "b", "c"]
    assert g.cycle_order(["c", "a", "b"], adj) == ["a", "b", "c"]


def test_shortest_cycle_through_a_node() -> None:
    adj = {"a": {"b", "x"}, "b": {"a"}, "x": {"y"}, "y": {"a"}}
    assert g.shortest_path(adj, "a", "a") == ["a", "b", "a"]


def test_pagerank_sums_to_one_and_favours_the_common_dependency() -> None:
    adj = {"a": {"core"}, "b": {"core"}, "c": {"core", "a"}, "core": set()}
    ranks = g.pagerank(adj)
    assert sum(ranks.values()) == pytest.approx(1.0)
    assert max(ranks, key=ranks.get) == "core"


def test_fan_in_out_and_reachability() -> None:
    adj = {"a": {"b", "c"}, "b": {"c"}, "c": set()}
    fan_in, fan_out = g.fan_in_out(adj)
    assert fan_in == {"a": 0, "b": 1, "c": 2} and fan_out == {"a": 2, "b": 1, "c": 0}
    assert g.reachable(adj, ["b"]) == {"b", "c"}


SOURCES = {
    "pkg/__init__.py": "from pkg.api import handler\n",
    "pkg/api.py": """
        from pkg import services
        from pkg.models import Base

        def handler():
            return services.run()

        class Child(Base):
            def go(self):
                return self.helper()
        """,
    "pkg/services.py": """
        from pkg.util import helper as h

        def run():
            return h()
        """,
    "pkg/util.py": """
        def helper():
            return 1
        """,
    "pkg/models.py": """
        class Base:
            def helper(self):
                return 2
        """,
}


def test_build_project_creates_typed_edges() -> None:
    project = project_from_sources(SOURCES)
    graph = project.graph
    assert graph.nodes["pkg.api"] == "module"
    assert graph.nodes["pkg.api.Child"] == "class"
    assert graph.nodes["pkg.api.Child.go"] == "method"
    # "from pkg import services" points at the submodule, not at the package
    assert graph.successors(g.IMPORTS, "pkg.api") == {"pkg.services", "pkg.models"}
    assert "pkg.api" in graph.successors(g.IMPORTS, "pkg")
    assert graph.successors(g.INHERITS, "pkg.api.Child") == {"pkg.models.Base"}
    assert "pkg.api.Child.go" in graph.successors(g.CONTAINS, "pkg.api.Child")
    assert "pkg.api.Child" in graph.successors(g.CONTAINS, "pkg.api")
    calls = graph.edges[g.CALLS]
    assert calls["pkg.api.handler"] == {"pkg.services.run"}  # module attribute through an import
    assert calls["pkg.services.run"] == {"pkg.util.helper"}  # aliased from-import
    assert calls["pkg.api.Child.go"] == {"pkg.models.Base.helper"}  # self. through the base class
    assert project.metrics["graph"]["nodes"] == len(graph.nodes)


def test_calls_resolve_through_package_reexports_and_constructors() -> None:
    project = project_from_sources(
        {
            "app/__init__.py": "from app.impl import make, Thing\n",
            "app/impl.py": "def make():\n    return 1\n\nclass Thing:\n    pass\n",
            "app/use.py": "import app\n\ndef f():\n    app.make()\n    return app.Thing()\n",
        }
    )
    assert project.graph.edges[g.CALLS]["app.use.f"] == {"app.impl.make", "app.impl.Thing"}


def test_module_graph_excludes_type_checking_and_function_imports_by_default() -> None:
    project = project_from_sources(
        {
            "m/a.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from m import b\n",
            "m/b.py": "def f():\n    from m import c\n",
            "m/c.py": "import m.a\n",
        }
    )
    assert project.module_graph().adjacency["m.a"] == set()
    full = project.module_graph(include_type_checking=True, include_function_imports=True)
    assert full.adjacency["m.a"] == {"m.b"} and full.adjacency["m.b"] == {"m.c"}
    assert full.components == [["m.a", "m.b", "m.c"]]


def test_threshold_prefers_config_then_spec_default() -> None:
    spec = next(s for s in all_specs() if s.id == "hub-module")
    project = project_from_sources({"a.py": "x = 1\n"}, config=Config({"hub-module": {"min_total": 7}}))
    assert project.threshold(spec, "min_total") == 7
    assert project.threshold(spec, "min_each") == spec.thresholds["min_each"]


def test_threshold_with_engine_config() -> None:
    from analysis.engine.config import EngineConfig

    spec = next(s for s in all_specs() if s.id == "hub-module")
    config = EngineConfig.from_mapping(
        {"detectors": {"hub-module": {"min_total": 9, "severity": "high"}}, "layers": ["x", ["y", "z"]]}
    )
    project = project_from_sources({"a.py": "x = 1\n"}, config=config)
    assert project.threshold(spec, "min_total") == 9
    assert project.threshold(spec, "min_each") == spec.thresholds["min_each"]
    assert project.severity(spec).value == "high"
    assert project.layers == [["x"], ["y", "z"]]


def test_report_fingerprint_uses_the_key_not_the_line() -> None:
    spec = next(s for s in all_specs() if s.id == "hub-module")
    project = project_from_sources({"a.py": "x = 1\n"})
    one = project.report(spec, path="a.py", line=1, message="m", key="k", symbol="a")
    two = project.report(spec, path="a.py", line=40, message="m", key="k", symbol="a")
    assert one.fingerprint == two.fingerprint == compute_fingerprint("hub-module", "a.py", "a", "k")


def test_graph_over_real_code_this_engine() -> None:
    """Build the graph over the engine package itself: every module appears, imports resolve."""
    from tests.engine.graph_helpers import facts_from_sources

    base = os.path.join(os.path.dirname(__file__), "..", "..")
    sources = {}
    for name in ("graph.py", "project.py", "model.py", "registry.py", "spec.py", "facts.py"):
        with open(os.path.join(base, "analysis", "engine", name), encoding="utf-8") as fh:
            sources[f"analysis/engine/{name}"] = fh.read()
    from analysis.engine.project import build_project

    project = build_project(facts_from_sources(sources), Config(), base)
    imports = project.graph.successors(g.IMPORTS, "analysis.engine.project")
    assert {"analysis.engine.graph", "analysis.engine.facts", "analysis.engine.model", "analysis.engine.spec"} <= imports
    assert project.module_graph().components == []


def test_function_fan_in_and_fan_out_over_calls() -> None:
    project = project_from_sources(SOURCES)
    fan_in, fan_out = project.call_fan()
    assert fan_out["pkg.api.handler"] == 1 and fan_in["pkg.services.run"] == 1
    assert fan_in["pkg.api.handler"] == 0
    assert "pkg.api.Child" not in fan_in  # classes are not call-graph nodes


def test_class_attribute_calls_resolve_to_inherited_methods() -> None:
    project = project_from_sources(
        {
            "z/base.py": "class Base:\n    @classmethod\n    def create(cls):\n        return cls()\n",
            "z/child.py": "from z.base import Base\n\nclass Child(Base):\n    pass\n\ndef make():\n    return Child.create()\n",
            "z/user.py": "import z.child\n\ndef run():\n    return z.child.Child.create()\n",
        }
    )
    calls = project.graph.edges[g.CALLS]
    assert calls["z.child.make"] == {"z.base.Base.create"}
    assert calls["z.user.run"] == {"z.base.Base.create"}
