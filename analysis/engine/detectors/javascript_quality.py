"""Bug-risk, design, documentation, dead-code and performance detectors for JavaScript and
TypeScript. Checks that exist for Python keep the Python detector's spec (one id per check);
``loose-equality``, ``await-in-loop`` and ``floating-promise`` are JavaScript's own.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from analysis.engine.detectors.bugrisk import (
    BareOrSwallowedExcept,
    DuplicateDictKey,
    InfiniteLoopWithoutExit,
    RedefinedFunction,
    ReturnOrBreakInFinally,
    SelfAssignment,
)
from analysis.engine.detectors.deadcode import UnusedImport
from analysis.engine.detectors.design import MessageChain
from analysis.engine.detectors.docs import MissingDocstring
from analysis.engine.detectors.performance import StringConcatInLoop
from analysis.engine.model import Category, Severity
from analysis.engine.registry import DetectorSpec, TreeDetector, register

if TYPE_CHECKING:
    from tree_sitter import Node

    from analysis.engine.languages.context import TreeContext

JS = frozenset({"javascript", "typescript"})
_FUNCTIONS = frozenset(
    {
        "function_declaration",
        "function_expression",
        "arrow_function",
        "generator_function_declaration",
        "generator_function",
        "method_definition",
    }
)
_LOOPS = frozenset({"for_statement", "for_in_statement", "while_statement", "do_statement"})


class _JsDetector(TreeDetector):
    languages = JS


def _inner(node: Node) -> Node:
    while node.type == "parenthesized_expression" and node.named_child_count:
        child = node.named_child(0)
        if child is None:
            break
        node = child
    return node


def _descendants(node: Node, stop: frozenset[str] = _FUNCTIONS) -> list[Node]:
    """Named descendants of ``node``, not entering nested ``stop`` kinds (functions)."""
    out: list[Node] = []
    stack = list(reversed(node.named_children))
    while stack:
        child = stack.pop()
        out.append(child)
        if child.type not in stop:
            stack.extend(reversed(child.named_children))
    return out


@register
class JsEmptyCatch(_JsDetector):
    """A catch block that does nothing: the error disappears."""

    spec = BareOrSwallowedExcept.spec
    kinds = frozenset({"catch_clause"})

    def visit(self, node: Node, ctx: TreeContext) -> None:
        body = node.child_by_field_name("body")
        if body is None or body.named_child_count:
            return  # statements, or a comment saying why it is empty
        ctx.report(self.spec, node, "The catch block is empty: the error is silently swallowed.", title="Empty catch block")


@register
class JsJumpInFinally(_JsDetector):
    """return/throw/break/continue in a finally block overrides the try's outcome."""

    spec = ReturnOrBreakInFinally.spec
    kinds = frozenset({"finally_clause"})

    def visit(self, node: Node, ctx: TreeContext) -> None:
        for child in _descendants(node):
            kind = child.type
            if kind in ("return_statement", "throw_statement") or (
                kind in ("break_statement", "continue_statement") and _exits_finally(child, node)
            ):
                word = kind.removesuffix("_statement")
                ctx.report(self.spec, child, f"'{word}' in a finally block discards the exception or result of the try.")


def _exits_finally(jump: Node, finally_node: Node) -> bool:
    parent = jump.parent
    while parent is not None and parent.id != finally_node.id:
        if parent.type in _LOOPS or (jump.type == "break_statement" and parent.type == "switch_statement"):
            return jump.named_child_count > 0  # a labelled jump may still leave the finally
        parent = parent.parent
    return True


@register
class JsSelfAssignment(_JsDetector):
    """``x = x`` / ``this.a = this.a``: a no-op, usually a typo."""

    spec = SelfAssignment.spec
    kinds = frozenset({"assignment_expression"})

    def visit(self, node: Node, ctx: TreeContext) -> None:
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if left is None or right is None or left.type not in ("identifier", "member_expression"):
            return
        text = ctx.text(left)
        if text == ctx.text(_inner(right)) and "(" not in text and "[" not in text:
            ctx.report(self.spec, node, f"'{text}' is assigned to itself.")


@register
class JsDuplicateKey(_JsDetector):
    """An object literal that defines the same key twice: the first value is lost."""

    spec = DuplicateDictKey.spec
    kinds = frozenset({"object"})

    def visit(self, node: Node, ctx: TreeContext) -> None:
        seen: dict[str, Node] = {}
        for member in node.named_children:
            key = _object_key(member, ctx)
            if key is None:
                continue
            if key in seen:
                ctx.report(
                    self.spec,
                    member,
                    f"Key '{key}' is defined twice in this object literal; the earlier value (line "
                    f"{seen[key].start_point[0] + 1}) is overwritten.",
                    title="Duplicate key in object literal",
                    metadata={"key": key},
                )
            else:
                seen[key] = member


