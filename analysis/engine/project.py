"""Whole-project context: every file's facts plus the code graph built from them.

``build_project`` is called once per analysis in the parent process; every ``ProjectDetector``
then reads the same ``ProjectContext``. Derived analyses (the module import graph, its strongly
connected components, PageRank) are computed on first use and cached on the context, so five
architecture detectors share one computation.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from analysis.engine import graph as g
from analysis.engine.facts import Definition, FileFacts, ImportFact
from analysis.engine.history.metrics import HistoryReport
from analysis.engine.model import Finding, Severity
from analysis.engine.spec import DetectorSpec


@dataclass(slots=True)
class ImportSite:
    """Where module ``src`` imports module ``dst`` (the first such statement) and how."""

    line: int
    type_checking_only: bool
    in_function: bool


@dataclass
class ModuleGraphView:
    adjacency: dict[str, set[str]]
    fan_in: dict[str, int]
    fan_out: dict[str, int]
    pagerank: dict[str, float]  # per language: the ranks of one language's modules sum to 1
    components: list[list[str]]  # strongly connected components of size >= 2
    # module -> number of modules of its language (imports never cross languages, so each
    # language's modules form their own graph; averages are taken within it)
    group_size: dict[str, int] = field(default_factory=dict)


@dataclass
class ProjectContext:
    files: dict[str, FileFacts]  # path -> facts
    config: Any
    root: str
    graph: g.CodeGraph = field(default_factory=g.CodeGraph)
    modules: dict[str, str] = field(default_factory=dict)  # module -> path
    definitions: dict[str, Definition] = field(default_factory=dict)  # qualname -> definition
    definition_path: dict[str, str] = field(default_factory=dict)  # qualname -> path
    # (importer, imported) -> every site; a module pair imported several ways keeps each way
    import_sites: dict[tuple[str, str], list[ImportSite]] = field(default_factory=dict)
    aliases: dict[str, dict[str, str]] = field(default_factory=dict)  # module -> bound name -> dotted target
    metrics: dict[str, Any] = field(default_factory=dict)
    # the git history's metrics (history/metrics.py) when the pipeline mined it, else None
    history: HistoryReport | None = None
    _cache: dict[Any, Any] = field(default_factory=dict, repr=False)
    _lines: dict[str, list[str]] = field(default_factory=dict, repr=False)

    # --- configuration ------------------------------------------------------------------------
    def _detector_config(self, detector_id: str) -> Any:
        holder = getattr(self.config, "detectors", None)
        return holder.get(detector_id) if isinstance(holder, dict) else None

    def threshold(self, spec: DetectorSpec, name: str) -> Any:
        """The effective threshold: repotoire.toml's value when set, else the spec's default.

        Works with ``EngineConfig`` and with any object carrying ``thresholds`` as
        ``{detector_id: {name: value}}`` (tests), so graph code does not depend on the loader."""
        getter = getattr(self.config, "threshold", None)
        if callable(getter):
            try:
                return getter(spec, name)
            except (KeyError, TypeError, AttributeError):
                pass
        thresholds = getattr(self.config, "thresholds", None)
        if isinstance(thresholds, dict):
            per = thresholds.get(spec.id)
            if isinstance(per, dict) and name in per:
                return per[name]
        own = getattr(self._detector_config(spec.id), "thresholds", None)
        if isinstance(own, dict) and name in own:
            return own[name]
        return spec.thresholds[name]

    def severity(self, spec: DetectorSpec) -> Severity:
        getter = getattr(self.config, "severity_for", None)
        if callable(getter):
            try:
                return Severity.parse(getter(spec))
            except (KeyError, TypeError, AttributeError, ValueError):
                pass
        value = getattr(self._detector_config(spec.id), "severity", None)
        return Severity.parse(value) if value else spec.severity

    @property
    def layers(self) -> list[list[str]]:
        """Layers top first, each a list of module prefixes."""
        raw = getattr(self.config, "layers", None) or []
        return [[layer] if isinstance(layer, str) else list(layer) for layer in raw]

    # --- source access ------------------------------------------------------------------------
    def line_text(self, path: str, line: int) -> str:
        """One line of an analysed file, read lazily from ``root`` (empty when unavailable)."""
        lines = self._lines.get(path)
        if lines is None:
            try:
                with open(os.path.join(self.root, path), encoding="utf-8", errors="replace") as fh:
                    lines = fh.read().splitlines()
            except OSError:
                lines = []
            self._lines[path] = lines
        return lines[line - 1] if 0 < line <= len(lines) else ""

    def path_of(self, module: str) -> str:
        return self.modules.get(module, "")

    # --- findings -----------------------------------------------------------------------------
    def report(
        self,
        spec: DetectorSpec,
        *,
        path: str,
        line: int,
        message: str,
        key: str,
        symbol: str = "",
        end_line: int = 0,
        title: str | None = None,
        severity: Severity | str | None = None,
        confidence: float = 1.0,
        metadata: dict[str, Any] | None = None,
        snippet: str | None = None,
    ) -> Finding:
        """Build a finding whose fingerprint hashes ``key`` (a line-independent description of
        the problem, e.g. the sorted members of a cycle) instead of the code at ``line``."""
        return spec.finding(
            severity=severity,
            configured=self.severity(spec),
            message=message,
            path=path,
            line=max(line, 1),
            end_line=end_line or max(line, 1),
            symbol=symbol,
            snippet=self.line_text(path, line) if snippet is None else snippet,
            key=key,
            title=title,
            confidence=confidence,
            metadata=metadata,
        )

    # --- derived views ------------------------------------------------------------------------
    def resolve_call(self, module: str, caller: str, callee: str) -> str | None:
        """The definition a call written ``callee`` inside ``caller`` (a qualified name) of
        ``module`` reaches: through imports and re-exports, or ``self.x`` through the class and its
        bases; None when it is not a definition of the repository."""
        resolver = self._cache.get("resolver")
        if resolver is None:
            resolver = self._cache["resolver"] = _Resolver(self)
        head, _, rest = callee.partition(".")
        if head in _SELF_NAMES and rest and "." not in rest:
            return _self_call(self, resolver, caller, head, rest)
        return resolver.in_module(module, callee)

    def module_graph(self, *, include_type_checking: bool = False, include_function_imports: bool = False) -> ModuleGraphView:
        """The module import graph restricted to the chosen kinds of import, with fan-in/out,
        PageRank and the import cycles (cached per combination of flags)."""
        cache_key = ("module_graph", include_type_checking, include_function_imports)
        view = self._cache.get(cache_key)
        if view is not None:
            return view
        adj: dict[str, set[str]] = {m: set() for m in self.modules}
        for (src, dst), sites in self.import_sites.items():
            if any(
                (include_type_checking or not s.type_checking_only) and (include_function_imports or not s.in_function)
                for s in sites
            ):
                adj[src].add(dst)
        fan_in, fan_out = g.fan_in_out(adj)
        components = [c for c in g.strongly_connected_components(adj) if len(c) > 1]
        groups: dict[str, list[str]] = {}
        for module, path in self.modules.items():
            facts = self.files.get(path)
            groups.setdefault(facts.language if facts is not None else "", []).append(module)
        ranks: dict[str, float] = {}
        sizes: dict[str, int] = {}
        for members in groups.values():
            if len(groups) == 1:
                ranks = g.pagerank(adj)
            else:
                wanted = set(members)
                ranks.update(g.pagerank({m: adj[m] & wanted for m in members}))
            sizes.update(dict.fromkeys(members, len(members)))
        view = ModuleGraphView(adj, fan_in, fan_out, ranks, components, sizes)
        self._cache[cache_key] = view
        return view

    def call_fan(self) -> tuple[dict[str, int], dict[str, int]]:
        """Fan-in and fan-out of every function and method over resolved CALLS edges."""
        cached = self._cache.get("call_fan")
        if cached is None:
            calls = self.graph.edges[g.CALLS]
            fan_in, fan_out = g.fan_in_out(calls, (q for q, d in self.definitions.items() if d.kind != "class"))
            cached = self._cache["call_fan"] = (fan_in, fan_out)
        return cached

    def first_import_line(self, src: str, dst: str) -> int:
        sites = self.import_sites.get((src, dst))
        return min(s.line for s in sites) if sites else 1

    def package_of(self, module: str) -> str:
        path = self.modules.get(module, "")
        facts = self.files.get(path)
        if facts is not None and facts.is_package_init:
            return module
        return module.rpartition(".")[0]


# --- building ---------------------------------------------------------------------------------


def _bindings(imp: ImportFact) -> Iterable[tuple[str, str]]:
    """(bound name, dotted target) pairs an import statement creates."""
    if imp.is_from:
        names = [n for n in imp.names if n != "*"]
        if imp.alias and len(names) == 1:
            yield imp.alias, f"{imp.module}.{names[0]}"
            return
        for name in names:
            yield name, f"{imp.module}.{name}"
    elif imp.alias:
        yield imp.alias, imp.module
    else:
        head = imp.module.partition(".")[0]
        yield head, head


class _Resolver:
    """Resolves dotted names used in a module to definitions or modules of the repository,
    following imports, re-exports through packages and star imports (memoised)."""

    def __init__(self, project: ProjectContext) -> None:
        self.p = project
        self.stars: dict[str, list[str]] = {}
        self.memo: dict[tuple[str, str], str | None] = {}
        self.methods: dict[tuple[str, str], str | None] = {}

    def known(self, name: str) -> bool:
        return name in self.p.definitions or name in self.p.modules

    def in_module(self, module: str, dotted: str, depth: int = 0) -> str | None:
        key = (module, dotted)
        if key in self.memo:
            return self.memo[key]
        self.memo[key] = None  # guards against re-export loops
        result = self._in_module(module, dotted, depth)
        self.memo[key] = result
        return result

    def _in_module(self, module: str, dotted: str, depth: int) -> str | None:
        local = f"{module}.{dotted}"
        if local in self.p.definitions:
            return local
        head, _, rest = dotted.partition(".")
        if rest and "." not in rest:
            owner = self.p.definitions.get(f"{module}.{head}")
            if owner is not None and owner.kind == "class":  # Class.method, maybe inherited
                return self.method(f"{module}.{head}", rest)
        target = self.p.aliases.get(module, {}).get(head)
        if target is not None:
            return self.absolute(f"{target}.{rest}" if rest else target, depth + 1)
        if self.known(dotted):
            return dotted
        if depth < 4:
            for star in self.stars.get(module, ()):
                found = self.in_module(star, dotted, depth + 1)
                if found:
                    return found
        return self.absolute(dotted, depth + 1) if "." in dotted else None

    def absolute(self, dotted: str, depth: int = 0) -> str | None:
        if self.known(dotted):
            return dotted
        if depth > 6:
            return None
        parts = dotted.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            prefix = ".".join(parts[:cut])
            if prefix in self.p.modules:
                return self.in_module(prefix, ".".join(parts[cut:]), depth + 1)
            owner = self.p.definitions.get(prefix)
            if owner is not None and owner.kind == "class" and cut == len(parts) - 1:
                return self.method(prefix, parts[-1])  # pkg.mod.Class.inherited_method
        return None

    def method(self, cls: str, name: str) -> str | None:
        """``name`` looked up on class ``cls`` and then on its bases, breadth first."""
        key = (cls, name)
        if key in self.methods:
            return self.methods[key]
        found = self.methods[key] = self._method(cls, name)
        return found

    def _method(self, cls: str, name: str) -> str | None:
        seen = {cls}
        queue = [cls]
        while queue:
            current = queue.pop(0)
            candidate = f"{current}.{name}"
            if candidate in self.p.definitions:
                return candidate
            for base in sorted(self.p.graph.successors(g.INHERITS, current)):
                if base not in seen:
                    seen.add(base)
                    queue.append(base)
        return None


def _enclosing_class(project: ProjectContext, qualname: str) -> str | None:
    current = qualname
    while "." in current:
        current = current.rpartition(".")[0]
        definition = project.definitions.get(current)
        if definition is not None and definition.kind == "class":
            return current
        if current in project.modules:
            return None
    return None


_SELF_NAMES = frozenset(("self", "cls", "super", "super()"))


def _self_call(project: ProjectContext, resolver: _Resolver, caller: str, head: str, name: str) -> str | None:
    """``self.name()`` / ``cls.name()`` through the enclosing class and its bases;
    ``super().name()`` through the bases only."""
    cls = _enclosing_class(project, caller)
    if cls is None:
        return None
    if head in ("self", "cls"):
        return resolver.method(cls, name)
    for base in sorted(project.graph.successors(g.INHERITS, cls)):
        target = resolver.method(base, name)
        if target:
            return target
    return None


def _import_targets(project: ProjectContext, imp: ImportFact) -> list[str]:
    """Repository modules an import statement depends on: ``from pkg import sub`` points at
    ``pkg.sub`` when that is a module (as grimp counts it), otherwise at ``pkg``."""
    base = imp.resolved if imp.resolved in project.modules else None
    if base is None:
        parts = imp.module.split(".")
        for cut in range(len(parts), 0, -1):
            prefix = ".".join(parts[:cut])
            if prefix in project.modules:
                base = prefix
                break
    targets: list[str] = []
    if imp.is_from:
        plain = False
        for name in imp.names:
            sub = f"{imp.module}.{name}"
            if sub in project.modules:
                targets.append(sub)
            else:
                plain = True
        if (plain or not imp.names) and base is not None:
            targets.append(base)
    elif base is not None:
        targets.append(base)
    return targets


def build_project(files: dict[str, FileFacts], config: Any, root: str) -> ProjectContext:
    """Build the code graph (IMPORTS, CONTAINS, INHERITS, CALLS) over every file's facts."""
    project = ProjectContext(files=files, config=config, root=root)
    graph = project.graph
    ordered = sorted(files.values(), key=lambda f: f.path)
    for facts in ordered:
        if facts.parse_error or not facts.module:
            continue
        project.modules.setdefault(facts.module, facts.path)
        graph.add_node(facts.module, "module")
    resolver = project._cache["resolver"] = _Resolver(project)  # kept for resolve_call
    nodes = graph.nodes
    contains = graph.edges[g.CONTAINS]

    for facts in ordered:
        module = facts.module
        if project.modules.get(module) != facts.path:
            continue
        for definition in facts.definitions:
            qual = definition.qualname
            project.definitions[qual] = definition
            project.definition_path[qual] = facts.path
            nodes.setdefault(qual, definition.kind)
            parent = qual.rpartition(".")[0] or module
            children = contains.get(parent)
            if children is None:
                contains[parent] = {qual}
            else:
                children.add(qual)
        bound = project.aliases.setdefault(module, {})
        for imp in facts.imports:
            for name, bound_to in _bindings(imp):
                bound.setdefault(name, bound_to)
            if imp.is_from and "*" in imp.names:
                star = imp.resolved or imp.module
                if star in project.modules:
                    resolver.stars.setdefault(module, []).append(star)
            for imported in _import_targets(project, imp):
                if imported == module:
                    continue
                graph.add_edge(g.IMPORTS, module, imported)
                project.import_sites.setdefault((module, imported), []).append(
                    ImportSite(imp.line, imp.type_checking_only, imp.in_function)
                )

    # bases before calls: self.method resolution walks INHERITS edges
    for qual, definition in project.definitions.items():
        if definition.kind != "class" or not definition.bases:
            continue
        module = project.files[project.definition_path[qual]].module
        for base in definition.bases:
            target = resolver.in_module(module, base)
            if target and target != qual and project.definitions.get(target, None) is not None:
                graph.add_edge(g.INHERITS, qual, target)

    calls = graph.edges[g.CALLS]
    resolved = unresolved = 0
    for facts in ordered:
        module = facts.module
        if project.modules.get(module) != facts.path:
            continue
        # the same callee is called many times in a module: resolve each distinct one once
        local: dict[str, str | None] = {}
        methods: dict[tuple[str, str], str | None] = {}
        for call in facts.calls:
            callee = call.callee
            if callee in local:
                target = local[callee]
            else:
                head, _, rest = callee.partition(".")
                if head in _SELF_NAMES and rest and "." not in rest:
                    key = (call.caller, callee)
                    if key in methods:
                        target = methods[key]
                    else:
                        target = methods[key] = _self_call(project, resolver, call.caller, head, rest)
                else:
                    target = local[callee] = resolver.in_module(module, callee)
            if target is None:
                unresolved += 1
            else:
                resolved += 1
                dsts = calls.get(call.caller)
                if dsts is None:
                    calls[call.caller] = {target}
                else:
                    dsts.add(target)

    project.metrics["graph"] = {
        "nodes": len(graph.nodes),
        "calls_resolved": resolved,
        "calls_unresolved": unresolved,
        "edges": {kind: graph.edge_count(kind) for kind in g.EDGE_KINDS},
    }
    return project
