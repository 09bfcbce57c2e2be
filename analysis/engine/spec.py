"""What a detector declares about itself, and the one place a finding is built from it.

Kept apart from ``registry`` so that the contexts detectors report through (``context`` for a
file, ``project`` for the whole project) and the registry do not import each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from analysis.engine.model import Category, Finding, Kind, Severity, compute_fingerprint


@dataclass(frozen=True)
class DetectorSpec:
    id: str
    category: Category
    severity: Severity
    title: str
    description: str
    cwe: str | None = None
    effort_minutes: int = 5
    thresholds: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "category": self.category.value,
            "severity": self.severity.value,
            "title": self.title,
            "description": self.description,
            "cwe": self.cwe,
            "effort_minutes": self.effort_minutes,
            "thresholds": dict(self.thresholds),
        }

    def finding(
        self,
        *,
        severity: Severity | str | None = None,
        configured: Severity | None = None,
        message: str,
        path: str,
        line: int,
        symbol: str,
        snippet: str,
        key: str,
        title: str | None = None,
        column: int = 0,
        end_line: int = 0,
        end_column: int = 0,
        confidence: float = 1.0,
        metadata: dict[str, Any] | None = None,
        kind: str | None = None,
        taint_path: list[dict[str, Any]] | None = None,
    ) -> Finding:
        """A finding of this detector; its fingerprint hashes ``key`` (the code, or a
        line-independent description of the problem) with the detector, path and symbol. Its
        severity: the one the detector gives this finding, else the one repotoire.toml
        ``configured`` for the detector, else the spec's.

        ``kind`` defaults to ``hotspot`` for security detectors (a pattern without evidence) and
        ``issue`` for the others; a security detector passes ``vulnerability`` only with evidence:
        a ``taint_path`` from an untrusted source, or an unconditionally unsafe setting."""
        sev = Severity.parse(severity) if severity is not None else (configured or self.severity)
        return Finding(
            detector=self.id,
            category=self.category.value,
            severity=sev.value,
            title=title or self.title,
            message=message,
            path=path,
            line=line,
            column=column,
            end_line=end_line,
            end_column=end_column,
            symbol=symbol,
            snippet=snippet,
            cwe=self.cwe,
            confidence=confidence,
            effort_minutes=self.effort_minutes,
            metadata=metadata or {},
            fingerprint=compute_fingerprint(self.id, path, symbol, key),
            kind=Kind(kind).value if kind else (Kind.HOTSPOT.value if self.category == Category.SECURITY else Kind.ISSUE.value),
            taint_path=list(taint_path or []),
        )
