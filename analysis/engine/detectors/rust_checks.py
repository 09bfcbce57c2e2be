"""Security and bug-risk detectors for Rust, with input-source evidence (``tree_taint.py``).

Sources: the parameters web frameworks bind from the request (actix-web and axum ``Query``,
``Path``, ``Form``, ``Json``, ``HttpRequest``...), and for a shell command the process's own
input (``env::args``, ``env::var``, ``stdin``).

* ``unsafe-block``: each ``unsafe { ... }`` is a hotspot: the compiler no longer checks memory
  safety inside it;
* ``command-injection`` (the Python detector's id): ``Command::new("sh").arg("-c").arg(script)``
  (or ``.args(["-c", script])``, ``cmd``/``/C`` on Windows) with a script built at run time
  (``format!``, ``+``) is a hotspot, a vulnerability when input reaches it; a program name from
  input is a vulnerability;
* ``insecure-tls``: ``danger_accept_invalid_certs(true)`` / ``danger_accept_invalid_hostnames(true)``;
* ``unwrap-in-library``: ``unwrap()``/``expect()`` in library code (not ``main.rs``, ``src/bin``,
  tests, examples, benches, build scripts or ``#[cfg(test)]``): one finding per function with
  the count; ``[detectors.unwrap-in-library] include_binaries = true`` reports binaries too;
* ``panic-in-drop``: ``panic!``, ``unwrap()``, ``expect()``, ``unreachable!``... in ``Drop::drop``
  (a panic while unwinding aborts the process), outside tests and outside an
  ``if !std::thread::panicking()`` guard.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from analysis.engine.detectors.security import CommandInjection
from analysis.engine.detectors.security_config import InsecureTls
from analysis.engine.detectors.tree_taint import TaintRules, enclosing, flag, value_of
from analysis.engine.model import Category, Kind, Severity
from analysis.engine.registry import DetectorSpec, TreeDetector, register

if TYPE_CHECKING:
    from tree_sitter import Node

    from analysis.engine.languages.context import TreeContext

RUST = frozenset({"rust"})
_FUNCTIONS = frozenset({"function_item", "closure_expression"})
_EXTRACTORS = re.compile(
    r"^(?:&\s*)?(?:(?:actix_web::)?web::|axum::extract::)?(?:Query|Path|Form|Json|HttpRequest|Multipart|Bytes|RawQuery|TypedHeader)\b"
)


def _bindings(node: Node, ctx: TreeContext) -> list[tuple[str, Node]]:
    kind = node.type
    if kind == "let_declaration":
        pattern, value = node.child_by_field_name("pattern"), node.child_by_field_name("value")
        if pattern is None or value is None:
            return []
        if pattern.type == "mut_pattern" and pattern.named_child_count:
            pattern = pattern.named_child(0)
        return [(ctx.text(pattern), value)] if pattern is not None and pattern.type == "identifier" else []
    if kind in ("assignment_expression", "compound_assignment_expr"):
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if left is not None and right is not None and left.type == "identifier":
            return [(ctx.text(left), right)]
    if kind == "for_expression":
        pattern, value = node.child_by_field_name("pattern"), node.child_by_field_name("value")
        if pattern is not None and value is not None and pattern.type == "identifier":
            return [(ctx.text(pattern), value)]
    return []


def _parameter_sources(function: Node, ctx: TreeContext) -> list[str]:
    params = function.child_by_field_name("parameters")
    out = []
    for param in params.named_children if params is not None else []:
        if param.type != "parameter":
            continue
        kind = param.child_by_field_name("type")
        pattern = param.child_by_field_name("pattern")
        if kind is None or pattern is None or not _EXTRACTORS.match(ctx.text(kind)):
            continue
        # q: Query<T> binds q; Path(id): Path<String> binds id
        for word in re.findall(r"[A-Za-z_]\w*", ctx.text(pattern)):
            if word not in ("mut", "ref") and not word[0].isupper():
                out.append(rf"(?<![\w.]){re.escape(word)}\b")
    return out


def _passes_through(call: Node, ctx: TreeContext) -> bool:
    target = call.child_by_field_name("function")
    name = ctx.text(target).rsplit(".", 1)[-1].rsplit("::", 1)[-1] if target is not None else ""
    return name in (
        "to_string",
        "to_owned",
        "clone",
        "trim",
        "as_str",
        "into",
        "join",
        "concat",
        "replace",
        "to_lowercase",
        "unwrap",
    )


RULES = TaintRules(
    functions=_FUNCTIONS,
    calls=frozenset({"call_expression"}),
    bindings=_bindings,
    parameter_sources=_parameter_sources,
    process_sources=r"\benv::args\b|\benv::args_os\b|\benv::var(?:_os)?\s*\(|\bstdin\s*\(\s*\)",
    passes_through=_passes_through,
)


def args(call: Node) -> list[Node]:
    node = call.child_by_field_name("arguments")
    return [a for a in node.named_children if "comment" not in a.type] if node is not None else []


def _method(call: Node, ctx: TreeContext) -> str:
    target = call.child_by_field_name("function")
    if target is None or target.type != "field_expression":
        return ""
    field = target.child_by_field_name("field")
    return ctx.text(field) if field is not None else ""


def _unquote(node: Node, ctx: TreeContext) -> str | None:
    while node.type == "reference_expression" and node.named_child_count:
        node = node.named_children[-1]
    if node.type not in ("string_literal", "raw_string_literal"):
        return None
    text = ctx.text(node)
    return text[text.index('"') + 1 : text.rindex('"')] if text.count('"') >= 2 else None


def built(node: Node, ctx: TreeContext) -> bool:
    """A string assembled at run time: ``format!``, ``+``, ``concat``/``join``/``push_str``."""
    while node.type == "reference_expression" and node.named_child_count:
        node = node.named_children[-1]
    if node.type == "identifier":
        value = value_of(RULES, node, ctx)
        if value is None:
            return False
        node = value
    if node.type == "macro_invocation":
        macro = node.child_by_field_name("macro")
        return macro is not None and ctx.text(macro) == "format"
    if node.type == "binary_expression":
        return any(c.type not in ("string_literal", "raw_string_literal") for c in node.named_children)
    return node.type == "call_expression" and _method(node, ctx) in ("concat", "join", "replace")


_SHELLS = frozenset({"sh", "bash", "zsh", "/bin/sh", "/bin/bash", "/usr/bin/bash", "cmd", "cmd.exe", "powershell", "pwsh"})
_SCRIPT_FLAGS = frozenset({"-c", "/C", "/c", "-Command"})


def _chained_args(new_call: Node, ctx: TreeContext) -> list[Node]:
    """The arguments given to ``.arg``/``.args`` on the command, in order: chained on
    ``Command::new(...)`` or on the variable it was bound to (``let mut cmd = Command::new(..)``)."""
    out: list[Node] = []
    node = new_call
    while node.parent is not None and node.parent.type == "field_expression" and node.parent.parent is not None:
        call = node.parent.parent
        if call.type != "call_expression":
            break
        method = _method(call, ctx)
        if method == "arg":
            out.extend(args(call)[:1])
        elif method == "args":
            for a in args(call)[:1]:
                out.extend(a.named_children if a.type in ("array_expression", "reference_expression") else [a])
        node = call
    declaration = node.parent
    if declaration is not None and declaration.type == "let_declaration":
        pattern = declaration.child_by_field_name("pattern")
        name = ctx.text(pattern).replace("mut ", "").strip() if pattern is not None else ""
        scope = enclosing(new_call, _FUNCTIONS)
        for call in _calls_on(name, scope, ctx) if scope is not None and name else []:
            method = _method(call, ctx)
            if method == "arg":
                out.extend(args(call)[:1])
            elif method == "args":
                for a in args(call)[:1]:
                    inner = a.named_children[-1] if a.type == "reference_expression" and a.named_child_count else a
                    out.extend(inner.named_children if inner.type == "array_expression" else [inner])
    return [a.named_children[-1] if a.type == "reference_expression" and a.named_child_count else a for a in out]


def _calls_on(name: str, scope: Node, ctx: TreeContext) -> list[Node]:
    """Method calls on the variable ``name`` in ``scope``, in source order (``cmd.arg(x)``)."""
    out = []
    stack = [scope]
    while stack:
        node = stack.pop()
        if node.type == "call_expression":
            target = node.child_by_field_name("function")
            inner = target
            while inner is not None and inner.type == "field_expression":
                value = inner.child_by_field_name("value")
                if value is not None and value.type == "identifier" and ctx.text(value) == name:
                    out.append(node)
                    break
                inner = value.child_by_field_name("function") if value is not None and value.type == "call_expression" else None
        stack.extend(node.named_children)
    return sorted(out, key=lambda n: n.start_byte)


@register
class RustCommandInjection(TreeDetector):
    """A shell script built at run time or from input: ``Command::new("sh").arg("-c").arg(s)``."""

    spec = CommandInjection.spec
    languages = RUST
    captures = ("rust.sink",)

    def match(self, captures: dict[str, list[Node]], ctx: TreeContext) -> None:
        if "rust.sink.path" not in captures:
            return
        for node in captures.get("rust.sink", ()):
            a = args(node)
            if not a:
                return
            program = _unquote(a[0], ctx)
            if program is None:
                flag(RULES, self.spec, ctx, node, a[0], "Command::new program", hotspot=False)
                return
            if program.rsplit("/", 1)[-1] not in _SHELLS and program not in _SHELLS:
                return
            given = _chained_args(node, ctx)
            texts = [_unquote(g, ctx) for g in given]
            for i, text in enumerate(texts[:-1]):
                if text in _SCRIPT_FLAGS:
                    script = given[i + 1]
                    if texts[i + 1] is not None:
                        return  # a constant script
                    flag(
                        RULES,
                        self.spec,
                        ctx,
                        node,
                        script,
                        f'Command::new("{program}") -c',
                        hotspot=built(script, ctx),
                        process=True,
                    )
                    return


@register
class RustInsecureTls(TreeDetector):
    """``danger_accept_invalid_certs(true)``: TLS certificates (or host names) are not checked."""

    spec = InsecureTls.spec
    languages = RUST
    captures = ("rust.sink",)

    def match(self, captures: dict[str, list[Node]], ctx: TreeContext) -> None:
        for node in captures.get("rust.sink", ()):
            method = _method(node, ctx)
            if not method.startswith("danger_accept_invalid"):
                continue
            a = args(node)
            if a and ctx.text(a[0]) == "true":
                what = "certificates" if method.endswith("certs") else "host names"
                target = node.child_by_field_name("function")
                field = target.child_by_field_name("field") if target is not None else None
                ctx.report(
                    self.spec,
                    field or node,
                    f"{method}(true) accepts any TLS {what}: the connection can be intercepted.",
                    kind=Kind.VULNERABILITY.value,
                    confidence=0.9,
                )


@register
class UnsafeBlock(TreeDetector):
    """Each ``unsafe`` block: memory safety is the author's to prove there."""

    spec = DetectorSpec(
        id="unsafe-block",
        category=Category.SECURITY,
        severity=Severity.LOW,
        title="unsafe block",
        description="Inside unsafe the compiler no longer checks raw pointer dereferences, unchecked indexing, "
        "FFI calls or aliasing: a mistake there is undefined behaviour (memory corruption). Keep unsafe blocks "
        "small, document the invariant (// SAFETY: ...) and wrap them in a safe API.",
        cwe="CWE-119",
        effort_minutes=15,
    )
    languages = RUST
    kinds = frozenset({"unsafe_block"})

    def visit(self, node: Node, ctx: TreeContext) -> None:
        previous = node.parent.prev_named_sibling if node.parent is not None else None
        documented = previous is not None and "comment" in previous.type and "SAFETY" in ctx.text(previous).upper()
        ctx.report(
            self.spec,
            node,
            "unsafe block: review the invariant it relies on" + (" (documented)." if documented else " (no // SAFETY: comment)."),
            kind=Kind.HOTSPOT.value,
            confidence=0.3 if documented else 0.5,
            line=node.start_point[0] + 1,
            metadata={"documented": documented},
        )


