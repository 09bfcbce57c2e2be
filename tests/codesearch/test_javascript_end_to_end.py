"""A JavaScript/TypeScript repository (with one Python module: a mixed repository in one run)
through the platform: trigger over the API, the findings API filtered by language, the SARIF and
Markdown reports, and code search over the TypeScript chunks."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis import services as analysis_services
from analysis.models import AnalysisRun
from codesearch.models import CodeChunk
from tests.codesearch.conftest import commit, git, index

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

SERVER_JS = """\
const express = require("express");
const { exec } = require("child_process");
const app = express();

app.get("/ping", (req, res) => {
  const host = req.query.host;
  exec(`ping -c 1 ${host}`, (err, out) => res.send(out));
});

module.exports = app;
"""
CART_TS = """\
import { formatPrice } from "./format";

/** A shopping cart. */
export class Cart {
  private items: number[] = [];

  /** Add the price of one item to the cart. */
  add(price: number): void {
    this.items.push(price);
  }

  /** Sum of the prices of every item in the cart. */
  total(): string {
    return formatPrice(this.items.reduce((sum, price) => sum + price, 0));
  }
}
"""
FORMAT_TS = 'import { unused } from "./cart";\n\n/** Two decimals. */\nexport function formatPrice(value: number): string {\n  return value == 0 ? "free" : value.toFixed(2);\n}\n'
TOOL_PY = '"""A tool."""\n\n\ndef run():\n    """Run it."""\n    return 1\n'


@pytest.fixture
def js_repo(tmp_path: Path) -> Path:
    path = tmp_path / "shop"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    commit(
        path, {"server.js": SERVER_JS, "src/cart.ts": CART_TS, "src/format.ts": FORMAT_TS, "tools/tool.py": TOOL_PY}, "initial"
    )
    return path


def test_javascript_repository_through_the_platform(org, member, js_repo, q_sync, django_capture_on_commit_callbacks):
    repo = analysis_services.repository_create(organization=org, name="shop", clone_url=str(js_repo))
    with django_capture_on_commit_callbacks(execute=True):
        response = member.client.post("/api/v1/analysis/trigger", {"repository_id": str(repo.pk)}, format="json")
    assert response.status_code == 202, response.json()
    run_id = response.json()["id"]
    assert member.client.get(f"/api/v1/analysis/{run_id}/status").json()["status"] == "completed"

    findings = member.client.get("/api/v1/findings", {"repository_id": repo.pk, "scope": "all", "min_confidence": 0}).json()[
        "results"
    ]
    by_detector = {(f["detector"], f["path"]): f for f in findings}
    injection = by_detector[("command-injection", "server.js")]
    assert injection["language"] == "javascript" and injection["kind"] == "vulnerability"
    assert [step["line"] for step in injection["taint_path"]][-1] == 7
    assert by_detector[("unused-import", "src/format.ts")]["language"] == "typescript"
    assert by_detector[("loose-equality", "src/format.ts")]["language"] == "typescript"
    typescript = member.client.get("/api/v1/findings", {"language": "typescript", "scope": "all", "min_confidence": 0}).json()
    assert {f["path"] for f in typescript["results"]} <= {"src/cart.ts", "src/format.ts"}
    summary = member.client.get("/api/v1/findings/summary", {"analysis_id": run_id}).json()
    assert set(summary["by_language"]) <= {"javascript", "typescript", "python"} and summary["by_language"]

    sarif = member.client.get(f"/api/v1/analysis/{run_id}/report", {"format": "sarif"})
    assert sarif.status_code == 200
    regions = [r["locations"][0]["physicalLocation"]["region"] for r in sarif.json()["runs"][0]["results"]]
    assert {"javascript", "typescript"} <= {r["sourceLanguage"] for r in regions}
    markdown = member.client.get(f"/api/v1/analysis/{run_id}/report", {"format": "markdown"})
    assert "## Languages" in markdown.content.decode()

    index(AnalysisRun.objects.get(pk=run_id), django_capture_on_commit_callbacks)
    chunks = CodeChunk.objects.for_org(org)
    assert chunks.filter(language="typescript", qualname="src/cart.ts.Cart.total", kind="method").exists()
    hits = member.client.post(
        "/api/v1/code/search", {"query": "sum of the prices in the cart", "language": "typescript"}, format="json"
    )
    assert hits.status_code == 200, hits.json()
    top = hits.json()["results"][0]
    assert top["file"] == "src/cart.ts" and top["language"] == "typescript"
