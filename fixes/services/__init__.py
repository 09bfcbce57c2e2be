"""Fix proposals: every write and side effect of the fixes app.

* ``fix_request`` (``POST /findings/{id}/fix``) creates a ``generating`` proposal (or returns the
  live one for the same finding and commit) and enqueues ``fix_generate``.
* ``fix_generate`` checks the base commit out in a sandbox, produces a diff (a rule-based fixer
  first, else the LLM when configured and in the plan), validates it there (applies, parses,
  re-analysis, tests) and only then makes it ``pending`` — or ``invalid`` with the evidence.
* ``fixes_after_analysis`` (post-analysis hook) marks proposals whose base files changed
  ``stale`` and generates rule-based proposals for the run's covered findings (capped).
* ``fix_approve`` / ``fix_reject`` / ``fix_reopen`` / ``fix_apply`` / ``fix_preview``: the review
  workflow; a transition outside ``ALLOWED_TRANSITIONS`` is a 409 CONFLICT.

Modules: ``states`` (the state machine and review actions), ``generation`` (request and
generate), ``after_analysis`` (the post-analysis hook), ``preview``, ``apply``.
"""

from __future__ import annotations

from fixes.services.after_analysis import fixes_after_analysis, fixes_auto_generate, fixes_mark_stale
from fixes.services.apply import fix_apply
from fixes.services.generation import GENERATE_TASK, finding_ref, fix_generate, fix_request, llm_available
from fixes.services.preview import base_changed, fix_preview
from fixes.services.states import fix_approve, fix_reject, fix_reopen

__all__ = [
    "GENERATE_TASK",
    "base_changed",
    "finding_ref",
    "fix_apply",
    "fix_approve",
    "fix_generate",
    "fix_preview",
    "fix_reject",
    "fix_reopen",
    "fix_request",
    "fixes_after_analysis",
    "fixes_auto_generate",
    "fixes_mark_stale",
    "llm_available",
]
