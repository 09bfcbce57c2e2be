"""Run the security detectors over snippets and files in tests, through the engine's real
traversal (the same runner as ``detector_helpers``)."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable

from analysis.engine.model import Finding
from analysis.engine.registry import NodeDetector
from tests.engine.detector_helpers import instantiate as instantiate_ids
from tests.engine.detector_helpers import make_context, traverse

__all__ = ["SECURITY_IDS", "instantiate", "make_context", "scan", "traverse"]

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


def instantiate(detector_ids: str | Iterable[str] = SECURITY_IDS) -> list[NodeDetector]:
    return instantiate_ids([detector_ids] if isinstance(detector_ids, str) else detector_ids)


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
