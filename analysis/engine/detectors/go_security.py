"""Security detectors for Go, with input-source evidence (``tree_taint.py``).

Sources: the ``*http.Request`` parameter of the enclosing handler (``r.URL``, ``r.FormValue``,
``r.Form``, ``r.Body``, ``r.Header``, cookies, files), gin/echo contexts (``c.Query``,
``c.Param``...), ``mux.Vars(r)``, and ``os.Args`` for a shell command or SQL (a command line tool opening the file
its user names is not a vulnerability). A sink reached by a source is a vulnerability with
its taint path; a risky sink without that evidence (a shell command or SQL built at run time) is a
hotspot. ``InsecureSkipVerify: true`` is a vulnerability on its own. Checks keep the ids of the
Python detectors.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from analysis.engine.detectors.security import (
    CommandInjection,
    PathTraversal,
    ServerSideRequestForgery,
    SqlInjection,
)
from analysis.engine.detectors.security_config import InsecureRandom, InsecureTls, WeakCrypto
from analysis.engine.detectors.tree_taint import (
    PASSWORD,
    Binders,
    TaintRules,
    bound_name,
    flag,
    report_insecure_random,
    report_weak_hash,
    symbol_name,
    value_of,
)
from analysis.engine.model import Kind
from analysis.engine.registry import TreeDetector, register

if TYPE_CHECKING:
    from tree_sitter import Node

    from analysis.engine.languages.context import TreeContext

GO = frozenset({"go"})
_FUNCTIONS = frozenset({"function_declaration", "method_declaration", "func_literal"})
_REQUEST_MEMBERS = r"URL|Form|PostForm|MultipartForm|FormValue|PostFormValue|FormFile|Body|Header|Cookie|Cookies|RequestURI|Host|Referer|UserAgent"
_CONTEXT_MEMBERS = {
    "*gin.Context": r"Query|DefaultQuery|QueryArray|QueryMap|Param|PostForm|DefaultPostForm|PostFormArray|GetHeader|"
    r"GetRawData|FormFile|Cookie|ShouldBind\w*|Bind\w*",
    "echo.Context": r"QueryParam|QueryParams|QueryString|Param|FormValue|FormParams|FormFile|Cookie|Bind",
    "*fiber.Ctx": r"Query|Params|FormValue|Body|BodyParser|Get|Cookies",
}
_STRING_FUNCS = re.compile(
    r"^(?:fmt\.Sprint[fl]?|strings\.\w+|filepath\.(?:Join|Clean|Base|Dir|Abs)|path\.(?:Join|Clean|Base)|"
    r"url\.(?:QueryUnescape|PathUnescape)|string|\[\]byte|mux\.Vars|html\.UnescapeString|bytes\.\w+|"
    r"io\.ReadAll|ioutil\.ReadAll)$"
)
_STRING_METHODS = frozenset({"Get", "Query", "FormValue", "PostFormValue", "Values", "Encode", "String", "Trim", "Value"})


def _bindings(node: Node, ctx: TreeContext) -> list[tuple[str, Node]]:
    kind = node.type
    if kind in ("short_var_declaration", "assignment_statement"):
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if left is None or right is None:
            return []
        names = [c for c in left.named_children]
        values = [c for c in right.named_children]
        if len(values) == 1:  # x, err := f(): every name takes the call
            return [(ctx.text(n), values[0]) for n in names if n.type == "identifier" and ctx.text(n) != "_"]
        return [(ctx.text(n), v) for n, v in zip(names, values, strict=False) if n.type == "identifier"]
    if kind == "var_spec":
        value = node.child_by_field_name("value")
        if value is None or not value.named_child_count:
            return []
        names = node.children_by_field_name("name")
        values = value.named_children
        if len(values) == 1:
            return [(ctx.text(n), values[0]) for n in names]
        return [(ctx.text(n), v) for n, v in zip(names, values, strict=False)]
    if kind == "range_clause":
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if left is None or right is None:
            return []
        return [(ctx.text(n), right) for n in left.named_children if n.type == "identifier"]
    return []


def _parameter_sources(function: Node, ctx: TreeContext) -> list[str]:
    params = function.child_by_field_name("parameters")
    out = []
    for decl in params.named_children if params is not None else []:
        kind = decl.child_by_field_name("type")
        if kind is None:
            continue
        written = ctx.text(kind).replace(" ", "")
        members = _REQUEST_MEMBERS if written in ("*http.Request", "http.Request") else _CONTEXT_MEMBERS.get(written)
        if members is None:
            continue
        for name in decl.children_by_field_name("name"):
            out.append(rf"\b{re.escape(ctx.text(name))}\.(?:{members})\b")
    return out


def callee(node: Node, ctx: TreeContext) -> str:
    """The called name as written, its package alias resolved (``exec.Command`` -> ``os/exec.Command``)."""
    target = node.child_by_field_name("function")
    if target is None:
        return ""
    text = ctx.text(target)
    head, _, rest = text.partition(".")
    bound = ctx.imports.get(head)
    if bound is not None and rest:
        return f"{bound}.{rest}"
    return text


def _passes_through(call: Node, ctx: TreeContext) -> bool:
    name = callee(call, ctx)
    short = ctx.text(call.child_by_field_name("function") or call)
    return bool(_STRING_FUNCS.match(short)) or name.rsplit(".", 1)[-1] in _STRING_METHODS


RULES = TaintRules(
    functions=_FUNCTIONS,
    calls=frozenset({"call_expression"}),
    bindings=_bindings,
    parameter_sources=_parameter_sources,
    process_sources=r"\bos\.Args\b|\bmux\.Vars\(",
    passes_through=_passes_through,
)


def args(call: Node) -> list[Node]:
    node = call.child_by_field_name("arguments")
    return [a for a in node.named_children if a.type != "comment"] if node is not None else []


def built(node: Node | None, ctx: TreeContext) -> bool:
    """A string assembled at run time: ``+`` with a non-literal, or fmt.Sprintf and friends."""
    if node is None:
        return False
    if node.type == "binary_expression":
        op = node.child_by_field_name("operator")
        if op is not None and op.type == "+":
            return any(
                c is not None and c.type not in ("interpreted_string_literal", "raw_string_literal")
                for c in (node.child_by_field_name("left"), node.child_by_field_name("right"))
            )
    if node.type == "call_expression":
        return callee(node, ctx) in ("fmt.Sprintf", "fmt.Sprint", "strings.Join", "strings.Replace", "strings.ReplaceAll")
    return False


def _resolved_value(node: Node, ctx: TreeContext) -> Node:
    """An identifier's last value in its function (the query text built a line earlier)."""
    if node.type == "identifier":
        value = value_of(RULES, node, ctx)
        if value is not None:
            return value
    return node


