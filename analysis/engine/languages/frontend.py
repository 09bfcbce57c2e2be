"""The tree-sitter front end: one parse and ONE traversal per file, for every language but Python.

``TreeFrontEnd`` is built once per worker process. For each file it parses the bytes with the
language's grammar, then walks the tree once with a ``TreeCursor``. A table indexed by
``kind_id`` (built from the ``LanguageSpec``) says which roles a node plays and which
``TreeDetector``\\ s subscribed to it, so a node nobody cares about costs one list lookup. While
walking it keeps the scope (function/class stack, loop depth, nesting) and extracts the
language-neutral facts: definitions with per-function metrics (cyclomatic complexity counted as
ESLint's ``complexity`` rule counts it when the spec says so, cognitive complexity, nesting,
statements, lines, parameters), imports, calls, names used, comment-only lines and the statement
units of the clone windows. After the walk, the language's one compiled ``Query`` runs on the same
tree for the detectors that subscribed to its captures. Only the picklable ``FileFacts`` leave
the worker; the tree is dropped with the context.
"""

from __future__ import annotations

import re
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tree_sitter import Language, Parser, Query, QueryCursor

from analysis.engine.clones import MIN_TOKENS, skeleton_lines, windows_from_units
from analysis.engine.context import DetectorSettings
from analysis.engine.facts import CallFact, Definition, FileFacts, FunctionMetrics, ImportFact
from analysis.engine.languages import extension_of, specs
from analysis.engine.languages.context import TreeContext
from analysis.engine.languages.spec import LanguageSpec, _no_imports
from analysis.engine.registry import TreeDetector

if TYPE_CHECKING:
    from tree_sitter import Node, Tree

# role bits (a kind's roles are OR-ed into one int for the hot loop)
FUNCTION, CLASS, BRANCH, LOOP, DECISION, NESTING, CALL, IMPORT, COMMENT, STRING, ASSIGNMENT, STATEMENT, JUMP, EXPORT = (
    1 << i for i in range(14)
)
_ROLE_BITS = {
    "function": FUNCTION,
    "class": CLASS,
    "branch": BRANCH,
    "loop": LOOP,
    "decision": DECISION,
    "nesting": NESTING,
    "call": CALL,
    "import": IMPORT,
    "comment": COMMENT,
    "string": STRING,
    "assignment": ASSIGNMENT,
    "statement": STATEMENT,
    "jump": JUMP,
    "export": EXPORT,
}
# roles the walk itself acts on when entering / leaving a node (string, assignment and jump are
# for detectors only)
_ENTER_BITS = FUNCTION | CLASS | BRANCH | LOOP | DECISION | NESTING | CALL | IMPORT | COMMENT | STATEMENT | EXPORT
_LEAVE_BITS = FUNCTION | CLASS | LOOP | NESTING | IMPORT
# kind ids index the dispatch table directly; ERROR is 65535, beyond every grammar's kind count
_TABLE_SIZE = 1 << 16
_ANONYMOUS = "<anonymous>"
_WORD = re.compile(r"[A-Za-z_$][\w$]*")
_ASCII_BLANKS = " \t\n\r\x0b\x0c"  # what bytes.strip() strips


@dataclass(slots=True)
class _Kind:
    """What the traversal does with one node kind of one grammar."""

    bits: int = 0
    identifier: bool = False
    conditional: bool = False  # cyclomatic increment decided by hooks.complexity
    cognitive: bool = False  # +1 (+ nesting) cognitive complexity
    else_kind: bool = False  # +1 cognitive (an else that is not an else-if)
    logical: bool = False  # a logical operator node (cognitive: +1 per sequence)
    name_hash: int = 0  # CRC-32 of the kind name (clone-window statement type)
    opaque: bool = False  # not walked into: its identifiers are taken from its text
    visit: list[Callable[[Node, TreeContext], None]] = field(default_factory=list)
    leave: list[Callable[[Node, TreeContext], None]] = field(default_factory=list)
    work: bool = False  # enter() has facts or metrics to record (set by ``finish``)
    needs_leave: bool = False
    plain: bool = False  # nothing but identifiers to record and children to walk into

    def finish(self) -> None:
        self.needs_leave = bool(self.bits & _LEAVE_BITS) or bool(self.leave)
        self.work = bool(self.bits & _ENTER_BITS or self.conditional or self.cognitive or self.else_kind or self.logical)
        self.plain = not (self.work or self.visit or self.needs_leave or self.opaque)


