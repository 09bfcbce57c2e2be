"""Reporting a pull-request analysis: check run with annotations, summary comment, quality gate."""

from __future__ import annotations

import logging
import re
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from analysis.engine.calibration import DEFAULT_MIN_CONFIDENCE
from analysis.engine.model import SEVERITY_ORDER
from analysis.models import AnalysisRun, RunStatus
from billing.entitlements import has_feature
from billing.plans import FEATURE_QUALITY_GATES
from github_app import selectors
from github_app.client import GithubError
from github_app.gates import GateInput, evaluate_gate, gate_config, hotspots_complexity_raised
from github_app.models import (
    CheckStatus,
    GithubPullRequestCheck,
    GithubRepository,
)
from github_app.services.tokens import installation_client
from repotoire.api.exceptions import (
    ServiceUnavailable,
)
from webhooks.services import QUALITY_GATE_FAILED, webhook_emit_on_commit

logger = logging.getLogger("repotoire.github")


COMMENT_MARKER = "<!-- repotoire:pull-request-summary -->"


ANNOTATIONS_PER_REQUEST = 50
TRUST_LIST_LIMIT = 10  # vulnerabilities and hotspots listed by name in a pull-request summary


_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")
_LEVEL = {"critical": "failure", "high": "failure", "medium": "warning", "low": "notice", "info": "notice"}


# --- reporting a pull-request analysis -------------------------------------------------------------
def changed_lines(files: list[dict[str, Any]]) -> dict[str, set[int]]:
    """Lines added or modified in the head version, per file, from the PR files' patches."""
    out: dict[str, set[int]] = {}
    for f in files:
        lines: set[int] = set()
        line = 0
        for text in (f.get("patch") or "").splitlines():
            hunk = _HUNK.match(text)
            if hunk:
                line = int(hunk.group(1))
                continue
            if text.startswith("+"):
                lines.add(line)
                line += 1
            elif text.startswith("-"):
                continue
            elif not text.startswith("\\"):
                line += 1
        out[f["filename"]] = lines
    return out


def _annotations(new: list[dict[str, Any]], changed: dict[str, set[int]]) -> list[dict[str, Any]]:
    out = []
    for f in new:
        lines = changed.get(f["path"])
        start = max(int(f["line"] or 1), 1)
        end = max(int(f["end_line"] or start), start)
        if not lines or not any(n in lines for n in range(start, end + 1)):
            continue
        out.append(
            {
                "path": f["path"],
                "start_line": start,
                "end_line": end,
                "annotation_level": _LEVEL.get(f["severity"], "notice"),
                "title": f"[{f['severity']}] {f['title']}"[:255],
                "message": (f["message"] or f["title"])[:64000],
                "raw_details": f"{f['detector']} ({f['category']})",
            }
        )
    return out


def _fmt_delta(delta: float | None) -> str:
    return "n/a" if delta is None else f"{delta:+.1f}"


def _summary_markdown(check: GithubPullRequestCheck, run: AnalysisRun, counts: dict[str, int]) -> str:
    gate = check.gate or {}
    lines = [
        f"**Health score:** {run.health_score:.1f} ({run.grade}) — delta vs base: {_fmt_delta(check.score_delta)}",
        "",
        "**New findings:** "
        + (", ".join(f"{counts[s]} {s}" for s in SEVERITY_ORDER if counts.get(s)) or "none")
        + f" · **fixed:** {check.fixed_findings}",
        "",
    ]
    if not gate.get("enabled"):
        lines.append(
            "Quality gate: not enabled for this repository" + ("" if gate.get("available", True) else " (not on your plan)")
        )
    else:
        lines += [
            f"**Quality gate: {'passed' if gate.get('passed') else 'failed'}**",
            "",
            "| Condition | Threshold | Actual | Result |",
            "|---|---|---|---|",
        ]
        for c in gate.get("conditions", []):
            threshold = f"{'≥' if c['operator'] == '<' else '≤'} {c['threshold']}"
            lines.append(f"| {c['label']} | {threshold} | {c['actual']} | {'✅ pass' if c['passed'] else '❌ fail'} |")
        if not gate.get("conditions"):
            lines.append("| (no conditions set) | | | ✅ pass |")
    if check.base_run_id is None:
        lines += ["", "_No analysis of the base commit was found: every finding counts as new._"]
    return "\n".join(lines)