def _object_key(member: Node, ctx: TreeContext) -> str | None:
    kind = member.type
    if kind == "shorthand_property_identifier":
        return ctx.text(member)
    if kind == "pair":
        key = member.child_by_field_name("key")
    elif kind == "method_definition":
        if any(not c.is_named and c.type in ("get", "set") for c in member.children):
            return None  # a getter and a setter of one property
        key = member.child_by_field_name("name")
    else:
        return None
    if key is None or key.type == "computed_property_name":
        return None
    text = ctx.text(key)
    return text[1:-1] if key.type == "string" else text


@register
class JsRedefinedFunction(_JsDetector):
    """A function declared twice in the same scope: the first declaration is dead."""

    spec = RedefinedFunction.spec
    kinds = frozenset({"program", "statement_block", "class_body"})

    def visit(self, node: Node, ctx: TreeContext) -> None:
        seen: dict[str, Node] = {}
        for child in node.named_children:
            if child.type == "export_statement":
                child = child.child_by_field_name("declaration") or child
            if child.type not in ("function_declaration", "generator_function_declaration", "method_definition"):
                continue
            if child.type == "method_definition" and any(
                not c.is_named and c.type in ("get", "set", "static") for c in child.children
            ):
                continue
            if child.child_by_field_name("body") is None:
                continue  # a TypeScript overload signature
            name_node = child.child_by_field_name("name")
            if name_node is None:
                continue
            name = ctx.text(name_node)
            if name in seen:
                ctx.report(
                    self.spec,
                    child,
                    f"'{name}' is defined again here; the definition on line {seen[name].start_point[0] + 1} is never used.",
                    symbol=ctx.symbol_at(child) if not ctx.in_traversal else ctx.symbol,
                    metadata={"name": name, "first_line": seen[name].start_point[0] + 1},
                )
            seen[name] = child


@register
class JsInfiniteLoop(_JsDetector):
    """``while (true)`` / ``for (;;)`` with no break, return or throw inside."""

    spec = InfiniteLoopWithoutExit.spec
    kinds = frozenset({"while_statement", "for_statement", "do_statement"})

    def visit(self, node: Node, ctx: TreeContext) -> None:
        if node.type == "for_statement":
            if node.child_by_field_name("condition") is not None:
                condition = node.child_by_field_name("condition")
                if condition is not None and ctx.text(condition).strip(" ;") not in ("", "true"):
                    return
        else:
            condition = node.child_by_field_name("condition")
            if condition is None or ctx.text(_inner(condition)).strip("() ") not in ("true", "1"):
                return
        body = node.child_by_field_name("body")
        if body is None:
            return
        for child in _descendants(body):
            if child.type in ("return_statement", "throw_statement", "yield_expression", "await_expression"):
                return
            if child.type == "break_statement" and (child.named_child_count or _breaks_out(child, node)):
                return
            if child.type == "call_expression" and ctx.text(child).startswith("process.exit"):
                return
        ctx.report(self.spec, node, "This loop has no break, return or throw: it never ends.")


def _breaks_out(jump: Node, loop: Node) -> bool:
    parent = jump.parent
    while parent is not None and parent.id != loop.id:
        if parent.type in _LOOPS or parent.type == "switch_statement":
            return False
        parent = parent.parent
    return True


@register
class JsStringConcatInLoop(_JsDetector):
    """``s += "..."`` in a loop builds the string piece by piece; collect parts and join."""

    spec = StringConcatInLoop.spec
    kinds = frozenset({"augmented_assignment_expression"})

    def visit(self, node: Node, ctx: TreeContext) -> None:
        if not ctx.loop_depth:
            return
        op, right = node.child_by_field_name("operator"), node.child_by_field_name("right")
        if op is None or op.type != "+=" or right is None or right.type not in ("string", "template_string"):
            return
        left = node.child_by_field_name("left")
        name = ctx.text(left) if left is not None else "?"
        ctx.report(self.spec, node, f"'{name}' grows by string concatenation inside a loop; push parts to an array and join.")