@dataclass(slots=True)
class _Frame:
    """A function being walked: its metrics accumulate here until it is left."""

    node: Node
    qualname: str
    name: str
    kind: str  # "function" | "method"
    parameters: list[str]
    metrics: FunctionMetrics
    nesting: int = 0
    loop_depth: int = 0


@dataclass(slots=True)
class _Grammar:
    language: Language
    parser: Parser
    table: list[_Kind | None]
    query: Query | None


class TreeFrontEnd:
    """Parsers, dispatch tables and compiled queries for every tree-sitter language; one per process."""

    def __init__(self, detectors: list[TreeDetector], profile: bool = False) -> None:
        self.detectors = detectors
        self.profile = profile  # time every detector (timings["detector.<id>"]); costs some speed
        self._grammars: dict[tuple[str, str], _Grammar] = {}
        self.detector_times: dict[str, float] = {}
        self.errors: list[tuple[str, str, str]] = []

    # --- tables -------------------------------------------------------------------------------
    def grammar(self, spec: LanguageSpec, path: str) -> _Grammar:
        ext = extension_of(path)
        key_ext = ext if ext in spec.grammars else ""
        key = (spec.name, key_ext)
        found = self._grammars.get(key)
        if found is None:
            language = Language(spec.grammars[key_ext]())
            found = self._grammars[key] = self._build(spec, language)
        return found

    def _build(self, spec: LanguageSpec, language: Language) -> _Grammar:
        by_name: dict[str, _Kind] = {}
        for role, kinds in spec.roles.items():
            bit = _ROLE_BITS[role]
            for kind in kinds:
                by_name.setdefault(kind, _Kind()).bits |= bit
        for kind in spec.identifiers:
            by_name.setdefault(kind, _Kind()).identifier = True
        for kind in spec.conditional:
            by_name.setdefault(kind, _Kind()).conditional = True
        for kind in spec.cognitive:
            by_name.setdefault(kind, _Kind()).cognitive = True
        for kind in spec.else_kinds:
            by_name.setdefault(kind, _Kind()).else_kind = True
        for kind in spec.logical:
            by_name.setdefault(kind, _Kind()).logical = True
        visitors: dict[str, list[TreeDetector]] = {}
        for det in self.detectors:
            if not det.applies_to(spec.name):
                continue
            visit_kinds = set(det.kinds)
            for role in det.roles:
                visit_kinds |= spec.kinds(role)
            for kind in visit_kinds:
                visitors.setdefault(kind, []).append(det)
            for role in det.leave_roles:
                for kind in spec.kinds(role):
                    by_name.setdefault(kind, _Kind()).leave.append(det.leave)
        for kind, dets in visitors.items():
            by_name.setdefault(kind, _Kind()).visit = self._visits(kind, dets)
        for kind in spec.opaque:
            by_name.setdefault(kind, _Kind()).opaque = True
        for name, info in by_name.items():
            info.name_hash = zlib.crc32(name.encode())
            info.finish()
        table: list[_Kind | None] = [None] * _TABLE_SIZE
        for kind_id in range(language.node_kind_count):
            if language.node_kind_is_named(kind_id):
                table[kind_id] = by_name.get(language.node_kind_for_id(kind_id) or "")
        query = None
        if spec.query and any(det.captures and det.applies_to(spec.name) for det in self.detectors):
            query = Query(language, spec.query)
        return _Grammar(language, Parser(language), table, query)

    def _visits(self, kind: str, dets: list[TreeDetector]) -> list[Callable[[Node, TreeContext], None]]:
        """The visit functions of a kind, in detector order; runs of detectors sharing a routing
        ``key`` for the kind become one ``_Router`` (not when profiling: each is timed alone)."""
        out: list[Callable[[Node, TreeContext], None]] = []
        run: list[TreeDetector] = []
        for det in [*dets, None]:
            routed = det is not None and not self.profile and bool(det.router) and kind in det.keyed_kinds
            if run and (not routed or det.router != run[0].router):  # type: ignore[union-attr]
                out.append(_Router(run, self).visit if len(run) > 1 else run[0].visit)
                run = []
            if det is None:
                break
            if routed:
                run.append(det)
            else:
                out.append(det.visit)
        return out

    # --- one file -----------------------------------------------------------------------------
    def process(
        self, facts: FileFacts, data: bytes, lines: list[str], settings: dict[str, DetectorSettings], timings: dict[str, float]
    ) -> TreeContext | None:
        """Parse and walk one file, filling ``facts``; returns the context (for its findings)."""
        spec = specs()[facts.language]
        t0 = time.process_time()
        grammar = self.grammar(spec, facts.path)
        tree = grammar.parser.parse(data if spec.preprocess is None else spec.preprocess(data))
        t1 = time.process_time()
        timings["parse"] += t1 - t0
        ctx = TreeContext(
            path=facts.path,
            module=facts.module,
            language=facts.language,
            spec=spec,
            data=data,
            lines=lines,
            tree=tree,
            is_test=facts.is_test,
            settings=settings,
            facts=facts,
        )
        if tree.root_node.has_error:
            facts.extra["syntax_errors"] = _count_errors(tree)
        active = [d for d in self.detectors if d.applies_to(spec.name)]
        for det in active:
            self._call(det, "start_file", det.start_file, ctx)
        walker = _Walker(spec, grammar.table, ctx, facts, self)
        walker.collect_top_level_imports(tree.root_node)
        walker.walk(tree)
        facts.code_lines = _code_lines(lines, walker.comment_rows)
        facts.clone_windows = windows_from_units(walker.units, MIN_TOKENS)
        facts.names_used = sorted(walker.names.union(b.decode("utf-8", "replace") for b in walker.names_bytes))
        if walker.exports:
            facts.extra["exports"] = sorted(walker.exports)
        facts.definitions.sort(key=lambda d: (d.line, d.end_line))
        ctx.in_traversal = False
        ctx.symbol = ""
        if grammar.query is not None:
            self._matches(grammar.query, tree, active, ctx)
        for det in active:
            self._call(det, "end_file", det.end_file, ctx)
        timings["traverse"] += time.process_time() - t1
        return ctx

    def _matches(self, query: Query, tree: Tree, active: list[TreeDetector], ctx: TreeContext) -> None:
        wanted = [(det, frozenset(det.captures)) for det in active if det.captures]
        for _pattern, captures in QueryCursor(query).matches(tree.root_node):
            names = captures.keys()
            for det, subscribed in wanted:
                if not subscribed.isdisjoint(names):
                    self._call(det, "match", det.match, captures, ctx)

    def _error(self, fn: Callable[..., None], ctx: TreeContext, exc: Exception) -> None:
        det = fn.__self__  # type: ignore[attr-defined]
        self.errors.append((det.spec.id, ctx.path, f"{fn.__name__}: {type(exc).__name__}: {exc}"))

    def _call(self, det: TreeDetector, hook: str, fn: Callable[..., None], *args: Any) -> None:
        try:
            fn(*args)
        except Exception as exc:  # noqa: BLE001 - one broken detector must not fail the file
            ctx = args[-1]
            self.errors.append((det.spec.id, ctx.path, f"{hook}: {type(exc).__name__}: {exc}"))


