"""Security detectors for JavaScript and TypeScript, with input-source evidence.

A sink reached by untrusted input is a **vulnerability** with its ``taint_path``: the source
(the request object of an Express/Koa/Fastify/Next.js handler — ``req.query``, ``req.body``,
``ctx.request.body``... —, ``process.argv``, ``location``/``URLSearchParams``/``document.cookie``
in the browser), the assignments it flowed through inside the function, and the sink. A risky
pattern without that evidence (SQL built from a template, ``eval`` of a variable) is a
**hotspot**; an unconditionally unsafe setting (``rejectUnauthorized: false``,
``NODE_TLS_REJECT_UNAUTHORIZED=0``, JWT ``algorithms: ["none"]``) is a vulnerability on its own.

Taint is followed backwards from each sink, only when a sink is met (sinks are rare): an
identifier in the sink's argument is looked up among the declarations and assignments that come
before the sink in the same function (or the file's top level), up to four steps deep. Checks
that exist for Python keep the Python detector's spec; ``open-redirect`` and ``regex-injection``
are new.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from analysis.engine.detectors.security import (
    CodeInjection,
    CommandInjection,
    CrossSiteScripting,
    PathTraversal,
    ServerSideRequestForgery,
    SqlInjection,
    spec,
)
from analysis.engine.detectors.security_config import (
    _NOT_A_SECRET_NAME,
    _PLACEHOLDER,
    _SECRET_NAME,
    _TOKEN_HINT,
    KNOWN_TOKENS,
    HardcodedSecret,
    InsecureRandom,
    InsecureTls,
    JwtVerificationDisabled,
    WeakCrypto,
    _looks_random,
    shannon_entropy,
)
from analysis.engine.detectors.tree_taint import report_insecure_random, report_weak_hash
from analysis.engine.model import Kind, Severity
from analysis.engine.registry import TreeDetector, register

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
SOURCE = re.compile(
    r"\b(?:req|request|ctx\.request|ctx)\.(?:query|params|body|headers|cookies|url|originalUrl|path|hostname|search)\b"
    r"|\breq\.(?:get|header|param)\("
    r"|\bprocess\.argv\b"
    r"|\b(?:window\.|document\.)?location\.(?:search|hash|href|pathname)\b"
    r"|\bdocument\.(?:cookie|referrer|URL)\b"
    r"|\bnew URLSearchParams\("
    r"|\b(?:searchParams|useSearchParams\(\))\.get\("
)
_WORD = re.compile(r"(?<![\w$.])[A-Za-z_$][\w$]*")
_SQL_START = re.compile(r"^\s*[`'\"]?\s*(select|insert|update|delete|with|merge|replace)\b", re.I)
_MAX_DEPTH = 4


# --- taint ----------------------------------------------------------------------------------------
def _step(ctx: TreeContext, node: Node, note: str) -> dict[str, Any]:
    return {"path": ctx.path, "line": node.start_point[0] + 1, "note": note}


def _scope(node: Node) -> Node:
    parent = node.parent
    while parent is not None and parent.type not in _FUNCTIONS:
        node, parent = parent, parent.parent
    return parent if parent is not None else node


def _bindings(scope: Node, ctx: TreeContext) -> list[tuple[str, Node, Node]]:
    """(name, binding node, value) of every declaration/assignment in ``scope`` (nested
    functions excluded), cached per scope."""
    cache: dict[int, list[tuple[str, Node, Node]]] = ctx.shared.setdefault("js_bindings", {})
    found = cache.get(scope.id)
    if found is not None:
        return found
    found = []
    stack = list(scope.named_children)
    while stack:
        node = stack.pop()
        kind = node.type
        if kind == "variable_declarator":
            name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
            if name is not None and value is not None:
                for word in _declared(name, ctx):
                    found.append((word, node, value))
        elif kind in ("assignment_expression", "augmented_assignment_expression"):
            left, value = node.child_by_field_name("left"), node.child_by_field_name("right")
            if left is not None and value is not None and left.type == "identifier":
                found.append((ctx.text(left), node, value))
        if kind not in _FUNCTIONS:
            stack.extend(node.named_children)
    cache[scope.id] = found
    return found


def _declared(pattern: Node, ctx: TreeContext) -> list[str]:
    if pattern.type == "identifier":
        return [ctx.text(pattern)]
    # const { id, name: alias } = req.query  -> id, alias
    return [w for w in _WORD.findall(ctx.text(pattern)) if w not in ("const", "let", "var")]


def taint(node: Node | None, ctx: TreeContext, depth: int = 0) -> list[dict[str, Any]] | None:
    """The steps from an untrusted source to ``node`` (an expression), or None."""
    if node is None or depth > _MAX_DEPTH:
        return None
    call = node.named_child(0) if node.type == "await_expression" else node
    if call is not None and call.type in ("call_expression", "new_expression") and not _passes_through(call, ctx):
        return None  # what a call returns is not its argument (parseInt, escape, axios.get...)
    text = ctx.text(node)
    match = SOURCE.search(text)
    if match is not None:
        return [_step(ctx, node, f"source: {match.group(0).rstrip('(')}")]
    words = set(_WORD.findall(text))
    if not words:
        return None
    scope = _scope(node)
    for name, binding, value in _bindings(scope, ctx):
        if name in words and binding.start_byte < node.start_byte and value.id != node.id:
            steps = taint(value, ctx, depth + 1)
            if steps is not None:
                return [*steps, _step(ctx, binding, f"{name} = {ctx.text(value)[:60]}")]
    return None


_PASSTHROUGH = frozenset(
    {"String", "decodeURIComponent", "decodeURI", "JSON.parse", "Buffer.from", "path.join", "path.resolve", "URLSearchParams"}
)
_PASSTHROUGH_METHODS = frozenset(
    {"trim", "toString", "toLowerCase", "toUpperCase", "concat", "slice", "substring", "split", "join", "padStart", "padEnd"}
)
_PARAMS_GET = re.compile(r"(?i)(params|query|search)\w*\.get(All)?$")


def _passes_through(call: Node, ctx: TreeContext) -> bool:
    """Whether a call's result still carries its tainted argument (string methods, decoding)."""
    name = _callee(call, ctx)
    return (
        name in _PASSTHROUGH
        or name.rsplit(".", 1)[-1] in _PASSTHROUGH_METHODS
        or bool(_PARAMS_GET.search(name))  # URLSearchParams(...).get("x")
        or bool(SOURCE.match(ctx.text(call)))
    )


