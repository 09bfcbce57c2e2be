"""Every write and side effect of the GitHub App.

GitHub is called outside database transactions (a slow GitHub never holds a row lock), and a
GitHub failure while reporting a result is recorded on the check, never raised into a run.

Modules: ``intake`` (signature, deliveries, the event → handler table), ``installations``
(installation and repository events), ``tokens`` (installation tokens, clients, clone
credentials), ``setup`` (install URL and setup callback), ``quality_gates`` (enabling repositories,
gates), ``dispatch`` (push and pull-request analyses), ``reporting`` (check runs, comments, gate
results), ``pull_requests`` (opening pull requests for fix proposals).
"""

from __future__ import annotations

from github_app.services.dispatch import (
    DISPATCH_TASK,
    PR_ACTIONS,
    github_after_analysis,
    github_dispatch_pending,
    github_sweep,
)
from github_app.services.intake import (
    HANDLED_EVENTS,
    PROCESS_TASK,
    github_delivery_process,
    github_delivery_receive,
    github_verify_signature,
)
from github_app.services.pull_requests import github_open_pull_request
from github_app.services.quality_gates import github_quality_gate_update, github_repos_set_enabled
from github_app.services.reporting import COMMENT_MARKER, changed_lines, github_pull_request_report
from github_app.services.setup import (
    SETUP_REQUESTED_DETAIL,
    github_install_url,
    github_installation_sync,
    github_setup_complete,
    github_setup_requested,
)
from github_app.services.tokens import TOKEN_MARGIN, github_clone_auth_headers, installation_client, installation_token

__all__ = [
    "COMMENT_MARKER",
    "DISPATCH_TASK",
    "HANDLED_EVENTS",
    "PROCESS_TASK",
    "PR_ACTIONS",
    "SETUP_REQUESTED_DETAIL",
    "TOKEN_MARGIN",
    "changed_lines",
    "github_after_analysis",
    "github_clone_auth_headers",
    "github_delivery_process",
    "github_delivery_receive",
    "github_dispatch_pending",
    "github_install_url",
    "github_installation_sync",
    "github_open_pull_request",
    "github_pull_request_report",
    "github_quality_gate_update",
    "github_repos_set_enabled",
    "github_setup_complete",
    "github_setup_requested",
    "github_sweep",
    "github_verify_signature",
    "installation_client",
    "installation_token",
]
