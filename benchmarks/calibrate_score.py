"""Health-score calibration: mature projects should grade A-B, the bad sample D-F.

Run from the repository root::

    .venv/bin/python -m benchmarks.calibrate_score                 # analyse and print
    .venv/bin/python -m benchmarks.calibrate_score --write         # ... and update the documented figures
    .venv/bin/python -m benchmarks.calibrate_score --rescore \\
        --set half_density.security=10 --set security_caps.critical=70   # try constants quickly

Each analysis is kept (findings, per-file code lines, metrics) in
``benchmarks/.cache/calibration/`` so ``--rescore`` recomputes the score with other constants
without analysing again. ``--write`` (a fresh analysis of every project, default constants) stores
the figures in ``benchmarks/results/calibration.json`` and regenerates the marked blocks of
README.md and docs/scoring.md from it (``benchmarks/calibration_figures.py``).
"""

from __future__ import annotations

import argparse
import json
import pickle
import subprocess
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

from analysis.engine.facts import FileFacts
from analysis.engine.pipeline import analyze
from analysis.engine.scoring import FORMULA_VERSION, PILLARS, compute_score, pillar_of
from benchmarks import calibration_figures

ROOT = Path(__file__).resolve().parent.parent
BAD_SAMPLE = ROOT / "tests" / "engine" / "samples" / "bad_project"
STORE = Path(__file__).resolve().parent / ".cache" / "calibration"
PROJECTS = ("flask", "requests", "django", "bad_sample")
TARGETS = {"flask": "AB", "requests": "AB", "django": "AB", "bad_sample": "DF"}


def source_of(project: str) -> Path:
    if project == "bad_sample":
        return BAD_SAMPLE
    from benchmarks._cache import project_source

    return project_source(project)


def analyse(project: str) -> dict[str, Any]:
    path = source_of(project)
    started = time.perf_counter()
    result = analyze(str(path))
    elapsed = time.perf_counter() - started
    kept = {
        "findings": result.findings,
        "files": {
            p: FileFacts(path=p, module=f.module, content_hash="", code_lines=f.code_lines, is_test=f.is_test)
            for p, f in result.files.items()
        },
        "metrics": {"duplicated_lines_percent": result.metrics.get("duplicated_lines_percent")},
        "seconds": elapsed,
        "path": str(path),
        "score": result.score,  # the engine's own, as the command line prints it
    }
    STORE.mkdir(parents=True, exist_ok=True)
    (STORE / f"{project}.pickle").write_bytes(pickle.dumps(kept))
    return kept


def load(project: str) -> dict[str, Any]:
    stored = STORE / f"{project}.pickle"
    if not stored.exists():
        raise SystemExit(f"no stored analysis of {project}; run without --rescore first")
    return pickle.loads(stored.read_bytes())


def parse_overrides(pairs: list[str]) -> dict[str, Any]:
    """``half_density.security=10`` -> {"half_density": {"security": 10.0}}; ``min_kloc=0.2``."""
    config: dict[str, Any] = {}
    for pair in pairs:
        key, _, raw = pair.partition("=")
        value: Any = json.loads(raw)
        if "." in key:
            outer, inner = key.split(".", 1)
            config.setdefault(outer, {})[inner] = value
        else:
            config[key] = value
    return config