_NOT_LIBRARY = re.compile(r"(?:^|/)(?:tests|examples|benches|src/bin)/|(?:^|/)(?:main|build)\.rs$")


def _in_test(node: Node, ctx: TreeContext) -> bool:
    """Inside a ``#[test]`` function or a ``#[cfg(test)]`` module."""
    current = node.parent
    while current is not None:
        if current.type in ("function_item", "mod_item"):
            attribute = current.prev_named_sibling
            while attribute is not None and attribute.type in ("attribute_item", "line_comment", "block_comment"):
                text = ctx.text(attribute)
                if attribute.type == "attribute_item" and re.search(r"\btest\b", text):
                    return True
                attribute = attribute.prev_named_sibling
        current = current.parent
    return False


@register
class UnwrapInLibrary(TreeDetector):
    """``unwrap()``/``expect()`` in library code: a panic where the caller could have handled an error."""

    spec = DetectorSpec(
        id="unwrap-in-library",
        category=Category.BUG_RISK,
        severity=Severity.LOW,
        title="unwrap()/expect() in library code",
        description="unwrap() and expect() panic on None or Err: in a library that takes the decision away from the "
        "caller and can bring down their program. Return a Result (the ? operator) or handle the case; keep "
        "unwrap for invariants the code proves, with a comment.",
        cwe="CWE-248",
        effort_minutes=10,
        thresholds={"include_binaries": False},
    )
    languages = RUST
    captures = ("rust.sink",)

    def match(self, captures: dict[str, list[Node]], ctx: TreeContext) -> None:
        if ctx.is_test or (_NOT_LIBRARY.search(ctx.path) and not ctx.threshold(self.spec, "include_binaries")):
            return
        per_function: dict[int, list[Node]] = ctx.shared.setdefault("unwraps", {})
        for node in captures.get("rust.sink", ()):
            if _method(node, ctx) not in ("unwrap", "expect"):
                continue
            function = enclosing(node, frozenset({"function_item"}))
            if function is None or _in_test(node, ctx):
                continue
            target = node.child_by_field_name("function")
            field = target.child_by_field_name("field") if target is not None else None
            per_function.setdefault(function.id, []).append(field or node)

    def end_file(self, ctx: TreeContext) -> None:
        for calls in ctx.shared.get("unwraps", {}).values():
            first = calls[0]
            n = len(calls)
            ctx.report(
                self.spec,
                first,
                f"{n} unwrap()/expect() call{'s' if n > 1 else ''} in this function panic instead of returning the error.",
                line=first.start_point[0] + 1,
                confidence=0.5,
                metadata={"count": n},
            )


