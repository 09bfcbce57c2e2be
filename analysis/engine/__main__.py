"""Command line: ``python -m analysis.engine PATH [options]``.

Exit codes (usable in CI): 0 — analysed, nothing at or above ``--fail-on``; 1 — at least one
new finding at or above ``--fail-on`` (listed on stderr); 2 — usage error, unreadable source, no
source file to analyse, bad configuration or baseline. ``--baseline`` takes an earlier JSON (or
SARIF) report: findings whose fingerprint is in it are not new and never fail the build.

Output: on a terminal, a summary for people (score, grade, counts, the worst findings); the JSON
report when stdout is a file or a pipe, or whichever report ``--format`` names.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from analysis.engine.calibration import DEFAULT_MIN_CONFIDENCE, visible
from analysis.engine.config import ConfigError, EngineConfig, read_toml
from analysis.engine.model import Finding, Severity
from analysis.engine.pipeline import analyze
from analysis.engine.report_text import finding_table, render_text
from analysis.engine.reports import SCOPES, ReportContext, left_out_note, parse_json_report, ranked_findings, render
from analysis.engine.source import SourceError

FORMATS = ("text", "json", "sarif", "markdown", "html")
FAILURES_LISTED = 20


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m analysis.engine",
        description="Analyse a Python code base and report its findings and health score.",
    )
    p.add_argument("path", help="directory to analyse, or a git URL")
    p.add_argument(
        "--format",
        "-f",
        choices=FORMATS,
        help="report format (default: a text summary on a terminal, json into a file or a pipe)",
    )
    p.add_argument("--output", "-o", help="write the report to this file instead of stdout")
    p.add_argument(
        "--fail-on",
        choices=[s.value for s in Severity],
        help="exit 1 when a new finding has this severity or a worse one",
    )
    p.add_argument("--baseline", help="earlier JSON report: its findings are not new")
    p.add_argument(
        "--scope",
        choices=SCOPES,
        default="source",
        help="findings of source files only (default), or of every file role (tests, examples, vendored, generated)",
    )
    p.add_argument(
        "--min-confidence",
        type=_confidence,
        default=DEFAULT_MIN_CONFIDENCE,
        help=f"list (and fail on) findings at or above this confidence, 0-1 (default {DEFAULT_MIN_CONFIDENCE})",
    )
    p.add_argument("--ref", help="branch, tag or commit to fetch when PATH is a git URL")
    p.add_argument("--workers", type=int, help="parsing processes (default: CPU count)")
    p.add_argument("--config", help="TOML file to use instead of the repository's repotoire.toml")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar or summary on stderr")
    p.add_argument("--no-history", action="store_true", help="do not mine the git history (hotspots, coupling, ownership)")
    return p


class _Bar:
    """A one-line progress bar on a terminal."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def __call__(self, stage: str, percent: float, message: str) -> None:
        width = 30
        filled = int(width * percent / 100)
        text = f"\r[{'#' * filled}{'.' * (width - filled)}] {percent:5.1f}% {stage:<8} {message[:40]:<40}"
        self.stream.write(text)
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\r" + " " * 100 + "\r")
        self.stream.flush()


def load_baseline(path: str) -> set[str]:
    """Fingerprints of an earlier report (the JSON report, or SARIF from this tool)."""
    with open(path, encoding="utf-8") as fh:
        return set(parse_json_report(fh.read()))


def _confidence(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError("a confidence lies between 0 and 1")
    return value


def failing(
    findings: Sequence[Finding], fail_on: str | None, baseline: set[str], min_confidence: float = DEFAULT_MIN_CONFIDENCE
) -> list[Finding]:
    """New findings (not in the baseline) at or above the ``fail_on`` severity that count as a
    quality gate counts them: source files, no security hotspots, confidence >= the floor."""
    if fail_on is None:
        return []
    floor = Severity.parse(fail_on).rank
    return [
        f
        for f in findings
        if f.fingerprint not in baseline
        and f.counts
        and f.confidence >= min_confidence
        and Severity.parse(f.severity).rank >= floor
    ]


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    err = sys.stderr
    baseline: set[str] = set()
    if args.baseline:
        try:
            baseline = load_baseline(args.baseline)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            err.write(f"error: cannot read baseline {args.baseline}: {exc}\n")
            return 2
    config = None
    if args.config:
        try:
            config = EngineConfig.from_mapping(read_toml(Path(args.config)), source_file=args.config)
        except (OSError, ConfigError) as exc:
            err.write(f"error: {exc}\n")
            return 2
    to_terminal = not args.output and sys.stdout.isatty()
    fmt = args.format or ("text" if to_terminal else "json")
    bar = _Bar(err) if not args.quiet and err.isatty() else None
    try:
        result = analyze(args.path, config=config, progress=bar, workers=args.workers, ref=args.ref, history=not args.no_history)
    except (SourceError, ConfigError) as exc:
        if bar:
            bar.close()
        err.write(f"error: {exc}\n")
        return 2
    if bar:
        bar.close()
    if result.files_analyzed == 0:
        skipped = ", ".join(f"{reason} {n}" for reason, n in sorted(result.skipped.items()) if n)
        err.write(
            f"error: no source file to analyse in {args.path}"
            + (f" (files skipped: {skipped})" if skipped else " (the directory holds no file)")
            + "; nothing was graded\n"
        )
        return 2
    new = [f for f in result.findings if f.fingerprint not in baseline]
    if fmt == "text":
        text = render_text(
            result,
            ranked_findings(f for f in result.findings if visible(f, scope=args.scope, min_confidence=args.min_confidence)),
            width=shutil.get_terminal_size().columns,
            colour=to_terminal and not os.environ.get("NO_COLOR"),
            new=len(new) if args.baseline else None,
            left_out=left_out_note(
                result.findings, scope=args.scope, min_confidence=args.min_confidence, ask="--scope all --min-confidence 0"
            ),
        )
    else:
        context = ReportContext(new=frozenset(f.fingerprint for f in new)) if args.baseline else None
        text = render(result, fmt, context, scope=args.scope, min_confidence=args.min_confidence)
    if args.output:
        directory = os.path.dirname(os.path.abspath(args.output))
        os.makedirs(directory, exist_ok=True)
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    bad = failing(result.findings, args.fail_on, baseline, args.min_confidence)
    if not args.quiet and fmt != "text":
        err.write(
            f"{result.files_analyzed} files, {len(result.findings)} findings ({len(new)} new), "
            f"score {result.score.overall:.1f} ({result.score.grade}), {result.timings.get('total', 0):.2f}s\n"
        )
    if bad:
        _list_failures(err, bad, args.fail_on)
    return 1 if bad else 0


def _list_failures(err: TextIO, bad: list[Finding], fail_on: str) -> None:
    """Which findings failed the run, worst first (also under --quiet: it is why the exit is 1)."""
    ranked = ranked_findings(bad)
    err.write(f"FAILED: {len(bad)} new finding(s) at or above {fail_on}:\n")
    width = shutil.get_terminal_size().columns if err.isatty() else 160
    for line in finding_table(ranked[:FAILURES_LISTED], width=width):
        err.write(f"  {line}\n")
    if len(ranked) > FAILURES_LISTED:
        err.write(f"  … and {len(ranked) - FAILURES_LISTED} more (see the report)\n")


if __name__ == "__main__":
    sys.exit(main())
