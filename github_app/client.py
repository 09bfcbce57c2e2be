"""A small GitHub REST client on httpx: app JWTs, installation tokens and rate-limit care.

* The app authenticates with a JWT (RS256, ``iat`` 60 s in the past against clock drift, ``exp``
  9 minutes ahead: GitHub refuses more than 10).
* Installation access tokens are cached on the installation row, Fernet-encrypted, until five
  minutes before they expire (see ``github_app.services.installation_token``); they are never
  logged (the request log below prints method, path and status only).
* Primary limits (``x-ratelimit-remaining: 0`` with a 403/429) wait until ``x-ratelimit-reset``;
  secondary limits (403/429 with ``Retry-After``) wait that long; both bounded by
  ``GITHUB_RATE_LIMIT_MAX_WAIT_SECONDS`` and ``GITHUB_RATE_LIMIT_RETRIES``, after which the
  error is raised. Transient 502/503/504 are retried once.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
from django.conf import settings

logger = logging.getLogger("repotoire.github")

API_VERSION = "2022-11-28"
_TRANSIENT = {502, 503, 504}


class GithubError(Exception):
    """GitHub answered with an error (or could not be reached)."""

    def __init__(self, message: str, *, status: int | None = None, body: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = body


class GithubNotConfigured(GithubError):
    pass


def app_jwt(*, app_id: str | None = None, private_key: str | None = None, now: float | None = None) -> str:
    """A JWT that authenticates as the GitHub App itself."""
    app_id = app_id or settings.GITHUB_APP_ID
    private_key = private_key or settings.GITHUB_APP_PRIVATE_KEY
    if not app_id or not private_key:
        raise GithubNotConfigured("GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY are required")
    issued = int(now if now is not None else time.time())
    payload = {"iat": issued - 60, "exp": issued + 540, "iss": str(app_id)}
    return jwt.encode(payload, private_key, algorithm="RS256")


@dataclass
class GithubResponse:
    status: int
    data: Any
    headers: httpx.Headers


def _retry_wait(response: httpx.Response) -> float | None:
    """Seconds to wait before retrying a rate-limited answer, or None when it is not one."""
    if response.status_code not in (403, 429):
        return None
    retry_after = response.headers.get("retry-after")
    if retry_after is not None:
        try:
            return max(float(retry_after), 0.0)
        except ValueError:
            return 60.0
    if response.headers.get("x-ratelimit-remaining") == "0":
        reset = response.headers.get("x-ratelimit-reset")
        try:
            return max(float(reset) - time.time(), 0.0) + 1.0 if reset else 60.0
        except ValueError:
            return 60.0
    if response.status_code == 429:
        return 60.0
    text = response.text.lower()
    if "secondary rate limit" in text:
        # GitHub's advice without a Retry-After: wait at least a minute.
        return 60.0
    return None


class GithubClient:
    """Calls GitHub as the app (``token=None``: app JWT) or as an installation (``token``)."""

    def __init__(self, *, token: str | None = None, base_url: str | None = None, timeout: float = 20.0) -> None:
        self._token = token
        self.base_url = (base_url or settings.GITHUB_API_URL).rstrip("/")
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout, follow_redirects=False)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> GithubClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _headers(self) -> dict[str, str]:
        auth = f"token {self._token}" if self._token else f"Bearer {app_jwt()}"
        return {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": f"repotoire-github-app/{settings.GITHUB_APP_SLUG}",
            "Authorization": auth,
        }

    def request(self, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None) -> GithubResponse:
        retries = int(settings.GITHUB_RATE_LIMIT_RETRIES)
        max_wait = float(settings.GITHUB_RATE_LIMIT_MAX_WAIT_SECONDS)
        transient_left = 1
        attempt = 0
        while True:
            try:
                response = self._http.request(method, path, json=json, params=params, headers=self._headers())
            except httpx.HTTPError as exc:
                raise GithubError(f"GitHub is unreachable: {exc.__class__.__name__}") from exc
            logger.debug("GitHub %s %s -> %s", method, path, response.status_code)
            wait = _retry_wait(response)
            if wait is not None and attempt < retries:
                attempt += 1
                logger.info("GitHub rate limit on %s %s; retrying in %.1f s", method, path, min(wait, max_wait))
                time.sleep(min(wait, max_wait))
                continue
            if response.status_code in _TRANSIENT and transient_left:
                transient_left -= 1
                time.sleep(min(1.0, max_wait))
                continue
            data: Any = None
            if response.content:
                try:
                    data = response.json()
                except ValueError:
                    data = response.text
            if response.status_code >= 400:
                message = data.get("message") if isinstance(data, dict) else None
                raise GithubError(
                    f"GitHub {method} {path} answered {response.status_code}: {message or 'error'}",
                    status=response.status_code,
                    body=data,
                )
            return GithubResponse(status=response.status_code, data=data, headers=response.headers)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs).data

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.request("POST", path, **kwargs).data

    def patch(self, path: str, **kwargs: Any) -> Any:
        return self.request("PATCH", path, **kwargs).data

    def paginate(
        self, path: str, *, key: str | None = None, params: dict[str, Any] | None = None, max_pages: int = 50
    ) -> list[Any]:
        """Every item of a paginated list (``key`` names the list inside an object answer)."""
        items: list[Any] = []
        query = {"per_page": 100, **(params or {})}
        for page in range(1, max_pages + 1):
            data = self.request("GET", path, params={**query, "page": page}).data
            batch = (data or {}).get(key, []) if key else (data or [])
            items.extend(batch)
            if len(batch) < query["per_page"]:
                break
        return items
