"""Per-file processing: facts extracted by the shared traversal, scope fields seen by
detectors, suppressions, discriminators, skipped and unparsable files."""

from __future__ import annotations

import ast
import textwrap

from analysis.engine.context import FileContext
from analysis.engine.facts import FileFacts
from analysis.engine.model import Category, Severity
from analysis.engine.registry import DetectorSpec, NodeDetector
from analysis.engine.visitor import Traversal, absolute_module
from analysis.engine.worker import BatchResult, FileProcessor, resolve_import, resolve_imports


def process(root, path, module, *, enabled=None, is_init=False):
    proc = FileProcessor(str(root), enabled, {})
    out = BatchResult()
    facts = proc.process_file((path, module, False, is_init), out, {"read": 0, "parse": 0, "traverse": 0, "clones": 0})
    return facts, out


def test_definitions_with_qualnames_decorators_params_docstrings_and_bases(make_tree):
    root = make_tree(
        {
            "pkg/mod.py": '''
                from django.db import models as m

                class Base(m.Model, metaclass=Meta):
                    """A model."""

                    @property
                    def name(self, *args, key=None, **kw):
                        def helper():
                            pass
                        return helper

                @app.route("/x")
                async def view(request):
                    return 1
            ''',
        }
    )
    facts, _ = process(root, "pkg/mod.py", "pkg.mod", enabled=[])
    defs = {d.qualname: d for d in facts.definitions}
    assert list(defs) == ["pkg.mod.Base", "pkg.mod.Base.name", "pkg.mod.Base.name.helper", "pkg.mod.view"]
    base = defs["pkg.mod.Base"]
    assert (base.kind, base.bases, base.docstring, base.line, base.end_line) == (
        "class",
        ["django.db.models.Model"],
        "A model.",
        4,
        11,
    )
    method = defs["pkg.mod.Base.name"]
    assert method.kind == "method" and method.decorators == ["property"]
    assert method.parameters == ["self", "*args", "key", "**kw"]
    assert method.metrics is not None and method.metrics.parameters == 3
    assert defs["pkg.mod.Base.name.helper"].kind == "function"
    view = defs["pkg.mod.view"]
    assert view.is_async and view.decorators == ["app.route"]


def test_imports_relative_type_checking_function_level_and_all(make_tree):
    root = make_tree(
        {
            "pkg/sub/mod.py": """
                from typing import TYPE_CHECKING
                import os.path
                import numpy as np
                from . import sibling
                from ..core import thing as t, other
                from .. import *

                if TYPE_CHECKING:
                    from pkg.types import T

                __all__ = ["f"] + ["g"]
                __all__ += ["h"]

                def f():
                    import json
                    return json
            """,
        }
    )
    facts, _ = process(root, "pkg/sub/mod.py", "pkg.sub.mod", enabled=[])
    got = [(i.module, i.names, i.alias, i.is_from, i.type_checking_only, i.in_function) for i in facts.imports]
    assert got == [
        ("typing", ["TYPE_CHECKING"], None, True, False, False),
        ("os.path", [], None, False, False, False),
        ("numpy", [], "np", False, False, False),
        ("pkg.sub", ["sibling"], None, True, False, False),
        ("pkg.core", ["thing"], "t", True, False, False),
        ("pkg.core", ["other"], None, True, False, False),
        ("pkg", ["*"], None, True, False, False),
        ("pkg.types", ["T"], None, True, True, False),
        ("json", [], None, False, False, True),
    ]
    assert facts.dunder_all == ["f", "g", "h"]


def test_absolute_module_of_relative_imports():
    assert absolute_module("pkg.sub.mod", False, 1, None) == "pkg.sub"
    assert absolute_module("pkg.sub.mod", False, 2, "core") == "pkg.core"
    assert absolute_module("pkg.sub", True, 1, "mod") == "pkg.sub.mod"
    assert absolute_module("pkg", True, 0, "os") == "os"


def test_resolve_import_against_repository_modules():
    modules = {"pkg", "pkg.sub", "pkg.sub.mod", "pkg.core"}
    from analysis.engine.facts import ImportFact

    assert resolve_import(ImportFact(module="pkg.sub", names=["mod"], is_from=True), modules) == "pkg.sub.mod"
    assert resolve_import(ImportFact(module="pkg.core", names=["thing"], is_from=True), modules) == "pkg.core"
    assert resolve_import(ImportFact(module="pkg.sub.mod.deep"), modules) == "pkg.sub.mod"
    assert resolve_import(ImportFact(module="os"), modules) is None


