"""Security detectors for Java, with input-source evidence (``tree_taint.py``).

Sources: the ``HttpServletRequest``/``ServletRequest`` parameter of the enclosing method
(``getParameter``, ``getHeader``, ``getInputStream``, ``getReader``, ``getQueryString``,
``getCookies``...) and the parameters Spring or JAX-RS bind from the request (``@RequestParam``,
``@PathVariable``, ``@RequestBody``, ``@RequestHeader``, ``@CookieValue``, ``@QueryParam``,
``@PathParam``, ``@FormParam``...). A sink reached by a source is a
vulnerability with its taint path; a risky sink without that evidence (SQL or a shell command built
at run time, an XML parser factory left with external entities on, ``ObjectInputStream``) is a
hotspot. A trust-all ``TrustManager`` or ``HostnameVerifier`` is a vulnerability on its own.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from analysis.engine.detectors.security import (
    CommandInjection,
    PathTraversal,
    ServerSideRequestForgery,
    SqlInjection,
    UnsafeDeserialization,
    XmlExternalEntities,
)
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
    symbol_name,
    taint,
    value_of,
    value_or_self,
)
from analysis.engine.model import Kind
from analysis.engine.registry import TreeDetector, register

if TYPE_CHECKING:
    from tree_sitter import Node

    from analysis.engine.languages.context import TreeContext

JAVA = frozenset({"java"})
_FUNCTIONS = frozenset({"method_declaration", "constructor_declaration", "lambda_expression"})
_REQUEST_TYPES = frozenset({"HttpServletRequest", "ServletRequest", "HttpServletRequestWrapper", "HttpRequest"})
_REQUEST_METHODS = (
    r"getParameter|getParameterValues|getParameterMap|getParameterNames|getHeader|getHeaders|getInputStream|"
    r"getReader|getQueryString|getCookies|getRequestURI|getRequestURL|getPathInfo|getPart|getParts|getServletPath"
)
_BOUND_ANNOTATIONS = re.compile(
    r"@(?:RequestParam|PathVariable|RequestBody|RequestHeader|CookieValue|ModelAttribute|RequestPart|MatrixVariable|"
    r"QueryParam|PathParam|FormParam|HeaderParam|CookieParam|BeanParam)\b"
)
_PASSTHROUGH = frozenset(
    {
        "format",
        "formatted",
        "valueOf",
        "concat",
        "trim",
        "strip",
        "toLowerCase",
        "toUpperCase",
        "substring",
        "replace",
        "replaceAll",
        "toString",
        "append",
        "join",
        "get",
        "getOrDefault",
        "decode",
        "getBytes",
        "resolve",
        "of",
    }
)


def _bindings(node: Node, ctx: TreeContext) -> list[tuple[str, Node]]:
    kind = node.type
    if kind == "variable_declarator":
        name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
        return [(ctx.text(name), value)] if name is not None and value is not None else []
    if kind == "assignment_expression":
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if left is not None and right is not None and left.type == "identifier":
            return [(ctx.text(left), right)]
        return []
    if kind == "enhanced_for_statement":
        name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
        return [(ctx.text(name), value)] if name is not None and value is not None else []
    return []


def _parameter_sources(function: Node, ctx: TreeContext) -> list[str]:
    params = function.child_by_field_name("parameters")
    out = []
    for param in params.named_children if params is not None else []:
        if param.type not in ("formal_parameter", "spread_parameter"):
            continue
        name = param.child_by_field_name("name")
        if name is None:
            continue
        kind = param.child_by_field_name("type")
        word = re.escape(ctx.text(name))
        if kind is not None and ctx.text(kind).rsplit(".", 1)[-1] in _REQUEST_TYPES:
            out.append(rf"\b{word}\.(?:{_REQUEST_METHODS})\(")
        elif _BOUND_ANNOTATIONS.search(ctx.text(param)):
            out.append(rf"(?<![\w.]){word}\b")
    return out


def callee(node: Node, ctx: TreeContext) -> str:
    """``obj.method`` as written for a method invocation; the type for ``new T(...)``."""
    if node.type == "object_creation_expression":
        kind = node.child_by_field_name("type")
        return ctx.text(kind).split("<", 1)[0] if kind is not None else ""
    name = node.child_by_field_name("name")
    obj = node.child_by_field_name("object")
    if name is None:
        return ""
    return f"{ctx.text(obj)}.{ctx.text(name)}" if obj is not None else ctx.text(name)


def _passes_through(call: Node, ctx: TreeContext) -> bool:
    if call.type == "object_creation_expression":
        return callee(call, ctx).rsplit(".", 1)[-1] in (
            "String",
            "StringBuilder",
            "File",
            "URL",
            "URI",
            "InputStreamReader",
            "BufferedReader",
        )
    name = call.child_by_field_name("name")
    return name is not None and ctx.text(name) in _PASSTHROUGH


RULES = TaintRules(
    functions=_FUNCTIONS,
    calls=frozenset({"method_invocation", "object_creation_expression"}),
    bindings=_bindings,
    parameter_sources=_parameter_sources,
    process_sources=r"(?!x)x",  # none (a command line tool's args are its own user's)
    passes_through=_passes_through,
)


def args(call: Node) -> list[Node]:
    node = call.child_by_field_name("arguments")
    return [a for a in node.named_children if "comment" not in a.type] if node is not None else []


def built(node: Node | None, ctx: TreeContext) -> bool:
    """A string assembled at run time: ``+`` with a non-literal, String.format, a StringBuilder."""
    if node is None:
        return False
    if node.type == "binary_expression":
        op = node.child_by_field_name("operator")
        if op is not None and op.type == "+":
            return any(
                c is not None and c.type not in ("string_literal", "text_block")
                for c in (node.child_by_field_name("left"), node.child_by_field_name("right"))
            )
    if node.type == "method_invocation":
        name = ctx.text(node.child_by_field_name("name") or node)
        return name in ("format", "formatted", "toString", "concat", "join")
    return False


def _first_literal(node: Node, ctx: TreeContext) -> str:
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type in ("string_literal", "text_block"):
            return ctx.text(current).strip('"')
        stack.extend(reversed(current.named_children))  # leftmost first
    return ""


def _receiver_is(call: Node, ctx: TreeContext, type_name: str, made_by: str) -> bool:
    """Is the object of ``call`` of ``type_name``: made in place (``Runtime.getRuntime().exec``), a
    variable assigned from ``made_by`` in the method, or declared with that type in the file?"""
    obj = call.child_by_field_name("object")
    if obj is None:
        return False
    text = ctx.text(obj)
    if made_by in text:
        return True
    if obj.type != "identifier":
        return False
    value = value_of(RULES, obj, ctx)
    if value is not None and made_by in ctx.text(value):
        return True
    return re.search(rf"\b{type_name}\s+{re.escape(text)}\b", ctx.text(ctx.tree.root_node)) is not None


class _JavaSecurity(TreeDetector):
    """Sink calls come from the Java query (``languages/java.py``: calls of the sink names)."""

    languages = JAVA
    captures = ("java.sink",)

    def match(self, captures: dict[str, list[Node]], ctx: TreeContext) -> None:
        for node in captures.get("java.sink", ()):
            self.visit(node, ctx)


_CLASSES = frozenset({"class_declaration", "enum_declaration", "record_declaration", "interface_declaration"})


def _function_of(node: Node, ctx: TreeContext) -> Node:
    """The method (or lambda) around ``node``, else its class, else the file."""
    return enclosing(node, _FUNCTIONS) or enclosing(node, _CLASSES) or ctx.tree.root_node


_SQL_METHODS = frozenset(
    {
        "execute",
        "executeQuery",
        "executeUpdate",
        "executeLargeUpdate",
        "addBatch",
        "prepareStatement",
        "prepareCall",
        "createQuery",
        "createNativeQuery",
        "queryForList",
        "queryForObject",
        "queryForMap",
        "query",
        "update",
    }
)
_SQL_START = re.compile(r"^\s*(select|insert|update|delete|with|merge|replace|create|drop|alter|call|exec)\b", re.I)


@register
class JavaSqlInjection(_JavaSecurity):
    """SQL built by concatenation or String.format and passed to JDBC/JPA/JdbcTemplate."""

    spec = SqlInjection.spec

    def visit(self, node: Node, ctx: TreeContext) -> None:
        if node.type != "method_invocation":
            return
        name = node.child_by_field_name("name")
        if name is None or ctx.text(name) not in _SQL_METHODS or node.child_by_field_name("object") is None:
            return
        a = args(node)
        if not a:
            return
        value = value_or_self(RULES, a[0], ctx)
        if not (built(value, ctx) and _SQL_START.search(_first_literal(value, ctx))):
            return
        flag(RULES, self.spec, ctx, node, a[0], f"{callee(node, ctx)}()", hotspot=True)


_SHELLS = frozenset({'"sh"', '"bash"', '"/bin/sh"', '"/bin/bash"', '"cmd"', '"cmd.exe"', '"powershell"', '"zsh"'})


@register
class JavaCommandInjection(_JavaSecurity):
    """``Runtime.exec`` with a built command line or a shell, ``ProcessBuilder("sh", "-c", ...)``."""

    spec = CommandInjection.spec

    def visit(self, node: Node, ctx: TreeContext) -> None:
        name = callee(node, ctx)
        a = args(node)
        if not a:
            return
        if node.type == "method_invocation" and name.endswith(".exec") and _receiver_is(node, ctx, "Runtime", "getRuntime()"):
            command = a[0]
            parts = self._array_items(command)
            if parts is not None:
                self._shell(node, ctx, parts, "Runtime.exec")
            else:
                flag(RULES, self.spec, ctx, node, command, "Runtime.exec", hotspot=built(value_or_self(RULES, command, ctx), ctx))
        elif (
            node.type == "method_invocation"
            and name.endswith(".command")
            and _receiver_is(node, ctx, "ProcessBuilder", "new ProcessBuilder")
        ):
            self._shell(node, ctx, self._array_items(a[0]) or a if len(a) == 1 else a, "ProcessBuilder.command")
        elif node.type == "object_creation_expression" and name.rsplit(".", 1)[-1] == "ProcessBuilder":
            parts = self._array_items(a[0]) if len(a) == 1 else a
            if parts is None:
                return
            self._shell(node, ctx, parts, "ProcessBuilder")

    def _array_items(self, node: Node) -> list[Node] | None:
        if node.type == "array_creation_expression":
            init = next((c for c in node.named_children if c.type == "array_initializer"), None)
            return list(init.named_children) if init is not None else None
        if node.type == "method_invocation" and node.child_by_field_name("name") is not None:
            args_node = node.child_by_field_name("arguments")
            return list(args_node.named_children) if args_node is not None else None  # List.of / Arrays.asList
        return None

    def _shell(self, node: Node, ctx: TreeContext, parts: list[Node], what: str) -> None:
        if not parts:
            return
        if ctx.text(parts[0]) in _SHELLS and len(parts) >= 3 and ctx.text(parts[1]) in ('"-c"', '"/c"', '"-Command"'):
            script = parts[2]
            flag(
                RULES, self.spec, ctx, node, script, f"{what} with a shell", hotspot=built(value_or_self(RULES, script, ctx), ctx)
            )
        else:
            flag(RULES, self.spec, ctx, node, parts[0], f"{what} program", hotspot=False)


@register
class JavaDeserialization(_JavaSecurity):
    """``ObjectInputStream.readObject`` on request data (a vulnerability) or on any stream (a hotspot)."""

    spec = UnsafeDeserialization.spec

    def visit(self, node: Node, ctx: TreeContext) -> None:
        if node.type != "object_creation_expression" or callee(node, ctx).rsplit(".", 1)[-1] != "ObjectInputStream":
            return
        owner = enclosing(node, _CLASSES)
        if owner is not None and "extends ObjectInputStream" in ctx.text(owner)[:300]:
            return
        a = args(node)
        if not a:
            return
        # a resolveClass allow-list (a subclass, or an ObjectInputFilter set on the stream) is the fix
        if "setObjectInputFilter" in ctx.text(_function_of(node, ctx)):
            return
        flag(RULES, self.spec, ctx, node, a[0], "ObjectInputStream.readObject", hotspot=True, confidence=0.8)


_XML_FACTORIES = {
    "DocumentBuilderFactory": "DocumentBuilderFactory",
    "SAXParserFactory": "SAXParserFactory",
    "XMLInputFactory": "XMLInputFactory",
    "TransformerFactory": "TransformerFactory",
    "SchemaFactory": "SchemaFactory",
    "SAXReader": "SAXReader",
    "SAXBuilder": "SAXBuilder",
    "XMLReaderFactory": "XMLReaderFactory",
}
_XML_SAFE = re.compile(
    r"disallow-doctype-decl|FEATURE_SECURE_PROCESSING|external-general-entities|ACCESS_EXTERNAL_DTD|"
    r"SUPPORT_DTD|IS_SUPPORTING_EXTERNAL_ENTITIES|setExpandEntityReferences\(\s*false|load-external-dtd"
)


@register
class JavaXxe(_JavaSecurity):
    """An XML parser factory without the features that turn external entities off; a
    vulnerability when the same method parses request data."""

    spec = XmlExternalEntities.spec

    def visit(self, node: Node, ctx: TreeContext) -> None:
        name = callee(node, ctx)
        owner, _, method = name.rpartition(".")
        if node.type == "method_invocation":
            factory = (
                _XML_FACTORIES.get(owner.rsplit(".", 1)[-1])
                if method in ("newInstance", "newFactory", "newDefaultInstance", "createXMLReader")
                else None
            )
        else:
            factory = _XML_FACTORIES.get(name.rsplit(".", 1)[-1])
        if factory is None:
            return
        scope = _function_of(node, ctx)
        cls = enclosing(node, _CLASSES)
        if _XML_SAFE.search(ctx.text(scope)) or (cls is not None and _XML_SAFE.search(ctx.text(cls))):
            return
        parsed = self._parsed_input(scope, ctx)
        steps = taint(RULES, parsed, ctx) if parsed is not None else None
        if steps is not None:
            flag(RULES, self.spec, ctx, node, parsed, f"{factory} without secure features", hotspot=False)
            return
        ctx.report(
            self.spec,
            node,
            f"{factory} is used without disabling DOCTYPEs/external entities: review the XML it parses.",
            kind=Kind.HOTSPOT.value,
            confidence=0.4,
            metadata={"factory": factory},
        )

    def _parsed_input(self, scope: Node, ctx: TreeContext) -> Node | None:
        stack = [scope]
        while stack:
            current = stack.pop()
            if current.type == "method_invocation":
                name = current.child_by_field_name("name")
                if name is not None and ctx.text(name) in (
                    "parse",
                    "createXMLStreamReader",
                    "createXMLEventReader",
                    "read",
                    "unmarshal",
                    "build",
                ):
                    a = args(current)
                    if a:
                        return a[0]
            stack.extend(current.named_children)
        return None


@register
class JavaPathTraversal(_JavaSecurity):
    """Request data in a file path: new File/FileInputStream/FileReader, Paths.get, Files.*."""

    spec = PathTraversal.spec
    _TYPES = frozenset(
        {"File", "FileInputStream", "FileOutputStream", "FileReader", "FileWriter", "RandomAccessFile", "PrintWriter"}
    )

    def visit(self, node: Node, ctx: TreeContext) -> None:
        name = callee(node, ctx)
        a = args(node)
        if not a:
            return
        if node.type == "object_creation_expression" and name.rsplit(".", 1)[-1] in self._TYPES:
            if a[-1].type == "object_creation_expression" and callee(a[-1], ctx).rsplit(".", 1)[-1] in self._TYPES:
                return  # new FileInputStream(new File(dir, name)): reported on the inner File
            flag(RULES, self.spec, ctx, node, a[-1], f"new {name}()", hotspot=False)
        elif name in ("Paths.get", "Path.of") or (
            name.startswith("Files.")
            and name[6:]
            in ("readAllBytes", "readString", "newInputStream", "newBufferedReader", "lines", "delete", "write", "copy")
        ):
            flag(RULES, self.spec, ctx, node, a[0] if not name.startswith("Path") else a[-1], f"{name}()", hotspot=False)


@register
class JavaSsrf(_JavaSecurity):
    """A request URL from the request: new URL(...).openConnection, HttpRequest.newBuilder(URI), RestTemplate."""

    spec = ServerSideRequestForgery.spec

    def visit(self, node: Node, ctx: TreeContext) -> None:
        name = callee(node, ctx)
        a = args(node)
        if not a:
            return
        if node.type == "object_creation_expression" and name.rsplit(".", 1)[-1] in ("URL", "HttpGet", "HttpPost"):
            flag(RULES, self.spec, ctx, node, a[0], f"new {name}()", hotspot=False)
        elif name in ("URI.create", "HttpRequest.newBuilder") or name.endswith(
            ("restTemplate.getForObject", "restTemplate.getForEntity", "restTemplate.exchange", "restTemplate.postForObject")
        ):
            flag(RULES, self.spec, ctx, node, a[0], f"{name}()", hotspot=False)


@register
class JavaTrustAll(TreeDetector):
    """A ``TrustManager`` whose ``checkServerTrusted`` accepts every certificate, or a
    ``HostnameVerifier`` returning ``true``: TLS is not verified."""

    spec = InsecureTls.spec
    languages = JAVA
    kinds = frozenset({"method_declaration", "lambda_expression"})

    def visit(self, node: Node, ctx: TreeContext) -> None:
        if node.type == "lambda_expression":
            body = node.child_by_field_name("body")
            parent = node.parent.parent if node.parent is not None else None
            if body is None or parent is None or parent.type != "method_invocation":
                return
            setter = ctx.text(parent.child_by_field_name("name") or parent)
            if setter in ("setHostnameVerifier", "setDefaultHostnameVerifier", "hostnameVerifier") and self._returns_true(
                body, ctx
            ):
                self._report(ctx, node, "A HostnameVerifier that returns true accepts any host name.")
            return
        name = ctx.text(node.child_by_field_name("name") or node)
        body = node.child_by_field_name("body")
        if body is None:
            return
        if name == "checkServerTrusted" and not any(
            c.type != "line_comment" and c.type != "block_comment" for c in body.named_children
        ):
            self._report(ctx, node, "checkServerTrusted accepts every certificate: this TrustManager trusts anyone.")
        elif (
            name == "verify"
            and "SSLSession" in ctx.text(node.child_by_field_name("parameters") or node)
            and self._returns_true(body, ctx)
        ):
            self._report(ctx, node, "A HostnameVerifier that returns true accepts any host name.")

    def _returns_true(self, body: Node, ctx: TreeContext) -> bool:
        if body.type == "true":
            return True
        statements = [c for c in body.named_children if "comment" not in c.type]
        return (
            len(statements) == 1
            and statements[0].type == "return_statement"
            and ctx.text(statements[0]).replace(" ", "") == "returntrue;"
        )

    def _report(self, ctx: TreeContext, node: Node, message: str) -> None:
        ctx.report(self.spec, node, message, kind=Kind.VULNERABILITY.value, confidence=0.9)


_WEAK_DIGESTS = {"MD5": "MD5", "MD2": "MD2", "MD4": "MD4", "SHA-1": "SHA-1", "SHA1": "SHA-1", "SHA": "SHA-1"}


@register
class JavaWeakHash(_JavaSecurity):
    """``MessageDigest.getInstance("MD5"/"SHA-1")``: a vulnerability for passwords, else a hotspot."""

    spec = WeakCrypto.spec

    def visit(self, node: Node, ctx: TreeContext) -> None:
        if node.type != "method_invocation" or not callee(node, ctx).endswith("MessageDigest.getInstance"):
            return
        a = args(node)
        if not a or a[0].type != "string_literal":
            return
        algorithm = _WEAK_DIGESTS.get(ctx.text(a[0]).strip('"').upper())
        if algorithm is None:
            return
        scope = enclosing(node, _FUNCTIONS) or node
        password = bool(PASSWORD.search(ctx.text(scope)[:2000] + " " + ctx.symbol_at(node)))
        report_weak_hash(self.spec, ctx, node, algorithm, password=password, advice="bcrypt, scrypt or argon2")


_RANDOM_METHODS = (".nextInt", ".nextLong", ".nextBytes", ".nextDouble", ".nextFloat", ".nextGaussian", ".nextBoolean")


@register
class JavaInsecureRandom(_JavaSecurity):
    """``java.util.Random`` (or ``Math.random``) for a token, password or key that must not be guessed."""

    spec = InsecureRandom.spec

    def visit(self, node: Node, ctx: TreeContext) -> None:
        name = callee(node, ctx)
        if node.type == "object_creation_expression":
            if name not in ("Random", "java.util.Random"):
                return
        elif name.endswith(_RANDOM_METHODS):
            # a Random kept in a field or variable: ``RNG.nextLong()`` (``new Random().nextLong()``
            # is reported on the ``new``)
            obj = node.child_by_field_name("object")
            if obj is None or obj.type != "identifier" or not _receiver_is(node, ctx, "Random", "new Random("):
                return
            name = f"java.util.Random.{name.rsplit('.', 1)[-1]}"
        elif name not in ("Math.random", "ThreadLocalRandom.current"):
            return
        report_insecure_random(self.spec, ctx, node, name, bound_name(_BINDERS, node, ctx), "java.security.SecureRandom")


# where a value ends up: the variable, field or method
_BINDERS = Binders(
    names={"variable_declarator": "name", "assignment_expression": "left"},
    barriers=frozenset({"block", "class_body"}),
    function_name=symbol_name,
)
