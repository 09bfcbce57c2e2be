"""Security detectors fed by the shared traversal and the intra-procedural taint pass.

Injection-style detectors (SQL, command, code, deserialisation, XSS, XXE, path traversal, SSRF)
share one ``TaintState`` per file (see ``analysis/engine/taint.py``): when a value read from the
request, ``input()``, ``sys.argv`` or the environment reaches a sink, the finding carries the
source in its metadata and a higher confidence. The configuration-style detectors live in
``security_config.py``.
"""

from __future__ import annotations

import ast
import re
from typing import ClassVar

from analysis.engine import graph as g
from analysis.engine import taint
from analysis.engine.context import FileContext
from analysis.engine.model import Category, Finding, Kind, Severity
from analysis.engine.project import ProjectContext
from analysis.engine.registry import DetectorSpec, NodeDetector, register
from analysis.engine.taint import Info, Taint, TaintState, call_terminal

TAINTED_CONFIDENCE = 0.9
LOCAL_CONFIDENCE = 0.5  # input(), argv, environment: the operator's own data
UNKNOWN_CONFIDENCE = 0.6
REQUEST_ONLY = frozenset({taint.REQUEST})


def spec(
    id: str,
    severity: Severity,
    title: str,
    description: str,
    cwe: str,
    effort: int,
    **thresholds: object,
) -> DetectorSpec:
    return DetectorSpec(
        id=id,
        category=Category.SECURITY,
        severity=severity,
        title=title,
        description=description,
        cwe=cwe,
        effort_minutes=effort,
        thresholds=dict(thresholds),
    )


def user_severity(ctx: FileContext, detector_spec: DetectorSpec, default: Severity) -> Severity | None:
    """``default`` unless repotoire.toml overrides this detector's severity (then None, so that
    ``ctx.report`` applies the override)."""
    settings = ctx.settings.get(detector_spec.id)
    if settings is not None and settings.severity is not None:
        return None
    return default


def keyword(node: ast.Call, name: str) -> ast.expr | None:
    for kw in node.keywords:
        if kw.arg == name:
            return kw.value
    return None


def argument(node: ast.Call, position: int, name: str) -> ast.expr | None:
    """The argument passed at ``position`` or as keyword ``name``."""
    if len(node.args) > position and not any(isinstance(a, ast.Starred) for a in node.args[: position + 1]):
        return node.args[position]
    return keyword(node, name)


def is_const(node: ast.AST | None, value: object) -> bool:
    return isinstance(node, ast.Constant) and node.value is value


def summarise_sink(
    ctx: FileContext,
    detector: DetectorSpec,
    node: ast.AST,
    origin: Taint,
    sink: str,
    message: str,
    tainted_severity: Severity | None,
) -> None:
    """Record that a parameter (or what a call returned) reaches a sink in this function: the
    inter-procedural pass (``interproc.py``) turns it into a finding when a caller passes a source."""
    summary = ctx.shared.setdefault(taint.SUMMARY_KEY, {"sinks": [], "calls": [], "returns": []})
    summary["sinks"].append(
        {
            "fn": origin.owner,
            "origin": origin.kind,
            "name": origin.source,
            "det": detector.id,
            "sink": sink,
            "line": getattr(node, "lineno", 0),
            "message": message,
            "severity": (tainted_severity or detector.severity).value,
        }
    )


