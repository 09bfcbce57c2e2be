"""Plain data types shared by every part of the analysis engine.

The engine is a library: no Django, no database. Everything it returns is a dataclass made of
builtins so that the platform (and the JSON report) can serialise it without special cases.
"""

from __future__ import annotations

import enum
import hashlib
import re
from dataclasses import MISSING, dataclass, field, fields
from typing import Any


class Severity(enum.StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is worse; used for --fail-on and sorting."""
        return _SEVERITY_RANK[self]

    @classmethod
    def parse(cls, value: str | Severity) -> Severity:
        return value if isinstance(value, Severity) else cls(str(value).lower())


_SEVERITY_RANK = {
    Severity.INFO: 0,
    Severity.LOW: 1,
    Severity.MEDIUM: 2,
    Severity.HIGH: 3,
    Severity.CRITICAL: 4,
}
#: Severity values, worst first: the one order reports, counts and summaries list them in.
SEVERITY_ORDER: tuple[str, ...] = tuple(s.value for s in sorted(_SEVERITY_RANK, key=_SEVERITY_RANK.__getitem__, reverse=True))


class Kind(enum.StrEnum):
    """What a finding claims (see DESIGN.md "Trust").

    A *vulnerability* is a security finding with evidence: an untrusted source reaching the sink
    (``Finding.taint_path`` holds the steps) or an unconditionally unsafe setting. A *hotspot* is a
    risky pattern without evidence, for a person to review once; it is out of the score and the
    quality gates by default. Everything else (quality, bug risk, design...) is an *issue*.
    """

    VULNERABILITY = "vulnerability"
    HOTSPOT = "hotspot"
    ISSUE = "issue"


class Role(enum.StrEnum):
    """What a file is for (decided in ``roles.py``); only ``source`` counts in the score, the
    gates and the default views. Documentation counts as ``example``."""

    SOURCE = "source"
    TEST = "test"
    EXAMPLE = "example"
    VENDORED = "vendored"
    GENERATED = "generated"


class Category(enum.StrEnum):
    SECURITY = "security"
    BUG_RISK = "bug_risk"
    COMPLEXITY = "complexity"
    DESIGN = "design"
    ARCHITECTURE = "architecture"
    DEAD_CODE = "dead_code"
    DUPLICATION = "duplication"
    DOCUMENTATION = "documentation"
    TESTING = "testing"
    PERFORMANCE = "performance"


_WS = re.compile(r"\s+")
_COMMENT = re.compile(r"#.*$", re.MULTILINE)


def normalise_code(code: str) -> str:
    """Code text with comments and all whitespace runs collapsed, so that re-indentation,
    reformatting and line shifts do not change a fingerprint."""
    return _WS.sub(" ", _COMMENT.sub("", code)).strip()


def compute_fingerprint(detector_id: str, path: str, symbol: str, code: str, discriminator: str = "") -> str:
    """Stable identity of a finding: detector + file + enclosing symbol + normalised code.

    Never the line number: a finding that merely moved keeps its identity. `discriminator`
    separates two genuinely different findings that share all of the above (for example the
    same snippet twice in one function); the pipeline sets it to the occurrence index.
    """
    raw = "\x1f".join((detector_id, path, symbol, normalise_code(code), discriminator))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:32]


def slots_getstate(obj: Any) -> list[Any]:
    return [getattr(obj, f.name) for f in fields(obj)]


def slots_setstate(obj: Any, state: list[Any]) -> None:
    """Restore a slotted dataclass pickled by an older engine: fields added since (always at the
    end, with defaults) take their default instead of staying unset."""
    for i, f in enumerate(fields(obj)):
        if i < len(state):
            value = state[i]
        elif f.default is not MISSING:
            value = f.default
        else:
            value = f.default_factory()  # type: ignore[misc, operator]
        object.__setattr__(obj, f.name, value)


@dataclass(slots=True)
class Finding:
    """One problem found in the analysed code."""

    detector: str
    category: str
    severity: str
    title: str
    message: str
    path: str
    line: int
    column: int = 0
    end_line: int = 0
    end_column: int = 0
    symbol: str = ""
    snippet: str = ""
    cwe: str | None = None
    confidence: float = 1.0
    effort_minutes: int = 5
    metadata: dict[str, Any] = field(default_factory=dict)
    fingerprint: str = ""
    language: str = "python"  # language of the file the finding is in (FileFacts.language)
    kind: str = Kind.ISSUE.value
    role: str = Role.SOURCE.value
    # vulnerabilities: the steps from the untrusted source to the sink, {"path", "line", "note"}
    taint_path: list[dict[str, Any]] = field(default_factory=list)

    __getstate__ = slots_getstate
    __setstate__ = slots_setstate

    @property
    def counts(self) -> bool:
        """Counted in the score and quality gates: a source file's issue or vulnerability."""
        return self.role == Role.SOURCE.value and self.kind != Kind.HOTSPOT.value

    def to_dict(self) -> dict[str, Any]:
        return {
            "detector": self.detector,
            "category": self.category,
            "severity": self.severity,
            "title": self.title,
            "message": self.message,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "symbol": self.symbol,
            "snippet": self.snippet,
            "cwe": self.cwe,
            "confidence": self.confidence,
            "effort_minutes": self.effort_minutes,
            "metadata": self.metadata,
            "fingerprint": self.fingerprint,
            "kind": self.kind,
            "role": self.role,
            "taint_path": [dict(step) for step in self.taint_path],
            "language": self.language,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        return cls(**data)
