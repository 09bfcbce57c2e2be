"""Security detectors against bandit on real code (Django 5.2 and bandit's own source).

Run from the repository root::

    .venv/bin/python -m benchmarks.bandit_compare [django] [bandit] [--reuse-bandit]

Both tools run over the same tree: Django's package directory, and bandit's whole sdist
(its package plus examples/ and tests/), fetched into benchmarks/.cache/.
bandit's test ids are mapped to our detector ids (``BANDIT_MAP``); for every detector the script
prints how many of our findings bandit also reports (same file, line within ±1 of bandit's
line range) and the reverse, then a few unmatched examples each way so the disagreements can be
read. bandit ids without a counterpart (B101 assert, B403 "import pickle", B404 "import
subprocess", B603 subprocess without shell...) are counted apart. Full details go to
``benchmarks/.cache/bandit_compare.json``.
"""

from __future__ import annotations

import ast
import gc
import json
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from analysis.engine import analyze
from analysis.engine.context import FileContext
from analysis.engine.facts import FileFacts
from analysis.engine.registry import all_detectors, all_specs
from analysis.engine.visitor import Traversal
from benchmarks import _cache
from benchmarks._cache import CACHE, ensure_tools, project_root, project_source, tool_path

SECURITY_IDS = sorted(s.id for s in all_specs() if s.category.value == "security")

BANDIT_MAP: dict[str, str] = {
    "B608": "sql-injection",
    "B610": "sql-injection",  # django QuerySet.extra
    "B611": "sql-injection",  # django RawSQL
    "B602": "command-injection",  # subprocess with shell=True
    "B604": "command-injection",  # any function with shell=True
    "B605": "command-injection",  # os.system / os.popen...
    "B609": "command-injection",  # wildcard injection
    "B307": "code-injection",  # eval
    "B102": "code-injection",  # exec
    "B301": "unsafe-deserialization",  # pickle
    "B302": "unsafe-deserialization",  # marshal
    "B506": "unsafe-deserialization",  # yaml.load
    "B614": "unsafe-deserialization",  # torch.load
    "B105": "hardcoded-secret",
    "B106": "hardcoded-secret",
    "B107": "hardcoded-secret",
    "B303": "weak-crypto",
    "B304": "weak-crypto",
    "B305": "weak-crypto",
    "B324": "weak-crypto",
    "B501": "insecure-tls",
    "B323": "insecure-tls",  # ssl._create_unverified_context
    "B311": "insecure-random",
    "B306": "insecure-tempfile",
    **{f"B{n}": "xxe" for n in range(313, 321)},  # xml.etree/minidom/sax/expat/pulldom parse
    "B104": "bind-all-interfaces",
    "B201": "debug-enabled",
    "B308": "xss",  # mark_safe
    "B703": "xss",  # django mark_safe
    "B704": "xss",  # markupsafe.Markup
    "B310": "ssrf",  # urllib urlopen with any scheme
}

_cache.PROJECTS.setdefault("bandit", ("bandit", "bandit"))
WHOLE_SDIST = {"bandit"}