def _built(node: Node | None) -> bool:
    """A string assembled at run time: a template with substitutions or a concatenation."""
    if node is None:
        return False
    if node.type == "template_string":
        return any(c.type == "template_substitution" for c in node.named_children)
    if node.type == "binary_expression":
        op = node.child_by_field_name("operator")
        if op is not None and op.type == "+":
            return not all(
                c.type in ("string", "number") for c in (node.child_by_field_name("left"), node.child_by_field_name("right")) if c
            )
    return False


def _args(call: Node) -> list[Node]:
    args = call.child_by_field_name("arguments")
    return [a for a in args.named_children if a.type != "comment"] if args is not None else []


# ctx.shared key: call node id -> (bindings known, its callee); a dozen detectors visit each call.
# Bindings are only ever added (imports met later in the walk): the same count, the same name.
_CALLEE_MEMO = "js.callee"


def _callee(call: Node, ctx: TreeContext) -> str:
    """The called name as written, with an imported binding resolved (``exec`` -> child_process.exec)."""
    memo: dict[int, tuple[int, str]] | None = ctx.shared.get(_CALLEE_MEMO)
    if memo is None:
        memo = ctx.shared[_CALLEE_MEMO] = {}
    key = call.id
    known = len(ctx.imports)
    found = memo.get(key)
    if found is not None and found[0] == known:
        return found[1]
    name = _callee_of(call, ctx)
    memo[key] = (known, name)
    return name


def _callee_of(call: Node, ctx: TreeContext) -> str:
    target = call.child_by_field_name("function" if call.type == "call_expression" else "constructor")
    if target is None:
        return ""
    text = ctx.text(target)
    head, _, rest = text.partition(".")
    bound = ctx.imports.get(head)
    if bound is not None:
        return f"{bound}.{rest}" if rest else bound
    return text


_CALLS = frozenset({"call_expression", "new_expression"})  # routed on their callee (``wants``)


