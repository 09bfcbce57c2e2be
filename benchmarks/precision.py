"""Precision of the findings on five real projects, against labels written by hand.

Run from the repository root::

    .venv/bin/python -m benchmarks.precision                  # the report (downloads on first run)
    .venv/bin/python -m benchmarks.precision --todo           # write the unlabelled sample to label
    .venv/bin/python -m benchmarks.precision --import FILE    # append "ID TP|FP reason" lines as labels
    .venv/bin/python -m benchmarks.precision --rates          # TP/FP per detector and kind (calibration)

Five projects of different kinds, pinned, fetched as sdists from PyPI into benchmarks/.cache/
(none of them is one the engine was calibrated on). The engine analyses each whole sdist (tests,
docs and examples included, as a repository would be analysed); the report covers the
categories security, bug_risk, design and dead_code. bandit runs over the same trees.

Labels live in ``benchmarks/labels/precision.jsonl``, one finding per line with the project and
version, the matching key (see ``precision_labels``) and ``label`` TP/FP with a one-line reason
written after reading the code. TP = a maintainer would agree to fix it or to review it.
Security findings are all labelled; the other categories by a sample stratified per project and
detector (``--per-group``), bandit's findings likewise per project and test id. The report
prints, per scope (every role; source files only), precision per category and per detector over
the labelled findings, a stratified estimate over everything reported, the share of the labelled
true findings still reported, the unlabelled findings, and bandit's precision.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from analysis.engine import analyze, calibration
from analysis.engine.calibration import DEFAULT_MIN_CONFIDENCE
from benchmarks import _cache
from benchmarks import precision_labels as pl
from benchmarks._cache import CACHE, project_root
from benchmarks.bandit_compare import run_bandit

# name -> (pinned version, kind of project)
PROJECTS: dict[str, tuple[str, str]] = {
    "datasette": ("0.65.5", "web app"),
    "httpie": ("3.2.4", "CLI tool"),
    "paramiko": ("5.1.0", "library"),
    "radicale": ("3.9.0", "network daemon"),
    "pyinfra": ("3.10.0", "infrastructure tool"),
}
# labelled after the detectors and the calibration were settled, never tuned on: the honest figure
HELD_OUT: dict[str, tuple[str, str]] = {
    "rq": ("3.0.0", "task queue"),
    "mako": ("1.3.10", "template engine"),
}
TUNING = frozenset(PROJECTS)
ALL_PROJECTS = {**PROJECTS, **HELD_OUT}
for _name, (_version, _) in ALL_PROJECTS.items():
    _cache.PROJECTS[_name] = (f"{_name}=={_version}", _name)

CATEGORIES = ("security", "bug_risk", "design", "dead_code")
HERE = Path(__file__).resolve().parent
LABELS = HERE / "labels" / "precision.jsonl"
TODO = CACHE / "precision-todo"
TARGETS = {"security": 0.70, "bug_risk": 0.85, "design": 0.75, "dead_code": 0.75}


def engine_rows(project: str, root: Path) -> list[dict[str, Any]]:
    result = analyze(str(root))
    rows = []
    for f in result.findings:
        if f.category not in CATEGORIES:
            continue
        rows.append(
            {
                "tool": "repotoire",
                "project": project,
                "path": f.path,
                "detector": f.detector,
                "category": f.category,
                "symbol": f.symbol,
                "snippet": f.snippet,
                "line": f.line,
                "message": f.message,
                "confidence": f.confidence,
                "estimate": calibration.estimate(f),
                "kind": f.kind,
                "role": f.role,
            }
        )
    return rows


def bandit_rows(project: str, root: Path, reuse: bool) -> list[dict[str, Any]]:
    results, _ = run_bandit(root, reuse)
    rows = []
    lines_of: dict[str, list[str]] = {}
    for r in results:
        path = r["path"]
        if path not in lines_of:
            lines_of[path] = (root / path).read_text(encoding="utf-8", errors="replace").splitlines()
        lines = lines_of[path]
        line = r["line_number"]
        rows.append(
            {
                "tool": "bandit",
                "project": project,
                "path": path,
                "detector": r["test_id"],
                "category": "security",
                "symbol": "",
                "snippet": lines[line - 1] if 0 < line <= len(lines) else "",
                "line": line,
                "message": r["issue_text"],
                "confidence": r["issue_confidence"],
                "severity": r["issue_severity"],
                "kind": "issue",
                "role": "source",
            }
        )
    return rows


def load_labels() -> list[dict[str, Any]]:
    if not LABELS.exists():
        return []
    return [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines() if line.strip()]


def collect(reuse_bandit: bool) -> tuple[dict[str, Path], list[dict[str, Any]], list[dict[str, Any]]]:
    roots, ours, theirs = {}, [], []
    for project in ALL_PROJECTS:
        root = project_root(project)
        roots[project] = root
        ours += engine_rows(project, root)
        theirs += bandit_rows(project, root, reuse_bandit)
    return roots, ours, theirs


# --- labelling helpers -------------------------------------------------------------------------


def sample(rows: list[dict[str, Any]], per_group: int, everything: tuple[str, ...], m: pl.Match) -> list[dict[str, Any]]:
    """All unlabelled rows of the ``everything`` categories, and of the others enough per
    (project, detector) to have ``per_group`` labelled, chosen by a hash of their key (stable, not
    by position in the file)."""
    done: dict[tuple[str, str], int] = defaultdict(int)
    for f, _ in m.pairs:
        done[(f["project"], f["detector"])] += 1
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in pl.with_occurrence(rows):
        groups[(row["project"], row["detector"])].append(row)
    chosen = []
    for (_, _), members in sorted(groups.items()):
        if members[0]["category"] in everything:
            chosen += members
        else:
            chosen += sorted(members, key=pl.short_id)[
                : max(0, per_group - done[(members[0]["project"], members[0]["detector"])])
            ]
    return chosen


def _enclosing(tree: ast.AST, line: int) -> tuple[int, int] | None:
    best = None
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            end = node.end_lineno or node.lineno
            if node.lineno <= line <= end and (best is None or end - node.lineno < best[1] - best[0]):
                best = (node.lineno, end)
    return best


def context(root: Path, row: dict[str, Any]) -> str:
    source = (root / row["path"]).read_text(encoding="utf-8", errors="replace")
    lines = source.splitlines()
    line = row["line"]
    try:
        span = _enclosing(ast.parse(source), line)
    except SyntaxError:
        span = None
    lo, hi = (span if span and span[1] - span[0] <= 45 else (line - 10, line + 10)) if line else (1, 15)
    lo, hi = max(1, lo), min(len(lines), hi)
    body = "\n".join(f"{'>' if n == line else ' '}{n:5} {lines[n - 1]}" for n in range(lo, hi + 1))
    name = row.get("symbol", "").rsplit(".", 1)[-1] if row["category"] == "dead_code" else ""
    if row["detector"] == "unused-import":
        name = re.sub(r".*'(\w+)'.*", r"\1", row["message"])
    usages = ""
    if name:
        found = subprocess.run(
            ["grep", "-rnw", "--include=*.py", "--include=*.cfg", "--include=*.toml", name, "."],
            cwd=root,
            capture_output=True,
            text=True,
        ).stdout.splitlines()
        usages = f"\nusages of {name!r} ({len(found)}):\n" + "\n".join(u[:160] for u in found[:12])
    return f"{body}{usages}"


def write_todo(roots: dict[str, Path], unlabelled: list[dict[str, Any]]) -> None:
    TODO.mkdir(parents=True, exist_ok=True)
    index = {}
    with (TODO / "todo.md").open("w", encoding="utf-8") as out:
        for row in unlabelled:
            rid = pl.short_id(row)
            index[rid] = row
            out.write(
                f"\n### {rid} {row['tool']} {row['project']} {row['path']}:{row['line']} {row['detector']} "
                f"[{row.get('kind', '')}/{row.get('role', '')}] {row['symbol']}\n{row['message']}\n"
                f"```\n{context(roots[row['project']], row)}\n```\n"
            )
    (TODO / "todo.json").write_text(json.dumps(index, indent=1), encoding="utf-8")
    print(f"{len(unlabelled)} findings to label: {TODO / 'todo.md'}")


def import_labels(path: Path) -> None:
    index = json.loads((TODO / "todo.json").read_text(encoding="utf-8"))
    existing = {pl.full_key(label) for label in load_labels()}
    added = 0
    LABELS.parent.mkdir(parents=True, exist_ok=True)
    with LABELS.open("a", encoding="utf-8") as out:
        for raw in path.read_text(encoding="utf-8").splitlines():
            if not raw.strip() or raw.startswith("#"):
                continue
            rid, verdict, reason = raw.split(None, 2)
            if verdict not in pl.LABELS:
                raise SystemExit(f"bad label {verdict!r} in {raw!r}")
            row = index[rid]
            if pl.full_key(row) in existing:
                continue
            label = {
                k: row[k] for k in ("tool", "project", "path", "detector", "category", "symbol", "snippet", "line", "occurrence")
            }
            label.update(version=ALL_PROJECTS[row["project"]][0], label=verdict, reason=reason.strip())
            if row["project"] in HELD_OUT:
                label["held_out"] = True
            out.write(json.dumps(label, ensure_ascii=False) + "\n")
            existing.add(pl.full_key(row))
            added += 1
    print(f"{added} labels added to {LABELS}")


def rates(ours: list[dict[str, Any]], labels: list[dict[str, Any]]) -> None:
    """TP / FP per calibration key over the labelled source-file findings of the tuning projects the engine
    reports now, written to the engine's calibration table (``analysis/engine/calibration.json``;
    aggregates only: no project, path or label leaves). Held-out projects never enter it."""
    # source files only: the default view hides the other roles, so their labels (test fixtures'
    # keys, pytest's imported fixtures) say nothing about what a listed finding is worth
    tuning = [f for f in ours if f["project"] in TUNING]
    m = pl.match(tuning, [label for label in labels if label["tool"] == "repotoire" and label["project"] in TUNING])
    table = pl.rate_table((f, label) for f, label in m.pairs if f["role"] == "source")
    print(f"{'key':52} {'TP':>4} {'labelled':>8} {'TP rate':>8}")
    for key, (tp, n) in sorted(table.items()):
        print(f"{key:52} {tp:4} {n:8} {tp / n:8.2f}")
    calibration.TABLE_PATH.write_text(
        json.dumps(
            {
                "source": "python -m benchmarks.precision --rates: hand labels of the tuning projects "
                + ", ".join(f"{p} {v}" for p, (v, _) in PROJECTS.items())
                + ", source files; [confirmed, labelled] per detector/kind@estimate",
                "rates": dict(sorted(table.items())),
            },
            indent=1,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"wrote {calibration.TABLE_PATH}")


# --- the report --------------------------------------------------------------------------------


def _table(title: str, tallies: dict[str, pl.Tally], targets: dict[str, float] | None = None) -> None:
    print(f"\n{title}")
    print(f"  {'':28} {'reported':>8} {'labelled':>8} {'TP':>4} {'FP':>4} {'precision':>9}")
    for name, t in sorted(tallies.items()):
        target = f"  (target ≥ {pl.fmt_pct(targets[name])})" if targets and name in targets else ""
        print(f"  {name:28} {t.reported:8} {t.labelled:8} {t.tp:4} {t.fp:4} {pl.fmt_pct(t.precision):>9}{target}")


def report(
    ours: list[dict[str, Any]], theirs: list[dict[str, Any]], labels: list[dict[str, Any]], min_confidence: float
) -> dict[str, Any]:
    our_labels = [label for label in labels if label["tool"] == "repotoire"]
    summary: dict[str, Any] = {}
    # one match over everything, then each scope keeps its part (occurrence indices stay stable)
    everything = pl.match(ours, our_labels)
    held_out = {
        pl.full_key(f): pl.held_out_confidence(everything, f, TUNING)
        for f in [f for f, _ in everything.pairs] + everything.unlabelled
    }

    def default(r: dict[str, Any], confidence: float) -> bool:
        # what a user sees without asking: source files, no hotspots, confidence at the floor
        return r["role"] == "source" and r["kind"] != "hotspot" and confidence >= min_confidence

    tuning = {
        "every file role": lambda r: True,
        "source files only (role=source)": lambda r: r["role"] == "source",
        "hotspots (role=source, listed apart)": lambda r: r["role"] == "source" and r["kind"] == "hotspot",
        f"default view (role=source, no hotspots, engine confidence ≥ {min_confidence})": lambda r: default(
            r, float(r["confidence"])
        ),
        f"default view, held-out calibration (leave-one-project-out confidence ≥ {min_confidence})": lambda r: default(
            r, held_out[pl.full_key(r)]
        ),
    }
    scopes: dict[str, Any] = {f"{name} [tuning projects]": (keep, TUNING) for name, keep in tuning.items()}
    if HELD_OUT:
        held = frozenset(HELD_OUT)
        scopes["every file role [held-out projects]"] = (tuning["every file role"], held)
        scopes[f"default view (engine confidence ≥ {min_confidence}) [held-out projects]"] = (
            lambda r: default(r, float(r["confidence"])),
            held,
        )
    for scope, (keep_row, projects) in scopes.items():

        def keep(r: dict[str, Any], keep_row: Any = keep_row, projects: frozenset[str] = projects) -> bool:
            return r["project"] in projects and keep_row(r)

        m = pl.Match(
            pairs=[(f, label) for f, label in everything.pairs if keep(f)],
            unlabelled=[f for f in everything.unlabelled if keep(f)],
            gone=everything.gone + [label for f, label in everything.pairs if not keep(f) and f["project"] in projects],
        )
        rows = [f for f, _ in m.pairs] + m.unlabelled
        print(
            f"\n=== repotoire, {scope}: {len(rows)} findings in {', '.join(CATEGORIES)}; {len(m.pairs)} labelled ({everything.loose} matched loosely overall), {len(m.unlabelled)} unlabelled"
        )
        by_category = pl.tally(m, lambda f: f["category"])
        by_detector = pl.tally(m, lambda f: f["detector"])
        detectors_of: dict[str, set[str]] = defaultdict(set)
        for f in rows:
            detectors_of[f["category"]].add(f["detector"])
        _table("precision per category (labelled findings)", by_category, TARGETS)
        estimates = {
            c: pl.weighted_precision({d: t for d, t in by_detector.items() if d in detectors_of.get(c, set())})
            for c in CATEGORIES
        }
        print(
            "  stratified estimate over everything reported: " + ", ".join(f"{c} {pl.fmt_pct(e)}" for c, e in estimates.items())
        )
        _table("precision per detector", by_detector)
        sec = [(f, label) for f, label in m.pairs if f["category"] == "security"]
        if any(f["kind"] != "issue" for f, _ in sec):
            _table("security per kind", pl.tally(pl.Match(pairs=sec), lambda f: f["kind"]))
        scoped_labels = [label for label in our_labels if label["project"] in projects]
        kept, trues = pl.recall(scoped_labels, m)
        print(f"\n  true findings kept: {kept} / {trues} = {pl.fmt_pct(kept / trues if trues else None)} (target ≥ 80%)")
        lost = [label for label in m.gone if label["label"] == "TP"]
        for label in lost:
            print(
                f"    no longer reported (TP): {label['project']} {label['path']}:{label['line']} {label['detector']} — {label['reason'][:70]}"
            )
        summary[scope] = {
            "findings": len(rows),
            "labelled": len(m.pairs),
            "loose": everything.loose,
            "unlabelled": len(m.unlabelled),
            "categories": {c: vars(t) | {"precision": t.precision, "estimate": estimates[c]} for c, t in by_category.items()},
            "detectors": {d: vars(t) | {"precision": t.precision} for d, t in by_detector.items()},
            "true_kept": [kept, trues],
        }
    sweep(everything, our_labels, held_out)
    unlabelled_sec = [f for f in everything.unlabelled if f["category"] == "security"]
    print(f"\nunlabelled security findings (every role): {len(unlabelled_sec)}")
    for f in unlabelled_sec[:20]:
        print(f"  {f['project']} {f['path']}:{f['line']} {f['detector']} {pl.normalise_code(f['snippet'])[:80]}")

    bandit_labels = [label for label in labels if label["tool"] == "bandit"]
    mb = pl.match(theirs, bandit_labels)
    by_test = pl.tally(mb, lambda f: f["detector"])
    overall = pl.tally(mb, lambda f: "bandit (all tests)")
    print(f"\n=== bandit on the same trees: {len(theirs)} findings, {len(mb.pairs)} labelled")
    _table("bandit precision", overall)
    print(f"  stratified estimate over everything reported: {pl.fmt_pct(pl.weighted_precision(by_test))}")
    _table("bandit precision per test id", by_test)
    total = overall.get("bandit (all tests)", pl.Tally())
    summary["bandit"] = {
        "findings": len(theirs),
        "labelled": len(mb.pairs),
        "tp": total.tp,
        "fp": total.fp,
        "precision": total.precision,
        "estimate": pl.weighted_precision(by_test),
        "tests": {d: vars(t) for d, t in by_test.items()},
    }
    return summary


def sweep(everything: pl.Match, our_labels: list[dict[str, Any]], held_out: dict[Any, float]) -> None:
    """The default view at several confidence floors (tuning projects, role=source, no hotspots):
    labelled precision of the four categories pooled and per category, and the share of the true
    findings kept — with the detectors' own estimates and with leave-one-project-out calibration.
    The engine's floor is chosen from this table."""
    trues = [label for label in our_labels if label["label"] == "TP" and label["project"] in TUNING]
    print("\n=== default view by confidence floor [tuning projects]: precision (TP/labelled) and true findings kept")
    for name, conf in (
        ("detector estimate", lambda f: float(f["estimate"])),
        ("held-out calibration", lambda f: held_out[pl.full_key(f)]),
    ):
        print(f"  {name}:")
        for floor in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
            pairs = [
                (f, label)
                for f, label in everything.pairs
                if f["project"] in TUNING and f["role"] == "source" and f["kind"] != "hotspot" and conf(f) >= floor
            ]
            tp = sum(1 for _, label in pairs if label["label"] == "TP")
            per = []
            for c in CATEGORIES:
                cp = [label["label"] == "TP" for f, label in pairs if f["category"] == c]
                per.append(f"{c} {sum(cp)}/{len(cp)}")
            kept = {pl.full_key(label) for _, label in pairs if label["label"] == "TP"}
            print(
                f"    ≥ {floor:.1f}: {tp}/{len(pairs)} = {pl.fmt_pct(tp / len(pairs) if pairs else None):>4}; "
                + ", ".join(per)
                + f"; kept {len(kept)}/{len(trues)}"
            )


