"""Design-smell detectors: god class, large file, feature envy, message chain, data clumps,
refused bequest and middle man.

Size/complexity of single functions (cyclomatic, cognitive, length, parameters, nesting) live in
``complexity.py``; these detectors look at how classes and methods relate to each other.
"""

from __future__ import annotations

import ast
import itertools
from collections import Counter
from dataclasses import dataclass, field

from analysis.engine.context import FileContext
from analysis.engine.model import Category, Severity
from analysis.engine.registry import DetectorSpec, NodeDetector, register

_FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef)


def _decorator_names(func: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    names = set()
    for deco in func.decorator_list:
        target = deco.func if isinstance(deco, ast.Call) else deco
        if isinstance(target, ast.Name):
            names.add(target.id)
        elif isinstance(target, ast.Attribute):
            names.add(target.attr)
    return names


def _self_name(func: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
    """Name of the instance parameter of a method, or None for static/class methods."""
    decorators = _decorator_names(func)
    if "staticmethod" in decorators or "classmethod" in decorators:
        return None
    params = [*func.args.posonlyargs, *func.args.args]
    return params[0].arg if params else None


def _body_without_docstring(body: list[ast.stmt]) -> list[ast.stmt]:
    if (
        body
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        return body[1:]
    return body


# --------------------------------------------------------------------------------------------
@dataclass
class _Method:
    node: ast.FunctionDef | ast.AsyncFunctionDef
    self_name: str | None
    params: set[str]
    complexity: int = 1
    self_uses: set[str] = field(default_factory=set)  # attribute names used through self
    self_accesses: int = 0
    foreign: dict[str, Counter[str]] = field(default_factory=dict)  # param -> attribute -> reads


@dataclass
class _Class:
    node: ast.ClassDef
    symbol: str
    methods: list[_Method] = field(default_factory=list)


_SHARED: tuple[FileContext, dict[ast.AST, _Class], dict[ast.AST, _Method | None]] | None = None


class _MethodTracker(NodeDetector):
    """Records, per class, its methods (defs directly in the class body) and how each method uses
    ``self`` and its parameters. No ``leave`` hook (it would run for every Attribute): functions
    are mapped to their owning method, and classes are judged in ``end_file``. Method complexity
    comes from the traversal's per-function metrics."""

    node_types = (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef, ast.Attribute)
    _classes: dict[ast.AST, _Class]
    _owner: dict[ast.AST, _Method | None]  # def -> the method it belongs to

    def subscriptions(self, detectors: list[NodeDetector]) -> tuple[type[ast.AST], ...]:
        # the first tracker to start a file collects for both (see ``start_file``); detectors
        # start in list order, so the others' ``visit`` would only ever return at once
        first = next(d for d in detectors if isinstance(d, _MethodTracker))
        return type(self).node_types if first is self else ()

    def start_file(self, ctx: FileContext) -> None:
        global _SHARED
        # god-class and feature-envy need the same per-method data: when both are enabled, the
        # first one collects it and the second reuses it for this file.
        if _SHARED is not None and _SHARED[0] is ctx:
            self._leader = False
            self._classes, self._owner = _SHARED[1], _SHARED[2]
            return
        self._leader = True
        self._classes = {}
        self._owner = {}
        _SHARED = (ctx, self._classes, self._owner)

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        if not self._leader:
            return
        t = node.__class__
        if t is ast.Attribute:
            function = ctx.function
            if function is None:
                return
            method = self._owner.get(function)
            value = node.value  # type: ignore[attr-defined]
            if method is not None and value.__class__ is ast.Name:
                self.attribute(method, node, value.id, ctx)  # type: ignore[arg-type]
        elif t is ast.ClassDef:
            self._classes[node] = _Class(node, ctx.def_symbol(node))  # type: ignore[arg-type]
        else:
            parent = ctx.parents[-1] if ctx.parents else None
            cls = self._classes.get(parent) if parent is not None else None
            if cls is not None:
                args = node.args  # type: ignore[attr-defined]
                params = {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)}
                method = _Method(node, _self_name(node), params)  # type: ignore[arg-type]
                method.params.discard(method.self_name or "")
                metrics = ctx.metrics.get(node)
                if metrics is not None:
                    method.complexity = metrics.cyclomatic
                cls.methods.append(method)
                self._owner[node] = method
            else:
                # Nested functions count towards the method they live in (closures over self).
                self._owner[node] = self._owner.get(ctx.function) if ctx.function is not None else None

    def attribute(self, method: _Method, node: ast.Attribute, base: str, ctx: FileContext) -> None:
        if base == method.self_name:
            method.self_uses.add(node.attr)
            method.self_accesses += 1
        elif base in method.params:
            parent = ctx.parents[-1] if ctx.parents else None
            if isinstance(parent, ast.Call) and parent.func is node:
                return  # method calls on a parameter are messages, not data envy
            if isinstance(node.ctx, ast.Load):
                method.foreign.setdefault(base, Counter())[node.attr] += 1

    def end_file(self, ctx: FileContext) -> None:
        global _SHARED
        if _SHARED is not None and _SHARED[0] is ctx:
            _SHARED = None  # followers took their references in start_file; don't keep the tree alive
        for cls in self._classes.values():
            self.class_done(cls, ctx)

    def class_done(self, cls: _Class, ctx: FileContext) -> None:
        pass


def _lcom4(methods: list[_Method]) -> int:
    """Connected components of methods linked by shared self attributes or self calls (LCOM4).

    Dunder methods (``__init__`` touches everything) and methods that use nothing of self are
    left out, as usual for this metric."""
    considered = [m for m in methods if not (m.node.name.startswith("__") and m.node.name.endswith("__")) and m.self_uses]
    if not considered:
        return 0
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a: str, b: str) -> None:
        parent[find(a)] = find(b)

    for m in considered:
        key = "m:" + m.node.name
        find(key)
        # Using self.<method name> links to that method's own attribute node.
        union(key, "a:" + m.node.name)
        for attr in m.self_uses:
            union(key, "a:" + attr)
    return len({find("m:" + m.node.name) for m in considered})


FACADE_CONFIDENCE = 0.4


@register
class GodClass(_MethodTracker):
    """A large, complex class whose methods fall into unrelated groups."""

    spec = DetectorSpec(
        id="god-class",
        category=Category.DESIGN,
        severity=Severity.MEDIUM,
        title="God class",
        description="A class that is large (many methods or lines), complex (high weighted method complexity) "
        "and not cohesive (its methods split into groups sharing no state, LCOM4) does too many things; "
        "split it along those groups. Reported when the weighted method complexity and the cohesion thresholds "
        "are exceeded together with the number of named (non-dunder) methods or the number of lines; test "
        "classes are not reported.",
        effort_minutes=240,
        thresholds={"max_methods": 20, "max_lines": 500, "max_wmc": 60, "min_lcom4": 3},
    )

    def class_done(self, cls: _Class, ctx: FileContext) -> None:
        if ctx.is_test:
            return  # a test case class grows one method per test: size is not a smell there
        # Protocol methods (__len__, __iter__, __or__...) are what a collection class is for:
        # only the named methods count towards the size of its interface.
        methods = sum(1 for m in cls.methods if not (m.node.name.startswith("__") and m.node.name.endswith("__")))
        node = cls.node
        lines = (node.end_lineno or node.lineno) - node.lineno + 1
        wmc = sum(m.complexity for m in cls.methods)
        max_methods = ctx.threshold(self.spec, "max_methods")
        max_lines = ctx.threshold(self.spec, "max_lines")
        max_wmc = ctx.threshold(self.spec, "max_wmc")
        min_lcom4 = ctx.threshold(self.spec, "min_lcom4")
        if wmc < max_wmc or (methods < max_methods and lines < max_lines):
            return
        lcom4 = _lcom4(cls.methods)
        if lcom4 < min_lcom4:
            return
        ctx.report(
            self.spec,
            node,
            f"Class '{node.name}' has {methods} methods, {lines} lines, weighted method complexity {wmc} "
            f"and its methods form {lcom4} unrelated groups (LCOM4).",
            symbol=cls.symbol,
            # many small methods in a class of moderate size is often a deliberate facade
            confidence=1.0 if lines >= max_lines else FACADE_CONFIDENCE,
            metadata={
                "methods": methods,
                "lines": lines,
                "wmc": wmc,
                "lcom4": lcom4,
                "thresholds": {"max_methods": max_methods, "max_lines": max_lines, "max_wmc": max_wmc, "min_lcom4": min_lcom4},
            },
            code=f"class {node.name}",
        )


# --------------------------------------------------------------------------------------------
@register
class FeatureEnvy(_MethodTracker):
    """A method that reads another object's data far more than its own."""

    spec = DetectorSpec(
        id="feature-envy",
        category=Category.DESIGN,
        severity=Severity.LOW,
        title="Feature envy",
        description="A method reads many attributes of one of its parameters and little of its own object: "
        "the behaviour probably belongs to the other object's class.",
        effort_minutes=30,
        thresholds={"min_foreign_accesses": 8, "min_foreign_attributes": 5, "ratio": 4},
    )

    def class_done(self, cls: _Class, ctx: FileContext) -> None:
        min_accesses = ctx.threshold(self.spec, "min_foreign_accesses")
        min_attrs = ctx.threshold(self.spec, "min_foreign_attributes")
        ratio = ctx.threshold(self.spec, "ratio")
        for method in cls.methods:
            name = method.node.name
            if method.self_name is None or (name.startswith("__") and name.endswith("__")) or not method.foreign:
                continue
            param, counts = max(method.foreign.items(), key=lambda item: sum(item[1].values()))
            total = sum(counts.values())
            if total < min_accesses or len(counts) < min_attrs or total < ratio * max(method.self_accesses, 1):
                continue
            ctx.report(
                self.spec,
                method.node,
                f"Method '{name}' reads {total} attributes of '{param}' ({len(counts)} distinct) but uses "
                f"its own object only {method.self_accesses} times; consider moving it to {param}'s class.",
                symbol=ctx.def_symbol(method.node),
                metadata={
                    "envied": param,
                    "foreign_accesses": total,
                    "foreign_attributes": len(counts),
                    "self_accesses": method.self_accesses,
                    "thresholds": {"min_foreign_accesses": min_accesses, "min_foreign_attributes": min_attrs, "ratio": ratio},
                },
                code=f"def {name}",
            )


# --------------------------------------------------------------------------------------------
@register
class MiddleMan(NodeDetector):
    """A class whose methods mostly just forward to one attribute."""

    spec = DetectorSpec(
        id="middle-man",
        category=Category.DESIGN,
        severity=Severity.LOW,
        title="Middle man",
        description="Most methods of the class only delegate to the same attribute; callers could talk to the "
        "delegate directly (or the class could expose it), unless it is a deliberate proxy.",
        effort_minutes=30,
        thresholds={"min_delegating_methods": 4, "min_ratio": 0.75},
    )
    node_types = (ast.ClassDef,)

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        assert isinstance(node, ast.ClassDef)
        methods = [s for s in node.body if isinstance(s, _FUNCS) and s.name != "__init__"]
        if not methods:
            return
        targets: Counter[str] = Counter()
        members: dict[str, set[str]] = {}
        for method in methods:
            found = self._delegate(method)
            if found:
                targets[found[0]] += 1
                members.setdefault(found[0], set()).add(found[1])
        if not targets:
            return
        attr, count = targets.most_common(1)[0]
        # Forwarding means each method reaches a different member of the delegate; many methods
        # all calling `self.tk.call(...)` implement behaviour through one primitive instead.
        if len(members[attr]) < 0.75 * count:
            return
        min_methods = ctx.threshold(self.spec, "min_delegating_methods")
        min_ratio = ctx.threshold(self.spec, "min_ratio")
        ratio = count / len(methods)
        if count < min_methods or ratio < min_ratio:
            return
        ctx.report(
            self.spec,
            node,
            f"{count} of the {len(methods)} methods of '{node.name}' only delegate to 'self.{attr}'.",
            symbol=ctx.def_symbol(node),
            metadata={
                "delegate": attr,
                "delegating_methods": count,
                "methods": len(methods),
                "ratio": round(ratio, 2),
                "thresholds": {"min_delegating_methods": min_methods, "min_ratio": min_ratio},
            },
            code=f"class {node.name}",
        )

    @staticmethod
    def _delegate(method: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[str, str] | None:
        """(delegate attribute, member) when the method only forwards to ``self.<attr>.<member>``."""
        body = _body_without_docstring(method.body)
        self_name = _self_name(method)
        if len(body) != 1 or self_name is None:
            return None
        stmt = body[0]
        if not isinstance(stmt, (ast.Return, ast.Expr)) or stmt.value is None:
            return None
        value = stmt.value
        if isinstance(value, ast.Await):
            value = value.value
        if isinstance(value, ast.Call):
            value = value.func
        # self.<attr>.<member>
        if (
            isinstance(value, ast.Attribute)
            and isinstance(value.value, ast.Attribute)
            and isinstance(value.value.value, ast.Name)
            and value.value.value.id == self_name
        ):
            return value.value.attr, value.attr
        return None


# --------------------------------------------------------------------------------------------
def _refuses(method: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
    body = _body_without_docstring(method.body)
    if len(body) != 1:
        return None
    stmt = body[0]
    if isinstance(stmt, ast.Raise) and stmt.exc is not None:
        exc = stmt.exc.func if isinstance(stmt.exc, ast.Call) else stmt.exc
        name = exc.id if isinstance(exc, ast.Name) else exc.attr if isinstance(exc, ast.Attribute) else ""
        if name == "NotImplementedError":
            return "raises NotImplementedError"
    if isinstance(stmt, ast.Pass) or (
        isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and stmt.value.value is Ellipsis
    ):
        return "does nothing"
    return None


def _returns_value(method: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    stack: list[ast.AST] = list(method.body)
    while stack:
        node = stack.pop()
        if (
            isinstance(node, ast.Return)
            and node.value is not None
            and not (isinstance(node.value, ast.Constant) and node.value.value is None)
        ):
            return True
        stack.extend(c for c in ast.iter_child_nodes(node) if not isinstance(c, (*_FUNCS, ast.ClassDef, ast.Lambda)))
    return False


def _is_abstract(method: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return bool(_decorator_names(method) & {"abstractmethod", "abstractproperty"}) or _refuses(method) is not None


@register
class RefusedBequest(NodeDetector):
    """A subclass that overrides inherited behaviour only to refuse it."""

    spec = DetectorSpec(
        id="refused-bequest",
        category=Category.DESIGN,
        severity=Severity.LOW,
        title="Refused bequest",
        description="A subclass overrides concrete methods of its base class (defined in the same file) only "
        "to raise NotImplementedError, or to do nothing where the base returns a value: it does not honour "
        "the base class's contract (Liskov substitution); prefer composition or a narrower base.",
        effort_minutes=60,
        thresholds={"min_refused": 1},
    )
    node_types = (ast.ClassDef,)

    def start_file(self, ctx: FileContext) -> None:
        self._classes: list[tuple[ast.ClassDef, str]] = []

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        assert isinstance(node, ast.ClassDef)
        self._classes.append((node, ctx.def_symbol(node)))

    def end_file(self, ctx: FileContext) -> None:
        by_name: dict[str, ast.ClassDef] = {}
        for cls, _symbol in self._classes:
            by_name.setdefault(cls.name, cls)
        min_refused = ctx.threshold(self.spec, "min_refused")
        for cls, symbol in self._classes:
            inherited: dict[str, tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]] = {}
            for base in cls.bases:
                parent = by_name.get(base.id) if isinstance(base, ast.Name) else None
                if parent is None or parent is cls:
                    continue
                for stmt in parent.body:
                    if isinstance(stmt, _FUNCS):
                        inherited.setdefault(stmt.name, (parent.name, stmt))
            if not inherited:
                continue
            refused: list[tuple[str, str, str]] = []
            for stmt in cls.body:
                if not isinstance(stmt, _FUNCS) or stmt.name not in inherited:
                    continue
                if stmt.name.startswith("__") and stmt.name.endswith("__"):
                    continue  # protocol methods (__enter__, __hash__...) have their own conventions
                parent_name, parent_method = inherited[stmt.name]
                how = _refuses(stmt)
                if how is None or _is_abstract(parent_method):
                    continue
                if how == "does nothing" and not _returns_value(parent_method):
                    continue  # disabling a hook that returns nothing is a normal override
                refused.append((stmt.name, parent_name, how))
            if len(refused) < min_refused:
                continue
            detail = ", ".join(f"{name}() {how}" for name, _p, how in refused)
            ctx.report(
                self.spec,
                cls,
                f"'{cls.name}' refuses behaviour inherited from '{refused[0][1]}': {detail}.",
                symbol=symbol,
                metadata={
                    "refused": [name for name, _p, _h in refused],
                    "base": refused[0][1],
                    "count": len(refused),
                    "threshold": min_refused,
                },
                code=f"class {cls.name}",
            )


# --------------------------------------------------------------------------------------------
# Fluent/builder interfaces return an object of the same kind: chaining them is not a
# Law-of-Demeter violation.
_FLUENT = {
    "filter", "exclude", "order_by", "values", "values_list", "annotate", "aggregate", "select_related",
    "prefetch_related", "distinct", "all", "only", "defer", "using", "none", "reverse", "extra", "union",
    "intersection", "difference", "select_for_update", "alias", "get", "first", "last", "count", "exists",
    "strip", "lstrip", "rstrip", "lower", "upper", "replace", "split", "rsplit", "join", "format", "encode",
    "decode", "title", "capitalize", "casefold", "splitlines", "partition", "rpartition", "startswith",
    "endswith", "removeprefix", "removesuffix", "items", "keys", "copy", "where", "group_by", "having",
    "limit", "offset", "outerjoin", "query", "with_entities", "options", "one", "scalar", "scalars",
    "execute", "fetchall", "fetchone", "astype", "reset_index", "set_index", "groupby", "sum", "mean",
    "sort_values", "dropna", "fillna", "apply", "agg", "rename", "drop", "merge", "isoformat", "date",
    "timestamp", "total_seconds", "resolve", "parent", "with_suffix", "with_name", "read_text", "hexdigest",
    "digest", "mock_calls", "assert_called_once_with", "json", "raise_for_status", "setdefault", "append",
    "add", "update", "pop", "__enter__", "__exit__", "__name__", "__class__", "__dict__", "__get__", "__str__",
    "__html__",
}  # fmt: skip


@register
class MessageChain(NodeDetector):
    """``a.b().c().d()``: a client navigating through a chain of objects."""

    spec = DetectorSpec(
        id="message-chain",
        category=Category.DESIGN,
        severity=Severity.LOW,
        title="Message chain",
        description="A long chain of method calls, each on the result of the previous one, couples the caller "
        "to the structure of every intermediate object (Law of Demeter). Fluent builder and string methods "
        "(query sets, str) are not counted.",
        effort_minutes=20,
        thresholds={"max_chain": 4},
    )
    node_types = (ast.Call,)

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        func = node.func  # type: ignore[attr-defined]
        # Cheap filter first (this runs for every call): a chain has a call on a call's result.
        if func.__class__ is not ast.Attribute or func.value.__class__ is not ast.Call:
            return
        if len(ctx.parents) >= 2:
            parent, grand = ctx.parents[-1], ctx.parents[-2]
            if isinstance(parent, ast.Attribute) and isinstance(grand, ast.Call) and grand.func is parent:
                return  # not the outermost call of its chain
        links: list[str] = []
        current: ast.AST = node
        while isinstance(current, ast.Call) and isinstance(current.func, ast.Attribute):
            links.append(current.func.attr)
            current = current.func.value
        counted = [name for name in links if name not in _FLUENT]
        limit = ctx.threshold(self.spec, "max_chain")
        if len(links) < limit or len(counted) < limit:
            return
        chain = ".".join(reversed(links))
        ctx.report(
            self.spec,
            node,
            f"Chain of {len(links)} calls ({chain}); ask the first object for what you need instead of navigating.",
            metadata={"length": len(counted), "calls": len(links), "threshold": limit, "chain": list(reversed(links))},
        )


# --------------------------------------------------------------------------------------------
CLUMP_CONFIDENCE = 0.4
WEAK_CLUMP_CONFIDENCE = 0.2


@register
class DataClumps(NodeDetector):
    """The same group of parameters passed around together through several functions."""

    spec = DetectorSpec(
        id="data-clumps",
        category=Category.DESIGN,
        severity=Severity.LOW,
        title="Data clump",
        description="The same group of parameters recurs in several functions of one file; it is probably a "
        "concept waiting to become a small class or dataclass. Methods with the same name (overrides of one "
        "interface) count once.",
        effort_minutes=30,
        thresholds={"min_parameters": 3, "min_functions": 3},
    )
    node_types = (ast.FunctionDef, ast.AsyncFunctionDef)
    _MAX_PARAMS = 12  # combinations of larger signatures explode; they are someone else's smell

    def start_file(self, ctx: FileContext) -> None:
        self._functions: dict[str, tuple[ast.AST, str, frozenset[str]]] = {}

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        assert isinstance(node, _FUNCS)
        if node.name in self._functions:
            return
        args = node.args
        params = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
        if params and params[0] in ("self", "cls"):
            params = params[1:]
        names = frozenset(p for p in params if not p.startswith("_"))
        self._functions[node.name] = (node, ctx.def_symbol(node), names)

    def end_file(self, ctx: FileContext) -> None:
        min_params = ctx.threshold(self.spec, "min_parameters")
        min_functions = ctx.threshold(self.spec, "min_functions")
        by_combo: dict[frozenset[str], set[str]] = {}
        for name, (_node, _sym, params) in self._functions.items():
            if len(params) < min_params or len(params) > self._MAX_PARAMS:
                continue
            twin = self._functions.get(name[1:]) if name.startswith("a") else None
            if twin is not None and twin[2] == params:
                continue  # the async twin of a sync API (aget/get) is one interface, not two users
            for combo in itertools.combinations(sorted(params), min_params):
                by_combo.setdefault(frozenset(combo), set()).add(name)
        clumps: dict[frozenset[str], frozenset[str]] = {}  # function set -> shared parameters
        for funcs in by_combo.values():
            if len(funcs) < min_functions:
                continue
            key = frozenset(funcs)
            if key not in clumps:
                clumps[key] = frozenset.intersection(*(self._functions[f][2] for f in funcs))
        reported: list[frozenset[str]] = []
        for members, params in sorted(clumps.items(), key=lambda kv: (-len(kv[0]), -len(kv[1]), sorted(kv[1]))):
            if any(len(params & done) >= min_params for done in reported):
                continue
            reported.append(params)
            ordered = sorted(members, key=lambda f: self._functions[f][0].lineno)  # type: ignore[attr-defined]
            first_node, first_symbol, _ = self._functions[ordered[0]]
            group = ", ".join(sorted(params))
            # three parameters shared by three functions is mostly an interface's or a family of
            # helpers' natural signature; a wider group across more functions is a missing object
            strong = len(params) > min_params and len(members) > min_functions
            ctx.report(
                self.spec,
                first_node,
                f"Parameters ({group}) are passed together to {len(members)} functions: {', '.join(ordered[:6])}"
                + ("..." if len(ordered) > 6 else "")
                + "; consider grouping them in one object.",
                symbol=first_symbol,
                confidence=CLUMP_CONFIDENCE if strong else WEAK_CLUMP_CONFIDENCE,
                metadata={
                    "parameters": sorted(params),
                    "functions": ordered,
                    "count": len(members),
                    "thresholds": {"min_parameters": min_params, "min_functions": min_functions},
                },
                code=f"data clump ({group})",
            )


# --------------------------------------------------------------------------------------------
_DOMINANT_SHARE = 0.5
_CLEAR_MARGIN = 1.2
_CATALOGUE_CONFIDENCE = 0.3


@register
class LargeFile(NodeDetector):
    """A module with too many lines of code."""

    spec = DetectorSpec(
        id="large-file",
        category=Category.DESIGN,
        severity=Severity.LOW,
        title="Large file",
        description="A module with this many lines of code is hard to navigate and review, and usually holds "
        "several responsibilities; split it into cohesive modules.",
        effort_minutes=120,
        thresholds={"max_code_lines": 1000},
    )

    def end_file(self, ctx: FileContext) -> None:
        limit = ctx.threshold(self.spec, "max_code_lines")
        if len(ctx.lines) <= limit:
            return
        code_lines = 0
        for line in ctx.lines:
            stripped = line.strip()
            if stripped and not stripped.startswith("#"):
                code_lines += 1
        if code_lines <= limit:
            return
        # A module that is mostly one big class, well over the limit, is one responsibility
        # too many; a catalogue of small independent functions or classes (operations, facts,
        # commands) or a module barely over the limit is large without being hard to change.
        largest = max(
            (
                (node.end_lineno or node.lineno) - node.lineno + 1
                for node, qual in ctx.qualnames.items()
                if isinstance(node, ast.ClassDef) and qual.count(".") == ctx.module.count(".") + 1
            ),
            default=0,
        )
        dominated = largest >= _DOMINANT_SHARE * len(ctx.lines)
        clear = dominated and code_lines >= _CLEAR_MARGIN * limit
        ctx.report(
            self.spec,
            None,
            f"This module has {code_lines} lines of code (limit {limit})"
            + (f", {largest} of its lines in one class." if dominated else "."),
            line=1,
            symbol="",
            confidence=1.0 if clear else _CATALOGUE_CONFIDENCE,
            metadata={"code_lines": code_lines, "threshold": limit, "largest_class_lines": largest},
            code="",
        )
