"""Per-file facts extracted in the worker processes, and the result of a whole analysis.

Facts are small, picklable dataclasses (never AST nodes): workers send them to the parent,
which builds the code graph from them and keeps them for incremental re-analysis and for the
platform (code search chunks are built from ``Definition`` spans).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from analysis.engine.model import Finding, slots_getstate, slots_setstate

if TYPE_CHECKING:  # history.metrics imports this module
    from analysis.engine.history.metrics import HistoryReport
    from analysis.engine.history.mining import CommitFacts


@dataclass(slots=True)
class FunctionMetrics:
    cyclomatic: int = 1  # McCabe, counted as radon does
    cognitive: int = 0  # SonarSource cognitive complexity
    max_nesting: int = 0
    statements: int = 0
    lines: int = 0  # end_lineno - lineno + 1
    parameters: int = 0  # excluding self/cls


@dataclass(slots=True)
class Definition:
    """A class, function or method defined in a module."""

    kind: str  # "class" | "function" | "method"
    name: str
    qualname: str  # "module.Class.method"
    line: int
    end_line: int
    decorators: list[str] = field(default_factory=list)  # dotted names as written
    parameters: list[str] = field(default_factory=list)
    docstring: str | None = None
    bases: list[str] = field(default_factory=list)  # classes: base expressions, resolved through imports when possible
    metrics: FunctionMetrics | None = None  # functions and methods
    is_async: bool = False


@dataclass(slots=True)
class ImportFact:
    # Python: absolute dotted module as imported ("os.path"; relative imports made absolute).
    # Other languages: the specifier as written ("./util", "react"); once resolved in the parent
    # (``languages.resolve``), the repository path it points at, the specifier kept in ``specifier``.
    module: str
    names: list[str] = field(default_factory=list)  # for "from m import a, b"; empty for "import m"
    alias: str | None = None
    line: int = 0
    resolved: str | None = None  # module of this repository the import points at, if any
    is_from: bool = False
    type_checking_only: bool = False  # inside "if TYPE_CHECKING:"
    in_function: bool = False
    specifier: str = ""  # non-Python: the import specifier as written (``module`` may be rewritten)
    kind: str = ""  # non-Python: "import", "require", "dynamic", "reexport", "type" (TS type-only)

    __getstate__ = slots_getstate
    __setstate__ = slots_setstate


@dataclass(slots=True)
class CallFact:
    caller: str  # qualname of the enclosing function ("module" at module level)
    callee: str  # best-effort dotted target: "pkg.mod.func", "self.method", "name"
    line: int = 0


@dataclass(slots=True)
class FileFacts:
    path: str
    module: str  # dotted module name for Python; the repository-relative path for other languages
    content_hash: str  # sha256 of the bytes
    lines: int = 0  # physical lines
    code_lines: int = 0  # non-blank, non-comment lines (used for density and debt ratio)
    is_package_init: bool = False
    is_test: bool = False
    parse_error: str | None = None
    definitions: list[Definition] = field(default_factory=list)
    imports: list[ImportFact] = field(default_factory=list)
    calls: list[CallFact] = field(default_factory=list)
    names_used: list[str] = field(default_factory=list)  # identifiers and attribute names referenced (for dead code)
    attribute_accesses: list[str] = field(default_factory=list)  # "obj.attr" pairs as written, deduplicated
    dunder_all: list[str] | None = None
    # token-hash windows for duplication: (hash, start_line, end_line) per normalised window
    clone_windows: list[tuple[int, int, int]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)  # file-local detector findings
    extra: dict[str, Any] = field(default_factory=dict)
    language: str = "python"  # python, javascript, typescript, go, java, csharp, rust, c, cpp
    # source | test | example | vendored | generated (roles.py); set in the parent for every run
    role: str = "source"

    __getstate__ = slots_getstate
    __setstate__ = slots_setstate


@dataclass
class HealthScore:
    overall: float  # 0-100
    grade: str  # A-F
    pillars: dict[str, float] = field(default_factory=dict)  # security, reliability, maintainability, architecture
    details: dict[str, Any] = field(default_factory=dict)  # inputs of the formula (densities, debt ratio...)


@dataclass
class AnalysisResult:
    root: str
    commit: str | None
    files_analyzed: int
    lines_analyzed: int  # code lines
    findings: list[Finding]
    score: HealthScore
    files: dict[str, FileFacts]  # path -> facts (kept for incremental runs and code search)
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> count (binary, undecodable, too_large, excluded)
    metrics: dict[str, Any] = field(default_factory=dict)  # duplicated_lines_percent, graph sizes, ...
    timings: dict[str, float] = field(default_factory=dict)  # stage -> seconds
    detectors: list[dict[str, Any]] = field(default_factory=list)  # specs of the detectors that ran
    warnings: list[str] = field(default_factory=list)  # files left out for a reason worth telling (undecodable names)
    # git history (the ``history`` stage): every metric, and the mined commits (newest first)
    # that the platform stores so that its next analysis mines only the commits after them
    history: HistoryReport | None = None
    history_commits: list[CommitFacts] = field(default_factory=list)