_PANIC_MACROS = frozenset({"panic", "unreachable", "todo", "unimplemented", "assert", "assert_eq", "assert_ne"})


def _panic_name(node: Node, ctx: TreeContext) -> str:
    if node.type == "macro_invocation":
        macro = node.child_by_field_name("macro")
        return f"{ctx.text(macro)}!" if macro is not None else "panic!"
    return f"{ctx.text(node)}()" if node.type == "field_identifier" else f"{_method(node, ctx)}()"


def _first_panic(body: Node, ctx: TreeContext) -> Node | None:
    """The first ``panic!``-like macro or ``unwrap()``/``expect()`` call in ``body`` (closures,
    nested functions and the branch of ``if !std::thread::panicking()`` excluded: a panic there
    cannot happen during unwinding)."""
    stack = [body]
    found: list[Node] = []
    while stack:
        node = stack.pop()
        if node.type == "if_expression":
            condition = node.child_by_field_name("condition")
            if condition is not None and re.fullmatch(r"!\s*(?:std::)?thread::panicking\(\)", ctx.text(condition).strip()):
                alternative = node.child_by_field_name("alternative")
                stack.extend([alternative] if alternative is not None else [])
                continue
        if node.type == "macro_invocation":
            macro = node.child_by_field_name("macro")
            if macro is not None and ctx.text(macro) in _PANIC_MACROS:
                found.append(node)
        elif node.type == "call_expression" and _method(node, ctx) in ("unwrap", "expect"):
            target = node.child_by_field_name("function")
            found.append(target.child_by_field_name("field") or node if target is not None else node)
        if node.type not in ("closure_expression", "function_item"):
            stack.extend(node.named_children)
    return min(found, key=lambda n: n.start_byte) if found else None