class _GoSecurity(TreeDetector):
    """Sink calls come from the Go query (``languages/go.py``: calls of the sink names)."""

    languages = GO
    captures = ("go.sink",)

    def match(self, captures: dict[str, list[Node]], ctx: TreeContext) -> None:
        for node in captures.get("go.sink", ()):
            self.visit(node, ctx)


_SHELLS = frozenset({'"sh"', '"bash"', '"/bin/sh"', '"/bin/bash"', '"zsh"', '"cmd"', '"cmd.exe"', '"powershell"'})


@register
class GoCommandInjection(_GoSecurity):
    """``exec.Command("sh", "-c", cmd)`` with a built or tainted command; a program name from input."""

    spec = CommandInjection.spec

    def visit(self, node: Node, ctx: TreeContext) -> None:
        name = callee(node, ctx)
        if name not in ("os/exec.Command", "os/exec.CommandContext"):
            return
        a = args(node)
        if name.endswith("Context"):
            a = a[1:]
        if not a:
            return
        if ctx.text(a[0]) in _SHELLS and len(a) >= 3 and ctx.text(a[1]) in ('"-c"', '"/c"', '"-Command"'):
            script = a[2]
            flag(
                RULES,
                self.spec,
                ctx,
                node,
                script,
                "exec.Command with a shell",
                hotspot=built(_resolved_value(script, ctx), ctx),
                process=True,
            )
        else:
            flag(RULES, self.spec, ctx, node, a[0], "exec.Command program", hotspot=False)


_QUERY_METHODS = frozenset(
    {
        "Query",
        "QueryRow",
        "Exec",
        "Prepare",
        "QueryContext",
        "QueryRowContext",
        "ExecContext",
        "PrepareContext",
        "Raw",
        "Select",
        "Get",
    }
)
_SQL_START = re.compile(r"^\s*[`\"]?\s*(select|insert|update|delete|with|merge|replace|create|drop|alter)\b", re.I)


@register
class GoSqlInjection(_GoSecurity):
    """SQL built with fmt.Sprintf or ``+`` and passed to Query/Exec (database/sql, sqlx, gorm Raw)."""

    spec = SqlInjection.spec

    def visit(self, node: Node, ctx: TreeContext) -> None:
        name = callee(node, ctx)
        method = name.rsplit(".", 1)[-1]
        if "." not in name or method not in _QUERY_METHODS:
            return
        a = args(node)
        if method.endswith("Context") or (method in ("Select", "Get") and len(a) >= 3):
            a = a[1:]  # ctx first (sqlx Select/Get: dest first)
        if method in ("Select", "Get") and a:
            a = a[1:]
        if not a:
            return
        sql = a[0]
        value = _resolved_value(sql, ctx)
        if not (built(value, ctx) and _SQL_START.search(_literal_head(value, ctx))):
            return
        flag(RULES, self.spec, ctx, node, sql, f"{name}()", hotspot=True, process=True)


