"""The shared traversal: ONE walk over each file's AST that keeps ``FileContext``'s scope fields
up to date, dispatches every node to the ``NodeDetector``\\ s subscribed to its type, and
extracts the file's facts (definitions, calls, names, attribute accesses, function-level
imports) as it goes.

Dispatch is a precomputed ``type -> [bound visit methods]`` table (abstract subscriptions such
as ``ast.stmt`` or ``ast.expr`` are expanded to their concrete node classes), and ``leave`` is
called after a node's children for the detectors that define it. Per-function metrics are
computed by ``metrics.function_metrics`` when a ``def`` is entered, so they are in
``ctx.metrics`` for both ``visit`` and ``leave`` of that def.

Scope conventions: a ``def``/``class`` node itself is visited and left in its *enclosing* scope
(its decorators, defaults and bases are evaluated there); its body runs in its own scope. A loop
body has ``loop_depth`` one higher than the loop's header; ``loop_depth`` restarts at 0 in each
function.
"""

from __future__ import annotations

import ast
import time
from collections.abc import Callable

from analysis.engine.context import FileContext
from analysis.engine.facts import CallFact, Definition, FileFacts, ImportFact
from analysis.engine.metrics import all_subclasses, child_fields, function_metrics
from analysis.engine.registry import NodeDetector

Hook = Callable[[ast.AST, FileContext], None]


_DEPRECATED = {
    name
    for name in ("Num", "Str", "Bytes", "NameConstant", "Ellipsis", "Index", "ExtSlice", "Suite", "Param", "AugLoad", "AugStore")
}


def expand_node_types(types: tuple[type[ast.AST], ...]) -> set[type]:
    """Concrete node classes covered by ``types`` (``ast.stmt`` -> If, For, ...)."""
    out: set[type] = set()
    for t in types:
        out |= {s for s in all_subclasses(t) if s.__name__ not in _DEPRECATED}
    return out


def dotted_name(node: ast.AST) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, else None."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def decorator_name(node: ast.expr) -> str:
    """Dotted name of a decorator as written, without its call: ``@app.route("/")`` -> app.route."""
    if isinstance(node, ast.Call):
        node = node.func
    return dotted_name(node) or ast.unparse(node)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def absolute_module(module: str, is_package_init: bool, level: int, target: str | None) -> str:
    """The absolute module a ``from <dots><target> import`` in ``module`` refers to."""
    if level == 0:
        return target or ""
    parts = module.split(".") if module else []
    if not is_package_init:
        parts = parts[:-1]
    if level > 1:
        parts = parts[: max(0, len(parts) - (level - 1))]
    if target:
        parts.append(target)
    return ".".join(parts)


def _literal_strings(node: ast.AST | None) -> list[str] | None:
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _literal_strings(node.left), _literal_strings(node.right)
        if left is None and right is None:
            return None
        return (left or []) + (right or [])
    return None


