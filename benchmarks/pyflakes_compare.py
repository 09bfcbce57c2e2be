"""unused-import against pyflakes' "imported but unused" on Django and Flask.

Run from the repository root::

    .venv/bin/python -m benchmarks.pyflakes_compare [django flask ...]

Two runs of our detector through the pipeline: as shipped (honours ``# noqa``, skips package
re-exports in ``__init__.py`` and explicit ``import x as x`` re-exports) and pyflakes-compatible
(``honour_noqa = false``, ``report_init_reexports = true``, ``report_explicit_reexports = true``). For each: precision and recall of ours taking pyflakes as the
reference (and so the reverse), and every disagreement sorted into a category.
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections import Counter
from typing import Any

from analysis.engine import analyze
from analysis.engine.registry import all_specs
from benchmarks._cache import ensure_tools, project_source

Key = tuple[str, int, str]  # path, line, import as pyflakes prints it


def pyflakes_unused(root: str) -> tuple[set[Key], float]:
    ensure_tools("pyflakes")
    from pyflakes import api, messages

    found: set[Key] = set()

    class Collector:
        def unexpectedError(self, filename: str, msg: str) -> None:  # noqa: N802 - pyflakes API
            pass

        def syntaxError(self, filename: str, msg: str, lineno: int, offset: int, text: str) -> None:  # noqa: N802
            pass

        def flake(self, message: Any) -> None:
            if isinstance(message, messages.UnusedImport):
                found.add((os.path.relpath(message.filename, root), message.lineno, str(message.message_args[0])))

    t = time.perf_counter()
    reporter = Collector()
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            if name.endswith(".py"):
                api.checkPath(os.path.join(dirpath, name), reporter)  # type: ignore[arg-type]
    return found, time.perf_counter() - t


def ours_unused(root: str, compatible: bool) -> tuple[dict[Key, Any], float]:
    detectors: dict[str, Any] = {spec.id: False for spec in all_specs() if spec.id != "unused-import"}
    if compatible:
        detectors["unused-import"] = {"honour_noqa": False, "report_init_reexports": True, "report_explicit_reexports": True}
    t = time.perf_counter()
    result = analyze(root, config={"detectors": detectors})
    elapsed = time.perf_counter() - t
    return {(f.path, f.line, f.metadata["import"]): f for f in result.findings if f.detector == "unused-import"}, elapsed


_NOQA = re.compile(r"#\s*noqa", re.IGNORECASE)


def _line(root: str, path: str, line: int) -> str:
    try:
        with open(os.path.join(root, path), encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return ""
    return lines[line - 1] if 0 < line <= len(lines) else ""


def categorise_missed(root: str, key: Key) -> str:
    """Why pyflakes reports an import that we do not."""
    path, line, name = key
    text = _line(root, path, line)
    last = name.rsplit(".", 1)[-1]
    if re.search(rf"\b{re.escape(last)}\s+as\s+{re.escape(last)}\b", text):
        return "explicit re-export (import x as x)"
    if _NOQA.search(text):
        return "noqa comment (we honour it, pyflakes ignores it)"
    if path.endswith("__init__.py"):
        return "package re-export in __init__.py"
    if "TYPE_CHECKING" in text or "if TYPE_CHECKING" in "\n".join(_line(root, path, n) for n in range(max(1, line - 5), line)):
        return "TYPE_CHECKING import mentioned in a string or comment"
    return "other"


def categorise_extra(finding: Any) -> str:
    """Why we report an import that pyflakes does not."""
    meta = finding.metadata
    if meta.get("type_checking"):
        return "TYPE_CHECKING import"
    if meta.get("optional"):
        return "optional import in try/except ImportError"
    if finding.path.endswith("__init__.py"):
        return "in __init__.py"
    if finding.symbol:
        return "function-scope import"
    return "other"


def compare(name: str, root: str, theirs: set[Key], compatible: bool) -> None:
    ours, elapsed = ours_unused(root, compatible)
    mine = set(ours)
    both = mine & theirs
    precision = len(both) / len(mine) if mine else 1.0
    recall = len(both) / len(theirs) if theirs else 1.0
    label = "pyflakes-compatible settings" if compatible else "defaults (noqa honoured, __init__ re-exports skipped)"
    print(f"\n{name} — ours with {label} ({elapsed:.2f}s for the whole pipeline)")
    print(f"  ours {len(mine)}, pyflakes {len(theirs)}, both {len(both)}")
    print(f"  taking pyflakes as truth: precision {precision:.1%}, recall {recall:.1%}")
    print(f"  taking ours as truth:     precision {recall:.1%}, recall {precision:.1%}")
    missed = Counter(categorise_missed(root, k) for k in theirs - mine)
    extra = Counter(categorise_extra(ours[k]) for k in mine - theirs)
    for title, counts in (("pyflakes only", missed), ("ours only", extra)):
        for category, count in counts.most_common():
            print(f"    {title}: {count:4d}  {category}")
    others = sorted(k for k in theirs - mine if categorise_missed(root, k) == "other" or compatible)[:10]
    others += sorted(k for k in mine - theirs if categorise_extra(ours[k]) == "other")[:10]
    for path, line, imported in others:
        print(f"      e.g. {path}:{line} {imported!r}  {_line(root, path, line).strip()[:80]}")


def main(names: list[str]) -> None:
    for name in names:
        root = str(project_source(name))
        theirs, elapsed = pyflakes_unused(root)
        print(f"\n=== {name}: pyflakes {len(theirs)} 'imported but unused' in {elapsed:.2f}s")
        compare(name, root, theirs, compatible=False)
        compare(name, root, theirs, compatible=True)


if __name__ == "__main__":
    main(sys.argv[1:] or ["django", "flask"])
