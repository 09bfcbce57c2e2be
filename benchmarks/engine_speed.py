"""Speed and memory of the engine on real code. Prints figures; asserts nothing.

    .venv/bin/python -m benchmarks.engine_speed             # Django 5.2 + CPython's stdlib
    .venv/bin/python -m benchmarks.engine_speed --only django --no-profile

For each target, in a fresh process: a cold analysis with every detector plus the HTML report
(wall time, CPU time of the parent and of the workers, per-stage timings, peak RSS of the parent
and of the largest worker), then an incremental re-analysis after changing one file, then
(unless ``--no-profile``) a profiled run that times every file-local detector. Targets: Django
cold <= 6 s wall, <= 1 GB RSS, incremental <= 1 s. On a machine shared with other jobs the wall
time is inflated: compare it with the CPU time printed next to it.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._cache import STDLIB, project_source


def _cpu() -> tuple[float, float]:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime


def _rss_mb() -> tuple[float, float]:
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return me, kids


def _print_timings(timings: dict[str, float], indent: str = "  ") -> None:
    stages = ["source", "discover", "parse", "graph", "detect", "taint", "score", "report", "total"]
    present = [s for s in stages if s in timings]
    if present:
        print(f"{indent}stages (wall s): " + ", ".join(f"{s} {timings[s]:.2f}" for s in present))
    cpu = {k.removeprefix("parse.cpu."): v for k, v in timings.items() if k.startswith("parse.cpu.")}
    if cpu:
        print(f"{indent}inside parse, CPU s summed over workers: " + ", ".join(f"{k} {v:.2f}" for k, v in cpu.items()))
    groups = {k: v for k, v in timings.items() if k.startswith("detect.")}
    if groups:
        print(
            f"{indent}detector groups (s): "
            + ", ".join(f"{k[7:]} {v:.2f}" for k, v in sorted(groups.items(), key=lambda kv: -kv[1]))
        )


def run_one(target: str, profile: bool) -> None:
    from analysis.engine import analyze
    from analysis.engine.reports import render

    if target == "django":
        source = project_source("django")
    elif target == "stdlib":
        source = Path(STDLIB)
    else:
        source = Path(target)
    # work on a copy: the incremental step edits a file
    workdir = Path(tempfile.mkdtemp(prefix=f"repotoire-bench-{target}-"))
    root = workdir / source.name
    shutil.copytree(source, root, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"), symlinks=True)
    try:
        cpu0 = _cpu()
        t0 = time.perf_counter()
        result = analyze(root)
        t1 = time.perf_counter()
        html = render(result, "html")
        t2 = time.perf_counter()
        cpu1 = _cpu()
        rss_parent, rss_worker = _rss_mb()
        timings = dict(result.timings)
        timings["report"] = t2 - t1
        print(
            f"== {target}: {result.files_analyzed} files, {result.lines_analyzed} code lines "
            f"({result.metrics.get('lines', 0)} physical), {len(result.findings)} findings, "
            f"score {result.score.overall} {result.score.grade}"
        )
        print(
            f"  cold analysis + HTML report: {t2 - t0:.2f} s wall "
            f"(analysis {t1 - t0:.2f} s, HTML {t2 - t1:.2f} s, {len(html) // 1024} KiB)"
        )
        print(
            f"  CPU: parent {cpu1[0] - cpu0[0]:.2f} s, workers {cpu1[1] - cpu0[1]:.2f} s "
            f"on {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}"
        )
        print(
            f"  peak RSS: parent {rss_parent:.0f} MB, largest worker {rss_worker:.0f} MB, "
            f"parent + {os.cpu_count()} workers <= {rss_parent + (os.cpu_count() or 1) * rss_worker:.0f} MB"
        )
        _print_timings(timings)
        if result.skipped:
            print(f"  skipped: {result.skipped}")
        errors = result.metrics.get("detector_error_count")
        if errors:
            print(f"  detector errors: {errors}, e.g. {result.metrics['detector_errors'][:3]}")

        # incremental: one file changed
        changed = next(
            p
            for p in sorted(result.files)
            if p.endswith(".py") and result.files[p].parse_error is None and result.files[p].lines > 200
        )
        target_file = root / changed
        original = target_file.read_text(encoding="utf-8")
        target_file.write_text(
            original + "\n\ndef _bench_added(a, b):\n    if a:\n        return b\n    return a\n", encoding="utf-8"
        )
        t3 = time.perf_counter()
        again = analyze(root, previous=result)
        t4 = time.perf_counter()
        print(f"  incremental after editing {changed}: {t4 - t3:.2f} s wall, {len(again.findings)} findings")
        _print_timings(again.timings, "    ")
        target_file.write_text(original, encoding="utf-8")

        if profile:
            profiled = analyze(root, profile=True)
            per = sorted(((k[9:], v) for k, v in profiled.timings.items() if k.startswith("detector.")), key=lambda kv: -kv[1])
            print("  profiled run, CPU s per detector (file-local: summed over workers; project: parent):")
            for name, seconds in per:
                if seconds >= 0.01:
                    print(f"    {name:32s} {seconds:6.2f}")
            _print_timings({k: v for k, v in profiled.timings.items() if k.startswith("detect.")}, "    ")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", help="django, stdlib or a directory")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: run one target in this process
    parser.add_argument("--no-profile", action="store_true", help="skip the per-detector profiled run")
    args = parser.parse_args()
    if args.one:
        run_one(args.one, not args.no_profile)
        return
    targets = [args.only] if args.only else ["django", "stdlib"]
    for target in targets:
        # a fresh process per target so that peak RSS belongs to that target alone
        cmd = [sys.executable, "-m", "benchmarks.engine_speed", "--one", target]
        if args.no_profile or target == "stdlib":
            cmd.append("--no-profile")
        subprocess.run(cmd, check=True, cwd=Path(__file__).resolve().parents[1])


if __name__ == "__main__":
    main()