@register
class PanicInDrop(TreeDetector):
    """A panic in ``Drop::drop``: during unwinding it aborts the process."""

    spec = DetectorSpec(
        id="panic-in-drop",
        category=Category.BUG_RISK,
        severity=Severity.MEDIUM,
        title="Panic in Drop",
        description="drop() runs while a panic unwinds the stack too: a second panic then aborts the whole process, "
        "and a panicking destructor leaks what it had left to release. Log or ignore the error in drop(), or offer "
        "an explicit close() that returns a Result.",
        cwe="CWE-248",
        effort_minutes=10,
    )
    languages = RUST
    kinds = frozenset({"function_item"})

    def visit(self, node: Node, ctx: TreeContext) -> None:
        name = node.child_by_field_name("name")
        if name is None or ctx.text(name) != "drop" or ctx.is_test or _in_test(node, ctx):
            return  # tests panic in drop on purpose
        owner = node.parent.parent if node.parent is not None else None
        trait = owner.child_by_field_name("trait") if owner is not None and owner.type == "impl_item" else None
        if trait is None or ctx.text(trait).rsplit("::", 1)[-1] != "Drop":
            return
        body = node.child_by_field_name("body")
        culprit = _first_panic(body, ctx) if body is not None else None
        if culprit is None:
            return
        ctx.report(
            self.spec,
            culprit,
            f"drop() can panic ({_panic_name(culprit, ctx)}): a panic during unwinding aborts the process.",
            confidence=0.7,
        )