@register
class JsMessageChain(_JsDetector):
    """``a.b.c.d.e``: reaching through a chain of objects couples the code to all of them."""

    spec = MessageChain.spec
    kinds = frozenset({"member_expression"})
    limit = 0  # the file's threshold (set by ``start_file``)

    def start_file(self, ctx: TreeContext) -> None:
        self.limit = int(ctx.threshold(self.spec, "max_chain"))

    def visit(self, node: Node, ctx: TreeContext) -> None:
        # the members that are the object of another member, met walking down the chains from
        # their outermost member (visited first): only the outermost member of a chain counts
        inner: set[int] | None = ctx.shared.get("js.chain_inner")
        if inner is None:
            inner = ctx.shared["js.chain_inner"] = set()
        elif node.id in inner:
            return
        limit = self.limit
        if ctx.data.count(b".", node.start_byte, node.end_byte) <= limit:
            return  # each member of the chain has its own dot: it cannot be longer (nor its inner ones)
        links = 0
        current: Node | None = node
        while current is not None and current.type in ("member_expression", "call_expression"):
            if current.type == "member_expression":
                links += 1
                current = current.child_by_field_name("object")
                if current is not None and current.type == "member_expression":
                    inner.add(current.id)
            else:
                current = current.child_by_field_name("function")
        if current is not None and current.type == "this":
            links -= 1
        if links > limit:
            ctx.report(
                self.spec,
                node,
                f"A chain of {links} member accesses (limit {limit}).",
                metadata={"length": links, "threshold": limit},
            )


@register
class JsMissingDocComment(_JsDetector):
    """An exported function or class without a ``/** ... */`` doc comment."""

    spec = MissingDocstring.spec
    kinds = frozenset({"export_statement"})

    def visit(self, node: Node, ctx: TreeContext) -> None:
        if ctx.is_test:
            return
        declaration = node.child_by_field_name("declaration")
        if declaration is None or declaration.type not in (
            "function_declaration",
            "class_declaration",
            "abstract_class_declaration",
        ):
            return
        previous = node.prev_sibling
        if previous is not None and previous.type == "comment" and ctx.text(previous).startswith("/**"):
            return
        name_node = declaration.child_by_field_name("name")
        name = ctx.text(name_node) if name_node is not None else "default"
        what = "class" if "class" in declaration.type else "function"
        ctx.report(
            self.spec,
            node,
            f"Exported {what} '{name}' has no doc comment.",
            title="Missing doc comment",
            code=ctx.lines[node.start_point[0]].strip(),
            metadata={"name": name, "kind": what},
        )


_JSDOC_TYPE = re.compile(r"@\w+[^{\n]*?\{([^}\n]*)\}|\{@link\s+([\w.]+)")
_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*")


def _jsdoc_type_names(lines: list[str]) -> set[str]:
    """Identifiers inside JSDoc type expressions and ``{@link}`` references of comment lines."""
    names: set[str] = set()
    for line in lines:
        if "@" not in line or "{" not in line:
            continue
        for match in _JSDOC_TYPE.finditer(line):
            for group in match.groups():
                if group:
                    names.update(_IDENTIFIER.findall(group))
    return names


@register
class JsUnusedImport(_JsDetector):
    """An imported binding the file never uses (what ``tsc --noUnusedLocals`` reports)."""

    spec = UnusedImport.spec
    kinds = frozenset({"jsx_element", "jsx_self_closing_element", "jsx_fragment"})

    def visit(self, node: Node, ctx: TreeContext) -> None:
        ctx.shared["jsx"] = True

    def end_file(self, ctx: TreeContext) -> None:
        if ctx.facts is None:
            return
        used = set(ctx.facts.names_used)
        jsdoc: set[str] | None = None
        for imp in ctx.facts.imports:
            if imp.kind not in ("import", "type") or imp.in_function:
                continue
            binding = imp.alias or (imp.names[0] if imp.names and imp.names[0] != "*" else None)
            if not binding or binding in used:
                continue
            if jsdoc is None:
                jsdoc = _jsdoc_type_names(ctx.lines)
            if binding in jsdoc:
                continue  # a type-only use in a JSDoc comment (`@type {?Collection}`, `@implements {Scene}`)
            if binding == "React" and ctx.shared.get("jsx"):
                continue  # the classic JSX runtime uses React implicitly
            shown = f"{imp.names[0]} as {binding}" if imp.names and imp.alias else binding
            ctx.report(
                self.spec,
                None,
                f"'{shown}' imported from '{imp.specifier}' but unused.",
                line=imp.line,
                metadata={"name": binding, "module": imp.specifier},
                code=f"import {binding} from {imp.specifier}",
            )


# --- JavaScript's own checks ----------------------------------------------------------------------
_COERCING_LITERALS = frozenset({"true", "false", '""', "''", '"0"', "'0'", "``", "NaN"})
_STYLE_CONFIDENCE = 0.3