class _Router:
    """Detectors of one kind sharing a routing key: the key is computed once per node and only
    the detectors that want it are visited (``TreeDetector.keyed_kinds``)."""

    _CACHE_MAX = 100_000  # distinct keys remembered per router (callee names: a few thousand)

    def __init__(self, members: list[TreeDetector], owner: TreeFrontEnd) -> None:
        self.members = members
        self.spec = members[0].spec  # errors of the key function are reported under the first member
        self.key = members[0].key  # the same for every member of a router
        self.owner = owner
        self.chosen: dict[str, tuple[Callable[[Node, TreeContext], None], ...]] = {}

    def visit(self, node: Node, ctx: TreeContext) -> None:
        key = self.key(node, ctx)
        chosen = self.chosen.get(key)
        if chosen is None:
            if len(self.chosen) >= self._CACHE_MAX:
                self.chosen.clear()
            chosen = self.chosen[key] = tuple(det.visit for det in self.members if det.wants(key))
        for visit in chosen:
            try:
                visit(node, ctx)
            except Exception as exc:  # noqa: BLE001 - one broken detector must not fail the file
                self.owner._error(visit, ctx, exc)


class _Walker:
    """The state of one traversal."""

    def __init__(
        self, spec: LanguageSpec, table: list[_Kind | None], ctx: TreeContext, facts: FileFacts, owner: TreeFrontEnd
    ) -> None:
        self.spec = spec
        self.hooks = spec.hooks
        self.table = table
        self.ctx = ctx
        self.facts = facts
        self.owner = owner
        self.frames: list[_Frame] = []
        self.scopes: list[tuple[str, Node]] = []  # ("class"|"function", node) innermost last
        self.classes: list[Node] = []  # the class nodes of ``scopes``
        self.names: set[str] = set()  # names used, from the text of opaque nodes
        self.names_bytes: set[bytes] = set()  # identifiers used, as bytes (decoded once, at the end)
        self.comment_rows: set[int] = set()
        self.units: list[tuple[int, int, int, int]] = []  # (hash, weight, start_line, end_line)
        self.skeleton = skeleton_lines("\n".join(ctx.lines))
        self.seen_imports: set[int] = set()  # ids of top-level import nodes already recorded
        self.binding_imports: set[int] = set()  # ids of import nodes that bound names
        self.import_depth = 0  # > 0 inside an import statement: its identifiers are not uses
        self.top_loop_depth = 0  # loops of top-level code (a function's own are in its frame)
        self.taken: dict[str, int] = {}  # qualname -> times used (anonymous functions)
        self.exports: set[str] = set()  # names the file exports (``export`` role)

    def text(self, node: Node) -> str:
        return self.ctx.data[node.start_byte : node.end_byte].decode("utf-8", "replace")

    # --- imports first, so that detectors see every binding ---------------------------------
    def collect_top_level_imports(self, root: Node) -> None:
        table = self.table
        for child in root.named_children:
            info = table[child.kind_id]
            if info is not None and info.bits & IMPORT:
                found = self.hooks.imports(child, self.text)
                self._record_imports(found, in_function=False)
                self.seen_imports.add(child.id)
                if found:
                    self.binding_imports.add(child.id)

    def _record_imports(self, found: list[ImportFact], in_function: bool) -> None:
        for imp in found:
            imp.in_function = in_function
            if not imp.specifier:
                imp.specifier = imp.module
            self.facts.imports.append(imp)
            if imp.alias:
                target = imp.module if not imp.names or imp.names == ["*"] else f"{imp.module}.{imp.names[0]}"
                self.ctx.imports.setdefault(imp.alias, target)
            elif imp.names:
                for name in imp.names:
                    if name != "*":
                        self.ctx.imports.setdefault(name, f"{imp.module}.{name}")

    # --- the walk -----------------------------------------------------------------------------
    def walk(self, tree: Tree) -> None:
        ctx = self.ctx
        ctx.in_traversal = True
        table = self.table
        data = ctx.data
        name_field = tree.language.field_id_for_name(self.spec.name_field)
        declarator_field = tree.language.field_id_for_name(self.spec.declarator_field) if self.spec.declarator_field else -1
        declared = {name_field, declarator_field}  # fields holding a declared name, not a use
        name_uses = self.spec.name_uses
        profile = self.owner.profile
        error = self.owner._error
        enter = self.enter
        leave = self.leave
        names = self.names_bytes
        add_name = names.add
        cursor = tree.walk()
        goto_first_child = cursor.goto_first_child
        goto_next_sibling = cursor.goto_next_sibling
        goto_parent = cursor.goto_parent
        # the nodes entered whose leave is due once their subtree is walked, with their depths
        pending: list[tuple[_Kind, Node]] = []
        pending_depths: list[int] = [-1]
        depth = 0
        while True:
            node = cursor.node
            info = table[node.kind_id]  # type: ignore[union-attr]
            if info is not None:
                # a declared name (function, class, variable, import specifier) is not a use
                if info.identifier and not self.import_depth:
                    if cursor.field_id not in declared or (
                        name_uses and node.parent is not None and node.parent.type in name_uses  # type: ignore[union-attr]
                    ):
                        add_name(data[node.start_byte : node.end_byte])  # type: ignore[union-attr]
                if not info.plain:
                    if info.work:
                        enter(node, info)  # type: ignore[arg-type]
                    if info.visit:
                        if profile:
                            for visit in info.visit:
                                self._dispatch(visit, node)  # type: ignore[arg-type]
                        else:
                            for visit in info.visit:
                                try:
                                    visit(node, ctx)  # type: ignore[arg-type]
                                except Exception as exc:  # noqa: BLE001 - one broken detector must not fail the file
                                    error(visit, ctx, exc)
                    if info.opaque:
                        # type annotations and the like: no facts inside but the names they use
                        if not self.import_depth:
                            self.names.update(_WORD.findall(self.text(node)))  # type: ignore[arg-type]
                        if info.needs_leave:
                            leave(node, info)  # type: ignore[arg-type]
                        node = None  # not walked into
                    elif info.needs_leave:
                        if goto_first_child():
                            pending.append((info, node))  # type: ignore[arg-type]
                            pending_depths.append(depth)
                            depth += 1
                            continue
                        leave(node, info)  # type: ignore[arg-type]
                        node = None  # a leaf: nothing to walk into
            if node is not None and goto_first_child():
                depth += 1
                continue
            while not goto_next_sibling():
                if not goto_parent():
                    return
                depth -= 1
                if pending_depths[-1] == depth:
                    pending_depths.pop()
                    left_info, left = pending.pop()
                    leave(left, left_info)

    def enter(self, node: Node, info: _Kind) -> None:
        bits = info.bits
        frame = self.frames[-1] if self.frames else None
        if bits:
            if bits & FUNCTION:
                self._enter_function(node)
                frame = None  # the function's own header belongs to the outer frame: done above
            elif bits & CLASS:
                self._enter_class(node)
            if frame is not None:
                m = frame.metrics
                if bits & (BRANCH | LOOP | DECISION):
                    m.cyclomatic += 1
                if bits & STATEMENT:
                    m.statements += 1
                if bits & NESTING:
                    frame.nesting += 1
                    if frame.nesting > m.max_nesting:
                        m.max_nesting = frame.nesting
                if bits & LOOP:
                    frame.loop_depth += 1
                    self.ctx.loop_depth = frame.loop_depth
            elif bits & LOOP and not bits & FUNCTION:
                self.top_loop_depth += 1  # a loop of top-level code
                self.ctx.loop_depth = self.top_loop_depth
            if bits & STATEMENT:
                self._unit(node, info)
            if bits & CALL:
                self._call(node)
            if bits & IMPORT:
                if node.id not in self.seen_imports:
                    found = self.hooks.imports(node, self.text)
                    self._record_imports(found, in_function=bool(self.frames))
                    if found:
                        self.binding_imports.add(node.id)
                if node.id in self.binding_imports:
                    self.import_depth += 1
            if bits & COMMENT:
                self._comment(node)
            if bits & EXPORT:
                self.exports.update(self.hooks.exports(node, self.text))
        if frame is not None:
            m = frame.metrics
            extra = -1  # hooks.complexity of the node, computed once for conditional and logical
            if info.conditional:
                extra = self.hooks.complexity(node, self.text)
                m.cyclomatic += extra
            if info.cognitive:
                # the node's own nesting level is the level outside it (NESTING was added above)
                outer = frame.nesting - 1 if bits & NESTING else frame.nesting
                m.cognitive += 1 if self.hooks.is_else_if(node) else 1 + max(0, outer)
            elif info.else_kind:
                first = node.named_child(0)
                inner = self.table[first.kind_id] if first is not None else None
                if inner is None or not inner.bits & BRANCH:  # an else-if counts on its if
                    m.cognitive += 1
            if info.logical and (extra if extra >= 0 else self.hooks.complexity(node, self.text)):
                parent = node.parent
                if parent is None or parent.type != node.type or _operator(parent) != _operator(node):
                    m.cognitive += 1

    def leave(self, node: Node, info: _Kind) -> None:
        bits = info.bits
        if bits & FUNCTION:
            self._leave_function(node)
        elif bits & CLASS:
            self.scopes.pop()
            self.classes.pop()
            # leave hooks report on the class itself, in its enclosing scope
            self._sync_scope()
            self.ctx.class_ = node
        if bits & IMPORT and node.id in self.binding_imports:
            self.import_depth -= 1
        if bits & LOOP and not self.frames:
            self.top_loop_depth -= 1
            self.ctx.loop_depth = self.top_loop_depth
        if not bits & (FUNCTION | CLASS) and self.frames:
            frame = self.frames[-1]
            if bits & NESTING:
                frame.nesting -= 1
            if bits & LOOP:
                frame.loop_depth -= 1
                self.ctx.loop_depth = frame.loop_depth
        if info.leave:
            if self.owner.profile:
                for fn in info.leave:
                    self._dispatch(fn, node)
            else:
                for fn in info.leave:
                    try:
                        fn(node, self.ctx)
                    except Exception as exc:  # noqa: BLE001 - one broken detector must not fail the file
                        self.owner._error(fn, self.ctx, exc)
        if bits & (FUNCTION | CLASS):
            self._sync_scope()

    def _dispatch(self, fn: Callable[[Node, TreeContext], None], node: Node) -> None:
        det = fn.__self__  # type: ignore[attr-defined]
        if not self.owner.profile:
            self.owner._call(det, fn.__name__, fn, node, self.ctx)
            return
        t = time.process_time()
        self.owner._call(det, fn.__name__, fn, node, self.ctx)
        did = det.spec.id
        self.owner.detector_times[did] = self.owner.detector_times.get(did, 0.0) + time.process_time() - t

    # --- scopes -------------------------------------------------------------------------------
    def _qualname(self, name: str) -> str:
        parent = self.ctx.symbol or self.ctx.module
        qual = f"{parent}.{name}"
        n = self.taken.get(qual, 0) + 1
        self.taken[qual] = n
        return qual if n == 1 else f"{qual}#{n}"

    def _name(self, node: Node) -> str | None:
        named = node.child_by_field_name(self.spec.name_field)
        if named is not None:
            return self.text(named)
        return self.hooks.name(node, self.text)

    def _enter_function(self, node: Node) -> None:
        name = self._name(node) or _ANONYMOUS
        in_class = bool(self.scopes) and self.scopes[-1][0] == "class"
        receiver = self.hooks.receiver(node, self.text)
        qual = self._qualname(f"{receiver}.{name}" if receiver else name)
        in_class = in_class or receiver is not None
        params = self.hooks.parameters(node, self.text)
        metrics = FunctionMetrics(
            cyclomatic=1,
            lines=node.end_point[0] - node.start_point[0] + 1,
            parameters=len(params),
        )
        self.frames.append(_Frame(node, qual, name, "method" if in_class else "function", params, metrics))
        self.scopes.append(("function", node))
        self.ctx.qualnames[node.id] = qual
        self.ctx.spans.append((node.start_byte, node.end_byte, qual))
        self._sync_scope()

    def _leave_function(self, node: Node) -> None:
        frame = self.frames.pop()
        self.scopes.pop()
        self.ctx.metrics[node.id] = frame.metrics
        self.facts.definitions.append(
            Definition(
                kind=frame.kind,
                name=frame.name,
                qualname=frame.qualname,
                line=node.start_point[0] + 1,
                end_line=node.end_point[0] + 1,
                parameters=frame.parameters,
                metrics=frame.metrics,
                # the keyword's bytes first: most functions are not async, and children cost nodes
                is_async=self.ctx.data.find(b"async", node.start_byte, node.end_byte) >= 0 and _is_async(node),
            )
        )
        # leave hooks of detectors run after this, with the function still as ctx.function: they
        # report on the function itself in its enclosing scope, as the Python traversal does
        self._sync_scope()
        self.ctx.function = node

    def _enter_class(self, node: Node) -> None:
        name = self._name(node) or _ANONYMOUS
        qual = self._qualname(name)
        self.facts.definitions.append(
            Definition(
                kind="class",
                name=name,
                qualname=qual,
                line=node.start_point[0] + 1,
                end_line=node.end_point[0] + 1,
                bases=self.hooks.bases(node, self.text),
            )
        )
        self.scopes.append(("class", node))
        self.classes.append(node)
        self.ctx.qualnames[node.id] = qual
        self.ctx.spans.append((node.start_byte, node.end_byte, qual))
        self._sync_scope()

    def _sync_scope(self) -> None:
        ctx = self.ctx
        ctx.symbol = ctx.qualnames[self.scopes[-1][1].id] if self.scopes else ""
        ctx.class_ = self.classes[-1] if self.classes else None
        frames = self.frames
        if frames:
            frame = frames[-1]
            ctx.function = frame.node
            ctx.loop_depth = frame.loop_depth
            ctx.nesting = frame.nesting
        else:
            ctx.function = None
            ctx.loop_depth = self.top_loop_depth
            ctx.nesting = 0

    # --- facts --------------------------------------------------------------------------------
    def _call(self, node: Node) -> None:
        hooks = self.hooks
        text = self.text
        callee = hooks.callee(node, text)
        if callee:
            caller = self.frames[-1].qualname if self.frames else self.ctx.module
            self.facts.calls.append(CallFact(caller, callee, node.start_point[0] + 1))
        if hooks.call_imports is not _no_imports:
            found = hooks.call_imports(node, text)
            if found:
                self._record_imports(found, in_function=bool(self.frames))

    def _comment(self, node: Node) -> None:
        start_row, start_col = node.start_point
        end_row, end_col = node.end_point
        lines = self.ctx.lines
        if start_row >= len(lines):
            return
        # columns are byte offsets: an ASCII line is sliced as it is, others once encoded
        line = lines[start_row]
        if line.isascii():
            if line[:start_col].strip(_ASCII_BLANKS):
                return  # a trailing comment: its line is code
        elif line.encode("utf-8", "replace")[:start_col].strip():
            return
        if end_row < len(lines):
            line = lines[end_row]
            code_after = (
                line[end_col:].strip(_ASCII_BLANKS) if line.isascii() else line.encode("utf-8", "replace")[end_col:].strip()
            )
        else:
            code_after = ""
        last = end_row if not code_after else end_row - 1
        self.comment_rows.update(range(start_row, last + 1))

    def _unit(self, node: Node, info: _Kind) -> None:
        if info.bits & IMPORT:
            return
        start = node.start_point[0] + 1
        end = node.end_point[0] + 1
        units = self.units
        skel = self.skeleton
        # a statement's unit ends where the next statement (maybe nested in it) starts; close
        # the previous unit now that this start is known (its hash chains the first one's)
        if units:
            h, w, s, e = units[-1]
            if e >= start and s < start:
                e = start - 1
                text = b"".join(skel[s - 1 : e]) if e > s else skel[s - 1] if 0 < s <= len(skel) else b""
                units[-1] = (hash((h, zlib.crc32(text))), 2 * len(text) + 1, s, e)
        text = b"".join(skel[start - 1 : end]) if end > start else skel[start - 1] if 0 < start <= len(skel) else b""
        units.append((hash((info.name_hash, zlib.crc32(text))), 2 * len(text) + 1, start, end))


def _operator(node: Node) -> str:
    op = node.child_by_field_name("operator")
    return op.type if op is not None else ""


def _is_async(node: Node) -> bool:
    return any(child.type == "async" and not child.is_named for child in node.children)


def _count_errors(tree: Tree) -> int:
    """ERROR and MISSING nodes (tree-sitter recovers locally: the facts around them still come out)."""
    n = 0
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            n += 1
        elif node.has_error:
            stack.extend(node.children)
    return n


def _code_lines(lines: list[str], comment_rows: set[int]) -> int:
    """Non-blank lines that are not comment-only (the non-blank count in C, then the comments')."""
    n = len(lines)
    return sum(map(bool, map(str.strip, lines))) - sum(1 for i in comment_rows if i < n and lines[i].strip())
