"""Drive file-local detectors over a snippet in tests.

Uses the engine's shared traversal (``analysis.engine.visitor``) when it exists; until then a
small local walker with the same contract: ``ctx.parents`` holds the ancestors of the node being
visited, the scope fields describe the node's surroundings, ``visit`` runs before a node's
children and ``leave`` after them.
"""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Iterable

from analysis.engine.context import DetectorSettings, FileContext
from analysis.engine.model import Finding
from analysis.engine.registry import NodeDetector, all_detectors

_FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef)
_LOOPS = (ast.For, ast.AsyncFor, ast.While)


def collect_imports(tree: ast.Module, module: str = "") -> dict[str, str]:
    imports: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    imports[alias.asname] = alias.name
                else:
                    head = alias.name.split(".")[0]
                    imports[head] = head
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                pkg = module.split(".")[: -node.level] if module else []
                base = ".".join([*pkg, base] if base else pkg)
            for alias in node.names:
                if alias.name != "*":
                    imports[alias.asname or alias.name] = f"{base}.{alias.name}" if base else alias.name
    return imports


def make_context(
    source: str,
    path: str = "pkg/mod.py",
    *,
    module: str | None = None,
    is_test: bool | None = None,
    settings: dict[str, DetectorSettings] | None = None,
) -> FileContext:
    tree = ast.parse(source)
    name = path.rsplit("/", 1)[-1]
    if module is None:
        module = path[:-3].replace("/", ".")
        module = module.removesuffix(".__init__")
    if is_test is None:
        is_test = (
            "tests/" in path
            or path.startswith("tests")
            or name.startswith("test_")
            or name.endswith("_tests.py")
            or name == "conftest.py"
        )
    return FileContext(
        path=path,
        module=module,
        source=source,
        lines=source.splitlines(),
        tree=tree,
        is_test=is_test,
        is_package_init=name == "__init__.py",
        imports=collect_imports(tree, module),
        settings=settings or {},
    )


def _walk(node: ast.AST, ctx: FileContext, table: dict[type, list[NodeDetector]]) -> None:
    subscribed = table.get(type(node), ())
    for det in subscribed:
        det.visit(node, ctx)
    saved = (ctx.function, ctx.class_, ctx.symbol, ctx.loop_depth, ctx.in_async)
    ctx.parents.append(node)
    if isinstance(node, _FUNCS):
        ctx.function = node
        ctx.symbol = f"{ctx.symbol}.{node.name}" if ctx.symbol else node.name
        ctx.loop_depth = 0
        ctx.in_async = isinstance(node, ast.AsyncFunctionDef)
    elif isinstance(node, ast.ClassDef):
        ctx.class_ = node
        ctx.symbol = f"{ctx.symbol}.{node.name}" if ctx.symbol else node.name
    if isinstance(node, _LOOPS):
        for name, value in ast.iter_fields(node):
            if name in ("body",):
                ctx.loop_depth = saved[3] + 1
            else:
                ctx.loop_depth = saved[3]
            _walk_field(value, ctx, table)
    else:
        for child in ast.iter_child_nodes(node):
            _walk(child, ctx, table)
    ctx.parents.pop()
    ctx.function, ctx.class_, ctx.symbol, ctx.loop_depth, ctx.in_async = saved
    for det in subscribed:
        det.leave(node, ctx)


def _walk_field(value: object, ctx: FileContext, table: dict[type, list[NodeDetector]]) -> None:
    if isinstance(value, ast.AST):
        _walk(value, ctx, table)
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, ast.AST):
                _walk(item, ctx, table)


def _local_traverse(ctx: FileContext, detectors: list[NodeDetector]) -> None:
    table: dict[type, list[NodeDetector]] = {}
    for det in detectors:
        for node_type in det.node_types:
            table.setdefault(node_type, []).append(det)
    for det in detectors:
        det.start_file(ctx)
    _walk(ctx.tree, ctx, table)
    for det in detectors:
        det.end_file(ctx)


def traverse(ctx: FileContext, detectors: list[NodeDetector]) -> None:
    _local_traverse(ctx, detectors)


def run_detectors(
    source: str,
    detector_ids: str | Iterable[str],
    path: str = "pkg/mod.py",
    *,
    dedent: bool = True,
    **kwargs: object,
) -> list[Finding]:
    """Findings of the given detectors on ``source`` (dedented), sorted by line."""
    if isinstance(detector_ids, str):
        detector_ids = [detector_ids]
    registry = all_detectors()
    detectors: list[NodeDetector] = []
    for det_id in detector_ids:
        cls = registry[det_id]
        assert issubclass(cls, NodeDetector), det_id
        detectors.append(cls())
    text = textwrap.dedent(source) if dedent else source
    ctx = make_context(text, path, **kwargs)  # type: ignore[arg-type]
    traverse(ctx, detectors)
    return sorted(ctx.findings, key=lambda f: (f.line, f.column, f.detector))
