"""Confidence calibration and the default confidence floor of the views.

``confidence`` means the share of such findings that reviewers confirm. A detector sets its own
estimate when it reports (a tainted flow is surer than a pattern, a private function without a
caller surer than a library's public class); where hand-labelled data exists the pipeline replaces
it with the measured rate. The table (``calibration.json`` beside this module) holds
``[confirmed, labelled]`` per ``"<detector>/<kind>@<estimate>"`` — detectors report a few
distinct estimates, each a different situation (a private function without a caller, a library's
public class) — and is written by ``python -m benchmarks.precision --rates`` from the hand labels
of the tuning projects only (never the held-out ones). The calibrated confidence is the share
confirmed, shrunk toward the detector's estimate by ``SHRINK`` pseudo-labels (a level seen on two
labels moves part of the way; one never labelled keeps the estimate). The detector's estimate is
kept in ``metadata["estimate"]`` when calibration changes it.

``DEFAULT_MIN_CONFIDENCE`` is the floor the API's finding list, the reports, pull-request
comments and quality gates apply unless told otherwise (``min_confidence``); it is chosen from
the labelled data (``benchmarks/README.md#precisionpy``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from analysis.engine.model import Finding

TABLE_PATH = Path(__file__).with_name("calibration.json")
MIN_LABELLED = 1
SHRINK = 2.0

DEFAULT_MIN_CONFIDENCE = 0.5


def _load(path: Path) -> dict[str, tuple[int, int]]:
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {key: (int(tp), int(n)) for key, (tp, n) in data.get("rates", {}).items()}


# key -> (confirmed, labelled)
CALIBRATION: Mapping[str, Sequence[int]] = _load(TABLE_PATH)


def level(confidence: float) -> str:
    """A detector's estimate as a key component (detectors report a few distinct levels)."""
    return f"{float(confidence):.2f}"


def keys(detector: str, kind: str, estimate: float) -> list[str]:
    """Calibration keys, most specific first (one: a detector's levels mean different things, so
    the rate of one level is not borrowed for another)."""
    return [f"{detector}/{kind}@{level(estimate)}"]


def shrunk(tp: int, n: int, prior: float) -> float:
    return (tp + SHRINK * prior) / (n + SHRINK)


def rate(
    table: Mapping[str, Sequence[int]], detector: str, kind: str, estimate: float, min_labelled: int = MIN_LABELLED
) -> float:
    """The calibrated confidence of a finding of ``detector``/``kind`` the detector estimated at
    ``estimate`` (the estimate itself when no key has ``min_labelled`` labels)."""
    for key in keys(detector, kind, estimate):
        tp, n = table.get(key, (0, 0))
        if n >= min_labelled:
            return round(shrunk(tp, n, estimate), 3)
    return estimate


def calibrated(finding: Finding, table: Mapping[str, Sequence[int]] = CALIBRATION) -> float:
    """The calibrated confidence of ``finding`` (its own estimate when nothing was measured)."""
    return rate(table, finding.detector, finding.kind, estimate(finding))


def estimate(finding: Finding) -> float:
    """The detector's own estimate (kept in the metadata once calibrated: calibrating twice, as an
    incremental run re-using findings does, changes nothing)."""
    return float(finding.metadata.get("estimate", finding.confidence))


def calibrate(findings: Iterable[Finding], table: Mapping[str, Sequence[int]] = CALIBRATION) -> None:
    for finding in findings:
        own = estimate(finding)
        value = calibrated(finding, table)
        if value != own:
            finding.metadata["estimate"] = own
        finding.confidence = value


def visible(finding: Finding, *, scope: str = "source", min_confidence: float = DEFAULT_MIN_CONFIDENCE) -> bool:
    """Whether a default-style view lists ``finding``: ``scope="source"`` keeps only source files'
    findings, ``"all"`` every role; and the confidence must reach ``min_confidence``."""
    if scope != "all" and finding.role != "source":
        return False
    return float(finding.confidence) >= min_confidence
