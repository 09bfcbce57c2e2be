"""Inter-procedural taint for Python: function summaries propagated over the call graph.

Each file's taint pass (``taint.py``, in the worker) leaves three kinds of facts in
``FileFacts.extra["taint_summary"]``:

* ``sinks`` — a parameter of a function (or the value some call returned) reaches a sink;
* ``calls`` — a call of a project function passes a source (request data, argv, input(), the
  environment) or a parameter of the caller;
* ``returns`` — a function returns a source, or what another call returned.

In the parent, ``propagate`` builds the summaries *parameter → sinks* (a project's own wrapper
whose parameter reaches a sink becomes a sink for its callers, to a fixed depth) and
*function → returned source*, then turns every source that reaches a sink through calls into
evidence: the sink's finding (a hotspot when the file alone saw only a parameter) becomes a
vulnerability for a source from the network, with the whole path stored in ``taint_path``
(source, each call, sink); a local source (argv, input(), environment) keeps it a hotspot with
the path. Sinks that only fire on request data (path traversal, SSRF) get a new finding.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from analysis.engine.model import Finding, Kind, Severity
from analysis.engine.project import ProjectContext
from analysis.engine.registry import all_detectors
from analysis.engine.taint import PARAM, REMOTE, RETURN, SUMMARY_KEY, SYMBOLIC

MAX_DEPTH = 4  # wrapper levels followed from a sink up to its callers
MAX_CHAINS = 3  # sink chains kept per parameter (the first ones found)
CONFIDENCE = 0.85  # a path across functions: slightly less certain than one inside a function
LOCAL_CONFIDENCE = 0.5


@dataclass(frozen=True)
class SinkChain:
    """A sink reached from a parameter, with the calls on the way (caller side first)."""

    detector: str
    sink: str
    path: str
    line: int
    message: str
    severity: str
    steps: tuple[tuple[str, int, str], ...] = ()


@dataclass(frozen=True)
class Source:
    kind: str
    source: str
    path: str
    line: int
    steps: tuple[tuple[str, int, str], ...] = ()


def _param_name(project: ProjectContext, function: str, position: Any) -> str | None:
    """The parameter of ``function`` an argument at ``position`` (index or keyword) binds."""
    definition = project.definitions.get(function)
    if definition is None:
        return None
    if isinstance(position, str):
        return position if position in definition.parameters else None
    params = [p for p in definition.parameters if not p.startswith("*")]
    if definition.kind == "method" and params and params[0] in ("self", "cls"):
        params = params[1:]
    return params[position] if 0 <= position < len(params) else None


def propagate(findings: list[Finding], project: ProjectContext) -> list[Finding]:
    """``findings`` with the evidence the call graph adds (see the module docstring)."""
    sinks: list[tuple[str, dict[str, Any]]] = []
    calls: list[tuple[str, str, dict[str, Any]]] = []  # (path, module, call)
    returns: list[tuple[str, dict[str, Any]]] = []
    for path, facts in project.files.items():
        summary = facts.extra.get(SUMMARY_KEY)
        if not summary:
            continue
        sinks += [(path, s) for s in summary.get("sinks", ())]
        calls += [(path, facts.module, c) for c in summary.get("calls", ())]
        returns += [(path, r) for r in summary.get("returns", ())]
    if not sinks:
        return findings

    def resolve(module: str, caller: str, callee: str) -> str | None:
        return project.resolve_call(module, caller, callee)

    # function -> returned source (direct, then through calls whose result is returned)
    returned: dict[str, Source] = {}
    pending: list[tuple[str, str, dict[str, Any]]] = []
    for path, r in returns:
        if r["kind"] in SYMBOLIC:
            pending.append((path, project.files[path].module, r))
        elif r["fn"] not in returned:
            returned[r["fn"]] = Source(r["kind"], r["source"], r["path"] or path, r["line"])
    for _ in range(MAX_DEPTH):
        changed = False
        for path, module, r in pending:
            target = resolve(module, r["fn"], r["source"])
            if target in returned and r["fn"] not in returned:
                inner = returned[target]
                returned[r["fn"]] = Source(
                    inner.kind,
                    inner.source,
                    inner.path,
                    inner.line,
                    (*inner.steps, (path, r["line"], f"returned by {r['source']}()")),
                )
                changed = True
        if not changed:
            break

    # (function, parameter) -> sink chains; grown from the sinks up through wrappers
    chains: dict[tuple[str, str], list[SinkChain]] = defaultdict(list)
    for path, s in sinks:
        if s["origin"] == PARAM and s["fn"]:
            key = (s["fn"], s["name"])
            if len(chains[key]) < MAX_CHAINS:
                chains[key].append(SinkChain(s["det"], s["sink"], path, s["line"], s["message"], s["severity"]))
    # Only calls of a function named like one with sink chains can matter: resolve those alone
    # (most calls pass a parameter somewhere; resolving every one costs more than the rest).
    resolved: dict[int, str | None] = {}

    def candidates() -> list[tuple[str, dict[str, Any], str]]:
        names = {fn.rpartition(".")[2] for fn, _ in chains}
        out = []
        for i, (path, module, call) in enumerate(calls):
            if call["callee"].rpartition(".")[2] not in names:
                continue
            if i not in resolved:
                resolved[i] = resolve(module, call["caller"], call["callee"])
            target = resolved[i]
            if target is not None and target != call["caller"]:
                out.append((path, call, target))
        return out

    resolved_calls = candidates()
    for _ in range(MAX_DEPTH):
        changed = False
        for path, call, target in resolved_calls:
            for position, kind, name, _line, _src_path, owner in call["args"]:
                if kind != PARAM or owner != call["caller"]:
                    continue
                param = _param_name(project, target, position)
                reached = chains.get((target, param)) if param else None
                if not reached:
                    continue
                key = (call["caller"], name)
                for chain in reached:
                    if len(chains[key]) >= MAX_CHAINS:
                        break
                    step = (path, call["line"], f"passed to {call['callee']}({param})")
                    grown = SinkChain(
                        chain.detector, chain.sink, chain.path, chain.line, chain.message, chain.severity, (step, *chain.steps)
                    )
                    if all((c.path, c.line, c.detector) != (grown.path, grown.line, grown.detector) for c in chains[key]):
                        chains[key].append(grown)
                        changed = True
        if not changed:
            break
        resolved_calls = candidates()  # wrappers found: their callers' calls join

    # evidence: a source passed into a parameter that reaches a sink, or a returned source used
    evidence: dict[tuple[str, int, str], tuple[Source, SinkChain]] = {}
    for path, call, target in resolved_calls:
        module = project.files[path].module
        for position, kind, name, line, src_path, _owner in call["args"]:
            if kind == PARAM:
                continue
            param = _param_name(project, target, position)
            found = chains.get((target, param), ()) if param else ()
            if not found:
                continue
            passed = (path, call["line"], f"passed to {call['callee']}({param})")
            if kind == RETURN:  # f(g()): what g returns
                produced = resolve(module, call["caller"], name)
                producer = returned.get(produced) if produced else None
                if producer is None:
                    continue
                source = Source(
                    producer.kind,
                    producer.source,
                    producer.path,
                    producer.line,
                    (*producer.steps, (path, line, f"returned by {name}()"), passed),
                )
            else:
                source = Source(kind, name, src_path or path, line, (passed,))
            for chain in found:
                _keep(evidence, source, chain)
    for path, s in sinks:
        if s["origin"] != RETURN:
            continue
        target = resolve(project.files[path].module, s["fn"], s["name"])
        origin = returned.get(target) if target else None
        if origin is not None:
            chain = SinkChain(s["det"], s["sink"], path, s["line"], s["message"], s["severity"])
            call_step = (path, s["line"], f"value returned by {s['name']}()")
            _keep(evidence, Source(origin.kind, origin.source, origin.path, origin.line, (*origin.steps, call_step)), chain)
    return _apply(findings, evidence, project)


def _keep(evidence: dict[tuple[str, int, str], tuple[Source, SinkChain]], source: Source, chain: SinkChain) -> None:
    key = (chain.path, chain.line, chain.detector)
    current = evidence.get(key)
    # a source from the network is the stronger evidence; otherwise the first found
    if current is None or (source.kind in REMOTE and current[0].kind not in REMOTE):
        evidence[key] = (source, chain)


def _apply(
    findings: list[Finding], evidence: dict[tuple[str, int, str], tuple[Source, SinkChain]], project: ProjectContext
) -> list[Finding]:
    if not evidence:
        return findings
    by_key = {(f.path, f.line, f.detector): f for f in findings}
    specs = {did: cls.spec for did, cls in all_detectors().items()}
    out = list(findings)
    for key, (source, chain) in sorted(evidence.items()):
        remote = source.kind in REMOTE
        taint_path: list[dict[str, Any]] = [{"path": source.path, "line": source.line, "note": f"source: {source.source}"}]
        taint_path += [{"path": p, "line": line, "note": note} for p, line, note in (*source.steps, *chain.steps)]
        taint_path.append({"path": chain.path, "line": chain.line, "note": f"sink: {chain.sink}"})
        finding = by_key.get(key)
        if finding is None:
            if not remote:
                continue  # request-only sinks stay silent for local sources, as inside a function
            spec = specs.get(chain.detector)
            if spec is None:
                continue
            finding = spec.finding(
                severity=None,
                configured=None,
                message=chain.message,
                path=chain.path,
                line=chain.line,
                symbol="",
                snippet=project.line_text(chain.path, chain.line),
                key=project.line_text(chain.path, chain.line),
                confidence=CONFIDENCE,
            )
            out.append(finding)
        elif finding.kind == Kind.VULNERABILITY:
            continue  # already evidence inside its own function
        finding.kind = Kind.VULNERABILITY.value if remote else Kind.HOTSPOT.value
        finding.confidence = max(finding.confidence, CONFIDENCE if remote else LOCAL_CONFIDENCE)
        if remote:
            finding.severity = Severity.parse(chain.severity).value
        finding.taint_path = taint_path
        finding.metadata = {**finding.metadata, "taint_kind": source.kind, "taint_source": source.source, "interprocedural": True}
        finding.message = f"{finding.message} (value from {source.source}, {source.path}:{source.line}, through calls)"
    return out
