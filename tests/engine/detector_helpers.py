"""Drive file-local detectors over a snippet (or a real file) in tests, through the engine's
real shared traversal (``analysis.engine.visitor.Traversal``), exactly as the worker does."""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Iterable

from analysis.engine.context import DetectorSettings, FileContext
from analysis.engine.discovery import is_test_path
from analysis.engine.facts import FileFacts
from analysis.engine.model import Finding
from analysis.engine.registry import NodeDetector, all_detectors
from analysis.engine.visitor import Traversal

# The detectors owned by bugrisk.py, design.py, docs.py and performance.py.
BUG_RISK_IDS = (
    "mutable-default-argument",
    "bare-or-swallowed-except",
    "unreachable-code",
    "return-or-break-in-finally",
    "comparison-to-singleton",
    "assert-on-tuple",
    "duplicate-dict-key",
    "redefined-function",
    "self-assignment",
    "blocking-call-in-async",
    "infinite-loop-without-exit",
    "unused-local-variable",
)
DESIGN_IDS = ("god-class", "large-file", "feature-envy", "message-chain", "data-clumps", "refused-bequest", "middle-man")
DOCS_PERF_IDS = (
    "missing-docstring",
    "todo-comment",
    "test-without-assertion",
    "query-in-loop",
    "regex-compile-in-loop",
    "string-concat-in-loop",
)
ALL_IDS = BUG_RISK_IDS + DESIGN_IDS + DOCS_PERF_IDS


def make_context(
    source: str,
    path: str = "pkg/mod.py",
    *,
    module: str | None = None,
    is_test: bool | None = None,
    settings: dict[str, DetectorSettings] | None = None,
) -> FileContext:
    if module is None:
        module = path.removesuffix(".py").replace("/", ".").removesuffix(".__init__")
    return FileContext(
        path=path,
        module=module,
        source=source,
        lines=source.splitlines(),
        tree=ast.parse(source),
        is_test=is_test_path(path) if is_test is None else is_test,
        is_package_init=path.rsplit("/", 1)[-1] == "__init__.py",
        settings=settings or {},
    )


def instantiate(detector_ids: Iterable[str]) -> list[NodeDetector]:
    """One instance of each of the given file-local detectors."""
    registry = all_detectors()
    detectors: list[NodeDetector] = []
    for det_id in detector_ids:
        cls = registry[det_id]
        assert issubclass(cls, NodeDetector), det_id
        detectors.append(cls())
    return detectors


def traverse(ctx: FileContext, detectors: list[NodeDetector]) -> None:
    """Run ``detectors`` over ``ctx`` (findings land in ``ctx.findings``); a detector that raises
    fails the test."""
    traversal = Traversal(detectors)
    traversal.run(ctx, FileFacts(path=ctx.path, module=ctx.module, content_hash=""))
    assert traversal.errors == [], traversal.errors


def run_context(ctx: FileContext, detector_ids: Iterable[str]) -> list[Finding]:
    """Run the detectors over ``ctx``; a detector that raises fails the test."""
    traverse(ctx, instantiate(detector_ids))
    return sorted(ctx.findings, key=lambda f: (f.line, f.column, f.detector))


def run_detectors(
    source: str,
    detector_ids: str | Iterable[str],
    path: str = "pkg/mod.py",
    *,
    dedent: bool = True,
    **kwargs: object,
) -> list[Finding]:
    """Findings of the given detectors on ``source`` (dedented), sorted by position."""
    ids = [detector_ids] if isinstance(detector_ids, str) else list(detector_ids)
    text = textwrap.dedent(source) if dedent else source
    return run_context(make_context(text, path, **kwargs), ids)  # type: ignore[arg-type]