def _trust_markdown(diff: dict[str, Any], limit: int = TRUST_LIST_LIMIT) -> str:
    """New vulnerabilities with their source-to-sink paths, the new security hotspots to review
    (they never fail the gate) and how many other new findings were not counted."""
    lines: list[str] = []
    vulnerabilities = [f for f in diff["new"] if f["kind"] == "vulnerability"]
    if vulnerabilities:
        lines += ["", f"**New vulnerabilities ({len(vulnerabilities)}):**", ""]
        for f in vulnerabilities[:limit]:
            steps = " → ".join(f"`{s['path']}:{s['line']}` {s['note']}" for s in f.get("taint_path") or [])
            lines.append(f"- [{f['severity']}] {f['title']} at `{f['path']}:{f['line']}`" + (f" — {steps}" if steps else ""))
    hotspots = diff.get("new_hotspots") or []
    if hotspots:
        lines += ["", f"**Security hotspots to review ({len(hotspots)}, not counted in the gate):**", ""]
        lines += [f"- {f['title']} at `{f['path']}:{f['line']}`" for f in hotspots[:limit]]
    if diff.get("new_not_counted"):
        lines += [
            "",
            f"_{diff['new_not_counted']} other new findings (tests, examples, vendored or generated code, hotspots, "
            "or below the confidence floor) are not counted._",
        ]
    return "\n".join(lines)


def github_pull_request_report(*, check: GithubPullRequestCheck) -> GithubPullRequestCheck:
    """Compare the check's run with its base run, evaluate the quality gate, store the result,
    then complete the check run (annotations in batches of 50), update the PR comment and emit
    ``quality_gate.failed``."""
    repo = GithubRepository.objects.select_related("installation", "organization").get(pk=check.github_repository_id)
    run = AnalysisRun.objects.filter(pk=check.run_id).first() if check.run_id is not None else None
    if run is None or run.status != RunStatus.COMPLETED:
        check.status, check.conclusion = CheckStatus.FAILED, "neutral"
        check.error = run.error_message if run is not None else "The analysis was deleted"
        check.save(update_fields=["status", "conclusion", "error", "updated_at"])
        message = f"The analysis did not complete: {check.error or (run.status if run else 'missing')}"
        _report_check_run(repo, check, {"title": "Analysis did not complete", "summary": message}, [])
        return check

    base = selectors.base_run_for(check=check, run=run)
    floor = repo.gate_min_confidence if repo.gate_min_confidence is not None else DEFAULT_MIN_CONFIDENCE
    diff = selectors.findings_diff(run=run, base_run=base, min_confidence=floor)
    new = diff["new"]
    counts = dict.fromkeys(SEVERITY_ORDER, 0)
    for f in new:
        counts[f["severity"]] = counts.get(f["severity"], 0) + 1
    available = has_feature(repo.organization, FEATURE_QUALITY_GATES) if repo.organization else False
    config = gate_config(repo)
    raised_hotspots = hotspots_complexity_raised(run.metrics, base.metrics if base is not None else None)
    config["gate_enabled"] = bool(config["gate_enabled"] and available)
    gate = evaluate_gate(
        config,
        GateInput(
            health_score=float(run.health_score or 0.0),
            base_score=base.health_score if base is not None else None,
            new_by_severity=counts,
            new_total=len(new),
            new_security=sum(1 for f in new if f["category"] == "security"),
            new_import_cycles=sum(1 for f in new if f["detector"] == "import-cycle"),
            hotspots_complexity_raised=len(raised_hotspots),
        ),
    )
    gate["hotspots_raised"] = raised_hotspots
    gate["available"] = available
    gate["min_confidence"] = floor
    with transaction.atomic():
        check.base_run = base
        check.health_score = run.health_score
        check.score_delta = (
            round(run.health_score - base.health_score, 2)
            if base and base.health_score is not None and run.health_score is not None
            else None
        )
        check.new_findings = {**counts, "total": len(new)}
        check.fixed_findings = diff["fixed_count"]
        check.gate = gate
        check.conclusion = ("success" if gate["passed"] else "failure") if gate["enabled"] else "neutral"
        check.status = CheckStatus.COMPLETED
        check.save()
        if gate["enabled"] and not gate["passed"]:
            data = {
                "analysis_id": str(run.pk),
                "repository": {**run.repository.brief(), "full_name": repo.full_name},
                "pull_request": check.pull_request_number,
                "head_sha": check.head_sha,
                "health_score": run.health_score,
                "failed_conditions": gate["failed_conditions"],
            }
            webhook_emit_on_commit(
                organization=run.organization, event_type=QUALITY_GATE_FAILED, data=data, repository=run.repository
            )

    summary = _summary_markdown(check, run, counts) + _trust_markdown(diff)
    if gate["enabled"]:
        title = "Quality gate passed" if gate["passed"] else f"Quality gate failed ({len(gate['failed_conditions'])} conditions)"
    else:
        title = f"Health {run.health_score:.1f} ({run.grade}), {len(new)} new findings"
    annotations: list[dict[str, Any]] = []
    try:
        with installation_client(repo.installation) as gh:
            files = gh.paginate(f"/repos/{repo.full_name}/pulls/{check.pull_request_number}/files")
        annotations = _annotations(new, changed_lines(files))
    except (GithubError, ServiceUnavailable) as exc:
        logger.warning("Could not read the files of %s#%s: %s", repo.full_name, check.pull_request_number, exc)
    _report_check_run(repo, check, {"title": title, "summary": summary}, annotations)
    _upsert_comment(repo, check, run, counts, summary)
    return check


