from __future__ import annotations

import ast
import os
import textwrap

from analysis.engine.clones import clone_windows, skeleton_lines
from analysis.engine.detectors.duplication import DuplicateCode, duplication_metrics, find_clone_groups
from tests.engine.graph_helpers import project_from_sources, run_detector

BLOCK = """
def {name}(items, {arg}):
    total = 0
    for item in items:
        if item.{attr} > {limit}:
            total += item.{attr} * {factor}
        elif item.kind == "{kind}":
            total -= compute(item, {arg})
        else:
            log.warning("skipped %s", item)
    result = normalise(total, {arg})
    return result
"""


def _block(**kw: object) -> str:
    values = {"name": "f", "arg": "x", "attr": "price", "limit": 10, "factor": 2, "kind": "a"}
    values.update(kw)
    return BLOCK.format(**values)


def windows(source: str) -> list[tuple[int, int, int]]:
    source = textwrap.dedent(source)
    return clone_windows(ast.parse(source), source.splitlines())


def test_skeleton_normalises_identifiers_literals_and_blanks() -> None:
    one, two = skeleton_lines("x = f(a, 'b c')  \ny=g(q,\"zz\")")
    assert one == b"=(,'')"
    assert two == b'=(,"")'


def test_windows_are_identical_for_renamed_copies() -> None:
    a = windows(_block())
    b = windows(_block(name="g", arg="limit_value", attr="cost", limit=99, factor=3, kind="zz"))
    assert a and [h for h, _, _ in a] == [h for h, _, _ in b]


def test_windows_differ_for_different_structure() -> None:
    a = {h for h, _, _ in windows(_block())}
    changed = _block().replace("total -= compute(item, x)", "return [compute(i) for i in item]")
    b = {h for h, _, _ in windows(changed)}
    assert a != b


def test_trivial_statements_make_no_windows() -> None:
    imports = "\n".join(f"import module_{i}" for i in range(40))
    inits = "class A:\n    def __init__(self, a, b, c, d, e, f, g):\n" + "\n".join(f"        self.{v} = {v}" for v in "abcdefg")
    assert windows(imports) == []
    assert windows(inits) == []


def test_duplicate_code_positive_across_files() -> None:
    sources = {
        "pkg/a.py": "import os\n\n" + _block(),
        "pkg/b.py": "\n\n\n" + _block(name="other", arg="y", attr="cost"),
        "pkg/c.py": "def unrelated():\n    return 1\n",
    }
    project = project_from_sources(sources)
    findings = run_detector(DuplicateCode, project)
    assert len(findings) == 1
    f = findings[0]
    assert f.category == "duplication"
    assert {loc["path"] for loc in f.metadata["locations"]} == {"pkg/a.py", "pkg/b.py"}
    assert f.metadata["lines"] >= 6
    metrics = duplication_metrics(project)
    assert metrics["clone_groups"] == 1
    assert 0 < metrics["duplicated_lines_percent"] < 100
    assert project.metrics["duplicated_lines_percent"] == metrics["duplicated_lines_percent"]


def test_duplicate_code_merges_adjacent_windows_into_one_region() -> None:
    second = """
class Store:
    def load(self, key, default=None):
        with self.lock:
            value = self.cache.get(key)
            if value is None:
                value = self.backend.fetch(key, timeout=self.timeout)
                self.cache[key] = value
        return value if value is not None else default
"""
    both = _block() + second
    sources = {"pkg/a.py": both, "pkg/b.py": "\n" + both.replace("price", "cost")}
    groups = find_clone_groups(project_from_sources(sources))
    assert len(groups) == 1
    a, b = sorted(groups[0].regions, key=lambda r: r.path)
    assert (a.path, b.path) == ("pkg/a.py", "pkg/b.py")
    assert a.lines >= 18 and b.start == a.start + 1 and b.end == a.end + 1


def test_duplicate_code_negative_different_code_and_short_clones() -> None:
    sources = {
        "pkg/a.py": _block(),
        "pkg/b.py": "def g(values):\n    return sorted(v for v in values if v)\n\nclass K:\n    x = 1\n",
    }
    project = project_from_sources(sources)
    assert run_detector(DuplicateCode, project) == []
    assert duplication_metrics(project)["duplicated_lines_percent"] == 0.0


def test_duplicate_code_fingerprint_survives_line_shift() -> None:
    base = {"pkg/a.py": _block(), "pkg/b.py": _block(name="g")}
    shifted = {"pkg/a.py": "\n\n\n" + _block(), "pkg/b.py": _block(name="g")}
    one = run_detector(DuplicateCode, project_from_sources(base))
    two = run_detector(DuplicateCode, project_from_sources(shifted))
    assert [f.fingerprint for f in one] == [f.fingerprint for f in two]
    assert one[0].line != two[0].line


def test_clone_windows_on_real_code_the_engine() -> None:
    base = os.path.join(os.path.dirname(__file__), "..", "..", "analysis", "engine")
    with open(os.path.join(base, "project.py"), encoding="utf-8") as fh:
        source = fh.read()
    wins = clone_windows(ast.parse(source), source.splitlines())
    assert wins
    assert all(1 <= start <= end <= len(source.splitlines()) for _, start, end in wins)
    assert [s for _, s, _ in wins] == sorted(s for _, s, _ in wins)


def test_three_copies_make_one_finding_and_the_metric_counts_every_copy() -> None:
    text = _block(name="a") + "\n" + _block(name="b") + "\n" + _block(name="c")
    project = project_from_sources({"pkg/a.py": text})
    findings = run_detector(DuplicateCode, project)
    assert len(findings) == 1
    assert findings[0].metadata["occurrences"] == 3
    metrics = duplication_metrics(project)
    assert metrics["clone_groups"] == 1
    assert metrics["duplicated_lines"] >= 3 * 10