class TaintDetector(NodeDetector):
    """Base of the detectors that look at calls and use the shared taint state."""

    node_types: ClassVar[tuple[type[ast.AST], ...]] = (*taint.TRACKED_NODES, ast.Call, ast.Return)
    # last component of the called names this detector cares about (cheap pre-filter)
    call_names: ClassVar[frozenset[str]] = frozenset()

    _state: TaintState | None = None
    _observing = False

    def subscriptions(self, detectors: list[NodeDetector]) -> tuple[type[ast.AST], ...]:
        # The first taint detector to start a file becomes the observer that feeds the shared
        # state (see ``start_file``); detectors start in list order, so that is always the first
        # one in ``detectors``. The others only need the calls.
        first = next(d for d in detectors if isinstance(d, TaintDetector))
        if first is self:
            # the observer also records every call for the inter-procedural pass
            self.call_names = None  # type: ignore[assignment, misc]
            return type(self).node_types
        return (ast.Call,)

    def start_file(self, ctx: FileContext) -> None:
        self.reported: set[object] = set()
        # One detector per file (the first to start) feeds the shared taint state; the others
        # only read it. Cheaper than letting every detector offer each assignment to the state.
        state = taint.state_for(ctx)
        if state.observer is None:
            state.observer = self
        self._state = state
        self._observing = state.observer is self

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        if node.__class__ is ast.Call:
            if self._observing:
                self._state.observe_call(node, ctx)  # type: ignore[union-attr, arg-type]
            func = node.func  # type: ignore[attr-defined]
            kind = func.__class__
            last = func.attr if kind is ast.Attribute else func.id if kind is ast.Name else ""  # type: ignore[attr-defined]
            names = type(self).call_names
            if kind is ast.Name and last not in names:
                imported = ctx.imports.get(last)
                if imported:
                    last = imported.rpartition(".")[2]
            if last in names:
                state = self._state
                if state is None or state.ctx_ref() is not ctx:
                    state = taint.state_for(ctx)
                self.check_call(node, state.call_name(node, ctx), state, ctx)  # type: ignore[arg-type]
        elif node.__class__ is ast.Return:
            if self._observing:
                self._state.observe_return(node, ctx)  # type: ignore[union-attr, arg-type]
        elif self._observing:
            self._state.observe(node, ctx)  # type: ignore[union-attr]
        elif self._state is None:
            taint.state_for(ctx).observe(node, ctx)

    def end_file(self, ctx: FileContext) -> None:
        taint.release(ctx)
        self._state = None
        self._observing = False

    def check_call(self, node: ast.Call, name: str, state: TaintState, ctx: FileContext) -> None:
        raise NotImplementedError

    def report_value(
        self,
        ctx: FileContext,
        node: ast.AST,
        info: Info,
        message: str,
        *,
        sink: str,
        tainted_severity: Severity | None = None,
        unknown_confidence: float = UNKNOWN_CONFIDENCE,
        extra: dict[str, object] | None = None,
    ) -> None:
        metadata: dict[str, object] = {"sink": sink, **(extra or {})}
        if info.taint is not None and info.taint.symbolic:
            summarise_sink(ctx, self.spec, node, info.taint, sink, message, tainted_severity)
        if info.evidence is not None:
            found = info.evidence
            metadata.update(found.as_metadata())
            message = f"{message} (value from {found.source}, line {found.line})"
            # Only data from the network is evidence of a vulnerability and raises the severity;
            # input(), argv and the environment come from whoever runs the program (a CLI's
            # --eval does what its user asked): a hotspot, with the path shown all the same.
            remote = found.remote
            severity = user_severity(ctx, self.spec, tainted_severity) if tainted_severity and remote else None
            ctx.report(
                self.spec,
                node,
                message,
                confidence=TAINTED_CONFIDENCE if remote else LOCAL_CONFIDENCE,
                metadata=metadata,
                severity=severity,
                kind=Kind.VULNERABILITY if remote else Kind.HOTSPOT,
                taint_path=found.steps(ctx.path, getattr(node, "lineno", found.line), sink),
            )
        else:
            metadata["built_string"] = info.built
            ctx.report(self.spec, node, message, confidence=unknown_confidence, metadata=metadata, kind=Kind.HOTSPOT)


# --- sql-injection --------------------------------------------------------------------------------

_SQL_WORDS = re.compile(r"\b(select|insert|update|delete|create|drop|alter|where|from|values|order\s+by)\b", re.IGNORECASE)


