"""Recall and false alarms of the security detectors on the vulnerable sample with safe twins.

    .venv/bin/python benchmarks/trust_recall.py [--bandit]

The sample (``tests/engine/samples/vulnerable_app``) marks each line the engine must report with
``# expect: <detector> <kind>[; <detector> <kind>]``; ``shop/safe/`` holds the safe twins. Prints
per detector: expected, found with the right kind, found with another kind, missed; then the
false alarms: security findings the default view shows (source files, confidence at or above
the default floor) on lines without an expectation, and the same count on the safe twins alone.
``--bandit`` also runs bandit on the sample (its findings on the safe twins are its false alarms).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from analysis.engine import analyze  # noqa: E402 - after the path setup for a direct run
from analysis.engine.calibration import visible  # noqa: E402

SAMPLE = ROOT / "tests" / "engine" / "samples" / "vulnerable_app"
SAFE_PREFIX = "shop/safe/"
_EXPECT = re.compile(r"#\s*expect:\s*(.+)$")


@dataclass
class Measure:
    expected: set[tuple[str, int, str, str]] = field(default_factory=set)  # path, line, detector, kind
    hits: set[tuple[str, int, str, str]] = field(default_factory=set)
    wrong_kind: dict[tuple[str, int, str, str], str] = field(default_factory=dict)
    false_alarms: list[tuple[str, int, str, str]] = field(default_factory=list)
    taint_seconds: float = 0.0

    @property
    def recall(self) -> float:
        return len(self.hits) / len(self.expected) if self.expected else 1.0

    @property
    def safe_alarms(self) -> list[tuple[str, int, str, str]]:
        return [a for a in self.false_alarms if a[0].startswith(SAFE_PREFIX)]


def expectations(root: Path = SAMPLE) -> set[tuple[str, int, str, str]]:
    out = set()
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            match = _EXPECT.search(text)
            if match is None:
                continue
            for item in match.group(1).split(";"):
                detector, kind = item.split()
                out.add((rel, number, detector, kind))
    return out


def measure(root: Path = SAMPLE) -> Measure:
    result = analyze(str(root), workers=1)
    m = Measure(expected=expectations(root), taint_seconds=result.timings.get("taint", 0.0))
    wanted = {(p, line, d): k for p, line, d, k in m.expected}
    for f in result.findings:
        if f.category != "security":
            continue
        key = (f.path, f.line, f.detector)
        if key in wanted:
            if f.kind == wanted[key]:
                m.hits.add((*key, f.kind))
            else:
                m.wrong_kind[(*key, wanted[key])] = f.kind
        elif visible(f):
            m.false_alarms.append((*key, f.kind))
    return m


def bandit_findings(root: Path = SAMPLE) -> list[dict[str, object]]:
    run = subprocess.run(
        [sys.executable, "-m", "bandit", "-r", str(root), "-f", "json", "-q"], capture_output=True, text=True, check=False
    )
    return list(json.loads(run.stdout or "{}").get("results", []))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bandit", action="store_true", help="also run bandit on the sample")
    args = parser.parse_args()
    m = measure()
    by_detector = Counter(d for _, _, d, _ in m.expected)
    hit = Counter(d for _, _, d, _ in m.hits)
    print(f"{'detector':28} {'expected':>8} {'found':>6} {'kind≠':>6}")
    for detector in sorted(by_detector):
        wrong = sum(1 for (_, _, d, _) in m.wrong_kind if d == detector)
        print(f"{detector:28} {by_detector[detector]:>8} {hit[detector]:>6} {wrong:>6}")
    print(f"recall {len(m.hits)}/{len(m.expected)} = {m.recall:.0%} (right detector, line and kind)")
    for key, kind in sorted(m.wrong_kind.items()):
        print(f"  wrong kind: {key} reported as {kind}")
    missed = m.expected - m.hits - set(m.wrong_kind)
    for key in sorted(missed):
        print(f"  missed: {key}")
    print(f"false alarms in the default view: {len(m.false_alarms)} (safe twins: {len(m.safe_alarms)})")
    for alarm in m.false_alarms:
        print(f"  alarm: {alarm}")
    print(f"taint stage (inter-procedural pass): {m.taint_seconds * 1000:.1f} ms")
    if args.bandit:
        results = bandit_findings()
        safe = [r for r in results if SAFE_PREFIX in str(r["filename"])]
        print(f"bandit: {len(results)} findings, {len(safe)} on the safe twins")
    return 0


if __name__ == "__main__":
    sys.exit(main())
