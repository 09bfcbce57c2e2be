"""Recall and false alarms of the JavaScript/TypeScript security detectors on our own samples.

Usage (from the repository root)::

    .venv/bin/python -m benchmarks.js_security_samples

``tests/engine/samples/js_security/vulnerable/`` holds one vulnerable use of every JS/TS security
detector, each line marked ``// expect: <detector-id>``; ``safe/`` holds a safe twin of each (the
parameterised query, execFile with an argument list, a fixed redirect...). Prints, per detector,
whether the vulnerable line was found as a vulnerability (with its taint path length) and how
many security findings the safe twins raised; exits 1 on a miss or a false alarm.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from analysis.engine import analyze

SAMPLES = Path(__file__).resolve().parent.parent / "tests" / "engine" / "samples" / "js_security"
_EXPECT = re.compile(r"//\s*expect:\s*([\w-]+)")


def expected() -> set[tuple[str, int, str]]:
    out = set()
    for path in sorted((SAMPLES / "vulnerable").iterdir()):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            match = _EXPECT.search(line)
            if match:
                out.add((f"vulnerable/{path.name}", number, match.group(1)))
    return out


def run() -> tuple[set[tuple[str, int, str]], set[tuple[str, int, str]], list[tuple[str, int, str]]]:
    """(expected, found vulnerabilities in vulnerable/, security findings in safe/)."""
    result = analyze(str(SAMPLES), workers=1)
    security = [f for f in result.findings if f.category == "security"]
    found = {(f.path, f.line, f.detector) for f in security if f.path.startswith("vulnerable/") and f.kind == "vulnerability"}
    alarms = [(f.path, f.line, f.detector) for f in security if f.path.startswith("safe/")]
    return expected(), found, alarms


def main() -> int:
    wanted, found, alarms = run()
    for item in sorted(wanted, key=lambda t: t[2]):
        print(f"{item[2]:28} {item[0]}:{item[1]:<4} {'found' if item in found else 'MISSED'}")
    extra = sorted(found - wanted)
    hit = len(wanted & found)
    print(
        f"recall {hit}/{len(wanted)} = {100 * hit / max(1, len(wanted)):.1f} %; other vulnerabilities in vulnerable/: {len(extra)} {extra}"
    )
    print(f"false alarms on the safe twins: {len(alarms)} {alarms}")
    return 0 if hit == len(wanted) and not alarms else 1


if __name__ == "__main__":
    sys.exit(main())