class _JsSecurity(TreeDetector):
    languages = JS
    kinds = frozenset({"call_expression", "new_expression"})
    router = "js.callee"
    keyed_kinds = _CALLS

    def key(self, node: Node, ctx: TreeContext) -> str:
        return _callee(node, ctx)

    sink_note = "sink"

    def flag(
        self, ctx: TreeContext, node: Node, arg: Node | None, what: str, *, hotspot_if_built: bool = True, confidence: float = 0.8
    ) -> None:
        """Report ``node``: a vulnerability when ``arg`` is tainted, else a hotspot when the
        argument is built at run time (and ``hotspot_if_built``)."""
        steps = taint(arg, ctx)
        if steps is not None:
            path = [*steps, _step(ctx, node, f"{self.sink_note}: {what}")]
            ctx.report(
                self.spec,
                node,
                f"Untrusted input reaches {what} ({steps[0]['note']}, line {steps[0]['line']}).",
                kind=Kind.VULNERABILITY.value,
                taint_path=path,
                confidence=confidence,
                metadata={"sink": what},
            )
        elif hotspot_if_built and (_built(arg) or (arg is not None and arg.type == "identifier")):
            ctx.report(
                self.spec,
                node,
                f"{what} with a value built at run time: review where it comes from.",
                kind=Kind.HOTSPOT.value,
                confidence=0.3,
                metadata={"sink": what},
            )


@register
class JsCodeInjection(_JsSecurity):
    """eval, new Function, vm.run*, setTimeout/setInterval with a string."""

    spec = CodeInjection.spec

    def wants(self, key: str) -> bool:
        return key in ("eval", "Function", "setTimeout", "setInterval") or key.startswith("vm.")

    def visit(self, node: Node, ctx: TreeContext) -> None:
        name = _callee(node, ctx)
        if not (
            name in ("eval", "Function", "setTimeout", "setInterval")
            or name.startswith("vm.")
            and name.endswith(("runInNewContext", "runInThisContext", "runInContext", "Script", "compileFunction"))
        ):
            return
        args = _args(node)
        if not args:
            return
        if (
            name in ("eval", "Function")
            or name.startswith("vm.")
            and name.endswith(("runInNewContext", "runInThisContext", "runInContext", "Script", "compileFunction"))
        ):
            self.flag(ctx, node, args[-1] if name == "Function" else args[0], f"{name}()")
        elif name in ("setTimeout", "setInterval") and args[0].type in ("string", "template_string", "binary_expression"):
            self.flag(ctx, node, args[0], f"{name}() with a string")


@register
class JsCommandInjection(_JsSecurity):
    """child_process exec/execSync (a shell), or spawn/execFile with ``shell: true``."""

    spec = CommandInjection.spec

    def wants(self, key: str) -> bool:
        return "child_process" in key or key.startswith(("cp.", "childProcess."))

    def visit(self, node: Node, ctx: TreeContext) -> None:
        name = _callee(node, ctx)
        last = name.rsplit(".", 1)[-1]
        if "child_process" not in name and not name.startswith(("cp.", "childProcess.")):
            return
        args = _args(node)
        if not args:
            return
        if last in ("exec", "execSync") or (
            last in ("spawn", "spawnSync", "execFile", "execFileSync") and "shell: true" in ctx.text(node)
        ):
            self.flag(ctx, node, args[0], f"child_process.{last}()")


_QUERY_METHODS = frozenset(
    {
        "query",
        "execute",
        "raw",
        "whereRaw",
        "$queryRawUnsafe",
        "$executeRawUnsafe",
        "unsafe",
        "run",
        "all",
        "get",
        "exec",
        "prepare",
    }
)


@register
class JsSqlInjection(_JsSecurity):
    """SQL built by concatenation or a template literal and passed to a query API."""

    spec = SqlInjection.spec

    def wants(self, key: str) -> bool:
        return "." in key and key.rsplit(".", 1)[-1] in _QUERY_METHODS

    def visit(self, node: Node, ctx: TreeContext) -> None:
        name = _callee(node, ctx)
        if "." not in name or name.rsplit(".", 1)[-1] not in _QUERY_METHODS:
            return
        args = _args(node)
        if not args:
            return
        sql = args[0]
        if sql.type == "identifier":
            # the query text built earlier: look at what the variable holds
            value = next(
                (
                    v
                    for n, b, v in reversed(_bindings(_scope(node), ctx))
                    if n == ctx.text(sql) and b.start_byte < node.start_byte
                ),
                None,
            )
            if value is None or not (_built(value) and _SQL_START.search(ctx.text(value))):
                return
        elif not (_built(sql) and _SQL_START.search(ctx.text(sql))):
            return
        self.flag(ctx, node, sql, f"{name}()")


