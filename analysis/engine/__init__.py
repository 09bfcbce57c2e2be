"""Repotoire's analysis engine: a pure-Python library (no Django, no database).

Public API::

    from analysis.engine import analyze, EngineConfig
    result = analyze("/path/to/repo", progress=lambda stage, percent, message: ...)
    result = analyze("https://github.com/org/repo.git", ref="main")
    again = analyze("/path/to/repo", previous=result)      # incremental

Names are imported lazily so that ``import analysis.engine.model`` stays cheap and free of
import cycles.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from analysis.engine.config import ConfigError, EngineConfig
    from analysis.engine.facts import AnalysisResult, FileFacts, HealthScore
    from analysis.engine.model import Category, Finding, Severity
    from analysis.engine.pipeline import ProgressCallback, analyze
    from analysis.engine.source import SourceError

__version__ = "0.1.0"

_EXPORTS = {
    "analyze": "analysis.engine.pipeline",
    "ProgressCallback": "analysis.engine.pipeline",
    "EngineConfig": "analysis.engine.config",
    "ConfigError": "analysis.engine.config",
    "AnalysisResult": "analysis.engine.facts",
    "FileFacts": "analysis.engine.facts",
    "HealthScore": "analysis.engine.facts",
    "Finding": "analysis.engine.model",
    "Severity": "analysis.engine.model",
    "Category": "analysis.engine.model",
    "SourceError": "analysis.engine.source",
}

__all__ = [
    "AnalysisResult",
    "Category",
    "ConfigError",
    "EngineConfig",
    "FileFacts",
    "Finding",
    "HealthScore",
    "ProgressCallback",
    "Severity",
    "SourceError",
    "analyze",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'analysis.engine' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
