"""Import cycles in Django: ours (import-cycle) against grimp's import graph.

Run from the repository root::

    .venv/bin/python -m benchmarks.grimp_compare [django|flask|requests]

grimp counts every import statement, including imports inside functions and under
``if TYPE_CHECKING:``; our detector skips both by default (they do not run at import time), so
the comparison is made twice: like for like (both kinds included) and with our defaults. A
"cycle" is a strongly connected component of two or more modules; the two sets of cycles are
compared as sets of module sets, and the import edges that make them differ are listed.
"""

from __future__ import annotations

import gc
import sys
import time
from typing import Any

from analysis.engine import analyze
from analysis.engine import graph as g
from analysis.engine.project import build_project
from analysis.engine.registry import all_specs
from benchmarks._cache import ensure_tools, project_source

KEEP = {"import-cycle"}


def our_project(root: str) -> tuple[Any, float, float]:
    config = {"detectors": {spec.id: False for spec in all_specs() if spec.id not in KEEP}}
    t = time.perf_counter()
    result = analyze(root, config=config)
    analysed = time.perf_counter() - t
    gc.disable()  # as the pipeline does while it builds the graph
    try:
        t = time.perf_counter()
        project = build_project(result.files, None, root)
        built = time.perf_counter() - t
    finally:
        gc.enable()
    return project, analysed, built


def grimp_adjacency(package: str, src_parent: str) -> tuple[dict[str, set[str]], float]:
    ensure_tools("grimp")
    import grimp

    sys.path.insert(0, src_parent)
    t = time.perf_counter()
    graph = grimp.build_graph(package, include_external_packages=False, exclude_type_checking_imports=False, cache_dir=None)
    elapsed = time.perf_counter() - t
    adj = {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    return adj, elapsed


def cycles(adj: dict[str, set[str]]) -> set[frozenset[str]]:
    return {frozenset(c) for c in g.strongly_connected_components(adj) if len(c) > 1}


def describe(label: str, ours: set[frozenset[str]], theirs: set[frozenset[str]]) -> None:
    same = ours & theirs
    print(
        f"\n[{label}] ours: {len(ours)} cycles ({sum(map(len, ours))} modules); grimp: {len(theirs)} cycles ({sum(map(len, theirs))} modules); identical: {len(same)}"
    )
    for c in sorted(ours - theirs, key=lambda c: (-len(c), sorted(c))):
        print(f"  only ours ({len(c)}): {', '.join(sorted(c)[:6])}{' ...' if len(c) > 6 else ''}")
    for c in sorted(theirs - ours, key=lambda c: (-len(c), sorted(c))):
        print(f"  only grimp ({len(c)}): {', '.join(sorted(c)[:6])}{' ...' if len(c) > 6 else ''}")


def main(name: str = "django") -> None:
    package_dir = project_source(name)
    root = str(package_dir)
    project, analysed, built = our_project(root)
    theirs_adj, grimp_time = grimp_adjacency(package_dir.name, str(package_dir.parent))
    print(
        f"{name}: {len(project.modules)} modules (grimp: {len(theirs_adj)}); analyze {analysed:.2f}s, graph build {built:.3f}s, grimp build_graph {grimp_time:.2f}s"
    )

    full = project.module_graph(include_type_checking=True, include_function_imports=True)
    ours_edges = {(a, b) for a, bs in full.adjacency.items() for b in bs}
    theirs_edges = {(a, b) for a, bs in theirs_adj.items() for b in bs if a != b}
    print(f"import edges: ours {len(ours_edges)}, grimp {len(theirs_edges)}, common {len(ours_edges & theirs_edges)}")
    for label, edges in (("only ours", ours_edges - theirs_edges), ("only grimp", theirs_edges - ours_edges)):
        sample = sorted(edges)[:8]
        if sample:
            print(f"  edges {label} ({len(edges)}): " + "; ".join(f"{a} -> {b}" for a, b in sample))

    theirs_cycles = cycles(theirs_adj)
    describe("like for like: all imports", {frozenset(c) for c in full.components}, theirs_cycles)
    default = project.module_graph()
    describe(
        "our defaults: no TYPE_CHECKING, no function-level imports", {frozenset(c) for c in default.components}, theirs_cycles
    )

    t = time.perf_counter()
    for _ in range(5):
        project._cache.clear()
        project.module_graph(include_type_checking=True, include_function_imports=True)
    print(f"\nmodule graph + SCC + PageRank: {(time.perf_counter() - t) / 5 * 1000:.1f} ms")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "django")
