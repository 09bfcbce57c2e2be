"""Confidence calibration and the default confidence floor of the views.

``confidence`` means the share of such findings that reviewers confirm. A detector sets its own
estimate when it reports (a tainted flow is surer than a pattern); where hand-labelled data
exists the pipeline replaces it with the measured rate, keyed ``"<detector>/<kind>"`` or
``"<detector>"``. The rates come from the labelled benchmark
(``benchmarks/trust/README.md``, printed by its scoring command) and are never tuned on the
projects of the held-out set.

``DEFAULT_MIN_CONFIDENCE`` is the floor the API's finding list, the reports, pull-request
comments and quality gates apply unless told otherwise (``min_confidence``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from analysis.engine.model import Finding

# detector[/kind] -> share of labelled findings confirmed (TP / (TP + FP)).
CALIBRATION: Mapping[str, float] = {}

DEFAULT_MIN_CONFIDENCE = 0.5


def calibrated(finding: Finding, table: Mapping[str, float] = CALIBRATION) -> float:
    """The calibrated confidence of ``finding`` (its own estimate when nothing was measured)."""
    value = table.get(f"{finding.detector}/{finding.kind}")
    if value is None:
        value = table.get(finding.detector)
    return finding.confidence if value is None else value


def calibrate(findings: Iterable[Finding], table: Mapping[str, float] = CALIBRATION) -> None:
    for finding in findings:
        finding.confidence = calibrated(finding, table)


def visible(finding: Finding, *, scope: str = "source", min_confidence: float = DEFAULT_MIN_CONFIDENCE) -> bool:
    """Whether a default-style view lists ``finding``: ``scope="source"`` keeps only source files'
    findings, ``"all"`` every role; and the confidence must reach ``min_confidence``."""
    if scope != "all" and finding.role != "source":
        return False
    return float(finding.confidence) >= min_confidence