def _report_check_run(
    repo: GithubRepository, check: GithubPullRequestCheck, output: dict[str, str], annotations: list[dict[str, Any]]
) -> None:
    batches = [annotations[i : i + ANNOTATIONS_PER_REQUEST] for i in range(0, len(annotations), ANNOTATIONS_PER_REQUEST)] or [[]]
    try:
        with installation_client(repo.installation) as gh:
            if check.check_run_id is None:
                created = gh.post(
                    f"/repos/{repo.full_name}/check-runs",
                    json={
                        "name": settings.GITHUB_CHECK_NAME,
                        "head_sha": check.head_sha,
                        "status": "in_progress",
                        "external_id": str(check.pk),
                    },
                )
                check.check_run_id = created["id"]
                GithubPullRequestCheck.objects.filter(pk=check.pk).update(check_run_id=created["id"])
            path = f"/repos/{repo.full_name}/check-runs/{check.check_run_id}"
            # GitHub appends the annotations of each update: all but the last batch first, then
            # the completion with the last one.
            for batch in batches[:-1]:
                gh.patch(path, json={"output": {**output, "annotations": batch}})
            gh.patch(
                path,
                json={
                    "status": "completed",
                    "conclusion": check.conclusion or "neutral",
                    "completed_at": timezone.now().isoformat(),
                    "output": {**output, "annotations": batches[-1]},
                },
            )
    except (GithubError, ServiceUnavailable) as exc:
        logger.warning("Could not complete the check run of %s#%s: %s", repo.full_name, check.pull_request_number, exc)
        GithubPullRequestCheck.objects.filter(pk=check.pk).update(error=f"check run: {exc}"[:2000])


def _upsert_comment(
    repo: GithubRepository, check: GithubPullRequestCheck, run: AnalysisRun, counts: dict[str, int], summary: str
) -> None:
    verdict = {"success": "✅ passed", "failure": "❌ failed"}.get(check.conclusion, "not enforced")
    body = "\n".join(
        [
            COMMENT_MARKER,
            f"### Repotoire — quality gate {verdict}",
            "",
            f"Commit `{check.head_sha[:12]}`",
            "",
            summary,
        ]
    )
    try:
        with installation_client(repo.installation) as gh:
            comments = gh.paginate(f"/repos/{repo.full_name}/issues/{check.pull_request_number}/comments")
            mine = next((c for c in comments if COMMENT_MARKER in (c.get("body") or "")), None)
            if mine is not None:
                gh.patch(f"/repos/{repo.full_name}/issues/comments/{mine['id']}", json={"body": body})
            else:
                gh.post(f"/repos/{repo.full_name}/issues/{check.pull_request_number}/comments", json={"body": body})
    except (GithubError, ServiceUnavailable) as exc:
        logger.warning("Could not update the comment on %s#%s: %s", repo.full_name, check.pull_request_number, exc)
        GithubPullRequestCheck.objects.filter(pk=check.pk).update(error=f"comment: {exc}"[:2000])
