"""Bug-risk and performance detectors for Go: ``ignored-error`` (a call returning an ``error`` used
as a bare statement), ``defer-in-loop``, and with the Python detectors' ids self-assignment and
string concatenation in a loop. Unreachable code after ``return``/``break``/``continue``/``goto``
comes from the generic ``unreachable-code`` (``tree_quality.py``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from analysis.engine.detectors.bugrisk import SelfAssignment
from analysis.engine.detectors.go_security import callee
from analysis.engine.detectors.performance import StringConcatInLoop
from analysis.engine.model import Category, Severity
from analysis.engine.registry import DetectorSpec, TreeDetector, register

if TYPE_CHECKING:
    from tree_sitter import Node

    from analysis.engine.languages.context import TreeContext

GO = frozenset({"go"})
# standard-library functions returning an error that is easy to drop by accident (fmt.Print*,
# and Close/Write on a writer, are left out, as errcheck's defaults do)
_STDLIB_ERRORS = frozenset(
    {
        "os.Remove",
        "os.RemoveAll",
        "os.Mkdir",
        "os.MkdirAll",
        "os.Rename",
        "os.Setenv",
        "os.Unsetenv",
        "os.Chdir",
        "os.Chmod",
        "os.Chown",
        "os.WriteFile",
        "os.Symlink",
        "os.Link",
        "os.Truncate",
        "encoding/json.Unmarshal",
        "encoding/xml.Unmarshal",
        "io.Copy",
        "io.CopyN",
        "io.ReadFull",
        "io.WriteString",
        "net/http.ListenAndServe",
        "net/http.ListenAndServeTLS",
        "io/ioutil.WriteFile",
        "syscall.Kill",
    }
)
# methods whose error result is the only news of a failure (database/sql, encoders, templates)
_ERROR_METHODS = frozenset(
    {"Commit", "Scan", "Decode", "Encode", "Exec", "ExecContext", "Execute", "ExecuteTemplate", "Shutdown"}
)


def _returns_error(node: Node, ctx: TreeContext) -> bool:
    """Does the declaration's result (``error``, ``(T, error)``, ``(n int, err error)``) end in an error?"""
    result = node.child_by_field_name("result")
    if result is None:
        return False
    if result.type != "parameter_list":
        return ctx.text(result) == "error"
    last = result.named_children[-1] if result.named_child_count else None
    kind = last.child_by_field_name("type") if last is not None else None
    return kind is not None and ctx.text(kind) == "error"


@register
class IgnoredError(TreeDetector):
    """A call that returns an ``error`` used as a statement: the failure goes unnoticed."""

    spec = DetectorSpec(
        id="ignored-error",
        category=Category.BUG_RISK,
        severity=Severity.MEDIUM,
        title="Error result ignored",
        description="The call returns an error and the code drops it: a failed write, rename or commit goes "
        "unnoticed and the program continues on a wrong assumption. Handle the error, or assign it to _ to "
        "say it is ignored on purpose.",
        cwe="CWE-252",
        effort_minutes=5,
    )
    languages = GO
    kinds = frozenset({"expression_statement"})

    def start_file(self, ctx: TreeContext) -> None:
        functions: set[str] = set()
        methods: set[str] = set()
        for child in ctx.tree.root_node.named_children:
            if child.type in ("function_declaration", "method_declaration") and _returns_error(child, ctx):
                name = child.child_by_field_name("name")
                if name is not None:
                    (methods if child.type == "method_declaration" else functions).add(ctx.text(name))
        ctx.shared["go_error_functions"] = functions
        ctx.shared["go_error_methods"] = methods

    def visit(self, node: Node, ctx: TreeContext) -> None:
        call = node.named_child(0)
        if call is None or call.type != "call_expression":
            return
        target = call.child_by_field_name("function")
        if target is None:
            return
        name = callee(call, ctx)
        written = ctx.text(target)
        if target.type == "identifier":
            hit = written in ctx.shared["go_error_functions"]
        elif target.type == "selector_expression":
            head, _, method = written.rpartition(".")
            if head in ctx.imports:  # pkg.F: a package function
                hit = name in _STDLIB_ERRORS
            else:
                hit = method in ctx.shared["go_error_methods"] or method in _ERROR_METHODS
        else:
            hit = False
        if not hit:
            return
        ctx.report(
            self.spec,
            node,
            f"The error returned by {written}() is ignored.",
            metadata={"call": name},
        )


@register
class DeferInLoop(TreeDetector):
    """``defer`` inside a loop: nothing runs until the function returns (files stay open)."""

    spec = DetectorSpec(
        id="defer-in-loop",
        category=Category.BUG_RISK,
        severity=Severity.MEDIUM,
        title="defer inside a loop",
        description="Deferred calls run when the function returns, not at the end of the iteration: a loop that "
        "opens a file or takes a lock per iteration keeps every one until then. Move the body into a function, "
        "or release explicitly.",
        cwe="CWE-404",
        effort_minutes=10,
    )
    languages = GO
    kinds = frozenset({"defer_statement"})

    def visit(self, node: Node, ctx: TreeContext) -> None:
        if ctx.loop_depth <= 0 or ctx.function is None:
            return
        ctx.report(self.spec, node, "defer in a loop runs only when the function returns, not each iteration.")


def _string_vars(function: Node, ctx: TreeContext) -> set[str]:
    """Variables of the function declared as strings: ``var s string``, ``s := ""``, ``s := "..." + x``."""
    cache: dict[int, set[str]] = ctx.shared.setdefault("go_strings", {})
    found = cache.get(function.id)
    if found is None:
        text = ctx.text(function)
        found = set(re.findall(r"\bvar\s+(\w+)\s+string\b", text))
        found.update(re.findall(r"\b(\w+)\s*:=\s*[\"`]", text))
        cache[function.id] = found
    return found


@register
class GoStringConcatInLoop(TreeDetector):
    """``s += ...`` on a string inside a loop copies the whole string each time: use strings.Builder."""

    spec = StringConcatInLoop.spec
    languages = GO
    kinds = frozenset({"assignment_statement"})

    def visit(self, node: Node, ctx: TreeContext) -> None:
        if not ctx.loop_depth or ctx.function is None:
            return
        op = node.child_by_field_name("operator")
        left = node.child_by_field_name("left")
        if op is None or op.type != "+=" or left is None or left.named_child_count != 1:
            return
        name = ctx.text(left)
        if name not in _string_vars(ctx.function, ctx):
            return
        ctx.report(self.spec, node, f"'{name}' grows by string concatenation inside a loop; use a strings.Builder.")


@register
class GoSelfAssignment(TreeDetector):
    """``x = x`` / ``s.f = s.f``: a no-op, usually a typo."""

    spec = SelfAssignment.spec
    languages = GO
    kinds = frozenset({"assignment_statement"})

    def visit(self, node: Node, ctx: TreeContext) -> None:
        op = node.child_by_field_name("operator")
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if op is None or op.type != "=" or left is None or right is None:
            return
        text = ctx.text(left)
        if text == ctx.text(right) and text != "_" and "(" not in text and "[" not in text:
            ctx.report(self.spec, node, f"'{text}' is assigned to itself.")