@register
class SqlInjection(TaintDetector):
    """SQL text built with f-strings, %, + or .format reaching a query API instead of parameters."""

    spec = spec(
        "sql-injection",
        Severity.HIGH,
        "SQL built from strings",
        "A SQL statement is assembled with string formatting or concatenation and passed to "
        "cursor.execute/executemany, Model.objects.raw, QuerySet.extra, RawSQL or sqlalchemy "
        "text(). Pass values as query parameters instead.",
        "CWE-89",
        20,
    )
    call_names = frozenset(
        {"execute", "executemany", "executescript", "raw", "extra", "RawSQL", "text", "read_sql", "read_sql_query"}
    )

    def check_call(self, node: ast.Call, name: str, state: TaintState, ctx: FileContext) -> None:
        last = call_terminal(node.func, ctx)
        if last == "extra":
            for kw in node.keywords:
                if kw.arg in ("where", "select", "tables", "order_by"):
                    self._check(kw.value, node, f"QuerySet.extra({kw.arg}=...)", state, ctx, elements=True)
            for arg in node.args[:1]:
                self._check(arg, node, "QuerySet.extra(select=...)", state, ctx, elements=True)
            return
        if last == "text" and not name.startswith("sqlalchemy"):
            return
        if last == "raw" and not isinstance(node.func, ast.Attribute):
            return
        sql = argument(node, 0, "sql")
        if sql is None:
            return
        if last == "raw":
            receiver = ast.unparse(node.func.value) if isinstance(node.func, ast.Attribute) else ""  # type: ignore[union-attr]
            if "objects" not in receiver and not (isinstance(sql, ast.JoinedStr) or _SQL_WORDS.search(ast.unparse(sql))):
                return
        self._check(sql, node, name or last, state, ctx, elements=False)

    def _check(self, sql: ast.expr, call: ast.Call, sink: str, state: TaintState, ctx: FileContext, *, elements: bool) -> None:
        values: list[ast.expr] = [sql]
        if elements and isinstance(sql, (ast.List, ast.Tuple)):
            values = sql.elts
        elif elements and isinstance(sql, ast.Dict):
            values = sql.values
        elif elements and isinstance(sql, ast.Call) and isinstance(sql.func, ast.Name) and sql.func.id == "dict":
            values = [k.value for k in sql.keywords]
        for value in values:
            info = state.info(value, ctx)
            if info.evidence is None and not info.built:
                if info.taint is not None:
                    summarise_sink(ctx, self.spec, call, info.taint, sink, "SQL built from a value", Severity.CRITICAL)
                continue
            self.report_value(
                ctx,
                call,
                info,
                f"SQL passed to {sink} is built from non-constant strings; use query parameters",
                sink=sink,
                tainted_severity=Severity.CRITICAL,
            )
            return


# --- command-injection ----------------------------------------------------------------------------

_SUBPROCESS = frozenset({"call", "run", "Popen", "check_call", "check_output"})
_ALWAYS_SHELL = frozenset(
    {
        "os.system",
        "os.popen",
        "os.popen2",
        "os.popen3",
        "os.popen4",
        "subprocess.getoutput",
        "subprocess.getstatusoutput",
        "commands.getoutput",
        "commands.getstatusoutput",
        "asyncio.create_subprocess_shell",
        "popen2.popen2",
        "popen2.popen3",
        "popen2.popen4",
    }
)


@register
class CommandInjection(TaintDetector):
    """A non-constant command line run through a shell."""

    spec = spec(
        "command-injection",
        Severity.HIGH,
        "Shell command built from non-constant input",
        "subprocess with shell=True, os.system or os.popen runs a command that is not a "
        "constant: shell metacharacters in it are executed. Pass an argument list without a shell.",
        "CWE-78",
        20,
    )
    call_names = frozenset({*_SUBPROCESS, *(n.rsplit(".", 1)[1] for n in _ALWAYS_SHELL)})

    def check_call(self, node: ast.Call, name: str, state: TaintState, ctx: FileContext) -> None:
        if name in _ALWAYS_SHELL:
            command = argument(node, 0, "cmd") or argument(node, 0, "command")
        elif name.startswith("subprocess.") and name.rsplit(".", 1)[1] in _SUBPROCESS:
            shell = keyword(node, "shell")
            if shell is None or (isinstance(shell, ast.Constant) and not shell.value):
                return
            command = argument(node, 0, "args")
        else:
            return
        if command is None:
            return
        info = state.info(command, ctx)
        if info.const or info.safe:
            return
        self.report_value(
            ctx,
            node,
            info,
            f"{name} runs a shell command built from a non-constant value",
            sink=name,
            tainted_severity=Severity.CRITICAL,
        )