def test_calls_names_and_attribute_accesses(make_tree):
    root = make_tree(
        {
            "m.py": """
                import subprocess as sp
                from pickle import loads

                class C(Base):
                    def run(self, data):
                        self.helper(data)
                        super().run(data)
                        sp.run(["ls"])
                        loads(data).method()
                        return obj.attr

                top()
            """,
        }
    )
    facts, _ = process(root, "m.py", "m", enabled=[])
    calls = [(c.caller, c.callee, c.line) for c in facts.calls]
    assert calls == [
        ("m.C.run", "self.helper", 7),
        ("m.C.run", "super().run", 8),
        ("m.C.run", "subprocess.run", 9),
        ("m.C.run", "pickle.loads", 10),
        ("m", "top", 13),
    ]
    assert {"Base", "data", "top", "helper", "attr", "method", "sp", "loads"} <= set(facts.names_used)
    assert "self.helper" in facts.attribute_accesses and "obj.attr" in facts.attribute_accesses
    assert facts.code_lines == 10 and facts.lines == 13


class _Probe(NodeDetector):
    """Records the scope fields at every Call, and the order of visit/leave of functions."""

    spec = DetectorSpec(id="probe", category=Category.BUG_RISK, severity=Severity.LOW, title="p", description="p")
    node_types = (ast.Call, ast.FunctionDef, ast.AsyncFunctionDef)

    def __init__(self) -> None:
        self.calls: list[tuple] = []
        self.events: list[str] = []

    def visit(self, node, ctx: FileContext) -> None:
        if isinstance(node, ast.Call):
            self.calls.append(
                (
                    node.func.id,
                    ctx.symbol,
                    ctx.loop_depth,
                    ctx.in_async,
                    getattr(ctx.class_, "name", None),
                    type(ctx.parents[-1]).__name__,
                )
            )
        else:
            self.events.append(f"visit {node.name} metrics={ctx.metrics[node].cyclomatic}")

    def leave(self, node, ctx: FileContext) -> None:
        if not isinstance(node, ast.Call):
            self.events.append(f"leave {node.name} in {ctx.symbol or '<module>'}")


def _traverse(code: str, detectors: list[NodeDetector]) -> tuple[FileContext, FileFacts]:
    source = textwrap.dedent(code)
    ctx = FileContext(path="m.py", module="m", source=source, lines=source.splitlines(), tree=ast.parse(source))
    facts = FileFacts(path="m.py", module="m", content_hash="")
    Traversal(detectors).run(ctx, facts)
    return ctx, facts


def test_scope_fields_during_the_traversal():
    probe = _Probe()
    _traverse(
        """
        a()
        class K:
            def m(self):
                for x in b():
                    while c():
                        d()
                e()
            async def n(self):
                for y in z:
                    def inner():
                        f()
                    g()
        """,
        [probe],
    )
    assert probe.calls == [
        ("a", "", 0, False, None, "Expr"),
        ("b", "m.K.m", 0, False, "K", "For"),
        ("c", "m.K.m", 1, False, "K", "While"),
        ("d", "m.K.m", 2, False, "K", "Expr"),
        ("e", "m.K.m", 0, False, "K", "Expr"),
        ("f", "m.K.n.inner", 0, False, "K", "Expr"),  # loop depth restarts in each function
        ("g", "m.K.n", 1, True, "K", "Expr"),
    ]
    assert probe.events == [
        "visit m metrics=3",
        "leave m in m.K",
        "visit n metrics=2",
        "visit inner metrics=1",
        "leave inner in m.K.n",
        "leave n in m.K",
    ]


class _Broken(NodeDetector):
    spec = DetectorSpec(id="broken", category=Category.BUG_RISK, severity=Severity.LOW, title="b", description="b")
    node_types = (ast.expr,)  # abstract: expanded to every expression node type

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def visit(self, node, ctx) -> None:
        self.seen.add(type(node).__name__)
        if isinstance(node, ast.Constant):
            raise RuntimeError("boom")


def test_abstract_subscriptions_and_a_failing_detector_does_not_stop_the_file():
    broken, probe = _Broken(), _Probe()
    traversal = Traversal([broken, probe])
    source = "x = f(1) + y.z\n"
    ctx = FileContext(path="m.py", module="m", source=source, lines=[source], tree=ast.parse(source))
    traversal.run(ctx, FileFacts(path="m.py", module="m", content_hash=""))
    assert {"BinOp", "Call", "Name", "Attribute", "Constant"} <= broken.seen
    assert [c[0] for c in probe.calls] == ["f"]
    assert traversal.errors == [("broken", "m.py", "RuntimeError: boom")]


def test_inline_suppressions(make_tree):
    code = """
        def many(a, b, c, d, e, f, g, h):  # repotoire: ignore[long-parameter-list]
            pass

        def more(a, b, c, d, e, f, g, h):  # repotoire: ignore
            pass

        def other(a, b, c, d, e, f, g, h):  # repotoire: ignore[deep-nesting]
            pass
    """
    root = make_tree({"m.py": code, "n.py": "# repotoire: ignore-file\n" + textwrap.dedent(code)})
    facts, _ = process(root, "m.py", "m", enabled=["long-parameter-list"])
    assert [(f.detector, f.symbol) for f in facts.findings] == [("long-parameter-list", "m.other")]
    facts, _ = process(root, "n.py", "n", enabled=["long-parameter-list"])
    assert facts.findings == [] and facts.extra["suppressions"] == {"file": True}


