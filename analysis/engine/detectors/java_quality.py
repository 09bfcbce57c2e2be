"""Bug-risk, dead-code and performance detectors for Java: an empty ``catch`` (the Python
``bare-or-swallowed-except`` id), ``string-reference-equality`` (``==`` on strings),
``resource-not-closed`` (a stream, reader, connection or socket opened into a local variable
outside try-with-resources and never closed), and with the Python detectors' ids: unused imports,
return/throw in ``finally``, self-assignment, string concatenation in a loop.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from analysis.engine.detectors.bugrisk import BareOrSwallowedExcept, ReturnOrBreakInFinally, SelfAssignment
from analysis.engine.detectors.deadcode import UnusedImport
from analysis.engine.detectors.performance import StringConcatInLoop
from analysis.engine.detectors.tree_taint import enclosing
from analysis.engine.model import Category, Severity
from analysis.engine.registry import DetectorSpec, TreeDetector, register

if TYPE_CHECKING:
    from tree_sitter import Node

    from analysis.engine.languages.context import TreeContext

JAVA = frozenset({"java"})
_FUNCTIONS = frozenset({"method_declaration", "constructor_declaration", "lambda_expression", "compact_constructor_declaration"})
_CLASSES = frozenset({"class_declaration", "enum_declaration", "record_declaration", "interface_declaration"})


@register
class JavaEmptyCatch(TreeDetector):
    """A catch block that does nothing: the exception disappears. A comment inside, or a
    parameter named ``ignored``/``expected``, says it is on purpose."""

    spec = BareOrSwallowedExcept.spec
    languages = JAVA
    kinds = frozenset({"catch_clause"})

    def visit(self, node: Node, ctx: TreeContext) -> None:
        body = node.child_by_field_name("body")
        if body is None or body.named_child_count:
            return  # statements, or a comment saying why it is empty
        param = next((c for c in node.named_children if c.type == "catch_formal_parameter"), None)
        name = param.child_by_field_name("name") if param is not None else None
        if name is not None and re.match(r"(?i)(ignored?|expected|_)", ctx.text(name)):
            return
        ctx.report(self.spec, node, "The catch block is empty: the exception is silently swallowed.", title="Empty catch block")


def _declared_strings(node: Node, ctx: TreeContext) -> list[str]:
    declared = node.child_by_field_name("type")
    if declared is None or ctx.text(declared) not in ("String", "java.lang.String"):
        return []
    if node.type == "formal_parameter":
        name = node.child_by_field_name("name")
        return [ctx.text(name)] if name is not None else []
    return [ctx.text(n) for d in node.children_by_field_name("declarator") if (n := d.child_by_field_name("name")) is not None]


def _string_names(function: Node | None, owner: Node | None, ctx: TreeContext) -> set[str]:
    """Names declared as ``String``: the function's parameters and locals, the class's fields."""
    cache: dict[int, set[str]] = ctx.shared.setdefault("java_strings", {})
    out: set[str] = set()
    if function is not None:
        found = cache.get(function.id)
        if found is None:
            found = set()
            stack = list(function.named_children)
            while stack:
                node = stack.pop()
                if node.type in ("formal_parameter", "local_variable_declaration"):
                    found.update(_declared_strings(node, ctx))
                if node.type not in _FUNCTIONS and node.type != "class_body":
                    stack.extend(node.named_children)
            cache[function.id] = found
        out |= found
    if owner is not None:
        found = cache.get(owner.id)
        if found is None:
            body = owner.child_by_field_name("body")
            found = {
                name
                for c in (body.named_children if body is not None else [])
                if c.type == "field_declaration"
                for name in _declared_strings(c, ctx)
            }
            cache[owner.id] = found
        out |= found
    return out


@register
class StringReferenceEquality(TreeDetector):
    """``==``/``!=`` between strings compares references, not text."""

    spec = DetectorSpec(
        id="string-reference-equality",
        category=Category.BUG_RISK,
        severity=Severity.HIGH,
        title="Strings compared with ==",
        description="== and != on String objects compare references: two equal texts built at run time are "
        "different objects, so the test fails depending on where the strings came from. Use equals() "
        "(or Objects.equals for nullable values).",
        cwe="CWE-597",
        effort_minutes=2,
    )
    languages = JAVA
    captures = ("java.eq",)  # ``==``/``!=`` from the Java query (``languages/java.py``)

    def match(self, captures: dict[str, list[Node]], ctx: TreeContext) -> None:
        for node in captures.get("java.eq", ()):
            self.compare(node, ctx)

    def compare(self, node: Node, ctx: TreeContext) -> None:
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if left is None or right is None or "null_literal" in (left.type, right.type):
            return
        literal = left.type == "string_literal" or right.type == "string_literal"
        if not literal:
            names = _string_names(enclosing(node, _FUNCTIONS), enclosing(node, _CLASSES), ctx)
            if not (
                left.type == "identifier" and right.type == "identifier" and ctx.text(left) in names and ctx.text(right) in names
            ):
                return
        ctx.report(
            self.spec,
            node,
            f"'{ctx.text(node)[:80]}' compares String references; use equals().",
        )


_RESOURCES = frozenset(
    {
        "FileInputStream",
        "FileOutputStream",
        "FileReader",
        "FileWriter",
        "RandomAccessFile",
        "BufferedReader",
        "BufferedWriter",
        "InputStreamReader",
        "OutputStreamWriter",
        "PrintWriter",
        "ObjectInputStream",
        "ObjectOutputStream",
        "ZipFile",
        "JarFile",
        "Socket",
        "ServerSocket",
        "Scanner",
        "Formatter",
    }
)
_OPENERS = re.compile(
    r"^(?:DriverManager\.getConnection|\w+\.getConnection|\w+\.prepareStatement|\w+\.createStatement|"
    r"Files\.newInputStream|Files\.newOutputStream|Files\.newBufferedReader|Files\.newBufferedWriter|Files\.lines)$"
)


@register
class ResourceNotClosed(TreeDetector):
    """A stream/reader/connection opened into a local variable, not in try-with-resources, that
    the method never closes, returns or hands over."""

    spec = DetectorSpec(
        id="resource-not-closed",
        category=Category.BUG_RISK,
        severity=Severity.MEDIUM,
        title="Resource not closed",
        description="A stream, reader, socket or JDBC object is opened and never closed on every path: file "
        "handles and connections leak until the garbage collector finalises them, if ever. Open it in a "
        "try-with-resources statement.",
        cwe="CWE-772",
        effort_minutes=5,
    )
    languages = JAVA
    kinds = frozenset({"local_variable_declaration"})

    def visit(self, node: Node, ctx: TreeContext) -> None:
        if ctx.function is None or (node.parent is not None and node.parent.type == "resource_specification"):
            return
        for declarator in node.children_by_field_name("declarator"):
            name, value = declarator.child_by_field_name("name"), declarator.child_by_field_name("value")
            if name is None or value is None or not self._opens(value, ctx):
                continue
            variable = ctx.text(name)
            if self._released(ctx.function, node, variable, ctx):
                continue
            ctx.report(
                self.spec,
                declarator,
                f"'{variable}' is opened here and never closed: use try-with-resources.",
                metadata={"variable": variable},
            )

    def _opens(self, value: Node, ctx: TreeContext) -> bool:
        if value.type == "object_creation_expression":
            kind = value.child_by_field_name("type")
            return kind is not None and ctx.text(kind).split("<", 1)[0].rsplit(".", 1)[-1] in _RESOURCES
        if value.type == "method_invocation":
            obj, name = value.child_by_field_name("object"), value.child_by_field_name("name")
            if name is None:
                return False
            written = f"{ctx.text(obj)}.{ctx.text(name)}" if obj is not None else ctx.text(name)
            return bool(_OPENERS.match(written))
        return False

    def _released(self, function: Node, declaration: Node, variable: str, ctx: TreeContext) -> bool:
        """Closed, returned, stored in a field, passed to a call or wrapped after the declaration."""
        text = ctx.data[declaration.end_byte : function.end_byte].decode("utf-8", "replace")
        word = re.escape(variable)
        return bool(
            re.search(
                rf"\b{word}\s*\.\s*close\s*\(|\breturn\s+{word}\s*;|=\s*{word}\s*;|[(,]\s*{word}\s*[,)]|\btry\s*\(\s*{word}\b|"
                rf"\btry\s*\([^)]*=\s*{word}\b",
                text,
            )
        )


@register
class JavaUnusedImport(TreeDetector):
    """A single-type or static import whose name the file never mentions (a name mentioned only
    in a Javadoc ``{@link}`` counts as a use, as checkstyle's ``UnusedImports`` counts it)."""

    spec = UnusedImport.spec
    languages = JAVA

    def end_file(self, ctx: TreeContext) -> None:
        if ctx.facts is None:
            return
        used = set(ctx.facts.names_used)
        body: str | None = None
        for imp in ctx.facts.imports:
            if imp.in_function or imp.names == ["*"]:
                continue
            binding = imp.alias or (imp.names[0] if imp.names else None)
            if not binding or binding in used:
                continue
            if body is None:  # the file without its import lines: comments, Javadoc
                body = re.sub(r"(?m)^\s*import\s[^;]*;", "", ctx.text(ctx.tree.root_node))
            if re.search(rf"\b{re.escape(binding)}\b", body):
                continue
            ctx.report(
                self.spec,
                None,
                f"'{binding}' is imported from '{imp.specifier}' but never used.",
                line=imp.line,
                metadata={"name": binding, "module": imp.specifier},
                code=ctx.lines[imp.line - 1].strip() if 0 < imp.line <= len(ctx.lines) else binding,
            )


def _body_descendants(node: Node) -> list[Node]:
    """Named descendants, not entering lambdas, methods or class bodies (their jumps are theirs)."""
    out: list[Node] = []
    stack = list(node.named_children)
    while stack:
        child = stack.pop()
        out.append(child)
        if child.type not in _FUNCTIONS and child.type != "class_body":
            stack.extend(child.named_children)
    return out


_JAVA_LOOPS = frozenset({"for_statement", "enhanced_for_statement", "while_statement", "do_statement"})


@register
class JavaJumpInFinally(TreeDetector):
    """return/throw in a finally block (or a break/continue leaving it) overrides the try's outcome."""

    spec = ReturnOrBreakInFinally.spec
    languages = JAVA
    kinds = frozenset({"finally_clause"})

    def visit(self, node: Node, ctx: TreeContext) -> None:
        for child in _body_descendants(node):
            kind = child.type
            if kind in ("return_statement", "throw_statement") or (
                kind in ("break_statement", "continue_statement") and _leaves(child, node)
            ):
                word = kind.removesuffix("_statement")
                ctx.report(self.spec, child, f"'{word}' in a finally block discards the exception or result of the try.")


def _leaves(jump: Node, finally_node: Node) -> bool:
    parent = jump.parent
    while parent is not None and parent.id != finally_node.id:
        if parent.type in _JAVA_LOOPS or (jump.type == "break_statement" and parent.type == "switch_expression"):
            return jump.named_child_count > 0  # a labelled jump may still leave the finally
        parent = parent.parent
    return True


@register
class JavaSelfAssignment(TreeDetector):
    """``x = x`` / ``this.a = this.a``: a no-op, usually a typo (``this.a = a`` meant)."""

    spec = SelfAssignment.spec
    languages = JAVA
    kinds = frozenset({"assignment_expression"})

    def visit(self, node: Node, ctx: TreeContext) -> None:
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        op = node.child_by_field_name("operator")
        if (
            left is None
            or right is None
            or (op is not None and op.type != "=")
            or left.type not in ("identifier", "field_access")
        ):
            return
        text = ctx.text(left)
        if text == ctx.text(right) and "(" not in text and "[" not in text:
            ctx.report(self.spec, node, f"'{text}' is assigned to itself.")


@register
class JavaStringConcatInLoop(TreeDetector):
    """``s += ...`` on a ``String`` inside a loop copies the whole string each time: use a StringBuilder."""

    spec = StringConcatInLoop.spec
    languages = JAVA
    kinds = frozenset({"assignment_expression"})

    def visit(self, node: Node, ctx: TreeContext) -> None:
        if not ctx.loop_depth:
            return
        op, left = node.child_by_field_name("operator"), node.child_by_field_name("left")
        if op is None or op.type != "+=" or left is None or left.type != "identifier":
            return
        name = ctx.text(left)
        if name not in _string_names(ctx.function, ctx.class_, ctx):
            return
        ctx.report(self.spec, node, f"'{name}' grows by string concatenation inside a loop; use a StringBuilder.")