@register
class JsXss(_JsSecurity):
    """innerHTML/outerHTML/insertAdjacentHTML/document.write, React's dangerouslySetInnerHTML,
    and request data echoed by res.send/res.write."""

    spec = CrossSiteScripting.spec
    kinds = frozenset({"call_expression", "assignment_expression", "jsx_attribute"})

    def wants(self, key: str) -> bool:
        return key.startswith(("document.", "res.")) or key.endswith(".insertAdjacentHTML")

    def visit(self, node: Node, ctx: TreeContext) -> None:
        if node.type == "assignment_expression":
            left = node.child_by_field_name("left")
            if left is not None and left.type == "member_expression" and ctx.text(left).endswith((".innerHTML", ".outerHTML")):
                self.flag(ctx, node, node.child_by_field_name("right"), ctx.text(left).rsplit(".", 1)[-1])
            return
        if node.type == "jsx_attribute":
            text = ctx.text(node)
            if text.startswith("dangerouslySetInnerHTML"):
                value = node.named_child(node.named_child_count - 1)
                steps = taint(value, ctx)
                self.flag(ctx, node, value, "dangerouslySetInnerHTML", hotspot_if_built=steps is None)
            return
        name = _callee(node, ctx)
        if not (
            name in ("document.write", "document.writeln")
            or name.endswith(".insertAdjacentHTML")
            or name.startswith("res.")
            and name.rsplit(".", 1)[-1] in ("send", "write", "end")
        ):
            return
        args = _args(node)
        if not args:
            return
        if name in ("document.write", "document.writeln") or name.endswith(".insertAdjacentHTML"):
            self.flag(ctx, node, args[-1], f"{name}()")
        elif name.startswith("res.") and name.rsplit(".", 1)[-1] in ("send", "write", "end"):
            self.flag(ctx, node, args[0], f"{name}()", hotspot_if_built=False)


@register
class JsPathTraversal(_JsSecurity):
    """Request data in a file path handed to fs or res.sendFile/download."""

    spec = PathTraversal.spec

    def wants(self, key: str) -> bool:
        return "." not in key or key.startswith(("fs.", "fs/promises.", "node:fs.", "fsPromises.", "promises.", "res."))

    def visit(self, node: Node, ctx: TreeContext) -> None:
        name = _callee(node, ctx)
        method = name.rsplit(".", 1)[-1]
        is_fs = name.startswith(("fs.", "fs/promises.", "node:fs.", "fsPromises.", "promises.")) or (
            "." not in name and ctx.imports.get(name, "").startswith(("fs", "node:fs"))
        )
        if not (is_fs or (name.startswith("res.") and method in ("sendFile", "download"))):
            return
        args = _args(node)
        if args:
            self.flag(ctx, node, args[0], f"{name}()", hotspot_if_built=False)


_HTTP_CLIENTS = frozenset({"fetch", "axios", "got", "request", "needle", "superagent"})
_HTTP_HEADS = frozenset({"axios", "got", "superagent", "needle", "http", "https", "node:http", "node:https"})


@register
class JsSsrf(_JsSecurity):
    """A request URL taken from the request: fetch, axios, got, http(s).request/get."""

    spec = ServerSideRequestForgery.spec

    def wants(self, key: str) -> bool:
        return key in _HTTP_CLIENTS or key.partition(".")[0] in _HTTP_HEADS

    def visit(self, node: Node, ctx: TreeContext) -> None:
        name = _callee(node, ctx)
        head, _, method = name.partition(".")
        if not (
            name in _HTTP_CLIENTS
            or (
                head in ("axios", "got", "superagent", "needle")
                and method in ("get", "post", "put", "delete", "patch", "request", "head")
            )
            or (head in ("http", "https", "node:http", "node:https") and method in ("request", "get"))
        ):
            return
        args = _args(node)
        if args:
            self.flag(ctx, node, args[0], f"{name}()", hotspot_if_built=False)


