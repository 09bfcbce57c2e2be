"""Matching hand labels to reported findings, and the precision/recall arithmetic.

Pure functions over plain dicts (no engine run, no download) so that a unit test can exercise
them. A row — a reported finding or a label — has ``tool`` ("repotoire" or "bandit"),
``project``, ``path``, ``detector`` (for bandit: its test id), ``symbol`` (enclosing symbol;
empty for bandit), ``snippet`` and ``line``. Labels add ``label`` ("TP"/"FP") and ``reason``.

A label is keyed by tool, project, path, detector, symbol and the normalised snippet, plus the
occurrence index among rows that share all of those (in line order) — never the line number, so
labels survive edits to the detectors that shift or re-word nothing else. When a detector's
snippet or symbol changes, the leftover labels and findings of one (tool, project, path,
detector) that share the symbol, or else the snippet, are paired in line order as a fallback, and
counted as ``loose`` so the report shows how much rests on it.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from analysis.engine import calibration
from analysis.engine.model import normalise_code

LABELS = ("TP", "FP")


def base_key(row: dict[str, Any]) -> tuple[str, ...]:
    return (
        row["tool"],
        row["project"],
        row["path"],
        row["detector"],
        row.get("symbol", ""),
        normalise_code(row.get("snippet", "")),
    )


def with_occurrence(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """``rows`` with ``occurrence`` set: the index among rows sharing one base key, in line order."""
    ordered = sorted(rows, key=lambda r: (base_key(r), r.get("line", 0)))
    seen: dict[tuple[str, ...], int] = defaultdict(int)
    out = []
    for row in ordered:
        key = base_key(row)
        out.append({**row, "occurrence": seen[key]})
        seen[key] += 1
    return out


def full_key(row: dict[str, Any]) -> tuple[Any, ...]:
    return (*base_key(row), row.get("occurrence", 0))


def short_id(row: dict[str, Any]) -> str:
    """A short stable id for a row, to refer to it while labelling."""
    return hashlib.sha1("\x1f".join(map(str, full_key(row))).encode()).hexdigest()[:10]


@dataclass
class Match:
    pairs: list[tuple[dict[str, Any], dict[str, Any]]] = field(default_factory=list)  # (finding, label)
    loose: int = 0
    unlabelled: list[dict[str, Any]] = field(default_factory=list)
    gone: list[dict[str, Any]] = field(default_factory=list)  # labels whose finding is no longer reported


def match(findings: Iterable[dict[str, Any]], labels: Iterable[dict[str, Any]]) -> Match:
    """Pair every reported finding with its label: exact key first, then the loose fallbacks
    (same file and detector, and the same symbol or else the same snippet), in line order."""
    findings = with_occurrence(findings)
    by_key = {full_key(label): label for label in labels}
    result = Match()
    left_findings = []
    for f in findings:
        label = by_key.pop(full_key(f), None)
        if label is not None:
            result.pairs.append((f, label))
        else:
            left_findings.append(f)
    left_labels = list(by_key.values())
    for loose_key in (lambda r: base_key(r)[:5], lambda r: (*base_key(r)[:4], base_key(r)[5])):
        left_findings, left_labels = _pair_loosely(left_findings, left_labels, loose_key, result)
    result.unlabelled = left_findings
    result.gone = left_labels
    return result


def _pair_loosely(
    findings: list[dict[str, Any]], labels: list[dict[str, Any]], key: Any, result: Match
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    for label in labels:
        groups[key(label)].append(label)
    for group in groups.values():
        group.sort(key=lambda r: r.get("line", 0))
    rest = []
    for f in sorted(findings, key=lambda r: r.get("line", 0)):
        group = groups.get(key(f))
        if group:
            result.pairs.append((f, group.pop(0)))
            result.loose += 1
        else:
            rest.append(f)
    return rest, [label for group in groups.values() for label in group]


@dataclass
class Tally:
    reported: int = 0
    tp: int = 0
    fp: int = 0

    @property
    def labelled(self) -> int:
        return self.tp + self.fp

    @property
    def precision(self) -> float | None:
        return self.tp / self.labelled if self.labelled else None


def tally(m: Match, group: Any) -> dict[str, Tally]:
    """Reported / TP / FP per group (``group(finding) -> str``) over a match."""
    out: dict[str, Tally] = defaultdict(Tally)
    for f, label in m.pairs:
        t = out[group(f)]
        t.reported += 1
        if label["label"] == "TP":
            t.tp += 1
        else:
            t.fp += 1
    for f in m.unlabelled:
        out[group(f)].reported += 1
    return dict(out)


def weighted_precision(per_detector: dict[str, Tally]) -> float | None:
    """Precision over everything reported, estimating each detector's unlabelled findings by that
    detector's labelled sample (stratified estimate); detectors with no label count as unknown and
    are left out."""
    known = [t for t in per_detector.values() if t.labelled]
    total = sum(t.reported for t in known)
    if not total:
        return None
    return sum(t.reported * (t.precision or 0.0) for t in known) / total


def recall(true_labels: Iterable[dict[str, Any]], m: Match) -> tuple[int, int]:
    """(true findings still reported, true findings labelled): "are the true findings kept"."""
    still = {full_key(label) for _, label in m.pairs if label["label"] == "TP"}
    trues = [full_key(label) for label in true_labels if label["label"] == "TP"]
    return sum(1 for k in trues if k in still), len(trues)


def tp_rates(labels: Iterable[dict[str, Any]], min_labelled: int = 1) -> dict[str, dict[str, Any]]:
    """Per-detector share of labelled findings that reviewers confirmed (aggregates only)."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for label in labels:
        c = counts[label["detector"]]
        c[0] += 1
        c[1] += label["label"] == "TP"
    return {
        detector: {"labelled": n, "tp": tp, "tp_rate": round(tp / n, 3)}
        for detector, (n, tp) in sorted(counts.items())
        if n >= min_labelled
    }


def fmt_pct(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{100 * value:.1f}%" if 0 < value < 0.1 else f"{100 * value:.0f}%"


def rate_table(pairs: Iterable[tuple[dict[str, Any], dict[str, Any]]]) -> dict[str, list[int]]:
    """[confirmed, labelled] per calibration key (``calibration.keys``) over (finding, label) pairs;
    a finding's ``estimate`` is the detector's own confidence before calibration."""
    table: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for f, label in pairs:
        for key in calibration.keys(f["detector"], f.get("kind", "issue"), f["estimate"]):
            table[key][0] += label["label"] == "TP"
            table[key][1] += 1
    return dict(table)


def held_out_confidence(m: Match, finding: dict[str, Any], tuning: frozenset[str] | None = None) -> float:
    """The confidence ``finding`` would get if the engine were calibrated on the labels of the
    *other* tuning projects only (leave-one-project-out; source files, as the engine's table),
    with the engine's keys and shrinkage.
    Judges a confidence floor on labels it was not fitted to."""
    table = rate_table(
        (f, label) for f, label in m.pairs if f["project"] != finding["project"] and (tuning is None or f["project"] in tuning)
    )
    return calibration.rate(table, finding["detector"], finding.get("kind", "issue"), finding["estimate"])