def print_markdown(summary: dict[str, Any]) -> None:
    print("\n| scope | category | reported | labelled | TP | FP | precision (labelled) | stratified estimate | target |")
    print("|---|---|---|---|---|---|---|---|---|")
    for scope, data in summary.items():
        if scope == "bandit":
            continue
        for c in CATEGORIES:
            t = data["categories"].get(c)
            if t:
                print(
                    f"| {scope} | {c} | {t['reported']} | {t['tp'] + t['fp']} | {t['tp']} | {t['fp']} | "
                    f"{pl.fmt_pct(t['precision'])} | {pl.fmt_pct(t['estimate'])} | ≥ {pl.fmt_pct(TARGETS[c])} |"
                )
        kept, trues = data["true_kept"]
        print(
            f"| {scope} | true findings kept | | | {kept} of {trues} | | {pl.fmt_pct(kept / trues if trues else None)} | | ≥ 80% |"
        )
    b = summary["bandit"]
    print(
        f"| bandit, every file | security | {b['findings']} | {b['labelled']} | {b['tp']} | {b['fp']} | "
        f"{pl.fmt_pct(b['precision'])} | {pl.fmt_pct(b['estimate'])} | |"
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--todo", action="store_true", help="write the unlabelled sample to benchmarks/.cache/precision-todo/")
    parser.add_argument(
        "--todo-default",
        action="store_true",
        help="write every unlabelled finding of the default view (role=source, no hotspots, confidence floor)",
    )
    parser.add_argument("--todo-held-out", action="store_true", help="write every unlabelled finding of the held-out projects")
    parser.add_argument("--import", dest="import_file", type=Path, help='append labels from "ID TP|FP reason" lines')
    parser.add_argument(
        "--rates", action="store_true", help="TP/FP per calibration key, written to the engine's calibration table"
    )
    parser.add_argument("--markdown", action="store_true", help="also print the summary tables as markdown (README)")
    parser.add_argument("--per-group", type=int, default=5, help="sample size per project and detector outside security")
    parser.add_argument("--bandit-per-group", type=int, default=2, help="bandit sample size per project and test id")
    parser.add_argument(
        "--min-confidence",
        type=float,
        default=DEFAULT_MIN_CONFIDENCE,
        help="the default view's confidence floor (the engine's default)",
    )
    parser.add_argument("--reuse-bandit", action="store_true", help="re-read bandit's last JSON output")
    args = parser.parse_args(argv)
    if args.import_file:
        import_labels(args.import_file)
        return 0
    labels = load_labels()
    roots, ours, theirs = collect(args.reuse_bandit)
    print("tuning projects: " + ", ".join(f"{p} {v} ({kind})" for p, (v, kind) in PROJECTS.items()))
    if HELD_OUT:
        print("held-out projects: " + ", ".join(f"{p} {v} ({kind})" for p, (v, kind) in HELD_OUT.items()))
    if args.todo_default:
        m = pl.match(ours, [label for label in labels if label["tool"] == "repotoire"])
        write_todo(
            roots,
            [
                f
                for f in m.unlabelled
                if f["role"] == "source" and f["kind"] != "hotspot" and float(f["confidence"]) >= args.min_confidence
            ],
        )
        return 0
    if args.todo_held_out:
        # every finding of the held-out projects, in every role and at every confidence
        m = pl.match(ours, [label for label in labels if label["tool"] == "repotoire"])
        write_todo(roots, [f for f in m.unlabelled if f["project"] in HELD_OUT])
        return 0
    if args.todo:
        m = pl.match(ours, [label for label in labels if label["tool"] == "repotoire"])
        mb = pl.match(theirs, [label for label in labels if label["tool"] == "bandit"])
        todo = sample(m.unlabelled, args.per_group, ("security",), m)
        todo += sample(mb.unlabelled, args.bandit_per_group, (), mb)
        write_todo(roots, todo)
        return 0
    if args.rates:
        rates(ours, labels)
        return 0
    summary = report(ours, theirs, labels, args.min_confidence)
    if args.markdown:
        print_markdown(summary)
    out = CACHE / "precision.json"
    out.write_text(json.dumps(summary, indent=2), encoding="utf-8")
    print(f"\ndetails: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