# --- code-injection -------------------------------------------------------------------------------

_CODE_SINKS = frozenset({"eval", "exec", "compile", "builtins.eval", "builtins.exec", "builtins.compile", "execfile"})


@register
class CodeInjection(TaintDetector):
    """eval/exec/compile of a value that is not a literal."""

    spec = spec(
        "code-injection",
        Severity.HIGH,
        "Dynamic code execution",
        "eval(), exec() or compile() runs code that is not a constant. Parse data with "
        "ast.literal_eval or json instead, or dispatch through a table of allowed operations.",
        "CWE-95",
        30,
    )
    call_names = frozenset({"eval", "exec", "compile", "execfile"})

    def check_call(self, node: ast.Call, name: str, state: TaintState, ctx: FileContext) -> None:
        if name not in _CODE_SINKS or not node.args:
            return
        code = node.args[0]
        if isinstance(code, ast.Call) and state.call_name(code, ctx) in ("compile", "builtins.compile"):
            return  # eval(compile(src, ...)): the compile() call is the finding, about src
        info = state.info(code, ctx)
        if info.const or info.safe:
            return
        self.report_value(
            ctx, node, info, f"{name.rsplit('.', 1)[-1]}() of a non-constant value", sink=name, tainted_severity=Severity.CRITICAL
        )


# --- unsafe-deserialization -----------------------------------------------------------------------

_PICKLE_MODULES = ("pickle", "cPickle", "_pickle", "dill", "cloudpickle", "joblib")
_DESERIALIZERS = frozenset(
    {
        *(f"{m}.{f}" for m in _PICKLE_MODULES for f in ("load", "loads", "Unpickler")),
        "marshal.load",
        "marshal.loads",
        "shelve.open",
        "shelve.DbfilenameShelf",
        "yaml.unsafe_load",
        "yaml.unsafe_load_all",
        "jsonpickle.decode",
        "jsonpickle.loads",
        "jsonpickle.unpickler.decode",
        "pandas.read_pickle",
        "numpy.load",
    }
)
_SAFE_YAML_LOADERS = frozenset({"SafeLoader", "CSafeLoader", "BaseLoader", "CBaseLoader"})
# bases that make a loader class safe, and those that make it unsafe whatever else it mixes in
SAFE_YAML_BASES = frozenset({*_SAFE_YAML_LOADERS, "SafeConstructor", "BaseConstructor"})
UNSAFE_YAML_BASES = frozenset(
    {
        "Loader",
        "UnsafeLoader",
        "FullLoader",
        "CLoader",
        "CUnsafeLoader",
        "CFullLoader",
        "Constructor",
        "UnsafeConstructor",
        "FullConstructor",
    }
)


def yaml_loader_verdict(bases: list[str]) -> bool | None:
    """True (safe), False (unsafe) or None (unknown) from a loader class's base names."""
    names = {b.rsplit(".", 1)[-1] for b in bases}
    if names & UNSAFE_YAML_BASES:
        return False
    if names & SAFE_YAML_BASES:
        return True
    return None


def _local_loader_is_safe(name: str, ctx: FileContext, seen: set[str] | None = None) -> bool | None:
    """Whether the class ``name`` defined in this file derives from a safe loader (through the
    file's own classes); None when it is not defined here or its bases are not known."""
    seen = seen if seen is not None else set()
    if name in seen:
        return None
    seen.add(name)
    for node in ctx.tree.body:
        if isinstance(node, ast.ClassDef) and node.name == name:
            bases = [ctx.qualified_name(b) or "" for b in node.bases]
            verdict = yaml_loader_verdict(bases)
            if verdict is not None:
                return verdict
            for base in node.bases:
                if isinstance(base, ast.Name) and _local_loader_is_safe(base.id, ctx, seen):
                    return True
            return None
    return None


