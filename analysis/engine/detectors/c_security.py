"""Security and bug-risk detectors for C and C++, with input-source evidence (``tree_taint.py``).

Sources: ``argv`` of ``main``, ``getenv``, and buffers filled from outside by ``fgets``,
``gets``, ``scanf``, ``read``, ``recv``, ``getline``... (the call's buffer argument is bound to the
call). A sink reached by a source is a vulnerability with its taint path; without that evidence a
shell command or a copy built at run time is a hotspot:

* ``buffer-overflow``: ``gets`` (always), ``strcpy``/``strcat``/``sprintf``/``vsprintf`` into a
  fixed-size array (declared ``char buf[N]`` in the function or the file);
* ``format-string``: a ``printf``-family format that is not a literal and carries input;
* ``command-injection`` (the Python detector's id): ``system``/``popen``/``exec*`` with a
  command built at run time (``sprintf``/``strcat`` into the buffer, or input);
* ``insecure-random``: ``rand()``/``random()`` for a token, key, password, salt or nonce.

Bug risk: ``switch-fallthrough`` (a case that runs into the next without ``break`` and without a
fallthrough annotation: ``[[fallthrough]]``, ``__attribute__((fallthrough))`` or a comment
saying so) and ``assignment-in-condition`` (``if (x = f())``; doubled parentheses say it is meant).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from analysis.engine.detectors.security import CommandInjection
from analysis.engine.detectors.security_config import InsecureRandom
from analysis.engine.detectors.tree_taint import (
    Binders,
    TaintRules,
    bound_name,
    enclosing,
    flag,
    report_insecure_random,
    step,
    taint,
    value_of,
)
from analysis.engine.model import Category, Kind, Severity
from analysis.engine.registry import DetectorSpec, TreeDetector, register

if TYPE_CHECKING:
    from tree_sitter import Node

    from analysis.engine.languages.context import TreeContext

C_FAMILY = frozenset({"c", "cpp"})
_FUNCTIONS = frozenset({"function_definition", "lambda_expression"})
# calls whose buffer argument (index) receives data from outside the program
_READERS = {
    "fgets": 0,
    "gets": 0,
    "read": 1,
    "recv": 1,
    "recvfrom": 1,
    "fread": 0,
    "getline": 0,
    "scanf": -1,
    "fscanf": -1,
    "sscanf": -1,
}
_INPUT = r"\b(?:getenv|secure_getenv|fgets|gets|scanf|fscanf|read|recv|recvfrom|fread|getline)\s*\("


def _name_of(call: Node, ctx: TreeContext) -> str:
    target = call.child_by_field_name("function")
    if target is None:
        return ""
    text = ctx.text(target)
    return text[5:] if text.startswith("std::") else text.lstrip(":")


def args(call: Node) -> list[Node]:
    node = call.child_by_field_name("arguments")
    return [a for a in node.named_children if a.type != "comment"] if node is not None else []


def _bindings(node: Node, ctx: TreeContext) -> list[tuple[str, Node]]:
    kind = node.type
    if kind == "init_declarator":
        declarator, value = node.child_by_field_name("declarator"), node.child_by_field_name("value")
        while declarator is not None and declarator.type in ("pointer_declarator", "array_declarator", "reference_declarator"):
            declarator = declarator.child_by_field_name("declarator") or (
                declarator.named_child(0) if declarator.named_child_count else None
            )
        if declarator is not None and value is not None and declarator.type == "identifier":
            return [(ctx.text(declarator), value)]
        return []
    if kind == "assignment_expression":
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if left is not None and right is not None and left.type == "identifier":
            return [(ctx.text(left), right)]
        return []
    if kind == "call_expression":
        name = _name_of(node, ctx)
        a = args(node)
        out: list[tuple[str, Node]] = []
        if name in _READERS:
            index = _READERS[name]
            targets = a[1:] if index < 0 else a[index : index + 1]
            out = [(ctx.text(t).lstrip("&"), node) for t in targets if t.type in ("identifier", "pointer_expression")]
        elif name in ("strcpy", "strcat", "strncpy", "strncat", "sprintf", "snprintf", "memcpy") and len(a) >= 2:
            # the destination now holds what was copied or formatted into it
            out = [(ctx.text(a[0]), node)] if a[0].type == "identifier" else []
        return out
    return []


def _parameter_sources(function: Node, ctx: TreeContext) -> list[str]:
    if function.type != "function_definition":
        return []
    declarator = function.child_by_field_name("declarator")
    if declarator is None or not re.match(r"\s*\*?\s*main\s*\(", ctx.text(declarator)):
        return []
    params = re.findall(r"[A-Za-z_]\w*(?=\s*(?:\[\s*\])?\s*[,)])", ctx.text(declarator).split("(", 1)[1])
    return [rf"\b{re.escape(params[1])}\b"] if len(params) >= 2 else []


def _passes_through(call: Node, ctx: TreeContext) -> bool:
    return _name_of(call, ctx) in ("strcpy", "strcat", "strncpy", "strncat", "sprintf", "snprintf", "strdup", "memcpy")


RULES = TaintRules(
    functions=_FUNCTIONS,
    calls=frozenset({"call_expression"}),
    bindings=_bindings,
    parameter_sources=_parameter_sources,
    process_sources=_INPUT,
    passes_through=_passes_through,
)


def _is_literal(node: Node) -> bool:
    return node.type in ("string_literal", "concatenated_string", "raw_string_literal")


def _fixed_buffer(node: Node, ctx: TreeContext) -> str | None:
    """``buf`` when ``node`` names an array declared with a constant size in its function or the
    file (``char buf[64]``)."""
    if node.type != "identifier":
        return None
    name = re.escape(ctx.text(node))
    scope = enclosing(node, _FUNCTIONS)
    for where in (scope, ctx.tree.root_node):
        if where is None:
            continue
        if re.search(rf"\b{name}\s*\[\s*[\w+*() ]+\s*\]\s*(?:[;,=]|$)", ctx.text(where), re.M):
            return ctx.text(node)
    return None


class _CSinks(TreeDetector):
    languages = C_FAMILY
    captures = ("c.sink",)
    names: frozenset[str] = frozenset()

    def match(self, captures: dict[str, list[Node]], ctx: TreeContext) -> None:
        for node in captures.get("c.sink", ()):
            name = _name_of(node, ctx)
            if name in self.names:
                self.check(node, name, ctx)

    def check(self, node: Node, name: str, ctx: TreeContext) -> None:
        raise NotImplementedError


@register
class CBufferOverflow(_CSinks):
    """``gets``, and unbounded copies/formatting into a fixed-size array."""

    spec = DetectorSpec(
        id="buffer-overflow",
        category=Category.SECURITY,
        severity=Severity.HIGH,
        title="Unbounded copy into a fixed-size buffer",
        description="gets, strcpy, strcat, sprintf and vsprintf write as many bytes as the source holds: input "
        "longer than the buffer overwrites the stack or heap next to it. Use fgets, snprintf, strlcpy or a "
        "length-checked copy.",
        cwe="CWE-120",
        effort_minutes=15,
    )
    names = frozenset({"gets", "strcpy", "strcat", "sprintf", "vsprintf", "stpcpy", "wcscpy", "wcscat"})

    def check(self, node: Node, name: str, ctx: TreeContext) -> None:
        a = args(node)
        if name == "gets":
            ctx.report(
                self.spec,
                node,
                "gets() reads a line of any length into its buffer: it cannot be used safely (use fgets).",
                kind=Kind.VULNERABILITY.value,
                confidence=0.95,
                metadata={"sink": "gets"},
            )
            return
        if len(a) < 2:
            return
        buffer = _fixed_buffer(a[0], ctx)
        if buffer is None:
            return
        if name in ("sprintf", "vsprintf"):
            if not _is_literal(a[1]) or len(a) < 3:
                values = a[1:]
            else:
                # only %s copies unbounded text; %d and friends have a bounded width
                if "%s" not in ctx.text(a[1]):
                    return
                values = a[2:]
        else:
            values = a[1:2]
        if all(_is_literal(v) for v in values):
            return
        steps = next((s for s in (taint(RULES, v, ctx, process=True) for v in values) if s is not None), None)
        what = f"{name}() into the fixed-size buffer {buffer}"
        if steps is not None:
            ctx.report(
                self.spec,
                node,
                f"Untrusted input reaches {what} ({steps[0]['note']}, line {steps[0]['line']}).",
                kind=Kind.VULNERABILITY.value,
                taint_path=[*steps, step(ctx, node, f"sink: {what}")],
                confidence=0.8,
                metadata={"sink": name},
            )
        else:
            ctx.report(
                self.spec,
                node,
                f"{what}: nothing bounds the length; use a bounded copy.",
                kind=Kind.HOTSPOT.value,
                confidence=0.3,
                metadata={"sink": name},
            )


# the index of the format argument of each printf-family function
_FORMAT_INDEX = {"printf": 0, "vprintf": 0, "fprintf": 1, "vfprintf": 1, "dprintf": 1, "sprintf": 1, "snprintf": 2, "syslog": 1}


@register
class CFormatString(_CSinks):
    """A printf-family format string that carries input (``printf(argv[1])``)."""

    spec = DetectorSpec(
        id="format-string",
        category=Category.SECURITY,
        severity=Severity.HIGH,
        title="Format string from input",
        description="The format argument of printf and friends interprets %n, %s and %x: input used as the format "
        'reads and writes memory. Pass the input as an argument of a constant format: printf("%s", s).',
        cwe="CWE-134",
        effort_minutes=5,
    )
    names = frozenset(_FORMAT_INDEX)

    def check(self, node: Node, name: str, ctx: TreeContext) -> None:
        a = args(node)
        index = _FORMAT_INDEX[name]
        if len(a) <= index or _is_literal(a[index]):
            return
        flag(RULES, self.spec, ctx, node, a[index], f"the format of {name}()", hotspot=False, process=True)


@register
class CCommandInjection(_CSinks):
    """``system``/``popen``/``execl*`` with a command built at run time or from input."""

    spec = CommandInjection.spec
    names = frozenset({"system", "popen", "execl", "execlp"})

    def check(self, node: Node, name: str, ctx: TreeContext) -> None:
        a = args(node)
        if not a:
            return
        command = a[0]
        if name in ("execl", "execlp"):
            # execl("/bin/sh", "sh", "-c", cmd, NULL): the shell's script
            texts = [ctx.text(x) for x in a]
            if len(a) < 4 or not re.search(r"\bsh\"|bash\"", texts[0]) or texts[2] != '"-c"':
                return
            command = a[3]
        if _is_literal(command):
            return
        value = value_of(RULES, command, ctx) if command.type == "identifier" else None
        built = value is not None and value.type == "call_expression" and _passes_through(value, ctx)
        flag(RULES, self.spec, ctx, node, command, f"{name}()", hotspot=built or command.type != "identifier", process=True)


@register
class CInsecureRandom(_CSinks):
    """``rand()``/``random()`` for a value that must not be guessed."""

    spec = InsecureRandom.spec
    names = frozenset({"rand", "random"})

    def check(self, node: Node, name: str, ctx: TreeContext) -> None:
        report_insecure_random(
            self.spec, ctx, node, f"{name}()", bound_name(_BINDERS, node, ctx), "a CSPRNG (getrandom, arc4random, /dev/urandom)"
        )


def _function_name(node: Node, ctx: TreeContext) -> str:
    function = enclosing(node, _FUNCTIONS)
    declarator = function.child_by_field_name("declarator") if function is not None else None
    return ctx.text(declarator).split("(", 1)[0] if declarator is not None else ""


# where a value ends up (``token = rand()``, ``return`` in ``make_token``)
_BINDERS = Binders(
    names={"init_declarator": "declarator", "assignment_expression": "left"},
    barriers=frozenset({"compound_statement", "expression_statement"}),
    function_name=_function_name,
)


# GCC's -Wimplicit-fallthrough comment forms: the comment starts with it ("falls through", "FALLTHRU")
_FALLTHROUGH = re.compile(
    r"^(?://+|/\*+)?[\s.!*]*(?:else,?\s+|intentional(?:ly)?\s+)?(?:fall(?:s\s+|\s+|-)?thr(?:ough|u)|no\s+break)|^(?://|/\*)\s*@?-?fallthrough",
    re.I,
)
_EXITS = frozenset({"break_statement", "return_statement", "continue_statement", "goto_statement", "throw_statement"})
_NO_RETURN = re.compile(
    r"^(?:abort|exit|_exit|_Exit|quick_exit|longjmp|siglongjmp|__builtin_unreachable|__builtin_trap|std::abort|std::exit|"
    r"std::terminate|std::unreachable|panic|die|fatal|err|errx)\s*\("
    # a macro that throws, returns or aborts (JSON_THROW, RETURN_ERROR, ZSTD_ABORT...)
    r"|^(?=[A-Z])[A-Z0-9_]*(?:THROW|RETURN|ABORT|UNREACHABLE|FATAL|PANIC|EXIT|DIE)[A-Z0-9_]*\s*\("
)
_ANNOTATION = re.compile(r"fall_?through|fallthru", re.I)
_FOREVER = re.compile(r"^(?:while\s*\(\s*(?:true|1)\s*\)|for\s*\(\s*;\s*;\s*\))")


def _ends(node: Node, ctx: TreeContext) -> bool:
    """Does control never leave ``node``'s end (a jump, a call that does not return, an if/else
    whose branches all end)?"""
    kind = node.type
    if kind in _EXITS:
        return True
    if kind == "expression_statement":
        return bool(_NO_RETURN.match(ctx.text(node).strip()))
    if kind == "compound_statement":
        statements = [c for c in node.named_children if c.type != "comment"]
        return bool(statements) and _ends(statements[-1], ctx)
    if kind == "if_statement":
        alternative = node.child_by_field_name("alternative")
        consequence = node.child_by_field_name("consequence")
        if alternative is None or consequence is None:
            return False
        other = alternative.named_child(0) if alternative.type == "else_clause" and alternative.named_child_count else alternative
        return _ends(consequence, ctx) and other is not None and _ends(other, ctx)
    if kind in ("labeled_statement", "attributed_statement"):
        last = node.named_children[-1] if node.named_child_count else None
        return last is not None and _ends(last, ctx)
    if kind in ("while_statement", "for_statement"):
        # for (;;) / while (true) without a break of its own: it leaves by return or throw
        return bool(_FOREVER.match(ctx.text(node))) and not _breaks(node)
    if kind == "switch_statement":
        body = node.child_by_field_name("body")
        cases = [c for c in body.named_children if c.type == "case_statement"] if body is not None else []
        if not any(c.child_by_field_name("value") is None for c in cases):
            return False  # no default: a value matching no case goes on
        for case in cases:
            statements = [c for c in case.named_children if c.type != "comment" and c != case.child_by_field_name("value")]
            if statements and not _ends(statements[-1], ctx):
                return False
        return bool(cases)
    return False


def _breaks(loop: Node) -> bool:
    """Does a ``break`` leave this loop (not one of a nested loop or switch)?"""
    stack = list(loop.named_children)
    while stack:
        node = stack.pop()
        if node.type == "break_statement":
            return True
        if node.type not in ("while_statement", "for_statement", "do_statement", "switch_statement", "for_range_loop"):
            stack.extend(node.named_children)
    return False


@register
class SwitchFallthrough(TreeDetector):
    """A ``case`` with statements that runs into the next label without a fallthrough annotation."""

    spec = DetectorSpec(
        id="switch-fallthrough",
        category=Category.BUG_RISK,
        severity=Severity.MEDIUM,
        title="Switch case falls through",
        description="The case runs on into the next label because it has no break: usually a forgotten break. If "
        "it is meant, say so with [[fallthrough]] (C++17, C23), __attribute__((fallthrough)) or a "
        "/* fallthrough */ comment.",
        cwe="CWE-484",
        effort_minutes=5,
    )
    languages = C_FAMILY
    kinds = frozenset({"case_statement"})

    def visit(self, node: Node, ctx: TreeContext) -> None:
        following = node.next_named_sibling
        comments = []
        while following is not None and following.type == "comment":
            comments.append(following)
            following = following.next_named_sibling
        if following is None or following.type != "case_statement":
            return  # the last label (or a label followed by other code)
        body = [c for c in node.named_children if c.type != "comment" and c != node.child_by_field_name("value")]
        if not body:
            return  # case 1: case 2: shared code
        last = body[-1]
        if _ends(last, ctx):
            return
        if _ANNOTATION.search(ctx.text(last)) or any(_FALLTHROUGH.search(ctx.text(c)) for c in comments):
            return
        trailing = [c for c in node.children if c.type == "comment"]
        if any(_FALLTHROUGH.search(ctx.text(c)) for c in trailing):
            return
        ctx.report(
            self.spec,
            last,
            "This case falls through into the next one: add a break, or mark the fallthrough.",
            confidence=0.7,
        )


@register
class AssignmentInCondition(TreeDetector):
    """``if (x = y)``: an assignment where a comparison is expected."""

    spec = DetectorSpec(
        id="assignment-in-condition",
        category=Category.BUG_RISK,
        severity=Severity.MEDIUM,
        title="Assignment in a condition",
        description="The condition assigns (=) where a comparison (==) was likely meant: the branch depends on the "
        "assigned value. If the assignment is meant, wrap it in a second pair of parentheses or compare the "
        "result explicitly: if ((n = read(...)) > 0).",
        cwe="CWE-481",
        effort_minutes=2,
    )
    languages = C_FAMILY
    kinds = frozenset({"if_statement", "while_statement", "do_statement"})

    def visit(self, node: Node, ctx: TreeContext) -> None:
        condition = node.child_by_field_name("condition")
        if condition is None:
            return
        if condition.type == "condition_clause":  # C++: if (init; cond)
            condition = condition.child_by_field_name("value")
        if condition is not None and condition.type == "parenthesized_expression" and condition.named_child_count == 1:
            condition = condition.named_child(0)
        if condition is None or condition.type != "assignment_expression":
            return
        op = condition.child_by_field_name("operator")
        if op is not None and op.type != "=":
            return
        ctx.report(self.spec, condition, f"'{ctx.text(condition)[:60]}' assigns inside the condition: did you mean ==?")
