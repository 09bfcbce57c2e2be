"""Git-history mining on a real long history: cold, incremental, storage, and hotspot agreement.

    .venv/bin/python -m benchmarks.history_mining [--repo PATH] [--commits 10000] [--new 10]

``--repo``: a git repository with a long history (a bare mirror is fine). Without it the script
clones https://github.com/pytest-dev/pytest (17,000+ commits, 13,000+ non-merge) into
``benchmarks/.cache/git/pytest`` once, which needs the network. The figures in
benchmarks/README.md came from pytest's history at df87db7 (2026-08-20).

Prints, with the load average beside every wall time (the machine is shared):

* cold mining of ``--commits`` non-merge commits (one ``git log --numstat`` subprocess + parsing),
  wall and CPU seconds (this process + git);
* incremental mining of ``--new`` new commits given the stored ones (``mine_history(known=...)``);
* storage per commit: compact JSON of ``CommitFacts.to_dict()`` (what the platform keeps);
* the engine's whole analysis of the checkout with the history stage, and that stage's share;
* agreement of the top-20 hotspots with an independent computation: revisions from
  ``git log --follow`` per file over the same window times radon's summed cyclomatic
  complexity; Spearman's rho over those 20 files, and the overlap of the two top-20 lists.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from analysis.engine import analyze
from analysis.engine.history import mine_history
from analysis.engine.history.metrics import HistoryOptions, compute, spearman
from analysis.engine.history.mining import CommitFacts, tracked_files
from benchmarks._cache import CACHE, ensure_tools, tool_path

DEFAULT_URL = "https://github.com/pytest-dev/pytest"
NO_HORIZON = 12 * 1000  # months: the commit cap decides


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _load() -> str:
    return "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def _source_repo(arg: str | None) -> Path:
    if arg:
        return Path(arg).resolve()
    target = CACHE / "git" / "pytest"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "clone", "--quiet", "--bare", DEFAULT_URL, str(target)], check=True)
    return target


def _radon_complexity(root: Path, paths: list[str]) -> dict[str, int]:
    proc = subprocess.run([tool_path("radon"), "cc", "-j", *paths], cwd=root, capture_output=True, text=True, check=True)
    out: dict[str, int] = {}
    for path, blocks in json.loads(proc.stdout).items():
        total = 0
        stack: list[dict[str, Any]] = list(blocks) if isinstance(blocks, list) else []
        while stack:
            block = stack.pop()
            if block.get("type") in ("function", "method"):
                total += int(block["complexity"])
            stack.extend(block.get("methods", []))
            stack.extend(block.get("closures", []))
        out[path] = total
    return out


def _follow_revisions(root: Path, path: str, since: int) -> int:
    out = _git(root, "log", "--follow", "--no-merges", f"--since=@{since}", "--format=%H", "--", path)
    return len(out.split())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", help="git repository with a long history (default: a clone of pytest)")
    parser.add_argument("--commits", type=int, default=10_000)
    parser.add_argument("--new", type=int, default=10)
    args = parser.parse_args()
    ensure_tools("radon")
    source = _source_repo(args.repo)
    options = HistoryOptions(months=NO_HORIZON, max_commits=args.commits)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "work"
        subprocess.run(["git", "clone", "--quiet", "--shared", str(source), str(work)], check=True)
        head = _git(work, "rev-parse", "HEAD")
        print(f"repository {source} at {head[:12]}: {_git(work, 'rev-list', '--count', '--no-merges', 'HEAD')} non-merge commits")

        # --- cold --------------------------------------------------------------------------
        t, c = time.perf_counter(), _cpu()
        cold = mine_history(work, options)
        wall, cpu = time.perf_counter() - t, _cpu() - c
        print(f"cold mining: {len(cold.commits)} commits in {wall:.2f} s wall, {cpu:.2f} s CPU ({_load()})")
        t = time.perf_counter()
        report = compute(cold.commits, tracked_files(work))
        print(f"  metrics of {len(report.files)} files from those commits: {time.perf_counter() - t:.2f} s")

        # --- incremental -------------------------------------------------------------------
        non_merge = _git(work, "rev-list", "--no-merges", "HEAD").split()
        base = non_merge[args.new]
        _git(work, "checkout", "--quiet", "--detach", base)
        stored_raw = [json.dumps(c.to_dict(), separators=(",", ":")) for c in mine_history(work, options).commits]
        _git(work, "checkout", "--quiet", "--detach", head)
        stored = [CommitFacts.from_dict(json.loads(raw)) for raw in stored_raw]
        t, c = time.perf_counter(), _cpu()
        again = mine_history(work, options, known=stored)
        wall, cpu = time.perf_counter() - t, _cpu() - c
        t = time.perf_counter()
        compute(again.commits, tracked_files(work))
        metrics_s = time.perf_counter() - t
        same = {x.sha for x in again.commits} == {x.sha for x in cold.commits}
        print(
            f"incremental mining: {again.new_commits} new commits (the rest from storage) in {wall:.3f} s wall, "
            f"{cpu:.3f} s CPU ({_load()}), then every file metric {metrics_s:.2f} s; same commits as cold: {same}"
        )

        # --- storage -----------------------------------------------------------------------
        sizes = [len(raw.encode()) for raw in stored_raw]
        changes = sum(len(x.changes) for x in stored)
        print(
            f"storage: {sum(sizes) / len(sizes):.0f} bytes of compact JSON per commit "
            f"({changes / len(stored):.1f} file changes per commit; {sum(sizes) / 1e6:.1f} MB for {len(sizes)} commits)"
        )

        # --- whole analysis with the history stage -----------------------------------------
        t = time.perf_counter()
        result = analyze(work, config={"history": {"months": NO_HORIZON, "max_commits": args.commits}})
        wall = time.perf_counter() - t
        history_s = result.timings.get("history", 0.0)
        print(
            f"analysis with history: {wall:.2f} s wall, history stage {history_s:.2f} s "
            f"({100 * history_s / max(wall, 1e-9):.0f} %), parse {result.timings.get('parse', 0):.2f} s ({_load()})"
        )
        assert result.history is not None
        hot = result.history.hotspots[:20]
        for h in hot[:10]:
            print(f"  #{h.rank:<3} {h.score:.3f}  {h.revisions:>4} revs  cc {h.complexity:>4}  {h.path}")

        # --- independent top-20 ----------------------------------------------------------------
        since = min(x.timestamp for x in result.history_commits)
        python = sorted(p for p, f in result.files.items() if f.language == "python" and f.role == "source")
        cx = _radon_complexity(work, python)
        independent = {p: _follow_revisions(work, p, since) * cx.get(p, 0) for p in python}
        ours = [h.score for h in hot]
        theirs = [independent.get(h.path, 0) for h in hot]
        rho = spearman(ours, theirs)
        their_top = sorted(independent, key=lambda p: (-independent[p], p))[:20]
        overlap = len({h.path for h in hot} & set(their_top))
        print(f"top-20 hotspots vs git log --follow revisions x radon complexity: Spearman rho {rho:.3f}, overlap {overlap}/20")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