@register
class UnsafeDeserialization(TaintDetector):
    """Deserialisers that can run code on untrusted input."""

    spec = spec(
        "unsafe-deserialization",
        Severity.HIGH,
        "Unsafe deserialisation",
        "pickle/dill/marshal/shelve/jsonpickle, yaml.load without a safe loader and torch.load "
        "without weights_only=True construct arbitrary objects and can execute code from the data. "
        "Use json or yaml.safe_load, or only load data you produced and authenticated.",
        "CWE-502",
        30,
    )
    call_names = frozenset(
        {
            "load",
            "loads",
            "Unpickler",
            "open",
            "DbfilenameShelf",
            "unsafe_load",
            "unsafe_load_all",
            "load_all",
            "decode",
            "read_pickle",
        }
    )

    def check_call(self, node: ast.Call, name: str, state: TaintState, ctx: FileContext) -> None:
        if name in ("yaml.load", "yaml.load_all"):
            loader = argument(node, 1, "Loader")
            loader_name = (ctx.qualified_name(loader) or "") if loader is not None else ""
            if loader_name.rsplit(".", 1)[-1] in _SAFE_YAML_LOADERS:
                return
            if isinstance(loader, ast.Name) and _local_loader_is_safe(loader.id, ctx):
                return  # class MyLoader(yaml.SafeLoader) in this file
        elif name == "torch.load":
            if is_const(keyword(node, "weights_only"), True):
                return
        elif name == "numpy.load":
            if not is_const(keyword(node, "allow_pickle"), True):
                return
        elif name not in _DESERIALIZERS:
            return
        data = node.args[0] if node.args else None
        info = state.info(data, ctx) if data is not None else taint.UNKNOWN
        loader = argument(node, 1, "Loader") if name in ("yaml.load", "yaml.load_all") else None
        self.report_value(
            ctx,
            node,
            info,
            f"{name} can execute code embedded in the data it loads",
            sink=name,
            tainted_severity=Severity.CRITICAL,
            unknown_confidence=0.7,
            extra={"yaml_loader": ctx.qualified_name(loader) or ""} if loader is not None else None,
        )


# --- xss ------------------------------------------------------------------------------------------

_SAFE_MARKERS = frozenset({"mark_safe", "SafeString", "SafeText", "Markup", "SafeData"})
_RESPONSES = frozenset({"HttpResponse", "make_response", "Response"})


@register
class CrossSiteScripting(TaintDetector):
    """Non-constant text marked safe for HTML, or request data echoed into a response."""

    spec = spec(
        "xss",
        Severity.MEDIUM,
        "Unescaped HTML",
        "mark_safe/Markup/SafeString (the |safe filter in Python) or a non-constant format_html "
        "template turns off autoescaping for text that is not a constant. Build HTML with "
        "format_html and placeholders, or escape the parts.",
        "CWE-79",
        15,
    )
    call_names = frozenset({*_SAFE_MARKERS, "format_html", *_RESPONSES})

    def check_call(self, node: ast.Call, name: str, state: TaintState, ctx: FileContext) -> None:
        last = call_terminal(node.func, ctx)
        if not node.args:
            return
        value = node.args[0]
        info = state.info(value, ctx)
        if last in _RESPONSES:
            # a response body is only a finding when request data is echoed into it as HTML
            if (
                info.taint is None
                or info.taint.kind != taint.REQUEST
                or keyword(node, "content_type") is not None
                or len(node.args) > 1
            ):
                return
            if last == "Response" and not name.startswith(("flask", "werkzeug")):
                return
            self.report_value(ctx, node, info, f"request data is written unescaped into {last}", sink=name or last)
            return
        if info.const or info.safe:
            return
        if last == "format_html":
            if not (info.built or info.evidence):
                return
            self.report_value(
                ctx,
                node,
                info,
                "format_html() with a formatted template escapes nothing that was interpolated",
                sink=name or last,
                unknown_confidence=0.7,
            )
            return
        confidence = 0.7 if info.built else 0.4
        self.report_value(
            ctx,
            node,
            info,
            f"{last}() marks a non-constant value as safe HTML",
            sink=name or last,
            tainted_severity=Severity.HIGH,
            unknown_confidence=confidence,
        )