def report(project: str, kept: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    findings, files, metrics = kept["findings"], kept["files"], kept["metrics"]
    score = compute_score(findings, files, metrics, config) if config or "score" not in kept else kept["score"]
    details = score.details
    ok = score.grade in TARGETS[project]
    print(f"\n== {project}  ({kept['path']})")
    print(
        f"   score {score.overall:5.1f}  grade {score.grade}  target {'-'.join(TARGETS[project])}  "
        f"{'OK' if ok else 'MISS'}   files {details['files']}  code lines {details['code_lines']:,}  "
        f"findings {len(findings):,}  dup {details['duplicated_lines_percent']}  "
        f"analysis {kept.get('seconds', 0):.1f}s"
    )
    for pillar in PILLARS:
        d = details["pillars"][pillar]
        extra = ""
        if pillar == "security":
            extra = f"  cap {d['cap']}"
        if pillar == "maintainability":
            extra = f"  debt {d['debt_ratio'] * 100:.2f}% ({d['debt_rating']}) debt-score {d['debt_score']}"
            if "duplication_score" in d:
                extra += f" dup-score {d['duplication_score']}"
        sev = " ".join(f"{k[0]}{v}" for k, v in d["by_severity"].items())
        print(
            f"   {pillar:15} {score.pillars[pillar]:5.1f}  n={d['findings']:<5} [{sev}]  "
            f"points {d['weighted_points']:8.1f}  density {d['density_per_kloc']:7.2f}/kLOC  "
            f"density-score {d['density_score']:5.1f}{extra}"
        )
    by_detector = Counter((f.detector, pillar_of(f.category), f.severity) for f in findings)
    top = ", ".join(f"{d}[{p[:5]},{s}]={n}" for (d, p, s), n in by_detector.most_common(12))
    print(f"   top detectors: {top}")
    maintainability = details["pillars"]["maintainability"]
    return {
        "project": project,
        "label": "bad sample" if project == "bad_sample" else _package_label(kept["path"])[0],
        "version": "" if project == "bad_sample" else _package_label(kept["path"])[1],
        "overall": score.overall,
        "grade": score.grade,
        "pillars": score.pillars,
        "ok": ok,
        "code_lines": details["code_lines"],
        "findings": len(findings),
        "debt_ratio": maintainability["debt_ratio"],
        "debt_rating": maintainability["debt_rating"],
        "duplicated": details["duplicated_lines_percent"] or 0.0,
        "densities": {p: round(details["pillars"][p]["density_per_kloc"], 1) for p in PILLARS},
    }


def _package_label(path: str) -> tuple[str, str]:
    """``.../flask-3.1.3/src/flask`` -> ("Flask", "3.1.3"): the sdist's directory names both."""
    for part in reversed(Path(path).parts):
        name, sep, version = part.rpartition("-")
        if sep and version[:1].isdigit():
            return (name.capitalize() if name != "requests" else name), version
    return Path(path).name, ""


def write(rows: list[dict[str, Any]]) -> None:
    commit = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    results = {
        "measured": date.today().isoformat(),
        "commit": commit or "unknown",
        "formula_version": FORMULA_VERSION,
        "command": calibration_figures.COMMAND,
        "projects": {row["project"]: {k: v for k, v in row.items() if k != "ok"} for row in rows},
    }
    calibration_figures.RESULTS.parent.mkdir(parents=True, exist_ok=True)
    calibration_figures.RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    calibration_figures.rewrite(results)
    print(f"\nwrote {calibration_figures.RESULTS.relative_to(ROOT)}, README.md and docs/scoring.md")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("projects", nargs="*", help=f"any of {', '.join(PROJECTS)} (default: all)")
    parser.add_argument("--rescore", action="store_true", help="reuse the stored analyses")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=JSON", help="score constant override")
    parser.add_argument("--write", action="store_true", help="store the figures and regenerate the documented ones")
    args = parser.parse_args(argv)
    if args.write and (args.rescore or args.set or args.projects):
        parser.error("--write documents a fresh analysis of every project with the default constants")
    unknown = sorted(set(args.projects) - set(PROJECTS))
    if unknown:
        parser.error(f"unknown project(s): {', '.join(unknown)}")
    config = parse_overrides(args.set)
    rows = []
    for project in args.projects or PROJECTS:
        kept = load(project) if args.rescore else analyse(project)
        rows.append(report(project, kept, config))
    print("\nproject      score grade  security reliab. maintain. archit.")
    for row in rows:
        p = row["pillars"]
        print(
            f"{row['project']:12} {row['overall']:5.1f}  {row['grade']}{'' if row['ok'] else '!'}    "
            f"{p['security']:6.1f}  {p['reliability']:6.1f}  {p['maintainability']:7.1f}  {p['architecture']:6.1f}"
        )
    if args.write:
        write(rows)
    return 0 if all(row["ok"] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
