"""The precision benchmark's matching and arithmetic (benchmarks/precision_labels.py) and the
well-formedness of its label file. The benchmark itself downloads projects and is not run here."""

from __future__ import annotations

import pytest

from analysis.engine import calibration
from analysis.engine.model import Finding
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
        assert lab["version"] == precision.ALL_PROJECTS[lab["project"]][0]
        assert lab.get("held_out", False) == (lab["project"] in precision.HELD_OUT)
        key = pl.full_key(lab)
        assert key not in keys, f"labelled twice: {key}"
        keys.add(key)


def test_held_out_confidence_uses_only_the_other_projects_labels():
    def at(line, snippet, project="demo", **extra):
        return {**row(line, snippet, kind="hotspot", confidence=0.9, estimate=0.9), "project": project, **extra}

    here = at(1, "a()")
    elsewhere = [at(n, f"b{n}()", project="other") for n in range(2, 6)]
    lonely = at(9, "d()", detector="xss", confidence=0.7, estimate=0.7)
    labels = [label(here, "TP")] + [label(f, "TP" if n == 0 else "FP") for n, f in enumerate(elsewhere)]
    m = pl.match([here, *elsewhere, lonely], labels)
    # its own TP label is not used: 1 of 4 elsewhere, shrunk toward the estimate by 2 pseudo-labels
    assert pl.held_out_confidence(m, here) == pytest.approx((1 + 2 * 0.9) / (4 + 2), abs=1e-3)
    # for "other", only the one TP label of "demo" counts
    assert pl.held_out_confidence(m, elsewhere[0]) == pytest.approx((1 + 1.8) / 3, abs=1e-3)
    assert pl.held_out_confidence(m, lonely) == 0.7  # nothing labelled elsewhere
    # a held-out project's labels never calibrate anything
    assert pl.held_out_confidence(m, elsewhere[0], frozenset({"other"})) == 0.9


def test_the_engine_calibration_uses_the_detectors_level_only():
    table = {"d/issue@0.40": (0, 2), "d/issue@1.00": (3, 4)}
    assert calibration.rate(table, "d", "issue", 0.4) == pytest.approx(0.8 / 4, abs=1e-3)
    assert calibration.rate(table, "d", "issue", 1.0) == pytest.approx(5 / 6, abs=1e-3)
    assert calibration.rate(table, "d", "issue", 0.6) == 0.6  # a level never labelled


def test_calibrating_keeps_the_detectors_estimate_and_twice_changes_nothing():
    finding = Finding("d", "bug_risk", "low", "t", "m", "a.py", 1, confidence=0.4)
    table = {"d/issue@0.40": (1, 4)}
    calibration.calibrate([finding], table)
    assert finding.metadata["estimate"] == 0.4
    first = finding.confidence
    assert first == pytest.approx((1 + 0.8) / 6, abs=1e-3)
    calibration.calibrate([finding], table)
    assert finding.confidence == first