# --- xxe ------------------------------------------------------------------------------------------

_XML_MODULES = (
    "xml.etree.ElementTree",
    "xml.etree.cElementTree",
    "xml.dom.minidom",
    "xml.dom.pulldom",
    "xml.sax",
    "xml.dom.expatbuilder",
    "lxml.etree",
)
_XML_FUNCTIONS = frozenset({"parse", "fromstring", "XML", "iterparse", "parseString", "fromstringlist", "XMLID"})


@register
class XmlExternalEntities(TaintDetector):
    """Standard-library or lxml XML parsers fed with non-constant documents."""

    spec = spec(
        "xxe",
        Severity.MEDIUM,
        "XML parsed without entity protection",
        "xml.etree, xml.dom.minidom, xml.sax and lxml parse entity declarations (entity expansion "
        "bombs; external entities in lxml and older expat). Parse untrusted XML with defusedxml.",
        "CWE-611",
        15,
    )
    call_names = _XML_FUNCTIONS

    def check_call(self, node: ast.Call, name: str, state: TaintState, ctx: FileContext) -> None:
        module, _, func = name.rpartition(".")
        if module not in _XML_MODULES or func not in _XML_FUNCTIONS or not node.args:
            return
        if module == "lxml.etree" and (keyword(node, "parser") is not None or len(node.args) > 1):
            return
        info = state.info(node.args[0], ctx)
        if info.const:
            return
        self.report_value(
            ctx, node, info, f"{name} parses a non-constant document; use defusedxml", sink=name, tainted_severity=Severity.HIGH
        )


# --- path-traversal and ssrf ----------------------------------------------------------------------


class _RequestSinkDetector(TaintDetector):
    """Fires only for request-derived values; one finding per source per function."""

    def request_taint(
        self, node: ast.Call, value: ast.AST, sink: str, message: str, state: TaintState, ctx: FileContext
    ) -> Taint | None:
        """The request source ``value`` comes from; a parameter or a call's result is recorded for
        the inter-procedural pass instead."""
        origin = state.info(value, ctx).taint
        if origin is None:
            return None
        if origin.symbolic:
            summarise_sink(ctx, self.spec, node, origin, sink, message, None)
            return None
        return origin if origin.kind == taint.REQUEST else None

    def report_request(self, node: ast.Call, found: Taint, message: str, sink: str, ctx: FileContext) -> None:
        key = (id(ctx.function), found)
        if key in self.reported:
            return
        self.reported.add(key)
        self.report_value(ctx, node, Info(taint=found), message, sink=sink)


_PATH_SINKS = frozenset(
    {
        "open",
        "builtins.open",
        "io.open",
        "codecs.open",
        "os.open",
        "os.path.join",
        "send_file",
        "flask.send_file",
        "FileResponse",
        "django.http.FileResponse",
        "django.http.response.FileResponse",
        "pathlib.Path",
        "Path",
        "os.remove",
        "os.unlink",
        "shutil.rmtree",
        "shutil.copyfile",
        "shutil.copy",
        "aiofiles.open",
        "werkzeug.utils.send_file",
    }
)


@register
class PathTraversal(_RequestSinkDetector):
    """Request data used as a file system path."""

    spec = spec(
        "path-traversal",
        Severity.HIGH,
        "Path built from request data",
        "A value from the request reaches open(), os.path.join(), send_file() or FileResponse: "
        "'../' in it reads or writes outside the intended directory. Use safe_join / "
        "send_from_directory, or check the resolved path stays under the base directory.",
        "CWE-22",
        20,
    )
    call_names = frozenset(n.rsplit(".", 1)[-1] for n in _PATH_SINKS)

    def check_call(self, node: ast.Call, name: str, state: TaintState, ctx: FileContext) -> None:
        if name not in _PATH_SINKS and not name.endswith((".send_file", ".FileResponse")):
            return
        values = node.args if name.endswith("join") else node.args[:1]
        for value in values:
            found = self.request_taint(node, value, name, f"{name} uses a path derived from request data", state, ctx)
            if found is not None:
                self.report_request(node, found, f"{name} uses a path derived from request data", name, ctx)
                return


