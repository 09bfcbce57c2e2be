"""Run the security detectors over snippets and files in tests.

Uses the engine's shared traversal (``analysis.engine.visitor``) when it is importable; until
then a small walker with the same contract: ``visit`` before a node's children, ``leave`` after,
``ctx.parents`` holding the ancestors and the scope fields describing the surroundings.
"""

from __future__ import annotations

import ast
import importlib
import textwrap
from collections.abc import Iterable

from analysis.engine.context import DetectorSettings, FileContext
from analysis.engine.facts import FileFacts
from analysis.engine.model import Finding
from analysis.engine.registry import NodeDetector, all_detectors

SECURITY_IDS = (
    "sql-injection",
    "command-injection",
    "code-injection",
    "unsafe-deserialization",
    "hardcoded-secret",
    "weak-crypto",
    "insecure-tls",
    "insecure-random",
    "path-traversal",
    "ssrf",
    "xss",
    "debug-enabled",
    "insecure-tempfile",
    "xxe",
    "jwt-verification-disabled",
    "bind-all-interfaces",
    "csrf-exempt",
    "hardcoded-secret-key",
)


def imports_of(tree: ast.Module, module: str) -> dict[str, str]:
    imports: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                head = alias.name.partition(".")[0]
                imports[alias.asname or head] = alias.name if alias.asname else head
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module.split(".")[: -node.level]
                base = ".".join([*package, base] if base else package)
            for alias in node.names:
                if alias.name != "*":
                    imports[alias.asname or alias.name] = f"{base}.{alias.name}" if base else alias.name
    return imports


def make_context(
    source: str, path: str, *, is_test: bool | None = None, settings: dict[str, DetectorSettings] | None = None
) -> FileContext:
    tree = ast.parse(source)
    name = path.rsplit("/", 1)[-1]
    module = path.removesuffix(".py").replace("/", ".").removesuffix(".__init__")
    if is_test is None:
        is_test = "tests/" in path or name.startswith("test_") or name.endswith("_tests.py") or name == "conftest.py"
    return FileContext(
        path=path,
        module=module,
        source=source,
        lines=source.splitlines(),
        tree=tree,
        is_test=is_test,
        is_package_init=name == "__init__.py",
        imports=imports_of(tree, module),
        settings=settings or {},
    )


def _walk(node: ast.AST, ctx: FileContext, table: dict[type, list[NodeDetector]]) -> None:
    subscribed = table.get(type(node), ())
    for detector in subscribed:
        detector.visit(node, ctx)
    saved = (ctx.function, ctx.class_, ctx.symbol, ctx.loop_depth, ctx.in_async)
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        ctx.function, ctx.loop_depth, ctx.in_async = node, 0, isinstance(node, ast.AsyncFunctionDef)
    if isinstance(node, ast.ClassDef):
        ctx.class_ = node
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        ctx.symbol = f"{ctx.symbol}.{node.name}" if ctx.symbol else node.name
    ctx.parents.append(node)
    for field, value in ast.iter_fields(node):
        if isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
            ctx.loop_depth = saved[3] + (field == "body")
        for child in value if isinstance(value, list) else [value]:
            if isinstance(child, ast.AST):
                _walk(child, ctx, table)
    ctx.parents.pop()
    ctx.function, ctx.class_, ctx.symbol, ctx.loop_depth, ctx.in_async = saved
    for detector in subscribed:
        detector.leave(node, ctx)


def traverse(ctx: FileContext, detectors: list[NodeDetector]) -> None:
    try:
        visitor = importlib.import_module("analysis.engine.visitor")
    except ImportError:
        visitor = None
    if visitor is not None and hasattr(visitor, "Traversal"):
        traversal = visitor.Traversal(detectors)
        traversal.run(ctx, FileFacts(path=ctx.path, module=ctx.module, content_hash=""))
        assert not traversal.errors, traversal.errors  # the traversal swallows detector errors
        return
    table: dict[type, list[NodeDetector]] = {}
    for detector in detectors:
        for node_type in detector.node_types:
            table.setdefault(node_type, []).append(detector)
    for detector in detectors:
        detector.start_file(ctx)
    _walk(ctx.tree, ctx, table)
    for detector in detectors:
        detector.end_file(ctx)


def instantiate(detector_ids: str | Iterable[str] = SECURITY_IDS) -> list[NodeDetector]:
    registry = all_detectors()
    ids = [detector_ids] if isinstance(detector_ids, str) else list(detector_ids)
    detectors = [registry[i]() for i in ids]
    assert all(isinstance(d, NodeDetector) for d in detectors)
    return detectors  # type: ignore[return-value]


def scan(
    source: str,
    detector_ids: str | Iterable[str] = SECURITY_IDS,
    path: str = "app/views.py",
    *,
    detectors: list[NodeDetector] | None = None,
    **kwargs: object,
) -> list[Finding]:
    """Findings of the given detectors on the dedented ``source``, sorted by line."""
    ctx = make_context(textwrap.dedent(source), path, **kwargs)  # type: ignore[arg-type]
    traverse(ctx, detectors if detectors is not None else instantiate(detector_ids))
    return sorted(ctx.findings, key=lambda f: (f.line, f.column, f.detector))