def collect_imports(ctx: FileContext, facts: FileFacts, body: list[ast.stmt], type_checking: bool = False) -> None:
    """Module-level imports (also those nested in if/try/with blocks) and ``__all__``, before
    the traversal, so that ``ctx.imports`` is complete when detectors run."""
    for stmt in body:
        t = stmt.__class__
        if t is ast.Import or t is ast.ImportFrom:
            record_import(ctx, facts, stmt, type_checking, False)  # type: ignore[arg-type]
        elif t is ast.If:
            tc = type_checking or _is_type_checking(stmt.test)  # type: ignore[attr-defined]
            collect_imports(ctx, facts, stmt.body, tc)  # type: ignore[attr-defined]
            collect_imports(ctx, facts, stmt.orelse, type_checking)  # type: ignore[attr-defined]
        elif t is ast.Try or t.__name__ == "TryStar":
            collect_imports(ctx, facts, stmt.body, type_checking)  # type: ignore[attr-defined]
            for h in stmt.handlers:  # type: ignore[attr-defined]
                collect_imports(ctx, facts, h.body, type_checking)
            collect_imports(ctx, facts, stmt.orelse, type_checking)  # type: ignore[attr-defined]
            collect_imports(ctx, facts, stmt.finalbody, type_checking)  # type: ignore[attr-defined]
        elif t is ast.With or t is ast.AsyncWith:
            collect_imports(ctx, facts, stmt.body, type_checking)  # type: ignore[attr-defined]
        elif t is ast.Assign:
            targets = stmt.targets  # type: ignore[attr-defined]
            if len(targets) == 1 and isinstance(targets[0], ast.Name) and targets[0].id == "__all__":
                names = _literal_strings(stmt.value)  # type: ignore[attr-defined]
                if names is not None:
                    facts.dunder_all = names
        elif t is ast.AugAssign or t is ast.AnnAssign:
            target = stmt.target  # type: ignore[attr-defined]
            if isinstance(target, ast.Name) and target.id == "__all__":
                names = _literal_strings(stmt.value)  # type: ignore[attr-defined]
                if names is not None:
                    facts.dunder_all = (facts.dunder_all or []) + names if t is ast.AugAssign else names
        elif t is ast.Expr:
            # __all__.extend([...]) / __all__.append("x")
            call = stmt.value  # type: ignore[attr-defined]
            if (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Attribute)
                and isinstance(call.func.value, ast.Name)
                and call.func.value.id == "__all__"
                and call.args
            ):
                arg = call.args[0]
                if call.func.attr == "extend":
                    names = _literal_strings(arg) or []
                elif call.func.attr == "append" and isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    names = [arg.value]
                else:
                    names = []
                if names:
                    facts.dunder_all = (facts.dunder_all or []) + names


def record_import(
    ctx: FileContext, facts: FileFacts, node: ast.Import | ast.ImportFrom, type_checking: bool, in_function: bool
) -> None:
    """One ``ImportFact`` per imported name (so each alias can be tracked), and the bindings."""
    imports = ctx.imports
    if node.__class__ is ast.Import:
        for alias in node.names:
            facts.imports.append(
                ImportFact(
                    module=alias.name,
                    alias=alias.asname,
                    line=node.lineno,
                    type_checking_only=type_checking,
                    in_function=in_function,
                )
            )
            if alias.asname:
                imports[alias.asname] = alias.name
            else:
                head = alias.name.partition(".")[0]
                imports[head] = head
        return
    module = absolute_module(ctx.module, ctx.is_package_init, node.level, node.module)  # type: ignore[union-attr]
    for alias in node.names:
        facts.imports.append(
            ImportFact(
                module=module,
                names=[alias.name],
                alias=alias.asname,
                line=node.lineno,
                is_from=True,
                type_checking_only=type_checking,
                in_function=in_function,
            )
        )
        if alias.name != "*":
            imports[alias.asname or alias.name] = f"{module}.{alias.name}" if module else alias.name


_Name = ast.Name
_Store = ast.Store
_Attribute = ast.Attribute
_Call = ast.Call
_Import = ast.Import
_ImportFrom = ast.ImportFrom
_FunctionDef = ast.FunctionDef
_AsyncFunctionDef = ast.AsyncFunctionDef
_ClassDef = ast.ClassDef

# (node types, field, base class of what the field holds): skipped by the walk when no detector
# subscribes to any subclass of the base (these nodes have no children and carry no facts)
_SKIPPABLE_FIELDS: tuple[tuple[tuple[type, ...], str, type[ast.AST]], ...] = (
    ((ast.BinOp, ast.AugAssign), "op", ast.operator),
    ((ast.BoolOp,), "op", ast.boolop),
    ((ast.UnaryOp,), "op", ast.unaryop),
    ((ast.Compare,), "ops", ast.cmpop),
    ((ast.Import, ast.ImportFrom), "names", ast.alias),
)


