"""Security detectors for C#, with input-source evidence (``tree_taint.py``).

Sources: the parameters of ASP.NET actions (a public method of a class named ``*Controller`` or
deriving from ``Controller``/``ControllerBase``, or one with an ``[Http*]`` attribute; and any
``[FromQuery]``/``[FromBody]``/``[FromRoute]``/``[FromForm]``/``[FromHeader]`` parameter), the
parameters of minimal-API handlers (``app.MapGet("/x", (string q) => ...)``; services and
``ILogger`` excluded), ``Request.Query``/``Form``/``Headers``/``Cookies``/``Body``/``RouteValues``
and the same members of an ``HttpRequest``/``HttpContext`` parameter. A sink reached by a
source is a vulnerability with its taint path; a risky sink without that evidence is a hotspot.
Checks keep the ids of the Python detectors:

* ``sql-injection``: ``new SqlCommand(sql)`` (and the OleDb, Odbc, Npgsql, MySql, SQLite
  commands), ``command.CommandText = sql``, EF Core ``FromSqlRaw``/``ExecuteSqlRaw``/``SqlQueryRaw``,
  Dapper ``Query``/``Execute`` with SQL built by ``+``, interpolation or ``string.Format``;
* ``command-injection``: ``Process.Start``/``ProcessStartInfo`` running a shell (``cmd /c``,
  ``bash -c``, ``powershell -Command``) with built arguments, or a program name from input;
* ``unsafe-deserialization``: ``Deserialize`` on a ``BinaryFormatter``, ``SoapFormatter``,
  ``NetDataContractSerializer``, ``LosFormatter`` or ``ObjectStateFormatter``;
* ``insecure-tls``: a certificate validation callback that returns ``true`` (or
  ``DangerousAcceptAnyServerCertificateValidator``);
* ``weak-crypto``: MD5/SHA-1 (a vulnerability when it hashes a password);
* ``insecure-random``: ``System.Random`` for a token, key, password, salt or nonce.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from analysis.engine.detectors.security import CommandInjection, SqlInjection, UnsafeDeserialization
from analysis.engine.detectors.security_config import InsecureRandom, InsecureTls, WeakCrypto
from analysis.engine.detectors.tree_taint import (
    PASSWORD,
    Binders,
    TaintRules,
    bound_name,
    enclosing,
    flag,
    report_insecure_random,
    report_weak_hash,
    value_or_self,
)
from analysis.engine.model import Kind
from analysis.engine.registry import TreeDetector, register

if TYPE_CHECKING:
    from tree_sitter import Node

    from analysis.engine.languages.context import TreeContext

CSHARP = frozenset({"csharp"})
_FUNCTIONS = frozenset(
    {
        "method_declaration",
        "constructor_declaration",
        "local_function_statement",
        "lambda_expression",
        "anonymous_method_expression",
    }
)
_CALLS = frozenset({"invocation_expression", "object_creation_expression"})
_REQUEST = (
    r"\b(?:HttpContext\.)?Request\.(?:Query|Form|Headers|Cookies|Body|BodyReader|RouteValues|QueryString|Path|Params|Files)\b"
)
_BOUND = re.compile(r"\[\s*(?:FromQuery|FromBody|FromRoute|FromForm|FromHeader|FromServices)?\s*(?:Attribute)?\b")
_FROM = re.compile(r"\[\s*From(?:Query|Body|Route|Form|Header)\b")
_STRINGS = frozenset({"string_literal", "verbatim_string_literal", "raw_string_literal"})


def _declarator_value(node: Node) -> Node | None:
    name = node.child_by_field_name("name")
    values = [c for c in node.named_children if c != name and c.type not in ("bracketed_argument_list",)]
    return values[-1] if values else None


def _bindings(node: Node, ctx: TreeContext) -> list[tuple[str, Node]]:
    kind = node.type
    if kind == "variable_declarator":
        name, value = node.child_by_field_name("name"), _declarator_value(node)
        return [(ctx.text(name), value)] if name is not None and value is not None else []
    if kind == "assignment_expression":
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if left is not None and right is not None and left.type == "identifier":
            return [(ctx.text(left), right)]
    if kind == "foreach_statement":
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if left is not None and right is not None and left.type == "identifier":
            return [(ctx.text(left), right)]
    return []


def _is_action(function: Node, ctx: TreeContext) -> bool:
    if function.type != "method_declaration":
        return False
    header = ctx.text(function)[: max(0, (function.child_by_field_name("body") or function).start_byte - function.start_byte)]
    if re.search(r"\[\s*(?:Http(?:Get|Post|Put|Delete|Patch)|Route)\b", header):
        return True
    if not re.search(r"\bpublic\b", header):
        return False
    owner = enclosing(function, frozenset({"class_declaration"}))
    if owner is None:
        return False
    name = owner.child_by_field_name("name")
    bases = next((c for c in owner.named_children if c.type == "base_list"), None)
    return (name is not None and ctx.text(name).endswith("Controller")) or (
        bases is not None and re.search(r"\b(?:Controller|ControllerBase|ApiController|PageModel)\b", ctx.text(bases)) is not None
    )


_MAP = re.compile(r"\.Map(?:Get|Post|Put|Delete|Patch|Methods|Fallback)?$")
_REQUEST_MEMBERS = r"Query|Form|Headers|Cookies|Body|BodyReader|RouteValues|QueryString|Path|Files"
_SERVICE_TYPES = re.compile(r"^(?:HttpContext|HttpRequest|HttpResponse|CancellationToken|I[A-Z]\w*|ILogger\b.*)$")


def _is_endpoint_lambda(function: Node, ctx: TreeContext) -> bool:
    """A minimal-API handler: ``app.MapGet("/x", (string q) => ...)``."""
    argument = function.parent
    if function.type != "lambda_expression" or argument is None or argument.type != "argument":
        return False
    call = argument.parent.parent if argument.parent is not None else None
    target = call.child_by_field_name("function") if call is not None and call.type == "invocation_expression" else None
    return target is not None and bool(_MAP.search(ctx.text(target)))


def _parameter_sources(function: Node, ctx: TreeContext) -> list[str]:
    out = [_REQUEST]
    params = function.child_by_field_name("parameters")
    if params is None:
        return out
    action = _is_action(function, ctx) or _is_endpoint_lambda(function, ctx)
    for param in params.named_children:
        if param.type != "parameter":
            continue
        name = param.child_by_field_name("name")
        if name is None:
            continue
        word = re.escape(ctx.text(name))
        kind = param.child_by_field_name("type")
        written = ctx.text(kind) if kind is not None else ""
        if written in ("HttpRequest", "HttpContext"):
            prefix = r"\.Request" if written == "HttpContext" else ""
            out.append(rf"(?<![\w.]){word}{prefix}\.(?:{_REQUEST_MEMBERS})\b")
        elif _FROM.search(ctx.text(param)) or (
            action and "[FromServices" not in ctx.text(param) and not _SERVICE_TYPES.match(written)
        ):
            out.append(rf"(?<![\w.]){word}\b")
    return out


_PASSTHROUGH = frozenset(
    {
        "Format",
        "Concat",
        "Join",
        "Trim",
        "ToLower",
        "ToUpper",
        "ToString",
        "Replace",
        "Substring",
        "ToLowerInvariant",
        "ToUpperInvariant",
        "Append",
        "AppendFormat",
        "Combine",
        "ReadToEnd",
        "ReadToEndAsync",
        "GetString",
        "Decode",
    }
)


def _passes_through(call: Node, ctx: TreeContext) -> bool:
    if call.type == "object_creation_expression":
        kind = call.child_by_field_name("type")
        return kind is not None and ctx.text(kind) in ("StringBuilder", "StreamReader", "Uri", "MemoryStream")
    target = call.child_by_field_name("function")
    if target is None:
        return False
    return ctx.text(target).rsplit(".", 1)[-1] in _PASSTHROUGH


RULES = TaintRules(
    functions=_FUNCTIONS,
    calls=_CALLS,
    bindings=_bindings,
    parameter_sources=_parameter_sources,
    process_sources=r"\bEnvironment\.GetCommandLineArgs\b|\bConsole\.ReadLine\s*\(",
    passes_through=_passes_through,
)


def args(call: Node) -> list[Node]:
    node = call.child_by_field_name("arguments")
    if node is None:
        return []
    out = []
    for a in node.named_children:
        if a.type == "argument":
            out.append(a.named_children[-1] if a.named_child_count else a)
    return out


def built(node: Node, ctx: TreeContext) -> bool:
    """A string assembled at run time: ``+`` with a non-literal, interpolation, string.Format/Concat."""
    node = value_or_self(RULES, node, ctx)
    if node.type == "binary_expression":
        op = node.child_by_field_name("operator")
        return op is not None and op.type == "+" and any(c.type not in _STRINGS for c in node.named_children)
    if node.type == "interpolated_string_expression":
        return any(c.type == "interpolation" for c in node.named_children)
    if node.type == "invocation_expression":
        target = node.child_by_field_name("function")
        return target is not None and re.search(r"(?:^|\.)(?:Format|Concat|Join|ToString)$", ctx.text(target)) is not None
    return False


def _literal(node: Node, ctx: TreeContext) -> str | None:
    if node.type not in _STRINGS:
        return None
    return ctx.text(node).lstrip("@$").strip('"')


def _first_text(node: Node, ctx: TreeContext) -> str:
    stack = [value_or_self(RULES, node, ctx)]
    while stack:
        current = stack.pop()
        if current.type in _STRINGS or current.type in ("string_content", "interpolated_string_text", "string_literal_content"):
            return ctx.text(current).lstrip("@$").strip('"')
        stack.extend(reversed(current.named_children))
    return ""


_SQL = re.compile(r"^\s*(?:select|insert|update|delete|with|merge|exec|execute|create|drop|alter)\b", re.I)
_COMMANDS = re.compile(r"(?:^|\.)(?:Sql|OleDb|Odbc|Npgsql|MySql|SQLite|Sqlite|Oracle)Command$")
_SHELLS = re.compile(r"^(?:.*[\\/])?(?:cmd(?:\.exe)?|powershell(?:\.exe)?|pwsh|sh|bash|zsh)$", re.I)


class _CsSinks(TreeDetector):
    languages = CSHARP
    captures = ("cs.sink", "cs.assign")

    def match(self, captures: dict[str, list[Node]], ctx: TreeContext) -> None:
        for node in captures.get("cs.sink", ()):
            self.sink(node, ctx)
        for node in captures.get("cs.assign", ()):
            self.assign(node, ctx)

    def sink(self, node: Node, ctx: TreeContext) -> None:
        pass

    def assign(self, node: Node, ctx: TreeContext) -> None:
        pass


def _type_of(node: Node, ctx: TreeContext) -> str:
    kind = node.child_by_field_name("type")
    return ctx.text(kind) if kind is not None else ""


def _method(node: Node, ctx: TreeContext) -> tuple[str, Node | None]:
    """(method name, receiver) of an invocation ``recv.Name(...)``."""
    target = node.child_by_field_name("function")
    if target is None or target.type != "member_access_expression":
        return "", None
    name = target.child_by_field_name("name")
    return (ctx.text(name) if name is not None else ""), target.child_by_field_name("expression")


@register
class CsSqlInjection(_CsSinks):
    """SQL built at run time handed to a command, EF Core raw SQL or Dapper."""

    spec = SqlInjection.spec

    def sink(self, node: Node, ctx: TreeContext) -> None:
        a = args(node)
        if node.type == "object_creation_expression":
            if not _COMMANDS.search(_type_of(node, ctx)) or not a:
                return
            self._check(node, a[0], f"new {_type_of(node, ctx)}()", ctx)
            return
        name, _ = _method(node, ctx)
        if name in ("FromSqlRaw", "ExecuteSqlRaw", "ExecuteSqlCommand", "SqlQueryRaw") and a:
            self._check(node, a[0], f"{name}()", ctx)
        elif name in ("Query", "Execute", "ExecuteScalar", "ExecuteReader") and a and _SQL.search(_first_text(a[0], ctx)):
            self._check(node, a[0], f"{name}()", ctx)

    def assign(self, node: Node, ctx: TreeContext) -> None:
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if left is not None and right is not None and ctx.text(left).endswith(".CommandText"):
            self._check(node, right, "CommandText", ctx)

    def _check(self, node: Node, sql: Node, what: str, ctx: TreeContext) -> None:
        if _literal(sql, ctx) is not None:
            return
        flag(RULES, self.spec, ctx, node, sql, what, hotspot=built(sql, ctx), process=True)


@register
class CsCommandInjection(_CsSinks):
    """``Process.Start``/``ProcessStartInfo`` running a shell with built arguments, or a program
    named by input."""

    spec = CommandInjection.spec

    def sink(self, node: Node, ctx: TreeContext) -> None:
        if node.type == "object_creation_expression":
            if _type_of(node, ctx).rsplit(".", 1)[-1] != "ProcessStartInfo":
                return
            program, arguments = self._initializer(node, ctx)
            a = args(node)
            program = program or (a[0] if a else None)
            arguments = arguments or (a[1] if len(a) > 1 else None)
        else:
            name, receiver = _method(node, ctx)
            if name != "Start" or receiver is None or ctx.text(receiver) not in ("Process", "System.Diagnostics.Process"):
                return
            a = args(node)
            program = a[0] if a else None
            arguments = a[1] if len(a) > 1 else None
            if program is not None and program.type == "object_creation_expression":
                return  # Process.Start(new ProcessStartInfo {...}): checked at the ProcessStartInfo
        if program is None:
            return
        literal = _literal(program, ctx)
        if literal is None:
            flag(RULES, self.spec, ctx, node, program, "Process.Start program", hotspot=False)
            return
        if not _SHELLS.match(literal) or arguments is None or _literal(arguments, ctx) is not None:
            return
        flag(RULES, self.spec, ctx, node, arguments, f"{literal} arguments", hotspot=built(arguments, ctx), process=True)

    def _initializer(self, node: Node, ctx: TreeContext) -> tuple[Node | None, Node | None]:
        init = next((c for c in node.named_children if c.type == "initializer_expression"), None)
        program = arguments = None
        for assignment in init.named_children if init is not None else []:
            if assignment.type != "assignment_expression":
                continue
            left, right = assignment.child_by_field_name("left"), assignment.child_by_field_name("right")
            if left is None or right is None:
                continue
            if ctx.text(left) == "FileName":
                program = right
            elif ctx.text(left) == "Arguments":
                arguments = right
        return program, arguments


_FORMATTERS = re.compile(r"\b(?:BinaryFormatter|SoapFormatter|NetDataContractSerializer|LosFormatter|ObjectStateFormatter)\b")


@register
class CsDeserialization(_CsSinks):
    """``Deserialize`` on a formatter that instantiates any type the stream names."""

    spec = UnsafeDeserialization.spec

    def sink(self, node: Node, ctx: TreeContext) -> None:
        name, receiver = _method(node, ctx)
        if name != "Deserialize" or receiver is None:
            return
        made = value_or_self(RULES, receiver, ctx)
        text = ctx.text(made)
        if not _FORMATTERS.search(text):
            declared = re.search(rf"\b(\w+)\s+{re.escape(ctx.text(receiver))}\s*[;=]", ctx.text(ctx.tree.root_node))
            if declared is None or not _FORMATTERS.search(declared.group(1)):
                return
            text = declared.group(1)
        formatter = _FORMATTERS.search(text)
        a = args(node)
        what = f"{formatter.group(0) if formatter else 'formatter'}.Deserialize()"
        flag(RULES, self.spec, ctx, node, a[0] if a else None, what, hotspot=True)


@register
class CsInsecureTls(_CsSinks):
    """A certificate validation callback that accepts every certificate."""

    spec = InsecureTls.spec

    def assign(self, node: Node, ctx: TreeContext) -> None:
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if left is None or right is None or not ctx.text(left).endswith("ValidationCallback"):
            return
        text = re.sub(r"\s+", "", ctx.text(right))
        accepts_all = text.endswith("DangerousAcceptAnyServerCertificateValidator") or re.fullmatch(
            r"(?:delegate)?\(?[\w,]*\)?(?:=>)?(?:true|\{returntrue;\})", text
        )
        if accepts_all:
            ctx.report(
                self.spec,
                node,
                "This certificate validation callback accepts every certificate: TLS connections can be intercepted.",
                kind=Kind.VULNERABILITY.value,
                confidence=0.9,
            )


_WEAK = {
    "MD5": "MD5",
    "SHA1": "SHA-1",
    "MD5CryptoServiceProvider": "MD5",
    "SHA1CryptoServiceProvider": "SHA-1",
    "SHA1Managed": "SHA-1",
}


@register
class CsWeakHash(_CsSinks):
    """MD5/SHA-1: a vulnerability when it hashes a password, else a hotspot."""

    spec = WeakCrypto.spec

    def sink(self, node: Node, ctx: TreeContext) -> None:
        if node.type == "object_creation_expression":
            algorithm = _WEAK.get(_type_of(node, ctx).rsplit(".", 1)[-1])
        else:
            name, receiver = _method(node, ctx)
            owner = ctx.text(receiver).rsplit(".", 1)[-1] if receiver is not None else ""
            algorithm = _WEAK.get(owner) if name in ("Create", "HashData") and owner in ("MD5", "SHA1") else None
        if algorithm is None:
            return
        statement = enclosing(node, frozenset({"local_declaration_statement", "expression_statement", "return_statement"}))
        scope = enclosing(node, _FUNCTIONS)
        context = (
            ctx.text(statement or node)
            + " "
            + (ctx.text(scope.child_by_field_name("name") or scope) if scope is not None else "")
        )
        password = bool(PASSWORD.search(context))
        report_weak_hash(
            self.spec, ctx, node, algorithm, password=password, advice="PBKDF2 (Rfc2898DeriveBytes), bcrypt or Argon2"
        )


@register
class CsInsecureRandom(_CsSinks):
    """``System.Random`` for a value that must not be guessed."""

    spec = InsecureRandom.spec

    def sink(self, node: Node, ctx: TreeContext) -> None:
        name, receiver = _method(node, ctx)
        if name not in ("Next", "NextBytes", "NextInt64") or receiver is None:
            return
        made = ctx.text(value_or_self(RULES, receiver, ctx))
        if not re.search(r"\bnew\s+(?:System\.)?Random\s*\(|\bRandom\.Shared\b", made) and not re.search(
            rf"\bRandom\s+{re.escape(ctx.text(receiver))}\b", ctx.text(ctx.tree.root_node)
        ):
            return
        report_insecure_random(self.spec, ctx, node, "System.Random", bound_name(_BINDERS, node, ctx), "RandomNumberGenerator")


def _function_name(node: Node, ctx: TreeContext) -> str:
    scope = enclosing(node, _FUNCTIONS)
    name = scope.child_by_field_name("name") if scope is not None else None
    return ctx.text(name) if name is not None else ""


# where a value ends up (``var token = rng.Next()``, ``return`` in ``MakeToken``)
_BINDERS = Binders(
    names={"variable_declarator": "name", "assignment_expression": "left"},
    barriers=frozenset({"block"}),
    function_name=_function_name,
)
