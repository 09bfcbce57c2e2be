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

import re
import sys
from pathlib import Path

from analysis.engine import analyze

SAMPLES = Path(__file__).resolve().parent.parent / "tests" / "engine" / "samples" / "native_security"
_EXPECT = re.compile(r"//\s*expect:\s*([\w-]+)")
LANGUAGES = ("c", "cpp", "rust", "csharp")


def expected() -> set[tuple[str, int, str]]:
    out = set()
    for path in sorted((SAMPLES / "vulnerable").rglob("*")):
        if not path.is_file() or path.suffix not in (".c", ".cpp", ".rs", ".cs"):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            match = _EXPECT.search(line)
            if match:
                out.add((path.relative_to(SAMPLES).as_posix(), number, match.group(1)))
    return out


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
    ok = True
    for language in LANGUAGES:
        mine = {w for w in wanted if languages.get(w[0]) == language}
        for item in sorted(mine, key=lambda t: (t[2], t[1])):
            print(f"{language:6} {item[2]:24} {item[0]}:{item[1]:<4} {'found' if item in found else 'MISSED'}")
        hit = len(mine & found)
        extra = sorted(f for f in found - wanted if languages.get(f[0]) == language)
        false = [a for a in alarms if languages.get(a[0]) == language]
        print(
            f"{language}: recall {hit}/{len(mine)} = {100 * hit / max(1, len(mine)):.1f} %; other findings: {len(extra)} {extra}"
        )
        print(f"{language}: false alarms on the safe twins: {len(false)} {false}")
        ok = ok and hit == len(mine) and not false
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
