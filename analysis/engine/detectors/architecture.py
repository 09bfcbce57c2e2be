"""Architecture detectors: run over the module import graph of the whole project."""

from __future__ import annotations

from collections.abc import Iterable

from analysis.engine import graph as g
from analysis.engine.model import Category, Finding, Severity
from analysis.engine.project import ModuleGraphView, ProjectContext
from analysis.engine.registry import DetectorSpec, ProjectDetector, register


def _view(project: ProjectContext, spec: DetectorSpec) -> ModuleGraphView:
    return project.module_graph(
        include_type_checking=bool(project.threshold(spec, "include_type_checking")),
        include_function_imports=bool(project.threshold(spec, "include_function_imports")),
    )


def _import_flags() -> dict[str, bool]:
    return {"include_type_checking": False, "include_function_imports": False}


@register
class ImportCycle(ProjectDetector):
    """One finding per strongly connected component (two or more modules) of the import graph.

    Imports under ``if TYPE_CHECKING:`` and imports inside functions never run at import time,
    so by default they cannot close a cycle; both are configurable."""

    spec = DetectorSpec(
        id="import-cycle",
        category=Category.ARCHITECTURE,
        severity=Severity.MEDIUM,
        title="Import cycle",
        description="Modules import each other, directly or through other modules. Cycles make import order "
        "fragile, block independent testing and reuse, and usually mean responsibilities are tangled.",
        effort_minutes=60,
        thresholds={**_import_flags(), "large_cycle": 10},
    )

    def run(self, project: ProjectContext) -> Iterable[Finding]:
        view = _view(project, self.spec)
        large = int(project.threshold(self.spec, "large_cycle"))
        for component in view.components:
            order = g.cycle_order(component, view.adjacency)
            first = order[0]
            shortest = g.shortest_path(view.adjacency, first, first, allowed=set(component)) or [first, order[1], first]
            if len(shortest) - 1 == len(order):  # a simple cycle: the walk order is the cycle
                message = f"Import cycle between {len(order)} modules: {' -> '.join([*order, first])}"
            else:
                message = (
                    f"{len(order)} modules are tangled in import cycles ({', '.join(order[:6])}"
                    f"{', ...' if len(order) > 6 else ''}); shortest: {' -> '.join(shortest)}"
                )
            yield project.report(
                self.spec,
                path=project.path_of(first),
                line=project.first_import_line(first, shortest[1]),
                message=message,
                symbol=first,
                key="cycle:" + ",".join(sorted(component)),
                severity=Severity.HIGH if len(order) >= large else None,
                metadata={"modules": order, "size": len(order), "shortest_cycle": shortest, "threshold": 2},
            )


@register
class ArchitecturalBottleneck(ProjectDetector):
    """A module that much of the project flows through: high PageRank on the import graph
    together with both many importers and many imports, so changes ripple both ways."""

    spec = DetectorSpec(
        id="architectural-bottleneck",
        category=Category.ARCHITECTURE,
        severity=Severity.MEDIUM,
        title="Architectural bottleneck",
        description="A central module that is imported by many modules and itself imports many: every change "
        "to it, or to what it depends on, ripples across the project. Split it along its responsibilities.",
        effort_minutes=120,
        thresholds={**_import_flags(), "min_fan_in": 15, "min_fan_out": 12, "pagerank_factor": 3.0},
    )

    def run(self, project: ProjectContext) -> Iterable[Finding]:
        view = _view(project, self.spec)
        if not view.pagerank:
            return
        min_in = int(project.threshold(self.spec, "min_fan_in"))
        min_out = int(project.threshold(self.spec, "min_fan_out"))
        factor = float(project.threshold(self.spec, "pagerank_factor"))
        for module in sorted(view.pagerank):
            rank = view.pagerank[module]
            n = view.group_size.get(module) or len(view.pagerank)  # modules of the same language
            floor = factor / n
            fan_in, fan_out = view.fan_in[module], view.fan_out[module]
            if rank >= floor and fan_in >= min_in and fan_out >= min_out:
                yield project.report(
                    self.spec,
                    path=project.path_of(module),
                    line=1,
                    message=f"{module} is imported by {fan_in} modules, imports {fan_out} and has "
                    f"{rank * n:.1f}x the average PageRank: a bottleneck of the dependency graph.",
                    symbol=module,
                    key=f"bottleneck:{module}",
                    snippet="",
                    metadata={
                        "fan_in": fan_in,
                        "fan_out": fan_out,
                        "pagerank": round(rank, 6),
                        "pagerank_relative": round(rank * n, 2),
                        "threshold": {"min_fan_in": min_in, "min_fan_out": min_out, "pagerank_factor": factor},
                    },
                )