class Traversal:
    """Built once per process from the enabled detector instances; ``run`` walks one file."""

    def __init__(self, detectors: list[NodeDetector], profile: bool = False) -> None:
        self.detectors = detectors
        self.visitors: dict[type, list[Hook]] = {}
        self.leavers: dict[type, list[Hook]] = {}
        self.errors: list[tuple[str, str, str]] = []  # (detector id, path, error) of the last file
        # CPU seconds per detector id, when profiling (each hook call is timed: slower)
        self.detector_times: dict[str, float] = {}
        for det in detectors:
            cls = type(det)
            has_visit = cls.visit is not NodeDetector.visit
            has_leave = cls.leave is not NodeDetector.leave
            visit: Hook = self._timed(det, det.visit) if profile else det.visit
            leave: Hook = self._timed(det, det.leave) if profile else det.leave
            if has_visit:
                for t in expand_node_types(det.subscriptions(detectors)):
                    self.visitors.setdefault(t, []).append(visit)
            if has_leave:
                leave_types = cls.leave_types if cls.leave_types is not None else cls.node_types
                for t in expand_node_types(leave_types):
                    self.leavers.setdefault(t, []).append(leave)
        # fields that only hold childless nodes no detector subscribes to (operators, import
        # aliases) are not walked: one call per BinOp/Compare/BoolOp/UnaryOp/alias saved
        subscribed = set(self.visitors) | set(self.leavers)
        skip: set[tuple[type, str]] = set()
        for holders, field_name, base in _SKIPPABLE_FIELDS:
            if not (expand_node_types((base,)) & subscribed):
                skip.update((h, field_name) for h in holders)
        self._fields: dict[type, tuple[str, ...]] = {}
        self._skip_fields = skip
        # calls are dispatched through the detectors' ``call_names`` pre-filters (in order)
        call_hooks = self.visitors.pop(ast.Call, [])
        call_filters = [getattr(hook, "__self__", None) for hook in call_hooks]
        self._call_hooks: list[tuple[Hook, frozenset[str] | None]] = [
            (hook, det.call_names if isinstance(det, NodeDetector) else None)  # an instance may widen its filter
            for hook, det in zip(call_hooks, call_filters, strict=True)
        ]
        self._special: dict[type, Callable[[ast.AST], None]] = {
            ast.FunctionDef: self._function,  # type: ignore[dict-item]
            ast.AsyncFunctionDef: self._function,  # type: ignore[dict-item]
            ast.ClassDef: self._class,  # type: ignore[dict-item]
            ast.For: self._loop,  # type: ignore[dict-item]
            ast.AsyncFor: self._loop,  # type: ignore[dict-item]
            ast.While: self._loop,  # type: ignore[dict-item]
        }

    def _timed(self, det: NodeDetector, hook: Hook) -> Hook:
        times = self.detector_times
        key = det.spec.id
        clock = time.process_time

        def timed(node: ast.AST, ctx: FileContext) -> None:
            t = clock()
            try:
                hook(node, ctx)
            finally:
                times[key] = times.get(key, 0.0) + clock() - t

        timed.__self__ = det  # type: ignore[attr-defined]  # for error attribution
        return timed

    # --- entry point -------------------------------------------------------------------------
    def run(self, ctx: FileContext, facts: FileFacts) -> None:
        self.ctx = ctx
        self.facts = facts
        self.errors = []
        self._names: set[str] = set()
        self._attrs: set[str] = set()
        self._scope: list[str] = [ctx.module] if ctx.module else []
        self._in_class: list[bool] = [False]  # per enclosing def/class: is it a class body?
        self._def_depth = 0
        collect_imports(ctx, facts, ctx.tree.body)
        for det in self.detectors:
            try:
                det.start_file(ctx)
            except Exception as exc:  # noqa: BLE001 - one broken detector must not lose the file
                self._error(det.start_file, exc)
        self._walk(ctx.tree)
        for det in self.detectors:
            try:
                det.end_file(ctx)
            except Exception as exc:  # noqa: BLE001
                self._error(det.end_file, exc)
        self._names.discard("")
        facts.names_used = sorted(self._names)
        facts.attribute_accesses = sorted(self._attrs)
        self.ctx = None  # type: ignore[assignment]
        self.facts = None  # type: ignore[assignment]

    def _error(self, hook: Hook | Callable[[FileContext], None], exc: BaseException) -> None:
        owner = getattr(hook, "__self__", None)
        spec = getattr(owner, "spec", None)
        self.errors.append((getattr(spec, "id", "?"), self.ctx.path, f"{type(exc).__name__}: {exc}"))

    # --- the walk ----------------------------------------------------------------------------
    def _walk(self, node: ast.AST) -> None:
        # node classes are module-level aliases (_Name...): no ``ast.`` attribute lookup per node
        t = node.__class__
        ctx = self.ctx
        if t is _Call:
            self._dispatch_call(node, ctx)  # type: ignore[arg-type]
        else:
            if t is _FunctionDef or t is _AsyncFunctionDef:
                self._enter_function(node)  # type: ignore[arg-type]
            elif t is _ClassDef:
                self._enter_class(node)  # type: ignore[arg-type]
            hooks = self.visitors.get(t)
            if hooks is not None:
                for hook in hooks:
                    try:
                        hook(node, ctx)
                    except Exception as exc:  # noqa: BLE001
                        self._error(hook, exc)
        # facts of the hot node types, inline
        if t is _Name:
            if node.ctx.__class__ is not _Store:  # type: ignore[attr-defined]
                self._names.add(node.id)  # type: ignore[attr-defined]
        elif t is _Attribute:
            self._names.add(node.attr)  # type: ignore[attr-defined]
            value = node.value  # type: ignore[attr-defined]
            if value.__class__ is _Name:
                self._attrs.add(f"{value.id}.{node.attr}")  # type: ignore[attr-defined]
        elif t is _Call:
            self._call(node)  # type: ignore[arg-type]
        elif (t is _Import or t is _ImportFrom) and self._def_depth:
            record_import(ctx, self.facts, node, False, True)  # type: ignore[arg-type]
        special = self._special.get(t)
        if special is not None:
            special(node)
        else:
            fields = self._fields.get(t)
            if fields is None:
                fields = self._child_fields(t)
            if fields:  # leaves (Name, Constant...) have no children: no parent push
                parents = ctx.parents
                parents.append(node)
                walk = self._walk
                for name in fields:
                    value = getattr(node, name)
                    if value is None:
                        continue
                    if value.__class__ is list:
                        for item in value:
                            if item is not None:
                                walk(item)
                    else:
                        walk(value)
                parents.pop()
        leave = self.leavers.get(t)
        if leave is not None:
            for hook in leave:
                try:
                    hook(node, ctx)
                except Exception as exc:  # noqa: BLE001
                    self._error(hook, exc)

    def _child_fields(self, t: type) -> tuple[str, ...]:
        fields = self._fields[t] = tuple(f for f in child_fields(t) if (t, f) not in self._skip_fields)
        return fields

    def _dispatch_call(self, node: ast.Call, ctx: FileContext) -> None:
        func = node.func
        kind = func.__class__
        resolved: str | None = None
        if kind is ast.Attribute:
            raw: str = func.attr  # type: ignore[attr-defined]
        elif kind is ast.Name:
            raw = func.id  # type: ignore[attr-defined]
            imported = ctx.imports.get(raw)
            if imported:
                resolved = imported.rpartition(".")[2]
        else:
            raw = ""
        for hook, names in self._call_hooks:
            if names is None or raw in names or (resolved is not None and resolved in names):
                try:
                    hook(node, ctx)
                except Exception as exc:  # noqa: BLE001
                    self._error(hook, exc)

    def _walk_list(self, nodes: list[ast.AST]) -> None:
        walk = self._walk
        for item in nodes:
            if item is not None:
                walk(item)

    def _call(self, node: ast.Call) -> None:
        func = node.func
        callee: str | None
        if func.__class__ is ast.Name:
            if func.id == "super":  # type: ignore[attr-defined]
                return  # recorded with its method: super().run -> "super().run"
            callee = self.ctx.imports.get(func.id, func.id)  # type: ignore[attr-defined]
        elif func.__class__ is ast.Attribute:
            callee = self.ctx.qualified_name(func)
            if callee is None:
                inner = func.value  # type: ignore[attr-defined]
                if inner.__class__ is ast.Call and inner.func.__class__ is ast.Name and inner.func.id == "super":
                    callee = f"super().{func.attr}"  # type: ignore[attr-defined]
        else:
            callee = None
        if callee is not None:
            ctx = self.ctx
            self.facts.calls.append(CallFact(caller=ctx.symbol or ctx.module, callee=callee, line=node.lineno))

    def _enter_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        """Qualified name, metrics and definition, before the detectors see the def."""
        ctx = self.ctx
        in_class = self._in_class[-1]
        self._scope.append(node.name)
        qualname = ".".join(self._scope)
        ctx.qualnames[node] = qualname
        metrics = function_metrics(node, in_class)
        ctx.metrics[node] = metrics
        a = node.args
        params = [p.arg for p in (*a.posonlyargs, *a.args)]
        if a.vararg is not None:
            params.append("*" + a.vararg.arg)
        params.extend(p.arg for p in a.kwonlyargs)
        if a.kwarg is not None:
            params.append("**" + a.kwarg.arg)
        self.facts.definitions.append(
            Definition(
                kind="method" if in_class else "function",
                name=node.name,
                qualname=qualname,
                line=node.lineno,
                end_line=node.end_lineno or node.lineno,
                decorators=[decorator_name(d) for d in node.decorator_list],
                parameters=params,
                docstring=ast.get_docstring(node, clean=False),
                metrics=metrics,
                is_async=node.__class__ is ast.AsyncFunctionDef,
            )
        )

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        ctx = self.ctx
        parents = ctx.parents
        qualname = ctx.qualnames[node]
        a = node.args
        parents.append(node)
        self._walk_list(node.decorator_list)  # type: ignore[arg-type]
        self._walk(a)
        if node.returns is not None:
            self._walk(node.returns)
        saved = (ctx.function, ctx.symbol, ctx.loop_depth, ctx.in_async)
        ctx.function = node
        ctx.symbol = qualname
        ctx.loop_depth = 0
        ctx.in_async = node.__class__ is ast.AsyncFunctionDef
        self._def_depth += 1
        self._in_class.append(False)
        self._walk_list(node.body)  # type: ignore[arg-type]
        self._in_class.pop()
        self._def_depth -= 1
        ctx.function, ctx.symbol, ctx.loop_depth, ctx.in_async = saved
        parents.pop()
        self._scope.pop()

    def _enter_class(self, node: ast.ClassDef) -> None:
        ctx = self.ctx
        self._scope.append(node.name)
        qualname = ".".join(self._scope)
        ctx.qualnames[node] = qualname
        bases = []
        for b in node.bases:
            name = ctx.qualified_name(b)
            bases.append(name if name is not None else ast.unparse(b))
        self.facts.definitions.append(
            Definition(
                kind="class",
                name=node.name,
                qualname=qualname,
                line=node.lineno,
                end_line=node.end_lineno or node.lineno,
                decorators=[decorator_name(d) for d in node.decorator_list],
                docstring=ast.get_docstring(node, clean=False),
                bases=bases,
            )
        )

    def _class(self, node: ast.ClassDef) -> None:
        ctx = self.ctx
        qualname = ctx.qualnames[node]
        parents = ctx.parents
        parents.append(node)
        self._walk_list(node.decorator_list)  # type: ignore[arg-type]
        self._walk_list(node.bases)  # type: ignore[arg-type]
        self._walk_list(node.keywords)  # type: ignore[arg-type]
        saved = (ctx.class_, ctx.symbol)
        ctx.class_ = node
        ctx.symbol = qualname
        self._def_depth += 1
        self._in_class.append(True)
        self._walk_list(node.body)  # type: ignore[arg-type]
        self._in_class.pop()
        self._def_depth -= 1
        ctx.class_, ctx.symbol = saved
        parents.pop()
        self._scope.pop()

    def _loop(self, node: ast.For | ast.AsyncFor | ast.While) -> None:
        ctx = self.ctx
        ctx.parents.append(node)
        if node.__class__ is ast.While:
            self._walk(node.test)  # type: ignore[union-attr]
        else:
            self._walk(node.target)  # type: ignore[union-attr]
            self._walk(node.iter)  # type: ignore[union-attr]
        ctx.loop_depth += 1
        self._walk_list(node.body)  # type: ignore[arg-type]
        ctx.loop_depth -= 1
        self._walk_list(node.orelse)  # type: ignore[arg-type]
        ctx.parents.pop()
