"""Post-analysis hooks: django-q2 tasks enqueued with the run id once a run has completed.

The list lives here, in code; settings only switch hooks on and off by name
(``REPOTOIRE_POST_ANALYSIS_HOOKS``). Hooks are named by their task's dotted path, so analysis
imports none of the apps above it that own them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class PostAnalysisHook:
    name: str
    task: str
    # also after pull-request runs (they describe an unmerged branch and move no repository state)
    pull_requests: bool = False
    # bulk work, on the background cluster's queue so it never holds up analyses
    background: bool = False


POST_ANALYSIS_HOOKS: list[PostAnalysisHook] = [
    PostAnalysisHook("codesearch-index", "codesearch.tasks.codesearch_index_run_task", background=True),
    PostAnalysisHook("github", "github_app.tasks.github_after_analysis_task", pull_requests=True),
    PostAnalysisHook("fixes", "fixes.tasks.fixes_after_analysis_task", background=True),
]


def post_analysis_hooks(*, pull_request: bool) -> list[PostAnalysisHook]:
    """The hooks switched on for a completed run (a pull-request run or not)."""
    switched_on = settings.REPOTOIRE_POST_ANALYSIS_HOOKS
    return [h for h in POST_ANALYSIS_HOOKS if switched_on.get(h.name, False) and (h.pull_requests or not pull_request)]