def test_identical_findings_in_one_file_get_distinct_fingerprints(make_tree):
    body = "    if a:\n        if a:\n            if a:\n                if a:\n                    if a:\n                        pass\n"
    root = make_tree(
        {
            "m.py": "class A:\n  def f(a):\n"
            + textwrap.indent(body, "  ")
            + "class B:\n  def f(a):\n"
            + textwrap.indent(body, "  ")
        }
    )
    facts, _ = process(root, "m.py", "m", enabled=["deep-nesting"])
    assert len(facts.findings) == 2
    assert len({f.fingerprint for f in facts.findings}) == 2
    # same symbol and code twice (a redefinition) still gives two identities
    root = make_tree({"m.py": "def f(a):\n" + body + "def f(a):\n" + body})
    facts, _ = process(root, "m.py", "m", enabled=["deep-nesting"])
    assert len({f.fingerprint for f in facts.findings}) == 2


def test_parse_error_becomes_a_finding(make_tree):
    root = make_tree({"bad.py": "def f(:\n    pass\n"})
    facts, _ = process(root, "bad.py", "bad")
    assert facts.parse_error and facts.parse_error.startswith("SyntaxError")
    assert [(f.detector, f.category, f.line) for f in facts.findings] == [("parse-error", "bug_risk", 1)]
    assert facts.definitions == []


def test_binary_undecodable_and_latin1_files(make_tree):
    root = make_tree(
        {
            "bin.py": b"\x00\x01\x02",
            "bad.py": b"x = '\xff\xfe'\n",
            "latin.py": "# -*- coding: latin-1 -*-\nx = 'caf\xe9'\n".encode("latin-1"),
        }
    )
    assert process(root, "bin.py", "bin")[0] is None
    assert process(root, "bad.py", "bad")[0] is None
    facts, out = process(root, "latin.py", "latin")
    assert facts is not None and facts.parse_error is None
    proc = FileProcessor(str(root), [], {})
    result = proc.process([("bin.py", "bin", False, False), ("bad.py", "bad", False, False), ("latin.py", "latin", False, False)])
    assert result.skipped == {"binary": 1, "undecodable": 1}
    assert [f.path for f in result.facts] == ["latin.py"]


def test_resolve_imports_fills_resolved(make_tree):
    root = make_tree({"pkg/__init__.py": "", "pkg/a.py": "from pkg import b\nfrom . import b as bb\nimport os\n", "pkg/b.py": ""})
    facts = [
        process(root, p, m, is_init=p.endswith("__init__.py"), enabled=[])[0]
        for p, m in [("pkg/__init__.py", "pkg"), ("pkg/a.py", "pkg.a"), ("pkg/b.py", "pkg.b")]
    ]
    resolve_imports(facts)
    assert [i.resolved for i in facts[1].imports] == ["pkg.b", "pkg.b", None]


def test_a_method_defined_under_a_conditional_is_still_a_method(make_tree):
    root = make_tree(
        {
            "m.py": "import sys\n\nclass C:\n    if sys.version_info > (3,):\n        def m(self, a):\n            def inner(x):\n                pass\n"
        }
    )
    facts, _ = process(root, "m.py", "m", enabled=[])
    kinds = {d.qualname: (d.kind, d.metrics.parameters if d.metrics else None) for d in facts.definitions}
    assert kinds == {"m.C": ("class", None), "m.C.m": ("method", 1), "m.C.m.inner": ("function", 1)}


def test_declared_encoding_wins_over_utf8():
    from analysis.engine.worker import decode

    # these bytes are valid UTF-8 too (as "Ã©"), but the file declares latin-1
    data = "# -*- coding: latin-1 -*-\nNAME = 'caf\xc3\xa9'\n".encode("latin-1")
    assert decode(data).endswith("NAME = 'caf\xc3\xa9'\n")
    assert decode(b"x = '\xc3\xa9'\n") == "x = '\xe9'\n"
    assert decode(b"\xef\xbb\xbfx = 1\n") == "x = 1\n"
    assert decode(b"# coding: klingon\nx = 1\n") is None


class _MigrationProbe(NodeDetector):
    spec = DetectorSpec(id="migration-probe", category=Category.BUG_RISK, severity=Severity.LOW, title="p", description="p")
    node_types = (ast.Module,)
    seen: list[bool] = []

    def visit(self, node, ctx: FileContext) -> None:
        _MigrationProbe.seen.append(ctx.is_migration)


def test_migrations_are_analysed_and_marked(make_tree):
    root = make_tree({"app/migrations/0001_initial.py": "x = 1\n", "app/models.py": "x = 1\n"})
    proc = FileProcessor(str(root), [], {})
    proc.traversal = Traversal([_MigrationProbe()])
    out = proc.process(
        [
            ("app/migrations/0001_initial.py", "app.migrations.0001_initial", False, False),
            ("app/models.py", "app.models", False, False),
        ]
    )
    assert _MigrationProbe.seen == [True, False]
    assert [f.extra.get("is_migration", False) for f in out.facts] == [True, False]
