"""Opening pull requests on GitHub for approved fix proposals."""

from __future__ import annotations

import logging
import subprocess
import tempfile
from base64 import b64decode
from pathlib import Path
from typing import Any
from urllib.parse import quote

from analysis.models import Repository
from github_app.client import GithubClient, GithubError
from github_app.models import (
    GithubRepository,
)
from github_app.services.tokens import installation_client
from repotoire.api.exceptions import (
    Conflict,
    NotFound,
    ServiceUnavailable,
    ValidationFailed,
)

logger = logging.getLogger("repotoire.github")


# --- opening pull requests (fix proposals) ------------------------------------------------------------
def _link_for(repository: Repository) -> GithubRepository:
    link = (
        GithubRepository.objects.enabled()
        .filter(repository=repository, organization_id=repository.organization_id)
        .select_related("installation")
        .first()
    )
    if link is None:
        raise NotFound("This repository is not connected through the GitHub App")
    if not link.installation.is_active:
        raise Conflict("The GitHub installation of this repository is suspended or removed")
    return link


def _apply_patch(gh: GithubClient, full_name: str, base_sha: str, patch: str) -> dict[str, str | None]:
    """New contents of the files a unified diff touches, applied with ``git apply`` to the base
    versions fetched from GitHub (None = file deleted)."""
    paths: set[str] = set()
    for line in patch.splitlines():
        for prefix in ("--- a/", "+++ b/"):
            if line.startswith(prefix):
                paths.add(line[len(prefix) :].strip())
    with tempfile.TemporaryDirectory(prefix="repotoire-pr-") as tmp:
        root = Path(tmp)
        for path in paths:
            if ".." in Path(path).parts or Path(path).is_absolute():
                raise ValidationFailed(f"The patch touches an unsafe path: {path}")
            try:
                data = gh.get(f"/repos/{full_name}/contents/{quote(path)}", params={"ref": base_sha})
            except GithubError as exc:
                if exc.status == 404:
                    continue
                raise
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(b64decode(data.get("content") or ""))
        result = subprocess.run(  # noqa: S603 - fixed argv, patch on stdin
            ["git", "apply", "--whitespace=nowarn", "-"], cwd=root, input=patch.encode(), capture_output=True, timeout=60
        )
        if result.returncode != 0:
            raise Conflict("The patch does not apply to the base branch: " + result.stderr.decode(errors="replace")[:500])
        return {path: (root / path).read_text() if (root / path).exists() else None for path in paths}


def github_open_pull_request(
    *,
    repository: Repository,
    branch: str,
    base: str,
    title: str,
    body: str,
    files: dict[str, str | None] | None = None,
    patch: str | None = None,
    commit_message: str,
) -> dict[str, Any]:
    """Commit ``files`` ({path: new content, None to delete}) or a unified ``patch`` on top of
    ``base`` as a new ``branch`` (git data API: blobs, tree, commit, ref) and open a pull request.

    Returns ``{"branch", "commit_sha", "pull_request_url", "pull_request_number"}``. A branch that
    already exists is moved to the new commit; a pull request already open for it is reused.
    Raises NotFound (not a GitHub App repository), Conflict (patch does not apply, installation
    suspended) or ServiceUnavailable (GitHub unreachable or refusing). The fixes app calls this:
    keep the signature stable.
    """
    if (files is None) == (patch is None):
        raise ValidationFailed("Give either files or patch")
    link = _link_for(repository)
    name = link.full_name
    try:
        with installation_client(link.installation) as gh:
            ref = gh.get(f"/repos/{name}/git/ref/heads/{quote(base, safe='/')}")
            base_sha = ref["object"]["sha"]
            base_tree = gh.get(f"/repos/{name}/git/commits/{base_sha}")["tree"]["sha"]
            contents = files if files is not None else _apply_patch(gh, name, base_sha, patch or "")
            tree = []
            for path, content in sorted(contents.items()):
                if content is None:
                    tree.append({"path": path, "mode": "100644", "type": "blob", "sha": None})
                    continue
                blob = gh.post(f"/repos/{name}/git/blobs", json={"content": content, "encoding": "utf-8"})
                tree.append({"path": path, "mode": "100644", "type": "blob", "sha": blob["sha"]})
            new_tree = gh.post(f"/repos/{name}/git/trees", json={"base_tree": base_tree, "tree": tree})
            commit = gh.post(
                f"/repos/{name}/git/commits", json={"message": commit_message, "tree": new_tree["sha"], "parents": [base_sha]}
            )
            try:
                gh.post(f"/repos/{name}/git/refs", json={"ref": f"refs/heads/{branch}", "sha": commit["sha"]})
            except GithubError as exc:
                if exc.status != 422:
                    raise
                gh.patch(f"/repos/{name}/git/refs/heads/{quote(branch, safe='/')}", json={"sha": commit["sha"], "force": True})
            try:
                pr = gh.post(f"/repos/{name}/pulls", json={"title": title, "head": branch, "base": base, "body": body})
            except GithubError as exc:
                if exc.status != 422:
                    raise
                open_prs = gh.get(f"/repos/{name}/pulls", params={"head": f"{link.owner}:{branch}", "state": "open"})
                if not open_prs:
                    raise
                pr = open_prs[0]
    except GithubError as exc:
        raise ServiceUnavailable(f"GitHub refused to open the pull request: {exc}") from exc
    return {
        "branch": branch,
        "commit_sha": commit["sha"],
        "pull_request_url": pr.get("html_url") or pr.get("url"),
        "pull_request_number": pr.get("number"),
    }