@register
class OpenRedirect(_JsSecurity):
    """A redirect whose target comes from the request."""

    spec = spec(
        "open-redirect",
        Severity.MEDIUM,
        "Open redirect",
        "The redirect target is taken from the request: an attacker can send users to a site of their choice "
        "with a link that looks like ours. Redirect to known paths only, or check the target against an allow-list.",
        "CWE-601",
        15,
    )
    kinds = frozenset({"call_expression", "assignment_expression"})

    def wants(self, key: str) -> bool:
        return key.endswith(".redirect") or key.startswith(("location.", "window.location."))

    def visit(self, node: Node, ctx: TreeContext) -> None:
        if node.type == "assignment_expression":
            left = node.child_by_field_name("left")
            if left is not None and ctx.text(left) in (
                "location",
                "window.location",
                "location.href",
                "window.location.href",
                "document.location",
            ):
                self.flag(ctx, node, node.child_by_field_name("right"), ctx.text(left), hotspot_if_built=False)
            return
        name = _callee(node, ctx)
        if name.endswith(".redirect") or name in (
            "location.assign",
            "location.replace",
            "window.location.assign",
            "window.location.replace",
        ):
            args = _args(node)
            if args:
                self.flag(ctx, node, args[-1], f"{name}()", hotspot_if_built=False)


@register
class RegexInjection(_JsSecurity):
    """A regular expression compiled from request data: catastrophic backtracking (ReDoS)."""

    spec = spec(
        "regex-injection",
        Severity.MEDIUM,
        "Regular expression built from input",
        "A pattern taken from the request can backtrack for minutes on a short input (ReDoS) and block the "
        "event loop. Escape the input (it is data, not a pattern) or use a fixed pattern.",
        "CWE-1333",
        15,
    )

    def wants(self, key: str) -> bool:
        return key == "RegExp"

    def visit(self, node: Node, ctx: TreeContext) -> None:
        if _callee(node, ctx) != "RegExp":
            return
        args = _args(node)
        if args:
            self.flag(ctx, node, args[0], "new RegExp()", hotspot_if_built=False)


# --- settings and APIs unsafe in themselves --------------------------------------------------------
@register
class JsInsecureTls(TreeDetector):
    """``rejectUnauthorized: false`` and ``NODE_TLS_REJECT_UNAUTHORIZED = "0"``: certificates unchecked."""

    spec = InsecureTls.spec
    languages = JS
    kinds = frozenset({"pair", "assignment_expression"})

    def visit(self, node: Node, ctx: TreeContext) -> None:
        if node.type == "pair":
            key, value = node.child_by_field_name("key"), node.child_by_field_name("value")
            if key is None or value is None or ctx.text(key).strip("'\"") != "rejectUnauthorized" or ctx.text(value) != "false":
                return
            message = "rejectUnauthorized: false turns off TLS certificate verification."
        else:
            left, value = node.child_by_field_name("left"), node.child_by_field_name("right")
            if (
                left is None
                or value is None
                or not ctx.text(left).endswith("NODE_TLS_REJECT_UNAUTHORIZED")
                or ctx.text(value).strip("'\"`") != "0"
            ):
                return
            message = "NODE_TLS_REJECT_UNAUTHORIZED=0 turns off TLS certificate verification for the whole process."
        ctx.report(self.spec, node, message, kind=Kind.VULNERABILITY.value, confidence=0.9)


@register
class JsWeakHash(TreeDetector):
    """MD5/SHA-1 from crypto.createHash: a vulnerability when it hashes a password, else a hotspot."""

    spec = WeakCrypto.spec
    languages = JS
    kinds = frozenset({"call_expression"})
    router = "js.callee"
    keyed_kinds = _CALLS

    def key(self, node: Node, ctx: TreeContext) -> str:
        return _callee(node, ctx)

    def wants(self, key: str) -> bool:
        return key.endswith("createHash")

    def visit(self, node: Node, ctx: TreeContext) -> None:
        if not _callee(node, ctx).endswith("createHash"):
            return
        args = _args(node)
        if not args or args[0].type != "string" or ctx.text(args[0]).strip("'\"`").lower() not in ("md5", "sha1", "md4"):
            return
        algorithm = ctx.text(args[0]).strip("'\"`")
        around = ctx.text(node.parent.parent) if node.parent is not None and node.parent.parent is not None else ""
        password = bool(re.search(r"passw|pwd", around + ctx.symbol, re.I))
        report_weak_hash(self.spec, ctx, node, algorithm, password=password, advice="bcrypt, scrypt or argon2")