def run_bandit(root: Path, reuse: bool = False) -> tuple[list[dict[str, Any]], float]:
    out = CACHE / f"bandit-{root.name}.json"
    t = time.perf_counter()
    reuse = reuse and out.exists()
    if not reuse:
        ensure_tools("bandit")
        subprocess.run(
            [tool_path("bandit"), "-r", "-q", "-f", "json", "-o", str(out), str(root)],
            check=False,  # bandit exits 1 when it finds issues
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    elapsed = time.perf_counter() - t if not reuse else float("nan")
    results = json.loads(out.read_text(encoding="utf-8"))["results"]
    for r in results:
        r["path"] = Path(r["filename"]).resolve().relative_to(root.resolve()).as_posix()
    return results, elapsed


def run_ours(root: Path) -> tuple[list[Any], float, dict[str, float]]:
    config = {"detectors": {spec.id: False for spec in all_specs() if spec.id not in SECURITY_IDS}}
    t = time.perf_counter()
    result = analyze(str(root), config=config, profile=True)
    elapsed = time.perf_counter() - t
    findings = [f for f in result.findings if f.detector in SECURITY_IDS]
    return findings, elapsed, result.timings


def traversal_cpu(root: Path, repeat: int = 3) -> tuple[float, float]:
    """CPU seconds of the shared traversal over every file, without and with the security
    detectors (best of ``repeat``; parsing excluded): what the detectors add, without the
    per-hook timer overhead that ``profile=True`` carries."""
    detectors = [cls() for did, cls in all_detectors().items() if did in SECURITY_IDS]
    contexts = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        try:
            source = path.read_text(encoding="utf-8")
            tree = ast.parse(source)
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        module = rel.removesuffix(".py").replace("/", ".").removesuffix(".__init__")
        contexts.append((rel, module, source, tree))
    best = []
    gc.disable()  # as the pipeline does while it builds facts
    for chosen in ([], detectors):
        traversal = Traversal(list(chosen))  # type: ignore[arg-type]
        times = []
        for _ in range(repeat):
            t = time.process_time()
            for rel, module, source, tree in contexts:
                ctx = FileContext(path=rel, module=module, source=source, lines=source.splitlines(), tree=tree)
                traversal.run(ctx, FileFacts(path=rel, module=module, content_hash=""))
            times.append(time.process_time() - t)
        best.append(min(times))
    gc.enable()
    return best[0], best[1]


def _near(line: int, lo: int, hi: int) -> bool:
    return lo - 1 <= line <= hi + 1


def _bandit_line(r: dict[str, Any]) -> str:
    prefix = f"{r['line_number']} "
    for line in (r.get("code") or "").splitlines():
        if line.startswith(prefix):
            return line[len(prefix) :].strip()
    return ""


def _found_by_us(r: dict[str, Any], ours_lines: dict[str, list[int]]) -> bool:
    lines = r.get("line_range") or [r["line_number"]]
    return any(_near(line, min(lines), max(lines)) for line in ours_lines.get(r["path"], ()))


def compare(name: str, reuse_bandit: bool = False) -> dict[str, Any]:
    # bandit's package alone has almost nothing to find; its sdist also ships examples/ (one
    # deliberately insecure snippet file per bandit test) and tests/, which are the point here
    root = project_root(name) if name in WHOLE_SDIST else project_source(name)
    bandit, bandit_s = run_bandit(root, reuse_bandit)
    ours, ours_s, timings = run_ours(root)

    bandit_by: dict[str, list[dict[str, Any]]] = defaultdict(list)
    unmapped: Counter[str] = Counter()
    for r in bandit:
        detector = BANDIT_MAP.get(r["test_id"])
        if detector is None:
            unmapped[f"{r['test_id']} {r['test_name']}"] += 1
        else:
            bandit_by[detector].append(r)

    rows: dict[str, dict[str, Any]] = {}
    for detector in SECURITY_IDS:
        mine = [f for f in ours if f.detector == detector]
        theirs = bandit_by.get(detector, [])
        spans = defaultdict(list)
        for r in theirs:
            lines = r.get("line_range") or [r["line_number"]]
            spans[r["path"]].append((min(lines), max(lines)))
        ours_matched = [f for f in mine if any(_near(f.line, lo, hi) for lo, hi in spans.get(f.path, ()))]
        ours_lines: dict[str, list[int]] = defaultdict(list)
        for f in mine:
            ours_lines[f.path].append(f.line)
        theirs_matched = [r for r in theirs if _found_by_us(r, ours_lines)]
        rows[detector] = {
            "ours": len(mine),
            "ours_by_kind": dict(Counter(f.kind for f in mine)),
            "ours_also_in_bandit": len(ours_matched),
            "bandit": len(theirs),
            "bandit_also_in_ours": len(theirs_matched),
            "only_ours": [
                f"{f.path}:{f.line} {f.snippet.splitlines()[0].strip()[:90] if f.snippet else ''}"
                for f in mine
                if f not in ours_matched
            ],
            "only_bandit": [
                f"{r['path']}:{r['line_number']} {r['test_id']} {_bandit_line(r)[:90]}" for r in theirs if r not in theirs_matched
            ],
        }
    base_cpu, with_cpu = traversal_cpu(root)
    per_detector = {
        k[len("detector.") :]: v
        for k, v in timings.items()
        if k.startswith("detector.") and k[len("detector.") :] in SECURITY_IDS
    }
    return {
        "project": name,
        "root": str(root),
        "bandit_seconds": round(bandit_s, 2),
        "ours_seconds": round(ours_s, 2),
        "ours_security_detector_cpu_seconds": round(sum(per_detector.values()), 3),
        "traversal_cpu_seconds": round(base_cpu, 2),
        "traversal_with_security_cpu_seconds": round(with_cpu, 2),
        "bandit_total": len(bandit),
        "bandit_unmapped": dict(unmapped.most_common()),
        "detectors": rows,
    }


def print_report(report: dict[str, Any], examples: int = 4) -> None:
    print(f"\n== {report['project']} ({report['root']})")
    print(
        f"bandit {report['bandit_seconds']} s, {report['bandit_total']} issues; "
        f"ours (security detectors only, whole pipeline) {report['ours_seconds']} s, "
        f"security detectors' CPU {report['ours_security_detector_cpu_seconds']} s (profiled)"
    )
    print(
        f"shared traversal CPU {report['traversal_cpu_seconds']} s alone, "
        f"{report['traversal_with_security_cpu_seconds']} s with the {len(SECURITY_IDS)} security detectors"
    )
    print(f"{'detector':28} {'ours':>6} {'ours∩bandit':>12} {'bandit':>7} {'bandit∩ours':>12}  ours by kind")
    for detector, row in report["detectors"].items():
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(row["ours_by_kind"].items()))
        print(
            f"{detector:28} {row['ours']:6} {row['ours_also_in_bandit']:12} {row['bandit']:7} {row['bandit_also_in_ours']:12}  {kinds}"
        )
    unmapped = report["bandit_unmapped"]
    if unmapped:
        print("bandit tests with no counterpart here:", ", ".join(f"{k} ×{v}" for k, v in unmapped.items()))
    for detector, row in report["detectors"].items():
        for label in ("only_ours", "only_bandit"):
            if row[label]:
                shown = "; ".join(row[label][:examples])
                more = f" (+{len(row[label]) - examples} more)" if len(row[label]) > examples else ""
                print(f"  {detector} {label}: {shown}{more}")


def main(argv: list[str]) -> int:
    reuse = "--reuse-bandit" in argv  # re-read bandit's last JSON output instead of rerunning it
    names = [a for a in argv if not a.startswith("--")] or ["django", "bandit"]
    reports = [compare(name, reuse) for name in names]
    for report in reports:
        print_report(report)
    out = CACHE / "bandit_compare.json"
    out.write_text(json.dumps(reports, indent=2), encoding="utf-8")
    print(f"\ndetails: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