@register
class HubModule(ProjectDetector):
    """A module with very many import connections in both directions."""

    spec = DetectorSpec(
        id="hub-module",
        category=Category.ARCHITECTURE,
        severity=Severity.LOW,
        title="Hub module",
        description="A module coupled to a large part of the project (many importers plus many imports). "
        "Hubs are hard to change safely; consider splitting it.",
        effort_minutes=90,
        thresholds={**_import_flags(), "min_total": 50, "min_each": 10},
    )

    def run(self, project: ProjectContext) -> Iterable[Finding]:
        view = _view(project, self.spec)
        min_total = int(project.threshold(self.spec, "min_total"))
        min_each = int(project.threshold(self.spec, "min_each"))
        for module in sorted(view.fan_in):
            fan_in, fan_out = view.fan_in[module], view.fan_out[module]
            if fan_in + fan_out >= min_total and min(fan_in, fan_out) >= min_each:
                yield project.report(
                    self.spec,
                    path=project.path_of(module),
                    line=1,
                    message=f"{module} has {fan_in + fan_out} import connections ({fan_in} in, {fan_out} out).",
                    symbol=module,
                    key=f"hub:{module}",
                    snippet="",
                    metadata={
                        "fan_in": fan_in,
                        "fan_out": fan_out,
                        "value": fan_in + fan_out,
                        "threshold": {"min_total": min_total, "min_each": min_each},
                    },
                )


_ABSTRACT_BASES = {"ABC", "abc.ABC", "Protocol", "typing.Protocol", "typing_extensions.Protocol"}


def package_metrics(project: ProjectContext, view: ModuleGraphView) -> dict[str, dict[str, float]]:
    """Martin's package metrics over modules: Ca (modules outside importing the package), Ce
    (modules outside it imports), instability I = Ce / (Ca + Ce), abstractness A and the
    distance from the main sequence D = |A + I - 1|."""
    package = {m: project.package_of(m) for m in view.adjacency}
    afferent: dict[str, set[str]] = {}
    efferent: dict[str, set[str]] = {}
    for src, dsts in view.adjacency.items():
        p = package[src]
        for dst in dsts:
            q = package.get(dst)
            if q is None or q == p or not p or not q:
                continue
            efferent.setdefault(p, set()).add(dst)
            afferent.setdefault(q, set()).add(src)
    classes: dict[str, list[int]] = {}
    abstract_methods = {
        q.rpartition(".")[0]
        for q, d in project.definitions.items()
        if d.kind == "method" and any(x.endswith("abstractmethod") for x in d.decorators)
    }
    for qual, definition in project.definitions.items():
        if definition.kind != "class":
            continue
        module = project.files[project.definition_path[qual]].module
        counts = classes.setdefault(package.get(module, ""), [0, 0])
        counts[1] += 1
        if qual in abstract_methods or any(b in _ABSTRACT_BASES or b.endswith((".ABC", ".Protocol")) for b in definition.bases):
            counts[0] += 1
    metrics: dict[str, dict[str, float]] = {}
    for p in sorted(set(afferent) | set(efferent)):
        ca, ce = len(afferent.get(p, ())), len(efferent.get(p, ()))
        instability = ce / (ca + ce) if ca + ce else 0.0
        abstract, total = classes.get(p, [0, 0])
        abstractness = abstract / total if total else 0.0
        metrics[p] = {
            "ca": ca,
            "ce": ce,
            "instability": round(instability, 3),
            "abstractness": round(abstractness, 3),
            "distance": round(abs(abstractness + instability - 1.0), 3),
        }
    return metrics