def _literal_head(node: Node, ctx: TreeContext) -> str:
    """The first string literal of a built string (the SQL text before the values)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type in ("interpreted_string_literal", "raw_string_literal"):
            return ctx.text(current)
        stack.extend(reversed(current.named_children))  # leftmost first
    return ""


@register
class GoPathTraversal(_GoSecurity):
    """Request data in a path handed to os.Open/ReadFile/Create/Remove... or http.ServeFile."""

    spec = PathTraversal.spec

    _SINKS = frozenset(
        {
            "os.Open",
            "os.OpenFile",
            "os.ReadFile",
            "os.Create",
            "os.Remove",
            "os.RemoveAll",
            "os.WriteFile",
            "os.ReadDir",
            "io/ioutil.ReadFile",
            "io/ioutil.WriteFile",
        }
    )

    def visit(self, node: Node, ctx: TreeContext) -> None:
        name = callee(node, ctx)
        a = args(node)
        if name in self._SINKS and a:
            flag(RULES, self.spec, ctx, node, a[0], f"{name}()", hotspot=False)
        elif name == "net/http.ServeFile" and len(a) >= 3:
            flag(RULES, self.spec, ctx, node, a[2], "http.ServeFile()", hotspot=False)


@register
class GoSsrf(_GoSecurity):
    """A request URL taken from the request: http.Get/Post/Head, http.NewRequest, client.Get."""

    spec = ServerSideRequestForgery.spec

    def visit(self, node: Node, ctx: TreeContext) -> None:
        name = callee(node, ctx)
        a = args(node)
        if name in ("net/http.Get", "net/http.Post", "net/http.Head", "net/http.PostForm") and a:
            flag(RULES, self.spec, ctx, node, a[0], f"{name}()", hotspot=False)
        elif name in ("net/http.NewRequest", "net/http.NewRequestWithContext") and len(a) >= 2:
            flag(RULES, self.spec, ctx, node, a[-2], f"{name}()", hotspot=False)
        elif name.endswith((".Get", ".Post", ".Head", ".PostForm")) and a and _is_http_client(node, ctx):
            flag(RULES, self.spec, ctx, node, a[0], f"{name}()", hotspot=False)


def _is_http_client(call: Node, ctx: TreeContext) -> bool:
    """``http.DefaultClient.Get``, or a receiver made as or declared an ``http.Client``."""
    target = call.child_by_field_name("function")
    operand = target.child_by_field_name("operand") if target is not None else None
    if operand is None:
        return False
    text = ctx.text(operand)
    if text == "http.DefaultClient" or "http.Client{" in text:
        return True
    word = re.escape(text.rsplit(".", 1)[-1])
    return re.search(rf"\b{word}\s*(?::=|=)?\s*&?\*?(?:http\.Client\b)", ctx.text(ctx.tree.root_node)) is not None


@register
class GoInsecureTls(TreeDetector):
    """``InsecureSkipVerify: true`` in a tls.Config: certificates are not checked."""

    spec = InsecureTls.spec
    languages = GO
    kinds = frozenset({"keyed_element"})

    def visit(self, node: Node, ctx: TreeContext) -> None:
        key = node.child_by_field_name("key") or node.named_child(0)
        value = node.child_by_field_name("value") or node.named_child(1)
        if key is None or value is None or ctx.text(key) != "InsecureSkipVerify" or ctx.text(value) != "true":
            return
        ctx.report(
            self.spec,
            node,
            "InsecureSkipVerify: true turns off TLS certificate verification.",
            kind=Kind.VULNERABILITY.value,
            confidence=0.9,
        )


_WEAK = {"crypto/md5": "MD5", "crypto/sha1": "SHA-1", "golang.org/x/crypto/md4": "MD4"}


@register
class GoWeakHash(_GoSecurity):
    """MD5/SHA-1 (crypto/md5, crypto/sha1): a vulnerability when it hashes a password, else a hotspot."""

    spec = WeakCrypto.spec

    def visit(self, node: Node, ctx: TreeContext) -> None:
        name = callee(node, ctx)
        package, _, func = name.rpartition(".")
        algorithm = _WEAK.get(package)
        if algorithm is None or func not in ("New", "Sum"):
            return
        statement = node.parent.parent if node.parent is not None and node.parent.parent is not None else node
        password = bool(PASSWORD.search(ctx.text(statement) + " " + ctx.symbol_at(node)))
        report_weak_hash(self.spec, ctx, node, algorithm, password=password, advice="bcrypt, scrypt or argon2")


@register
class GoInsecureRandom(_GoSecurity):
    """math/rand for a token, secret, password or key that must not be guessed."""

    spec = InsecureRandom.spec

    def visit(self, node: Node, ctx: TreeContext) -> None:
        name = callee(node, ctx)
        if not name.startswith(("math/rand.", "math/rand/v2.")):
            return
        report_insecure_random(self.spec, ctx, node, "math/rand", bound_name(_BINDERS, node, ctx), "crypto/rand")


# where a value ends up (``token := ...``, ``Key: ...``, ``return`` in ``func newToken()``)
_BINDERS = Binders(
    names={
        "short_var_declaration": "left",
        "assignment_statement": "left",
        "var_spec": "name",
        "keyed_element": "",
    },
    barriers=frozenset({"block"}),
    function_name=symbol_name,
)
