"""Input-source evidence for the security detectors of Go, Java, C/C++, Rust and C#
(``go_security.py``, ``java_security.py``, ``c_security.py``, ``rust_checks.py``,
``csharp_security.py``): the same backwards search as the JavaScript one, driven by a small table
per language.

A sink's argument is **tainted** when its text holds an untrusted source — a member of the
request parameter of the enclosing function (``r.FormValue`` for a ``*http.Request r``,
``request.getParameter`` for an ``HttpServletRequest request``), a parameter bound from the
request (Spring's ``@RequestParam``...), or a process-wide source (``os.Args``) — or names a
variable that was assigned a tainted value earlier in the same function (up to four steps). What a
call returns is not its argument unless the call passes strings through (formatting, trimming,
joining paths). Only searched when a sink is met.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from analysis.engine.detectors.security_config import _SECURITY_NAME
from analysis.engine.model import Kind

if TYPE_CHECKING:
    from tree_sitter import Node

    from analysis.engine.languages.context import TreeContext
    from analysis.engine.spec import DetectorSpec

_WORD = re.compile(r"(?<![\w$.])[A-Za-z_$][\w$]*")
_MAX_DEPTH = 4


@dataclass(frozen=True)
class TaintRules:
    """What taint needs to know about a language."""

    functions: frozenset[str]  # function node kinds (a binding scope)
    calls: frozenset[str]  # call node kinds
    # (name, value) pairs bound by a node (declarations, assignments, range/for-each), [] if none
    bindings: Callable[[Node, TreeContext], list[tuple[str, Node]]]
    # regex alternatives for the untrusted members of a function's parameters
    # (``r\.(?:FormValue|URL)\b``), from its parameter list
    parameter_sources: Callable[[Node, TreeContext], list[str]]
    # regex of process-wide sources (``\bos\.Args\b``): the person running a command line tool
    # controls them, so they count only for sinks that cross a boundary (a shell, SQL)
    process_sources: str
    # does a call's result still carry its (tainted) argument? (fmt.Sprintf, String.format...)
    passes_through: Callable[[Node, TreeContext], bool]


def step(ctx: TreeContext, node: Node, note: str) -> dict[str, Any]:
    return {"path": ctx.path, "line": node.start_point[0] + 1, "note": note}


def _scope(rules: TaintRules, node: Node) -> Node:
    parent = node.parent
    while parent is not None and parent.type not in rules.functions:
        node, parent = parent, parent.parent
    return parent if parent is not None else node


def enclosing(node: Node, kinds: frozenset[str]) -> Node | None:
    """The innermost ancestor of ``node`` of one of ``kinds`` (query matches run after the walk:
    ``ctx.function`` is not set then)."""
    parent = node.parent
    while parent is not None and parent.type not in kinds:
        parent = parent.parent
    return parent


@dataclass(frozen=True)
class Binders:
    """Where a value ends up, per grammar (``bound_name``)."""

    # binder node kind -> the field holding the name it binds ("" = its first named child); every
    # child of the field counts, joined by a space (Go's ``var a, b = f()`` -> "a b")
    names: Mapping[str, str]
    # kinds that end the search with no name (a block, a statement)
    barriers: frozenset[str]
    # the name a ``return`` binds: the enclosing function's
    function_name: Callable[[Node, TreeContext], str]
    returns: str = "return_statement"


def symbol_name(node: Node, ctx: TreeContext) -> str:
    """The last part of the symbol ``node`` is in (``Server.token`` -> "token"): a
    ``Binders.function_name``."""
    return ctx.symbol_at(node).rsplit(".", 1)[-1]


def bound_name(binders: Binders, node: Node, ctx: TreeContext) -> str:
    """The variable, field or function a value ends up in (``token := rand.Int()``, ``return`` in
    ``func newToken()``), "" when none."""
    parent = node.parent
    while parent is not None and parent.type not in binders.names and parent.type != binders.returns:
        if parent.type in binders.barriers:
            return ""
        parent = parent.parent
    if parent is None:
        return ""
    if parent.type == binders.returns:
        return binders.function_name(node, ctx)
    field = binders.names[parent.type]
    if not field:
        first = parent.named_child(0)
        return ctx.text(first) if first is not None else ""
    return " ".join(ctx.text(n) for n in parent.children_by_field_name(field))


def _sources(rules: TaintRules, node: Node, ctx: TreeContext, process: bool) -> re.Pattern[str]:
    """The source pattern in effect at ``node``: the parameters of every enclosing function
    (and the process-wide sources when ``process``)."""
    cache: dict[tuple[int, bool], re.Pattern[str]] = ctx.shared.setdefault("taint_sources", {})
    scope = _scope(rules, node)
    found = cache.get((scope.id, process))
    if found is not None:
        return found
    parts = [rules.process_sources] if process else [r"(?!x)x"]
    current: Node | None = scope
    while current is not None:
        if current.type in rules.functions:
            parts.extend(rules.parameter_sources(current, ctx))
        current = current.parent
    found = cache[(scope.id, process)] = re.compile("|".join(f"(?:{p})" for p in parts))
    return found


def _bindings(rules: TaintRules, scope: Node, ctx: TreeContext) -> list[tuple[str, Node, Node]]:
    """(name, binding node, value) of every binding in ``scope`` (nested functions excluded)."""
    cache: dict[int, list[tuple[str, Node, Node]]] = ctx.shared.setdefault("taint_bindings", {})
    found = cache.get(scope.id)
    if found is not None:
        return found
    found = []
    stack = list(scope.named_children)
    while stack:
        node = stack.pop()
        for name, value in rules.bindings(node, ctx):
            found.append((name, node, value))
        if node.type not in rules.functions:
            stack.extend(node.named_children)
    cache[scope.id] = found
    return found


def taint(
    rules: TaintRules, node: Node | None, ctx: TreeContext, depth: int = 0, *, process: bool = False
) -> list[dict[str, Any]] | None:
    """The steps from an untrusted source to ``node`` (an expression), or None; ``process``:
    command-line arguments count as untrusted too."""
    if node is None or depth > _MAX_DEPTH:
        return None
    text = ctx.text(node)
    sources = _sources(rules, node, ctx, process)
    if node.type in rules.calls and not rules.passes_through(node, ctx):
        # what a call returns is not its argument, unless the call is itself a source
        # (``request.getParameter("id")``, ``r.URL.Query().Get("q")``)
        match = sources.match(text)
        return [step(ctx, node, f"source: {match.group(0).rstrip('(')}")] if match is not None else None
    match = sources.search(text)
    if match is not None:
        return [step(ctx, node, f"source: {match.group(0).rstrip('(')}")]
    words = set(_WORD.findall(text))
    if not words:
        return None
    scope = _scope(rules, node)
    for name, binding, value in _bindings(rules, scope, ctx):
        if name in words and binding.start_byte < node.start_byte and value.id != node.id:
            steps = taint(rules, value, ctx, depth + 1, process=process)
            if steps is not None:
                return [*steps, step(ctx, binding, f"{name} = {ctx.text(value)[:60]}")]
    return None


def value_of(rules: TaintRules, node: Node, ctx: TreeContext) -> Node | None:
    """The last value bound to identifier ``node`` before it, in its function."""
    name = ctx.text(node)
    return next(
        (v for n, b, v in reversed(_bindings(rules, _scope(rules, node), ctx)) if n == name and b.start_byte < node.start_byte),
        None,
    )


def value_or_self(rules: TaintRules, node: Node, ctx: TreeContext) -> Node:
    """The value an identifier ``node`` was last bound to (``value_of``), else ``node`` itself."""
    if node.type == "identifier":
        value = value_of(rules, node, ctx)
        if value is not None:
            return value
    return node


def flag(
    rules: TaintRules,
    spec: DetectorSpec,
    ctx: TreeContext,
    node: Node,
    arg: Node | None,
    what: str,
    *,
    hotspot: bool,
    confidence: float = 0.8,
    process: bool = False,
) -> None:
    """Report ``node``: a vulnerability with its taint path when ``arg`` is tainted, else a
    hotspot when ``hotspot`` (a risky pattern without evidence). ``process``: command-line
    arguments are a source for this sink (a shell, SQL)."""
    steps = taint(rules, arg, ctx, process=process)
    if steps is not None:
        ctx.report(
            spec,
            node,
            f"Untrusted input reaches {what} ({steps[0]['note']}, line {steps[0]['line']}).",
            kind=Kind.VULNERABILITY.value,
            taint_path=[*steps, step(ctx, node, f"sink: {what}")],
            confidence=confidence,
            metadata={"sink": what},
        )
    elif hotspot:
        ctx.report(
            spec,
            node,
            f"{what} with a value built at run time: review where it comes from.",
            kind=Kind.HOTSPOT.value,
            confidence=0.3,
            metadata={"sink": what},
        )


# a hash of a password (the statement or function around a weak hash): Go, Java, C#
PASSWORD = re.compile(r"passw|pwd|passphrase", re.I)


def report_weak_hash(spec: DetectorSpec, ctx: TreeContext, node: Node, algorithm: str, *, password: bool, advice: str) -> None:
    """Report a broken hash (MD5, SHA-1...) at ``node``: a vulnerability when it hashes a password
    (``advice``: what to use instead, per language), else a hotspot."""
    ctx.report(
        spec,
        node,
        f"{algorithm} {f'hashes a password: use {advice}' if password else 'is a broken hash'}.",
        kind=Kind.VULNERABILITY.value if password else Kind.HOTSPOT.value,
        confidence=0.8 if password else 0.4,
        metadata={"algorithm": algorithm, "password": password},
    )


def report_insecure_random(spec: DetectorSpec, ctx: TreeContext, node: Node, what: str, target: str, advice: str) -> None:
    """Report the predictable generator ``what`` at ``node`` when the name its value ends up in
    (``target``) is one that must not be guessed (a token, a key...); ``advice``: the generator to
    use instead, per language."""
    if not target or not _SECURITY_NAME.search(target):
        return
    ctx.report(
        spec,
        node,
        f"{what} is predictable: '{target}' needs {advice}.",
        kind=Kind.VULNERABILITY.value,
        confidence=0.7,
        metadata={"name": target},
    )
