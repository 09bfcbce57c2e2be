"""Other tools' inline markers that say "this is intentional": ``# noqa[: CODES]`` (flake8,
ruff), ``# nosec [CODES]`` (bandit) and ``# pragma: no cover`` (coverage).

The worker records them per line (``parse_markers``); the pipeline drops the findings they
cover (``apply_markers``) unless ``repotoire.toml`` turns a kind of marker off::

    [markers]
    noqa = true        # honour "# noqa" and "# noqa: S608, F401"
    nosec = true       # honour bandit's "# nosec" and "# nosec B602"
    no_cover = true    # "# pragma: no cover" on a def: not reported as dead code

A code maps to the detectors doing that check (``S608`` and bandit's ``B608`` to
``sql-injection``); a bare ``# noqa`` covers every detector, a bare ``# nosec`` every security
detector; an unknown code covers nothing. A marker covers a finding whose lines include it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from analysis.engine.model import Category, Finding

ALL = "*"
MAX_STATEMENT_LINES = 10  # a finding spanning more lines than this is a definition, not a statement
_NOQA = re.compile(r"#\s*noqa(?::\s*([A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?", re.IGNORECASE)
_NOSEC = re.compile(r"#\s*nosec\b(?::?\s*((?:B\d+|[a-z_]+)(?:[\s,]+(?:B\d+|[a-z_]+))*))?")
_NO_COVER = re.compile(r"#\s*pragma:\s*no\s*cover", re.IGNORECASE)

# bandit test numbers (B###, ruff's S###) -> detectors doing that check
_BANDIT: dict[str, tuple[str, ...]] = {
    "102": ("code-injection",),
    "104": ("bind-all-interfaces",),
    "105": ("hardcoded-secret", "hardcoded-secret-key"),
    "106": ("hardcoded-secret",),
    "107": ("hardcoded-secret",),
    "108": ("insecure-tempfile",),
    "110": ("bare-or-swallowed-except",),
    "112": ("bare-or-swallowed-except",),
    "201": ("debug-enabled",),
    "301": ("unsafe-deserialization",),
    "302": ("unsafe-deserialization",),
    "303": ("weak-crypto",),
    "304": ("weak-crypto",),
    "305": ("weak-crypto",),
    "306": ("insecure-tempfile",),
    "307": ("code-injection",),
    "308": ("xss",),
    "310": ("ssrf",),
    "311": ("insecure-random",),
    "313": ("xxe",),
    "314": ("xxe",),
    "318": ("xxe",),
    "320": ("xxe",),
    "323": ("insecure-tls",),
    "324": ("weak-crypto",),
    "403": ("unsafe-deserialization",),
    "413": ("weak-crypto",),
    "501": ("insecure-tls",),
    "502": ("insecure-tls",),
    "503": ("insecure-tls",),
    "506": ("unsafe-deserialization",),
    "602": ("command-injection",),
    "604": ("command-injection",),
    "605": ("command-injection",),
    "608": ("sql-injection",),
    "609": ("command-injection",),
    "610": ("sql-injection",),
    "611": ("sql-injection",),
    "701": ("xss",),
    "702": ("xss",),
    "703": ("xss",),
}
# flake8/ruff/pylint codes -> detectors
_LINT: dict[str, tuple[str, ...]] = {
    "F401": ("unused-import",),
    "F811": ("redefined-function",),
    "F841": ("unused-local-variable",),
    "F601": ("duplicate-dict-key",),
    "C901": ("high-cyclomatic-complexity", "high-cognitive-complexity"),
    "E722": ("bare-or-swallowed-except",),
    "BLE001": ("bare-or-swallowed-except",),
    "B006": ("mutable-default-argument",),
    "B012": ("return-or-break-in-finally",),
    "E711": ("comparison-to-singleton",),
    "E712": ("comparison-to-singleton",),
    "PLW0127": ("self-assignment",),
    "PLR0913": ("long-parameter-list",),
    "PLR0912": ("high-cyclomatic-complexity",),
    "PLR0915": ("long-function",),
    "PLR1702": ("deep-nesting",),
    "FIX002": ("todo-comment",),
    "TD002": ("todo-comment",),
    "TD003": ("todo-comment",),
}
_NO_COVER_DETECTORS = frozenset({"unused-function-or-class", "unreachable-code"})


def parse_markers(source: str, lines: list[str]) -> dict[str, dict[int, list[str]]] | None:
    """``{"noqa": {line: codes}, "nosec": {line: codes}, "no_cover": {line: []}}`` (``["*"]``
    for a bare marker); None when the file has none (the common case costs three substring tests)."""
    has_noqa, has_nosec, has_cover = "noqa" in source, "nosec" in source, "no cover" in source
    if not (has_noqa or has_nosec or has_cover):
        return None
    found: dict[str, dict[int, list[str]]] = {}
    for number, text in enumerate(lines, 1):
        if "#" not in text:
            continue
        if has_noqa and (m := _NOQA.search(text)):
            found.setdefault("noqa", {})[number] = _codes(m.group(1))
        if has_nosec and (m := _NOSEC.search(text)):
            found.setdefault("nosec", {})[number] = _codes(m.group(1))
        if has_cover and _NO_COVER.search(text):
            found.setdefault("no_cover", {})[number] = [ALL]
    return found or None


def _codes(text: str | None) -> list[str]:
    codes = [c.upper() for c in re.split(r"[\s,]+", text or "") if c]
    return codes or [ALL]


def detectors_for(code: str) -> tuple[str, ...]:
    if code[:1] in ("S", "B") and code[1:].isdigit() and code[1:] in _BANDIT:
        return _BANDIT[code[1:]]
    return _LINT.get(code, ())


def _covers(kind: str, codes: Iterable[str], finding: Finding) -> bool:
    for code in codes:
        if code == ALL:
            if kind == "noqa" or (kind == "nosec" and finding.category == Category.SECURITY):
                return True
            if kind == "no_cover" and finding.detector in _NO_COVER_DETECTORS:
                return True
        elif finding.detector in detectors_for(code):
            return True
    return False


def apply_markers(findings: list[Finding], markers: Mapping[str, Any], enabled: Mapping[str, Any] | None = None) -> list[Finding]:
    """``findings`` of one file without those its markers cover (``enabled``: the ``[markers]``
    table; every kind is honoured by default)."""
    enabled = enabled or {}
    kinds = [k for k in ("noqa", "nosec", "no_cover") if k in markers and enabled.get(k, True)]
    if not kinds:
        return findings
    out = []
    for f in findings:
        last = max(f.line, f.end_line or f.line)
        if last - f.line > MAX_STATEMENT_LINES:
            last = f.line  # a whole definition: only its first line speaks for it
        covered = False
        for kind in kinds:
            by_line = markers[kind]
            for line in range(f.line, last + 1):
                # JSON round-trips (stored facts) turn the line keys into strings
                codes = by_line.get(line) or by_line.get(str(line))
                if codes and _covers(kind, codes, f):
                    covered = True
                    break
            if covered:
                break
        if not covered:
            out.append(f)
    return out
