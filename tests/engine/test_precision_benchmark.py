"""The precision benchmark's matching and arithmetic (benchmarks/precision_labels.py) and the
well-formedness of its label file. The benchmark itself downloads projects and is not run here."""

from __future__ import annotations

import pytest

from benchmarks import precision
from benchmarks import precision_labels as pl


def row(line: int, snippet: str = "eval(x)", symbol: str = "pkg.mod.f", detector: str = "code-injection", **extra):
    return {
        "tool": "repotoire",
        "project": "demo",
        "path": "pkg/mod.py",
        "detector": detector,
        "category": "security",
        "symbol": symbol,
        "snippet": snippet,
        "line": line,
        **extra,
    }


def label(finding: dict, verdict: str) -> dict:
    (keyed,) = pl.with_occurrence([finding])
    return {**keyed, "label": verdict, "reason": "read the code"}


def test_a_label_follows_its_finding_when_lines_shift_and_whitespace_changes():
    labels = [label(row(10, "    eval(x,\n          y)  # why"), "TP")]
    m = pl.match([row(42, "eval(x, y)")], labels)
    assert len(m.pairs) == 1 and m.loose == 0
    assert m.unlabelled == [] and m.gone == []


def test_identical_snippets_in_one_symbol_keep_their_own_labels_in_line_order():
    first, second = row(10), row(20)
    labels = [{**k, "label": v, "reason": "r"} for k, v in zip(pl.with_occurrence([first, second]), ("TP", "FP"), strict=True)]
    m = pl.match([row(30), row(12)], labels)
    verdicts = {f["line"]: lab["label"] for f, lab in m.pairs}
    assert verdicts == {12: "TP", 30: "FP"}


def test_a_reworded_snippet_falls_back_to_the_symbol_and_counts_as_loose():
    labels = [label(row(10, "eval(x)"), "FP")]
    m = pl.match([row(10, "eval(x, {})")], labels)
    assert m.loose == 1 and m.pairs[0][1]["label"] == "FP"


def test_a_finding_elsewhere_does_not_inherit_a_removed_findings_label():
    labels = [label(row(10, "eval(x)", symbol="pkg.mod.f"), "FP")]
    m = pl.match([row(50, "exec(y)", symbol="pkg.mod.g")], labels)
    assert m.pairs == []
    assert [f["line"] for f in m.unlabelled] == [50]
    assert [g["line"] for g in m.gone] == [10]


def test_precision_recall_and_the_stratified_estimate():
    tp, fp, gone_tp = row(1, "a()"), row(2, "b()"), row(3, "c()")
    labels = [label(tp, "TP"), label(fp, "FP"), label(gone_tp, "TP")]
    unlabelled = row(4, "d()", detector="sql-injection")
    m = pl.match([tp, fp, unlabelled], labels)
    per_detector = pl.tally(m, lambda f: f["detector"])
    assert per_detector["code-injection"].precision == 0.5
    assert per_detector["sql-injection"].reported == 1 and per_detector["sql-injection"].labelled == 0
    assert pl.recall(labels, m) == (1, 2)
    # sql-injection has no label: the estimate leaves it out rather than guessing
    assert pl.weighted_precision(per_detector) == 0.5
    five = {"a": pl.Tally(reported=90, tp=1, fp=1), "b": pl.Tally(reported=10, tp=2, fp=0)}
    assert pl.weighted_precision(five) == pytest.approx((90 * 0.5 + 10 * 1.0) / 100)


def test_tp_rates_are_aggregates_per_detector():
    labels = [label(row(1, "a()"), "TP"), label(row(2, "b()"), "FP"), label(row(3, "c()", detector="xss"), "FP")]
    assert pl.tp_rates(labels) == {
        "code-injection": {"labelled": 2, "tp": 1, "tp_rate": 0.5},
        "xss": {"labelled": 1, "tp": 0, "tp_rate": 0.0},
    }


def test_the_sample_takes_every_security_finding_and_tops_up_other_groups():
    findings = [row(n, f"s{n}()") for n in range(4)]
    findings += [row(n, f"u{n}", detector="unused-import", category="dead_code") for n in range(10, 16)]
    already = pl.match(findings, [label(findings[4], "TP")])
    todo = precision.sample(already.unlabelled, 3, ("security",), already)
    assert sum(1 for f in todo if f["category"] == "security") == 4
    assert sum(1 for f in todo if f["category"] == "dead_code") == 2  # 3 per group, one already labelled


def test_the_label_file_is_well_formed():
    labels = precision.load_labels()
    assert labels, "benchmarks/labels/precision.jsonl is empty"
    keys = set()
    for lab in labels:
        assert lab["tool"] in ("repotoire", "bandit")
        assert lab["label"] in pl.LABELS and lab["reason"].strip()
        assert lab["version"] == precision.PROJECTS[lab["project"]][0]
        key = pl.full_key(lab)
        assert key not in keys, f"labelled twice: {key}"
        keys.add(key)


def test_held_out_confidence_uses_only_the_other_projects_labels():
    here = row(1, "a()", kind="hotspot", confidence=0.9)
    there_tp = {**row(2, "b()", kind="hotspot"), "project": "other"}
    there_fp = {**row(3, "c()", kind="hotspot"), "project": "other"}
    lonely = row(4, "d()", detector="xss", kind="issue", confidence=0.7)
    labels = [label(here, "TP"), label(there_tp, "TP"), label(there_fp, "FP")]
    m = pl.match([here, there_tp, there_fp, lonely], labels)
    assert pl.held_out_confidence(m, here, min_labelled=1) == 0.5  # its own TP label is not used
    assert pl.held_out_confidence(m, there_tp, min_labelled=1) == 1.0
    assert pl.held_out_confidence(m, here) == 0.9  # two labels elsewhere are too few by default
    assert pl.held_out_confidence(m, lonely, min_labelled=1) == 0.7  # nothing labelled elsewhere