@register
class JsInsecureRandom(TreeDetector):
    """Math.random() for a token, secret, password or id that must not be guessed."""

    spec = InsecureRandom.spec
    languages = JS
    kinds = frozenset({"call_expression"})
    router = "js.callee"
    keyed_kinds = _CALLS

    def key(self, node: Node, ctx: TreeContext) -> str:
        return _callee(node, ctx)

    def wants(self, key: str) -> bool:
        return key == "Math.random"

    def visit(self, node: Node, ctx: TreeContext) -> None:
        if _callee(node, ctx) != "Math.random":
            return
        parent = node.parent
        while parent is not None and parent.type not in (
            "variable_declarator",
            "assignment_expression",
            "pair",
            "return_statement",
            "statement_block",
        ):
            parent = parent.parent
        if parent is None or parent.type == "statement_block":
            return
        target = parent.child_by_field_name("name") or parent.child_by_field_name("left") or parent.child_by_field_name("key")
        name = ctx.text(target) if target is not None else ctx.symbol.rsplit(".", 1)[-1]
        report_insecure_random(self.spec, ctx, node, "Math.random()", name, "crypto.randomBytes / crypto.randomUUID")


@register
class JsJwtNone(TreeDetector):
    """jwt.verify accepting the "none" algorithm, or jwt.decode where verification was meant."""

    spec = JwtVerificationDisabled.spec
    languages = JS
    kinds = frozenset({"call_expression"})
    router = "js.callee"
    keyed_kinds = _CALLS

    def key(self, node: Node, ctx: TreeContext) -> str:
        return _callee(node, ctx)

    def wants(self, key: str) -> bool:
        return key.endswith(".verify")

    def visit(self, node: Node, ctx: TreeContext) -> None:
        name = _callee(node, ctx)
        if not name.endswith(".verify") or "jsonwebtoken" not in name and not name.startswith("jwt."):
            return
        text = ctx.text(node)
        if re.search(r"algorithms\s*:\s*\[[^\]]*['\"]none['\"]", text):
            ctx.report(
                self.spec,
                node,
                'jwt.verify accepts the "none" algorithm: unsigned tokens pass.',
                kind=Kind.VULNERABILITY.value,
                confidence=0.9,
            )


_TARGET_FIELD = {"variable_declarator": "name", "pair": "key", "assignment_expression": "left"}


@register
class JsHardcodedSecret(TreeDetector):
    """Known token formats in any string, and high-entropy literals bound to secret-looking names
    (``const apiKey = "..."``, ``{ password: "..." }``)."""

    spec = HardcodedSecret.spec
    languages = JS
    kinds = frozenset({"variable_declarator", "pair", "assignment_expression"})
    roles = ("string",)

    def visit(self, node: Node, ctx: TreeContext) -> None:
        kind = node.type
        if kind in ("string", "template_string"):
            if node.end_byte - node.start_byte < 18:
                return  # fewer than 16 characters inside the quotes (a character is at least a byte)
            literal = ctx.text(node)[1:-1]
            if len(literal) >= 16 and _TOKEN_HINT.search(literal):
                for label, pattern in KNOWN_TOKENS:
                    match = pattern.search(literal)
                    if match is not None and "EXAMPLE" not in match.group(0).upper():
                        ctx.report(self.spec, node, f"{label} written in the source", confidence=0.5 if ctx.is_test else 0.95)
                        return
            return
        # variable_declarator: name = value; pair: key: value; assignment_expression: left = right
        value = node.child_by_field_name("right" if kind == "assignment_expression" else "value")
        if value is None or value.type != "string":
            return
        target = node.child_by_field_name(_TARGET_FIELD.get(kind, "name"))
        if target is None:
            return
        name = ctx.text(target).rsplit(".", 1)[-1].strip("'\"")
        secret = ctx.text(value)[1:-1]
        if not _SECRET_NAME.search(name) or _NOT_A_SECRET_NAME.search(name) or _TOKEN_HINT.search(secret):
            return
        if len(secret) < ctx.threshold(self.spec, "min_length") or _PLACEHOLDER.search(secret) or not _looks_random(secret):
            return
        entropy = shannon_entropy(secret)
        if entropy < ctx.threshold(self.spec, "entropy_threshold"):
            return
        ctx.report(
            self.spec,
            node,
            f"'{name}' is bound to a literal that looks like a secret",
            confidence=0.3 if ctx.is_test else 0.6,
            severity=Severity.MEDIUM,
            metadata={"name": name, "entropy": round(entropy, 2)},
        )