@register
class LooseEquality(_JsDetector):
    """``==``/``!=`` coerce their operands (``0 == ""``, ``"1" == 1``): use ``===``/``!==``.
    Comparisons with ``null``/``undefined`` (the idiom for both) and of ``typeof`` are allowed."""

    spec = DetectorSpec(
        id="loose-equality",
        category=Category.BUG_RISK,
        severity=Severity.LOW,
        title="Loose equality",
        description="== and != convert their operands before comparing (0 == '', '1' == 1, [] == false); use "
        "=== and !==. Comparing with null to test for null or undefined at once is allowed.",
        effort_minutes=2,
    )
    kinds = frozenset({"binary_expression"})

    def visit(self, node: Node, ctx: TreeContext) -> None:
        op = node.child_by_field_name("operator")
        if op is None or op.type not in ("==", "!="):
            return
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if left is None or right is None:
            return
        texts = {ctx.text(left), ctx.text(right)}
        if texts & {"null", "undefined"} or left.type == "unary_expression" and ctx.text(left).startswith("typeof"):
            return
        if right.type == "unary_expression" and ctx.text(right).startswith("typeof"):
            return
        if left.type in ("string", "number") and right.type in ("string", "number"):
            return
        strict = "===" if op.type == "==" else "!=="
        # coercion bites with the operands it converts surprisingly ('' == 0, '0' == false,
        # [] == false); against another literal or between two objects '==' is mostly a style nit
        hazard = bool(texts & _COERCING_LITERALS) or left.type in ("array", "object") or right.type in ("array", "object")
        ctx.report(
            self.spec,
            node,
            f"'{op.type}' compares with type coercion; use '{strict}'.",
            confidence=1.0 if hazard else _STYLE_CONFIDENCE,
            metadata={"operator": op.type, "coercion_hazard": hazard},
        )


@register
class AwaitInLoop(_JsDetector):
    """``await`` inside a loop runs the iterations one after another."""

    spec = DetectorSpec(
        id="await-in-loop",
        category=Category.PERFORMANCE,
        severity=Severity.LOW,
        title="await in a loop",
        description="Each iteration waits for the previous one; when the iterations are independent, start them "
        "all and await Promise.all(...) instead.",
        effort_minutes=10,
    )
    kinds = frozenset({"await_expression"})

    def visit(self, node: Node, ctx: TreeContext) -> None:
        if not ctx.loop_depth:
            return
        parent = node.parent
        while parent is not None and parent.type not in _LOOPS and parent.type not in _FUNCTIONS:
            parent = parent.parent
        if parent is not None and parent.type == "for_in_statement" and ctx.text(parent).startswith("for await"):
            return  # the loop is asynchronous by design
        ctx.report(self.spec, node, "await inside a loop serialises the iterations; consider Promise.all.")


@register
class FloatingPromise(_JsDetector):
    """A call to an async function of the same file whose promise is dropped (not awaited,
    returned, chained or voided): its errors go unhandled."""

    spec = DetectorSpec(
        id="floating-promise",
        category=Category.BUG_RISK,
        severity=Severity.MEDIUM,
        title="Floating promise",
        description="The promise returned by this async call is neither awaited, returned, chained with "
        ".then/.catch nor explicitly voided: a rejection becomes an unhandled rejection and the caller "
        "does not wait for the work. Only calls of async functions defined in the same file are checked.",
        effort_minutes=5,
    )
    kinds = frozenset({"expression_statement"})

    def start_file(self, ctx: TreeContext) -> None:
        # an async function has the keyword in its text: a file without it has none to drop
        ctx.shared["floating.async"] = b"async" in ctx.data

    def visit(self, node: Node, ctx: TreeContext) -> None:
        if not ctx.shared.get("floating.async", True):
            return
        expr = node.named_child(0)
        if expr is None or expr.type != "call_expression":
            return
        fn = expr.child_by_field_name("function")
        if fn is None:
            return
        if fn.type == "identifier":
            name = ctx.text(fn)
        elif fn.type == "member_expression":
            obj, prop = fn.child_by_field_name("object"), fn.child_by_field_name("property")
            if obj is None or prop is None or obj.type != "this":
                return
            name = ctx.text(prop)
        else:
            return
        ctx.shared.setdefault("dropped_calls", []).append((name, expr))

    def end_file(self, ctx: TreeContext) -> None:
        calls = ctx.shared.get("dropped_calls")
        if not calls or ctx.facts is None:
            return
        async_names = {d.name for d in ctx.facts.definitions if d.is_async}
        for name, expr in calls:
            if name in async_names:
                ctx.report(
                    self.spec,
                    expr,
                    f"The promise of async '{name}()' is dropped; await it, return it, or mark it with void.",
                    metadata={"callee": name},
                )
