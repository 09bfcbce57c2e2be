"""Recall and false alarms of the Go and Java security detectors on our own samples.

Usage (from the repository root)::

    .venv/bin/python -m benchmarks.go_java_security_samples

``tests/engine/samples/go_java_security/vulnerable/`` holds one vulnerable use of every Go and Java
security detector (``handlers.go``, ``UserController.java``), each line marked
``// expect: <detector-id>``; ``safe/`` holds a safe twin of each function (a parameterised
query, a program with an argument list, an ObjectInputFilter, an XML factory with DOCTYPEs off,
crypto/rand and SecureRandom...). Prints, per language and detector, whether the vulnerable line
was found as a vulnerability (with its input source), and the security findings raised on the
safe twins; exits 1 on a miss or a false alarm.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from analysis.engine import analyze
from analysis.engine.languages import language_of_path

SAMPLES = Path(__file__).resolve().parent.parent / "tests" / "engine" / "samples" / "go_java_security"
_EXPECT = re.compile(r"//\s*expect:\s*([\w-]+)")


def expectations(samples: Path, files: Iterable[Path]) -> set[tuple[str, int, str]]:
    """(path under ``samples``, line, detector) of each ``// expect: detector`` comment of ``files``
    (also ``native_security_samples``)."""
    out = set()
    for path in files:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            match = _EXPECT.search(line)
            if match:
                out.add((path.relative_to(samples).as_posix(), number, match.group(1)))
    return out


def expected() -> set[tuple[str, int, str]]:
    return expectations(SAMPLES, sorted((SAMPLES / "vulnerable").iterdir()))


def run() -> tuple[set[tuple[str, int, str]], set[tuple[str, int, str]], list[tuple[str, int, str]]]:
    """(expected, vulnerabilities found in vulnerable/, security findings of any kind in safe/)."""
    result = analyze(str(SAMPLES), workers=1)
    security = [f for f in result.findings if f.category == "security"]
    found = {(f.path, f.line, f.detector) for f in security if f.path.startswith("vulnerable/") and f.kind == "vulnerability"}
    alarms = [(f.path, f.line, f.detector) for f in security if f.path.startswith("safe/")]
    return expected(), found, alarms


def report(
    languages: Iterable[str],
    wanted: set[tuple[str, int, str]],
    found: set[tuple[str, int, str]],
    alarms: list[tuple[str, int, str]],
    language_of: Callable[[str], str | None],
    *,
    widths: tuple[int, int],
    other: str,
) -> bool:
    """Print each expected finding (found or MISSED), then recall, the ``other`` findings and the
    false alarms per language (also ``native_security_samples``); True when nothing was missed
    and the safe twins are clean."""
    ok = True
    for language in languages:
        mine = {w for w in wanted if language_of(w[0]) == language}
        for item in sorted(mine, key=lambda t: (t[2], t[1])):
            print(f"{language:{widths[0]}} {item[2]:{widths[1]}} {item[0]}:{item[1]:<4} {'found' if item in found else 'MISSED'}")
        hit = len(mine & found)
        extra = sorted(f for f in found - wanted if language_of(f[0]) == language)
        false = [a for a in alarms if language_of(a[0]) == language]
        print(f"{language}: recall {hit}/{len(mine)} = {100 * hit / max(1, len(mine)):.1f} %; {other}: {len(extra)} {extra}")
        print(f"{language}: false alarms on the safe twins: {len(false)} {false}")
        ok = ok and hit == len(mine) and not false
    return ok


def main() -> int:
    wanted, found, alarms = run()
    ok = report(("go", "java"), wanted, found, alarms, language_of_path, widths=(5, 28), other="other vulnerabilities")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