@register
class UnstableDependency(ProjectDetector):
    """Stable Dependencies Principle: a package others rely on (low instability) should not
    depend on a package that is much less stable than itself."""

    spec = DetectorSpec(
        id="unstable-dependency",
        category=Category.ARCHITECTURE,
        severity=Severity.LOW,
        title="Stable package depends on an unstable one",
        description="A package many others depend on imports a package that changes more easily (higher "
        "instability I = Ce / (Ca + Ce)); its changes propagate into the stable package and on to all of its users.",
        effort_minutes=60,
        thresholds={**_import_flags(), "min_difference": 0.4, "min_afferent": 5},
    )

    def run(self, project: ProjectContext) -> Iterable[Finding]:
        view = _view(project, self.spec)
        metrics = package_metrics(project, view)
        project.metrics["package_metrics"] = metrics
        min_diff = float(project.threshold(self.spec, "min_difference"))
        min_ca = int(project.threshold(self.spec, "min_afferent"))
        deps: dict[str, dict[str, int]] = {}  # package -> unstable package -> first import line
        first_module: dict[tuple[str, str], str] = {}
        for src in sorted(view.adjacency):
            p = project.package_of(src)
            for dst in sorted(view.adjacency[src]):
                q = project.package_of(dst)
                if p == q or p not in metrics or q not in metrics:
                    continue
                if metrics[p]["ca"] < min_ca:
                    continue
                if metrics[q]["instability"] - metrics[p]["instability"] >= min_diff:
                    deps.setdefault(p, {}).setdefault(q, 0)
                    first_module.setdefault((p, q), src)
        for p in sorted(deps):
            unstable = sorted(deps[p])
            src = first_module[(p, unstable[0])]
            target = next(d for d in sorted(view.adjacency[src]) if project.package_of(d) == unstable[0])
            mp = metrics[p]
            listed = ", ".join(f"{q} (I={metrics[q]['instability']:.2f})" for q in unstable[:5])
            yield project.report(
                self.spec,
                path=project.path_of(src),
                line=project.first_import_line(src, target),
                message=f"Package {p} (I={mp['instability']:.2f}, {int(mp['ca'])} dependants) depends on less stable "
                f"package(s): {listed}{' ...' if len(unstable) > 5 else ''}",
                symbol=p,
                key=f"unstable:{p}",
                metadata={
                    "package": p,
                    "instability": mp["instability"],
                    "abstractness": mp["abstractness"],
                    "distance_from_main_sequence": mp["distance"],
                    "unstable_dependencies": [{"package": q, **metrics[q]} for q in unstable],
                    "threshold": {"min_difference": min_diff, "min_afferent": min_ca},
                },
            )


def _layer_index(module: str, layers: list[list[str]]) -> int | None:
    for i, prefixes in enumerate(layers):
        if any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes):
            return i
    return None


@register
class LayerViolation(ProjectDetector):
    """With ``layers = ["app.api", "app.services", "app.models"]`` (top to bottom) in
    repotoire.toml, a module of a lower layer must not import one of a higher layer."""

    spec = DetectorSpec(
        id="layer-violation",
        category=Category.ARCHITECTURE,
        severity=Severity.MEDIUM,
        title="Layer violation",
        description="A lower architectural layer imports a higher one, against the layering declared in "
        "repotoire.toml (`layers`, listed top to bottom).",
        effort_minutes=30,
        thresholds={"include_type_checking": False, "include_function_imports": True},
    )

    def run(self, project: ProjectContext) -> Iterable[Finding]:
        layers = project.layers
        if not layers:
            return
        with_tc = bool(project.threshold(self.spec, "include_type_checking"))
        with_fn = bool(project.threshold(self.spec, "include_function_imports"))
        names = [" | ".join(prefixes) for prefixes in layers]
        for (src, dst), sites in sorted(project.import_sites.items()):
            lower, higher = _layer_index(src, layers), _layer_index(dst, layers)
            if lower is None or higher is None or lower <= higher:
                continue
            counted = [s for s in sites if (with_tc or not s.type_checking_only) and (with_fn or not s.in_function)]
            if not counted:
                continue
            line = min(s.line for s in counted)
            yield project.report(
                self.spec,
                path=project.path_of(src),
                line=line,
                message=f"{src} (layer {names[lower]}) imports {dst} from the higher layer {names[higher]}.",
                symbol=src,
                key=f"layer:{src}->{dst}",
                metadata={"importer_layer": names[lower], "imported_layer": names[higher], "imported": dst, "layers": names},
            )
