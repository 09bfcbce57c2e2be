"""A GitHub stand-in on 127.0.0.1: the REST endpoints the GitHub App calls, with real app-JWT
verification (RS256 against the app's public key) and installation tokens, recording requests.

State lives in plain dicts the tests arrange and inspect. ``fail_next(method, path_prefix,
response)`` makes the next matching request answer ``response`` (e.g. a secondary rate limit).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import jwt

from tests.stubs.http import Recorded, StubResponse, StubServer


@dataclass
class FakeRepo:
    id: int
    full_name: str
    clone_url: str
    default_branch: str = "main"
    private: bool = True
    installation_id: int = 0

    def json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.full_name.split("/")[1],
            "full_name": self.full_name,
            "private": self.private,
            "default_branch": self.default_branch,
            "clone_url": self.clone_url,
            "html_url": f"https://github.example.test/{self.full_name}",
            "owner": {"login": self.full_name.split("/")[0]},
        }


@dataclass
class FakeGithub:
    app_id: str
    public_key: str
    token_ttl: timedelta = timedelta(hours=1)
    installations: dict[int, dict[str, Any]] = field(default_factory=dict)
    repos: dict[str, FakeRepo] = field(default_factory=dict)
    tokens: dict[str, tuple[int, datetime]] = field(default_factory=dict)
    check_runs: dict[int, dict[str, Any]] = field(default_factory=dict)
    comments: dict[int, dict[str, Any]] = field(default_factory=dict)
    pull_files: dict[tuple[str, int], list[dict[str, Any]]] = field(default_factory=dict)
    contents: dict[tuple[str, str], bytes] = field(default_factory=dict)  # (full_name, path) -> bytes at base
    refs: dict[tuple[str, str], str] = field(default_factory=dict)  # (full_name, branch) -> sha
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)  # sha -> blob/tree/commit
    pulls: list[dict[str, Any]] = field(default_factory=list)
    failures: list[tuple[str, str, StubResponse]] = field(default_factory=list)
    # OAuth: code -> GitHub user login; user login -> installation ids that user can access.
    oauth_codes: dict[str, str] = field(default_factory=dict)
    user_installations: dict[str, list[int]] = field(default_factory=dict)
    user_tokens: dict[str, str] = field(default_factory=dict)
    _ids: int = 1000
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.server = StubServer(self.handle)

    # --- arranging -----------------------------------------------------------------------
    def add_installation(self, installation_id: int, login: str = "acme-gh") -> dict[str, Any]:
        data = {
            "id": installation_id,
            "account": {"login": login, "id": installation_id * 10, "type": "Organization"},
            "repository_selection": "selected",
            "permissions": {"checks": "write", "contents": "write", "pull_requests": "write", "metadata": "read"},
            "events": ["push", "pull_request", "check_run"],
            "target_type": "Organization",
        }
        self.installations[installation_id] = data
        return data

    def add_repo(self, repo: FakeRepo) -> FakeRepo:
        self.repos[repo.full_name] = repo
        return repo

    def fail_next(self, method: str, path_prefix: str, response: StubResponse) -> None:
        self.failures.append((method, path_prefix, response))

    @property
    def requests(self) -> list[Recorded]:
        return self.server.requests

    def calls(self, method: str, pattern: str) -> list[Recorded]:
        rx = re.compile(pattern)
        return [r for r in self.requests if r.method == method and rx.search(urlsplit(r.path).path)]

    def _next_id(self) -> int:
        with self._lock:
            self._ids += 1
            return self._ids

    # --- serving -----------------------------------------------------------------------------
    def handle(self, req: Recorded) -> StubResponse:
        parts = urlsplit(req.path)
        path, query = unquote(parts.path), parse_qs(parts.query)
        for i, (method, prefix, response) in enumerate(self.failures):
            if method == req.method and path.startswith(prefix):
                del self.failures[i]
                return response
        if path == "/login/oauth/access_token" and req.method == "POST":
            return self._oauth(parse_qs(req.body.decode()))
        body = json.loads(req.body) if req.body else {}
        auth = req.headers.get("Authorization", "")
        if path == "/user/installations":
            login = self.user_tokens.get(auth.removeprefix("token "))
            if login is None:
                return StubResponse(401, {"message": "Bad credentials"})
            found = [self.installations[i] for i in self.user_installations.get(login, []) if i in self.installations]
            return StubResponse(200, {"total_count": len(found), "installations": found})
        if path.startswith("/app/"):
            if not self._valid_app_jwt(auth):
                return StubResponse(401, {"message": "A JSON web token could not be decoded"})
            return self._app(req.method, path)
        installation_id = self._installation_of(auth)
        if installation_id is None:
            return StubResponse(401, {"message": "Bad credentials"})
        return self._installation(req.method, path, query, body, installation_id)

    def _oauth(self, form: dict[str, list[str]]) -> StubResponse:
        # GitHub answers 200 with an error field for a bad code.
        login = self.oauth_codes.pop(form.get("code", [""])[0], None)
        if form.get("client_id") != ["Iv1.test"] or form.get("client_secret") != ["oauth-secret"] or login is None:
            return StubResponse(200, {"error": "bad_verification_code"})
        token = "ghu_" + secrets.token_hex(16)
        self.user_tokens[token] = login
        return StubResponse(200, {"access_token": token, "token_type": "bearer", "scope": ""})

    def _valid_app_jwt(self, auth: str) -> bool:
        if not auth.startswith("Bearer "):
            return False
        try:
            claims = jwt.decode(auth[7:], self.public_key, algorithms=["RS256"], options={"require": ["iat", "exp", "iss"]})
        except jwt.PyJWTError:
            return False
        return str(claims["iss"]) == self.app_id and claims["exp"] - claims["iat"] <= 600

    def _installation_of(self, auth: str) -> int | None:
        if not auth.startswith("token "):
            return None
        entry = self.tokens.get(auth[6:])
        if entry is None or entry[1] <= datetime.now(UTC):
            return None
        return entry[0]

    def _app(self, method: str, path: str) -> StubResponse:
        m = re.fullmatch(r"/app/installations/(\d+)(/access_tokens)?", path)
        if not m or int(m.group(1)) not in self.installations:
            return StubResponse(404, {"message": "Not Found"})
        installation_id = int(m.group(1))
        if m.group(2) and method == "POST":
            token = "ghs_" + secrets.token_hex(16)
            expires = datetime.now(UTC) + self.token_ttl
            self.tokens[token] = (installation_id, expires)
            return StubResponse(201, {"token": token, "expires_at": expires.strftime("%Y-%m-%dT%H:%M:%SZ")})
        return StubResponse(200, self.installations[installation_id])

    def _repo_of(self, path: str, installation_id: int) -> tuple[FakeRepo | None, str]:
        m = re.match(r"/repos/([^/]+/[^/]+)(.*)$", path)
        if not m:
            return None, path
        repo = self.repos.get(m.group(1))
        if repo is None or repo.installation_id != installation_id:
            return None, m.group(2)
        return repo, m.group(2)

    def _store(self, kind: str, data: dict[str, Any]) -> str:
        sha = hashlib.sha1(json.dumps([kind, data], sort_keys=True).encode()).hexdigest()  # noqa: S324 - a fake object id
        self.objects[sha] = {"kind": kind, **data}
        return sha

    def _installation(self, method: str, path: str, query: dict[str, list[str]], body: Any, installation_id: int) -> StubResponse:
        if path == "/installation/repositories":
            repos = [r.json() for r in self.repos.values() if r.installation_id == installation_id]
            return StubResponse(200, {"total_count": len(repos), "repositories": repos})
        repo, rest = self._repo_of(path, installation_id)
        if repo is None:
            return StubResponse(404, {"message": "Not Found"})
        name = repo.full_name
        if rest == "" and method == "GET":
            return StubResponse(200, repo.json())
        if rest == "/check-runs" and method == "POST":
            run_id = self._next_id()
            self.check_runs[run_id] = {
                **body,
                "id": run_id,
                "repo": name,
                "annotations": list(body.get("output", {}).get("annotations", [])),
            }
            return StubResponse(201, {"id": run_id, "status": body.get("status")})
        m = re.fullmatch(r"/check-runs/(\d+)", rest)
        if m and method == "PATCH":
            run = self.check_runs.get(int(m.group(1)))
            if run is None:
                return StubResponse(404, {"message": "Not Found"})
            annotations = body.get("output", {}).get("annotations", [])
            if len(annotations) > 50:
                return StubResponse(422, {"message": "Only 50 annotations are allowed per request"})
            run["annotations"].extend(annotations)
            run.update({k: v for k, v in body.items() if k != "output"})
            run["output"] = {k: v for k, v in body.get("output", {}).items() if k != "annotations"}
            return StubResponse(200, {"id": run["id"], "status": run.get("status")})
        m = re.fullmatch(r"/pulls/(\d+)/files", rest)
        if m and method == "GET":
            files = self.pull_files.get((name, int(m.group(1))), [])
            page, per_page = int(query.get("page", ["1"])[0]), int(query.get("per_page", ["30"])[0])
            return StubResponse(200, files[(page - 1) * per_page : page * per_page])
        m = re.fullmatch(r"/issues/(\d+)/comments", rest)
        if m:
            number = int(m.group(1))
            if method == "POST":
                comment_id = self._next_id()
                self.comments[comment_id] = {"id": comment_id, "body": body["body"], "repo": name, "number": number}
                return StubResponse(201, self.comments[comment_id])
            mine = [c for c in self.comments.values() if c["repo"] == name and c["number"] == number]
            page, per_page = int(query.get("page", ["1"])[0]), int(query.get("per_page", ["30"])[0])
            return StubResponse(200, mine[(page - 1) * per_page : page * per_page])
        m = re.fullmatch(r"/issues/comments/(\d+)", rest)
        if m and method == "PATCH":
            comment = self.comments.get(int(m.group(1)))
            if comment is None:
                return StubResponse(404, {"message": "Not Found"})
            comment["body"] = body["body"]
            return StubResponse(200, comment)
        return self._git(method, rest, query, body, name)

    def _git(self, method: str, rest: str, query: dict[str, list[str]], body: Any, name: str) -> StubResponse:
        m = re.fullmatch(r"/git/ref/heads/(.+)", rest)
        if m and method == "GET":
            sha = self.refs.get((name, m.group(1)))
            if sha is None:
                return StubResponse(404, {"message": "Not Found"})
            return StubResponse(200, {"ref": f"refs/heads/{m.group(1)}", "object": {"sha": sha, "type": "commit"}})
        m = re.fullmatch(r"/git/commits/([0-9a-f]+)", rest)
        if m and method == "GET":
            obj = self.objects.get(m.group(1))
            if obj is None or obj["kind"] != "commit":
                return StubResponse(404, {"message": "Not Found"})
            return StubResponse(200, {"sha": m.group(1), "tree": {"sha": obj["tree"]}, "parents": obj["parents"]})
        if rest == "/git/blobs" and method == "POST":
            return StubResponse(201, {"sha": self._store("blob", {"content": body["content"]})})
        if rest == "/git/trees" and method == "POST":
            return StubResponse(201, {"sha": self._store("tree", {"base_tree": body.get("base_tree"), "tree": body["tree"]})})
        if rest == "/git/commits" and method == "POST":
            sha = self._store("commit", {"message": body["message"], "tree": body["tree"], "parents": body["parents"]})
            return StubResponse(201, {"sha": sha})
        if rest == "/git/refs" and method == "POST":
            branch = body["ref"].removeprefix("refs/heads/")
            if (name, branch) in self.refs:
                return StubResponse(422, {"message": "Reference already exists"})
            self.refs[(name, branch)] = body["sha"]
            return StubResponse(201, {"ref": body["ref"], "object": {"sha": body["sha"]}})
        m = re.fullmatch(r"/git/refs/heads/(.+)", rest)
        if m and method == "PATCH":
            self.refs[(name, m.group(1))] = body["sha"]
            return StubResponse(200, {"ref": f"refs/heads/{m.group(1)}", "object": {"sha": body["sha"]}})
        m = re.fullmatch(r"/contents/(.+)", rest)
        if m and method == "GET":
            data = self.contents.get((name, m.group(1)))
            if data is None:
                return StubResponse(404, {"message": "Not Found"})
            return StubResponse(200, {"type": "file", "encoding": "base64", "content": base64.b64encode(data).decode()})
        if rest == "/pulls" and method == "POST":
            if any(p["head"] == body["head"] and p["repo"] == name for p in self.pulls):
                return StubResponse(422, {"message": "A pull request already exists"})
            number = len(self.pulls) + 1
            pr = {**body, "repo": name, "number": number, "html_url": f"https://github.example.test/{name}/pull/{number}"}
            self.pulls.append(pr)
            return StubResponse(201, pr)
        if rest == "/pulls" and method == "GET":
            head = query.get("head", [""])[0].split(":")[-1]
            return StubResponse(200, [p for p in self.pulls if p["repo"] == name and p["head"] == head])
        return StubResponse(404, {"message": f"Not Found: {method} {rest}"})
