"""Documented example ``data`` for every event: rendered into the OpenAPI description and kept
in step with the README (a test checks both list every type in ``services.EVENT_TYPES``)."""

from __future__ import annotations

import json
from typing import Any

from webhooks.services import (
    ANALYSIS_COMPLETED,
    ANALYSIS_FAILED,
    ANALYSIS_STARTED,
    BILLING_PLAN_CHANGED,
    FINDING_NEW,
    FINDING_RESOLVED,
    FIX_APPLIED,
    FIX_PROPOSED,
    HEALTH_SCORE_CHANGED,
    QUALITY_GATE_FAILED,
)

_RUN = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
_REPO_ID = "6f1c2b1e-3d0a-4d52-9a57-2f4d1c1e9b10"
# Every repository-scoped event names its repository the same way: {"id", "name"} (plus the
# GitHub "full_name" on quality_gate.failed). tests/webhooks/test_payload_contract.py checks the
# events the apps really send against these examples, key for key.
_REPO = {"id": _REPO_ID, "name": "acme/api"}
_RUN_FIELDS = {
    "analysis_id": _RUN,
    "repository": _REPO,
    "status": "running",
    "trigger": "push",
    "branch": "main",
    "commit_sha": "3f2a9c1e",
    "pull_request_number": None,
}
_FINDING = {
    "id": "2b7e1516-28ae-4d2a-a6d2-8f3c9e0b1a22",
    "fingerprint": "5c1d9e0f7a3b",
    "detector": "sql-injection",
    "category": "security",
    "severity": "high",
    "title": "SQL built from user input",
    "path": "api/db.py",
    "line": 42,
    "status": "open",
}
_FINDINGS_URL = "https://repotoire.example.com/api/v1/findings?repository_id=" + _REPO_ID

EVENT_EXAMPLES: dict[str, dict[str, Any]] = {
    ANALYSIS_STARTED: _RUN_FIELDS,
    ANALYSIS_COMPLETED: {
        **_RUN_FIELDS,
        "status": "completed",
        "health_score": 82.4,
        "grade": "B",
        "pillar_scores": {"security": 78.0, "reliability": 88.0, "maintainability": 85.5, "architecture": 90.0},
        "findings_counts": {"critical": 0, "high": 2, "medium": 11, "low": 24, "info": 5, "total": 42, "suppressed": 3},
        "files_analyzed": 212,
        "lines_analyzed": 18430,
        "duration_seconds": 14.2,
    },
    ANALYSIS_FAILED: {**_RUN_FIELDS, "status": "failed", "error_code": "CLONE_FAILED", "error_message": "Clone failed"},
    HEALTH_SCORE_CHANGED: {
        "analysis_id": _RUN,
        "repository": _REPO,
        "previous": 85.4,
        "current": 82.4,
        "delta": -3.0,
        "previous_grade": "B",
        "grade": "B",
    },
    FINDING_NEW: {
        "analysis_id": _RUN,
        "repository": _REPO,
        "commit_sha": "3f2a9c1e",
        "count": 1,
        "findings": [_FINDING],
        "truncated": False,
        "findings_url": _FINDINGS_URL + "&first_seen_in=" + _RUN,
        "reopened_count": 0,
    },
    FINDING_RESOLVED: {
        "analysis_id": _RUN,
        "repository": _REPO,
        "commit_sha": "3f2a9c1e",
        "count": 1,
        "findings": [{**_FINDING, "status": "fixed"}],
        "truncated": False,
        "findings_url": _FINDINGS_URL + "&status=fixed&fixed_in=" + _RUN,
    },
    FIX_PROPOSED: {
        "fix_id": "c0ffee00-1234-4abc-8def-0123456789ab",
        "finding_id": _FINDING["id"],
        "repository": _REPO,
        "provenance": "rule",
        "source": "rule:unused-import",
        "confidence": 0.92,
        "finding_resolved": True,
        "new_findings": 0,
    },
    FIX_APPLIED: {
        "fix_id": "c0ffee00-1234-4abc-8def-0123456789ab",
        "finding_id": _FINDING["id"],
        "repository": _REPO,
        "branch": "repotoire/fix-sql-injection",
        "commit_sha": "8d1e4b7a",
        "pull_request_url": "https://github.com/acme/api/pull/128",
    },
    QUALITY_GATE_FAILED: {
        "analysis_id": _RUN,
        "repository": {**_REPO, "full_name": "acme/api"},
        "pull_request": 128,
        "head_sha": "3f2a9c1e0b7d4e6f8a9b0c1d2e3f4a5b6c7d8e9f",
        "health_score": 71.5,
        "failed_conditions": [{"metric": "new_high_findings", "operator": ">", "threshold": 0, "actual": 2}],
    },
    BILLING_PLAN_CHANGED: {"previous_plan": "free", "current_plan": "pro", "subscription_status": "active"},
}

TEST_EXAMPLE = {"message": "This is a test event from Repotoire.", "webhook_id": "5d0c1f0e-7a44-4d8e-9a0e-6c3b2f1a0d99"}


def envelope_example(event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "0f8e2a54-6b1d-4c7e-9f3a-1d2c3b4a5e6f",
        "type": event_type,
        "created": "2026-01-15T12:00:00Z",
        "organization_id": "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
        "data": data,
    }


def openapi_description() -> str:
    lines = [
        "Events are POSTed as JSON with the envelope `{id, type, created, organization_id, data}`",
        "and the headers `Repotoire-Event`, `Repotoire-Delivery` (same across retries of one delivery)",
        'and `Repotoire-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>` (one `v1`',
        "per valid secret while a rotation's grace period lasts). Answer 2xx within 10 s; anything else",
        "is retried after about 1 min, 5 min, 30 min, 2 h, 6 h, 12 h, then daily (plan: free 3, pro 5,",
        "enterprise 8 retries). An endpoint failing for 3 days is disabled with a reason.",
        "",
        "`finding.new`/`finding.resolved` carry at most 100 findings per run (`truncated` says if",
        "more exist; `findings_url` lists them all). Endpoints with a `repository_id` receive only",
        "events about that repository.",
        "",
        "Example `data` per event:",
        "",
    ]
    for event_type, data in EVENT_EXAMPLES.items():
        lines.append(f"- `{event_type}`: `{json.dumps(data)}`")
    lines.append(f"- `webhook.test` (sent by the test action only): `{json.dumps(TEST_EXAMPLE)}`")
    return "\n".join(lines)
