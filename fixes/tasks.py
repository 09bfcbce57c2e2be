"""django-q2 tasks of the fixes app: thin, they take ids and call one service."""

from __future__ import annotations

from fixes import services


def fix_generate_task(proposal_id: str) -> str | None:
    """Generate and validate the diff of a ``generating`` proposal; returns its final status."""
    proposal = services.fix_generate(proposal_id=proposal_id)
    return proposal.status if proposal is not None else None


def fixes_after_analysis_task(run_id: str) -> dict[str, int]:
    """Post-analysis hook (analysis.hooks): stale marking and automatic proposals."""
    return services.fixes_after_analysis(run_id=run_id)
