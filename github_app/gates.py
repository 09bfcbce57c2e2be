"""Quality gate evaluation: pure functions over the numbers of a pull request analysis."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# (field on GithubRepository, metric name, operator, how it reads in a summary)
NUMERIC_CONDITIONS: tuple[tuple[str, str, str, str], ...] = (
    ("min_health_score", "health_score", "<", "Health score"),
    ("max_new_critical", "new_critical_findings", ">", "New critical findings"),
    ("max_new_high", "new_high_findings", ">", "New high findings"),
    ("max_new_findings", "new_findings", ">", "New findings"),
    ("max_score_drop", "score_drop", ">", "Score drop vs base"),
)
FLAG_CONDITIONS: tuple[tuple[str, str, str], ...] = (
    ("fail_on_new_security", "new_security_findings", "New security findings"),
    ("fail_on_new_import_cycle", "new_import_cycles", "New import cycles"),
    ("fail_on_hotspot_complexity", "hotspots_complexity_raised", "Top-10 hotspots made more complex"),
)
HOTSPOT_GATE_TOP = 10
GATE_FIELDS = tuple(f for f, *_ in NUMERIC_CONDITIONS) + tuple(f for f, *_ in FLAG_CONDITIONS)


@dataclass
class GateInput:
    health_score: float
    base_score: float | None
    new_by_severity: dict[str, int]
    new_total: int
    new_security: int
    new_import_cycles: int
    hotspots_complexity_raised: int = 0


def gate_config(repo: Any) -> dict[str, Any]:
    return {name: getattr(repo, name) for name in ("gate_enabled", *GATE_FIELDS)}


def evaluate_gate(config: dict[str, Any], data: GateInput) -> dict[str, Any]:
    """``{enabled, passed, conditions: [{metric, label, operator, threshold, actual, passed}],
    failed_conditions: [...]}``; a condition whose threshold is unset is not evaluated."""
    actual = {
        "health_score": round(data.health_score, 2),
        "new_critical_findings": data.new_by_severity.get("critical", 0),
        "new_high_findings": data.new_by_severity.get("high", 0),
        "new_findings": data.new_total,
        "score_drop": round(max(data.base_score - data.health_score, 0.0), 2) if data.base_score is not None else 0.0,
        "new_security_findings": data.new_security,
        "new_import_cycles": data.new_import_cycles,
        "hotspots_complexity_raised": data.hotspots_complexity_raised,
    }
    conditions: list[dict[str, Any]] = []
    for field, metric, operator, label in NUMERIC_CONDITIONS:
        threshold = config.get(field)
        if threshold is None:
            continue
        value = actual[metric]
        failed = value < threshold if operator == "<" else value > threshold
        conditions.append(
            {
                "metric": metric,
                "label": label,
                "operator": operator,
                "threshold": threshold,
                "actual": value,
                "passed": not failed,
            }
        )
    for field, metric, label in FLAG_CONDITIONS:
        if not config.get(field):
            continue
        value = actual[metric]
        conditions.append(
            {"metric": metric, "label": label, "operator": ">", "threshold": 0, "actual": value, "passed": value == 0}
        )
    failed = [c for c in conditions if not c["passed"]]
    return {
        "enabled": bool(config.get("gate_enabled")),
        "passed": not failed,
        "conditions": conditions,
        "failed_conditions": [{k: c[k] for k in ("metric", "operator", "threshold", "actual")} for c in failed],
    }


def hotspots_complexity_raised(run_metrics: dict[str, Any] | None, base_metrics: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The base analysis' top-10 hotspots whose complexity the pull request's analysis raised:
    ``[{path, rank, base, head}]``. Both runs' git-history digests (``metrics["history"]``) carry
    the files' complexity; a file the head run has no figure for is not counted."""
    base_history = (base_metrics or {}).get("history") or {}
    head_history = (run_metrics or {}).get("history") or {}
    head = head_history.get("complexity") or {}
    raised = []
    for h in (base_history.get("hotspots") or [])[:HOTSPOT_GATE_TOP]:
        after = head.get(h.get("path"))
        if after is not None and int(after) > int(h.get("complexity", 0)):
            raised.append({"path": h["path"], "rank": h.get("rank"), "base": h.get("complexity"), "head": int(after)})
    return raised
