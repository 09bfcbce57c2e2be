"""Documentation and testing detectors: missing-docstring, todo-comment, test-without-assertion."""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass, field

from analysis.engine.context import FileContext
from analysis.engine.model import Category, Severity
from analysis.engine.registry import DetectorSpec, NodeDetector, register

_FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef)


def _decorator_names(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> list[str]:
    names = []
    for deco in node.decorator_list:
        target = deco.func if isinstance(deco, ast.Call) else deco
        parts = []
        while isinstance(target, ast.Attribute):
            parts.append(target.attr)
            target = target.value
        if isinstance(target, ast.Name):
            parts.append(target.id)
        names.append(".".join(reversed(parts)))
    return names


# --------------------------------------------------------------------------------------------
_SKIP_MODULES = {"__main__", "setup", "conftest", "manage", "__init__"}
_NO_DOC_DECORATORS = {"overload", "override", "setter", "deleter", "getter"}


@register
class MissingDocstring(NodeDetector):
    """Public modules, classes and functions without a docstring."""

    spec = DetectorSpec(
        id="missing-docstring",
        category=Category.DOCUMENTATION,
        severity=Severity.INFO,
        title="Missing docstring",
        description="A public module, class, function or method has no docstring. Tests, private names "
        "(leading underscore, dunders), nested functions, overloads, property setters and one-line "
        "properties are not reported.",
        effort_minutes=5,
    )
    node_types = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        if ctx.is_test or "/migrations/" in f"/{ctx.path}":
            return
        if isinstance(node, ast.Module):
            stem = ctx.path.rsplit("/", 1)[-1].removesuffix(".py")
            if node.body and stem not in _SKIP_MODULES and not stem.startswith("_") and ast.get_docstring(node) is None:
                ctx.report(
                    self.spec,
                    None,
                    f"Public module '{ctx.module}' has no docstring.",
                    line=1,
                    symbol="",
                    title="Missing module docstring",
                    metadata={"kind": "module"},
                    code="",
                )
            return
        assert isinstance(node, (ast.ClassDef, *_FUNCS))
        if node.name.startswith("_") or not self._public_scope(ctx):
            return
        if ast.get_docstring(node) is not None:
            return
        kind = "class"
        if isinstance(node, _FUNCS):
            kind = "method" if ctx.parents and isinstance(ctx.parents[-1], ast.ClassDef) else "function"
            decorators = {n.rsplit(".", 1)[-1] for n in _decorator_names(node)}
            if decorators & _NO_DOC_DECORATORS:
                return
            if decorators & {"property", "cached_property"} and len(node.body) == 1:
                return  # a trivial property is self-describing
        symbol = ctx.def_symbol(node)
        ctx.report(
            self.spec,
            node,
            f"Public {kind} '{node.name}' has no docstring.",
            symbol=symbol,
            title=f"Missing {kind} docstring",
            metadata={"kind": kind},
            code=ctx.segment(node, 1) if not node.decorator_list else f"{kind} {node.name}",
        )

    @staticmethod
    def _public_scope(ctx: FileContext) -> bool:
        """Module level, or inside public classes only (nothing inside functions)."""
        for parent in ctx.parents:
            if isinstance(parent, (*_FUNCS, ast.Lambda)):
                return False
            if isinstance(parent, ast.ClassDef) and parent.name.startswith("_"):
                return False
        return True


# --------------------------------------------------------------------------------------------
_DEFAULT_TAGS = ("TODO", "FIXME", "XXX", "HACK")
_PATTERNS: dict[tuple[str, ...], tuple[re.Pattern[str], re.Pattern[str]]] = {}


def _tag_patterns(tags: tuple[str, ...]) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(comment-line pattern over the whole source, tag pattern) for the configured tags."""
    patterns = _PATTERNS.get(tags)
    if patterns is None:
        alternatives = "|".join(re.escape(t) for t in tags)
        patterns = _PATTERNS[tags] = (
            re.compile(rf"#[^\n]*?\b({alternatives})\b[^\n]*"),
            re.compile(rf"\b({alternatives})\b"),
        )
    return patterns


@register
class TodoComment(NodeDetector):
    """TODO/FIXME/XXX/HACK comments: acknowledged, unfinished work."""

    spec = DetectorSpec(
        id="todo-comment",
        category=Category.DOCUMENTATION,
        severity=Severity.INFO,
        title="TODO comment",
        description="A TODO, FIXME, XXX or HACK comment marks known unfinished or questionable work; track it "
        "in the issue tracker or resolve it.",
        effort_minutes=15,
        thresholds={"tags": list(_DEFAULT_TAGS)},
    )

    def end_file(self, ctx: FileContext) -> None:
        source = ctx.source
        if "#" not in source:
            return
        tags = tuple(ctx.threshold(self.spec, "tags"))
        if not tags:
            return
        line_pattern, tag_pattern = _tag_patterns(tags)
        spans: list[tuple[int, int, str]] | None = None
        last_line = -1
        for match in line_pattern.finditer(source):
            line_no = source.count("\n", 0, match.start()) + 1
            if line_no == last_line:
                continue
            line = ctx.lines[line_no - 1] if line_no <= len(ctx.lines) else ""
            comment = self._comment(line)
            if comment is None:
                continue
            tag = tag_pattern.search(comment)
            if tag is None:
                continue
            last_line = line_no
            column = len(line) - len(comment)
            text = comment.lstrip("#").strip()
            # The comment text (not the line) identifies the finding: moving it keeps its identity.
            marker = ast.Pass(lineno=line_no, col_offset=column, end_lineno=line_no, end_col_offset=len(line))
            if spans is None:
                spans = self._spans(ctx)
            ctx.report(
                self.spec,
                marker,
                f"{tag.group(1)} comment: {text[:200]}",
                symbol=self._enclosing(spans, line_no),
                title=f"{tag.group(1)} comment",
                metadata={"tag": tag.group(1), "text": text[:500], "tags": list(tags)},
                code=text,
            )

    @staticmethod
    def _spans(ctx: FileContext) -> list[tuple[int, int, str]]:
        """(first line, last line, qualified name) of every def/class, for enclosing symbols."""
        spans = []
        for node, name in ctx.qualnames.items():
            first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", ()))])  # type: ignore[attr-defined]
            spans.append((first, node.end_lineno or node.lineno, name))  # type: ignore[attr-defined]
        return spans

    @staticmethod
    def _enclosing(spans: list[tuple[int, int, str]], line: int) -> str:
        best = ("", -1)
        for first, last, name in spans:
            if first <= line <= last and first > best[1]:
                best = (name, first)
        return best[0]

    @staticmethod
    def _comment(line: str) -> str | None:
        """The comment part of a physical line, or None if its '#' is inside a string."""
        try:
            for tok in tokenize.generate_tokens(io.StringIO(line).readline):
                if tok.type == tokenize.COMMENT:
                    return line[tok.start[1] :]
        except (tokenize.TokenError, IndentationError, SyntaxError):
            # A line inside a multi-line string or bracket: accept when no quote precedes '#'.
            hash_at = line.find("#")
            if hash_at >= 0 and not any(q in line[:hash_at] for q in ("'", '"')):
                return line[hash_at:]
        return None


# --------------------------------------------------------------------------------------------
_ASSERT_WORDS = ("assert", "check", "verify", "expect", "ensure", "validate", "must")
_ASSERT_CALLS = {"fail", "raises", "warns", "deprecated_call", "skip", "skipTest", "xfail", "approx", "snapshot"}


@dataclass
class _TestFrame:
    node: ast.FunctionDef | ast.AsyncFunctionDef
    symbol: str
    is_test: bool
    asserts: bool = False
    calls: set[str] = field(default_factory=set)  # plain names and self-method names called


@register
class TestWithoutAssertion(NodeDetector):
    """A test function that checks nothing."""

    __test__ = False  # not a pytest test class despite the name

    spec = DetectorSpec(
        id="test-without-assertion",
        category=Category.TESTING,
        severity=Severity.LOW,
        title="Test without assertion",
        description="A test function contains no assert statement, no pytest.raises/warns, no self.assert*/fail "
        "and no mock assert_* call, directly or through helpers of the same file: it can only fail by crashing "
        "and passes whatever the result.",
        effort_minutes=15,
    )
    node_types = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Assert, ast.Raise, ast.Call, ast.Assign)

    # No ``leave`` hook (it would run for every Call): frames are keyed by function node and
    # nested functions are folded into their enclosing test in ``end_file``.
    def start_file(self, ctx: FileContext) -> None:
        self._frames: dict[ast.AST, _TestFrame] = {}
        self._outer: dict[ast.AST, ast.AST | None] = {}

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        if not ctx.is_test:
            return
        t = node.__class__
        if t is ast.FunctionDef or t is ast.AsyncFunctionDef:
            # visited in the enclosing scope: ctx.function is the outer function, if any
            frame = _TestFrame(node, ctx.def_symbol(node), self._is_test(node, ctx))  # type: ignore[arg-type]
            self._frames[node] = frame
            self._outer[node] = ctx.function
            # A decorator may run the test and check its outcome (@jump_test(...) in CPython's
            # tests): count it as a call made by the test.
            for deco in node.decorator_list:  # type: ignore[attr-defined]
                target = deco.func if isinstance(deco, ast.Call) else deco
                if isinstance(target, ast.Name):
                    frame.calls.add(target.id)
                    if self._asserting_name(target.id):
                        frame.asserts = True
            return
        function = ctx.function
        current = self._frames.get(function) if function is not None else None
        if current is None:
            return
        frame = current
        if t is ast.Assert or t is ast.Raise:
            frame.asserts = True
            return
        if t is ast.Assign:
            # `eq = self.assertEqual` then `eq(a, b)`
            value = node.value  # type: ignore[attr-defined]
            alias = value.attr if isinstance(value, ast.Attribute) else value.id if isinstance(value, ast.Name) else ""
            if alias and self._asserting_name(alias):
                frame.asserts = True
            return
        func = node.func  # type: ignore[attr-defined]
        if isinstance(func, ast.Name):
            name = func.id
            frame.calls.add(name)
            imported = ctx.imports.get(name, "")
            if "test" in imported.rsplit(".", 1)[0].lower():
                frame.asserts = True  # a helper from a test-utilities module
        elif isinstance(func, ast.Attribute):
            name = func.attr
            if isinstance(func.value, ast.Name) and func.value.id in ("self", "cls"):
                frame.calls.add("self." + name)
        else:
            return
        if self._asserting_name(name):
            frame.asserts = True

    @staticmethod
    def _asserting_name(name: str) -> bool:
        """assert*/check*/verify*... helpers, pytest outcomes, and parametrised test_* helpers."""
        lowered = name.lower()
        return name in _ASSERT_CALLS or any(word in lowered for word in _ASSERT_WORDS) or lowered.lstrip("_").startswith("test")

    @staticmethod
    def _is_test(node: ast.FunctionDef | ast.AsyncFunctionDef, ctx: FileContext) -> bool:
        if not node.name.startswith("test"):
            return False
        parent = ctx.parents[-1] if ctx.parents else None
        if not isinstance(parent, (ast.Module, ast.ClassDef)):
            return False
        if ctx.function is not None or (isinstance(parent, ast.ClassDef) and not isinstance(ctx.parents[-2], ast.Module)):
            return False  # classes built inside a test are fixtures, not collected tests
        # A test runner collects it: a test module (test_*.py, *_test(s).py, tests.py) or a test
        # class. Helpers named test_* in testing libraries (django/test/runner.py) are not tests.
        stem = ctx.path.rsplit("/", 1)[-1].removesuffix(".py")
        test_module = stem.startswith("test") or stem.endswith(("_test", "_tests"))
        if isinstance(parent, ast.ClassDef):
            test_class = parent.name.startswith("Test") or parent.name.endswith(("Test", "Tests", "TestCase"))
            if not (test_module or test_class):
                return False
        elif not test_module:
            return False
        decorators = " ".join(_decorator_names(node)).lower()
        return "skip" not in decorators and "xfail" not in decorators and "property" not in decorators

    def end_file(self, ctx: FileContext) -> None:
        if not ctx.is_test:
            return
        # A nested helper or callback runs as part of the enclosing test (innermost first).
        for node in reversed(list(self._frames)):
            frame = self._frames[node]
            outer = self._outer.get(node)
            parent = self._frames.get(outer) if outer is not None else None
            if parent is not None and not frame.is_test:
                parent.asserts = parent.asserts or frame.asserts
                parent.calls |= frame.calls
        frames = list(self._frames.values())
        by_name: dict[str, list[_TestFrame]] = {}
        for frame in frames:
            by_name.setdefault(frame.node.name, []).append(frame)
        ok = {id(f): f.asserts for f in frames}
        changed = True
        while changed:
            changed = False
            for frame in frames:
                if ok[id(frame)]:
                    continue
                for call in frame.calls:
                    name = call.removeprefix("self.")
                    targets = by_name.get(name)
                    if targets is None:
                        # self.<helper> inherited from another file may assert: give it the benefit of the doubt.
                        if call.startswith("self."):
                            ok[id(frame)] = changed = True
                            break
                        continue
                    if any(ok[id(t)] for t in targets if t is not frame):
                        ok[id(frame)] = changed = True
                        break
        for frame in frames:
            if frame.is_test and not ok[id(frame)]:
                ctx.report(
                    self.spec,
                    frame.node,
                    f"Test '{frame.node.name}' makes no assertion; it passes unless it crashes.",
                    symbol=frame.symbol,
                    metadata={"test": frame.node.name},
                    code=f"def {frame.node.name}",
                )
