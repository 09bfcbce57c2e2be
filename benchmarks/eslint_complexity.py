"""Cyclomatic complexity of JavaScript functions: the engine against ESLint's ``complexity`` rule.

Usage (from the repository root; needs node + npm and the npm registry)::

    .venv/bin/python -m benchmarks.eslint_complexity [--eslint 10.16.0] [--lodash 4.18.1]

Installs ``eslint`` and ``lodash`` from npm into ``benchmarks/.cache/npm/eslint-oracle`` (first run),
then lints ``eslint/lib`` and the lodash package with ESLint itself as the oracle
(``complexity: ["error", 0]``: every function is reported with its complexity) and analyses the
same files with the engine. Functions are matched by file and the line ESLint reports (the
function's head: the ``function`` keyword, the method/property key, or the ``=>`` of an arrow);
on a line holding several functions, the sorted lists of complexities are compared. Prints, per
corpus: ESLint's function count, the engine's, recall (ESLint functions the engine found on the
same line), and agreement (matched functions with the same complexity), with the first
disagreements for inspection.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

from analysis.engine import analyze

CACHE = Path(__file__).resolve().parent / ".cache" / "npm" / "eslint-oracle"
_MESSAGE = re.compile(r"complexity of (\d+)")
_ORACLE = r"""
const { ESLint } = require("eslint");
(async () => {
  const eslint = new ESLint({
    cwd: process.argv[2],
    overrideConfigFile: true,
    overrideConfig: [{
      files: ["**/*.js", "**/*.cjs", "**/*.mjs"],
      languageOptions: { ecmaVersion: "latest", sourceType: "commonjs" },
      rules: { complexity: ["error", 0] },
    }, { files: ["**/*.mjs"], languageOptions: { sourceType: "module" } }],
  });
  const results = await eslint.lintFiles(process.argv.slice(3));
  const out = [];
  for (const r of results) {
    for (const m of r.messages) {
      if (m.ruleId === "complexity") out.push([r.filePath, m.line, m.column, m.message]);
      else if (m.fatal) out.push([r.filePath, m.line, m.column, "FATAL " + m.message]);
    }
  }
  process.stdout.write(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(2); });
"""


def install(eslint: str, lodash: str) -> None:
    CACHE.mkdir(parents=True, exist_ok=True)
    manifest = CACHE / "package.json"
    if not manifest.exists():
        manifest.write_text('{"private": true}\n', encoding="utf-8")
    wanted = {"eslint": eslint, "lodash": lodash}
    have = {}
    for name in wanted:
        pkg = CACHE / "node_modules" / name / "package.json"
        if pkg.exists():
            have[name] = json.loads(pkg.read_text(encoding="utf-8")).get("version")
    if have != wanted:
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--ignore-scripts", f"eslint@{eslint}", f"lodash@{lodash}"],
            cwd=CACHE,
            check=True,
        )
    (CACHE / "oracle.cjs").write_text(_ORACLE, encoding="utf-8")


def oracle(root: Path, files: list[str]) -> dict[tuple[str, int], list[int]]:
    """(relative path, line) -> complexities ESLint reports there."""
    out = subprocess.run(
        ["node", str(CACHE / "oracle.cjs"), str(root), *files], cwd=CACHE, capture_output=True, text=True, check=True
    )
    found: dict[tuple[str, int], list[int]] = defaultdict(list)
    for path, line, _column, message in json.loads(out.stdout):
        match = _MESSAGE.search(message)
        if match is None:
            print(f"  eslint: {os.path.relpath(path, root)}:{line} {message[:100]}", file=sys.stderr)
            continue
        found[(os.path.relpath(path, root), line)].append(int(match.group(1)))
    return found


def engine(root: Path) -> tuple[dict[tuple[str, int], list[int]], list[str], float]:
    """(path, line) -> complexities of the engine's functions, the analysed files, CPU seconds."""
    config = {"languages": ["javascript"], "exclude": ["**/*.min.js"]}
    t = time.process_time()
    result = analyze(str(root), workers=1, config=config)
    cpu = time.process_time() - t
    found: dict[tuple[str, int], list[int]] = defaultdict(list)
    for path, facts in result.files.items():
        for d in facts.definitions:
            if d.metrics is not None:
                found[(path, d.line)].append(d.metrics.cyclomatic)
    return found, sorted(result.files), cpu


def compare(name: str, root: Path) -> tuple[int, int, int]:
    ours, files, cpu = engine(root)
    theirs = oracle(root, files)
    total = sum(len(v) for v in theirs.values())
    found = agree = 0
    disagreements: list[str] = []
    for key, values in sorted(theirs.items()):
        mine = ours.get(key, [])
        # pair each of ESLint's functions on the line with one of ours, same values first
        pool = list(mine)
        unmatched: list[int] = []
        for v in values:
            if v in pool:
                pool.remove(v)
                found += 1
                agree += 1
            else:
                unmatched.append(v)
        for v in unmatched:
            if pool:
                got = pool.pop(0)
                found += 1
                disagreements.append(f"{key[0]}:{key[1]} eslint {v} engine {got}")
    engine_total = sum(len(v) for v in ours.values())
    print(
        f"{name}: {len(files)} files; ESLint functions {total}, engine functions {engine_total}; "
        f"recall {found}/{total} = {100 * found / max(1, total):.2f} %; "
        f"same complexity {agree}/{found} = {100 * agree / max(1, found):.2f} % (engine CPU {cpu:.2f} s)"
    )
    for line in disagreements[:15]:
        print("   ", line)
    return total, found, agree


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--eslint", default="10.16.0")
    parser.add_argument("--lodash", default="4.18.1")
    args = parser.parse_args(argv)
    install(args.eslint, args.lodash)
    totals = [0, 0, 0]
    for name, root in (
        (f"eslint {args.eslint} lib/", CACHE / "node_modules" / "eslint" / "lib"),
        (f"lodash {args.lodash}", CACHE / "node_modules" / "lodash"),
    ):
        for i, value in enumerate(compare(name, root)):
            totals[i] += value
    total, found, agree = totals
    print(
        f"ALL: recall {found}/{total} = {100 * found / max(1, total):.2f} %; "
        f"same complexity {agree}/{found} = {100 * agree / max(1, found):.2f} %"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