_HTTP_VERBS = frozenset(
    {"get", "post", "put", "patch", "delete", "head", "options", "request", "stream", "urlopen", "Request", "open"}
)
_HTTP_MODULES = ("requests", "httpx", "urllib.request", "urllib2", "urllib3", "aiohttp")


_CLIENT_NAME = re.compile(r"(^|_)(session|client|http|https|http_client|sess|requests|httpx)$", re.IGNORECASE)


def _http_client(receiver: ast.expr, state: TaintState, ctx: FileContext) -> bool:
    """Whether ``receiver.get(...)`` is an HTTP call: the receiver is bound to an HTTP client
    (``s = requests.Session()``), or, when its binding is not visible (a parameter, an attribute
    set elsewhere), its name is a client's. ``headers.get(url)`` or a dict is not."""
    name = taint.dotted(receiver)
    if name is None:
        return False
    value = state.bound_value(name, ctx)
    if value is not None:
        if isinstance(value, ast.Call):
            return (ctx.qualified_name(value.func) or "").startswith(_HTTP_MODULES)
        return False
    return _CLIENT_NAME.search(name.rpartition(".")[2]) is not None


@register
class ServerSideRequestForgery(_RequestSinkDetector):
    """Request data used as the URL of an outgoing HTTP request."""

    spec = spec(
        "ssrf",
        Severity.HIGH,
        "Outgoing request to a URL from request data",
        "A value from the request reaches requests/httpx/urllib.request.urlopen as the URL: the "
        "server can be made to call internal services. Allow-list hosts and schemes.",
        "CWE-918",
        20,
    )
    call_names = _HTTP_VERBS

    def check_call(self, node: ast.Call, name: str, state: TaintState, ctx: FileContext) -> None:
        module, _, verb = name.rpartition(".")
        if module.startswith(_HTTP_MODULES):
            pass
        elif isinstance(node.func, ast.Attribute) and verb != "open":
            if not _http_client(node.func.value, state, ctx):
                return
        else:
            return
        url = argument(node, 1, "url") if verb == "request" else argument(node, 0, "url")
        if url is None:
            return
        found = self.request_taint(node, url, name, f"{name} fetches a URL derived from request data", state, ctx)
        if found is not None:
            self.report_request(node, found, f"{name} fetches a URL derived from request data", name, ctx)


def drop_safe_yaml_loaders(findings: list[Finding], project: ProjectContext) -> list[Finding]:
    """``yaml.load(..., Loader=X)`` findings whose ``X`` is a class of the project deriving
    (through the project's classes) from a safe loader or ``SafeConstructor``: a file-local
    detector cannot see another module's class hierarchy."""
    out = []
    for f in findings:
        loader = f.metadata.get("yaml_loader") if f.detector == UnsafeDeserialization.spec.id else None
        if loader and _project_loader_is_safe(project, str(loader), f.path):
            continue
        out.append(f)
    return out


def _project_loader_is_safe(project: ProjectContext, name: str, path: str) -> bool:
    facts = project.files.get(path)
    candidates = [name]
    if facts is not None and "." not in name:
        candidates.append(f"{facts.module}.{name}")
    queue = [c for c in candidates if c in project.definitions]
    seen = set(queue)
    while queue:
        qual = queue.pop(0)
        verdict = yaml_loader_verdict(project.definitions[qual].bases)
        if verdict is not None:
            return verdict
        for base in sorted(project.graph.successors(g.INHERITS, qual)):
            if base not in seen:
                seen.add(base)
                queue.append(base)
    return False
