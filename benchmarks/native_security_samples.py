"""Recall and false alarms of the C, C++, Rust and C# security and bug-risk detectors on our own
samples.

Usage (from the repository root)::

    .venv/bin/python -m benchmarks.native_security_samples

``tests/engine/samples/native_security/vulnerable/`` holds one vulnerable use of every detector of
the four languages (``tool.c``, ``bugs.c``, ``server.cpp``, ``rust/src/lib.rs``,
``UsersController.cs``), each line marked ``// expect: <detector-id>``; ``safe/`` holds a safe
twin of each (bounded copies, a constant format, an argument vector instead of a shell, a
parameterised query, System.Text.Json, a pinned certificate check, PBKDF2,
RandomNumberGenerator, ``[[fallthrough]]``, doubled parentheses...). Prints, per language and
detector, whether the vulnerable line was found (a security finding must be a vulnerability,
with its input source), and the findings of these detectors raised on the safe twins; exits 1 on
a miss or a false alarm.
"""

from __future__ import annotations

import sys
from pathlib import Path

from analysis.engine import analyze
from benchmarks.go_java_security_samples import expectations, report

SAMPLES = Path(__file__).resolve().parent.parent / "tests" / "engine" / "samples" / "native_security"
LANGUAGES = ("c", "cpp", "rust", "csharp")


def expected() -> set[tuple[str, int, str]]:
    files = (p for p in sorted((SAMPLES / "vulnerable").rglob("*")) if p.is_file() and p.suffix in (".c", ".cpp", ".rs", ".cs"))
    return expectations(SAMPLES, files)


def run() -> tuple[set[tuple[str, int, str]], set[tuple[str, int, str]], list[tuple[str, int, str]], dict[str, str]]:
    """(expected, findings in vulnerable/, findings of the sampled detectors in safe/, path -> language)."""
    wanted = expected()
    detectors = {w[2] for w in wanted}
    result = analyze(str(SAMPLES), workers=1)
    languages = {path: facts.language for path, facts in result.files.items()}
    mine = [f for f in result.findings if f.detector in detectors]
    found = {
        (f.path, f.line, f.detector)
        for f in mine
        if f.path.startswith("vulnerable/") and (f.category != "security" or f.kind == "vulnerability")
    }
    alarms = [(f.path, f.line, f.detector) for f in mine if f.path.startswith("safe/")]
    return wanted, found, alarms, languages


def main() -> int:
    wanted, found, alarms, languages = run()
    ok = report(LANGUAGES, wanted, found, alarms, languages.get, widths=(6, 24), other="other findings")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
