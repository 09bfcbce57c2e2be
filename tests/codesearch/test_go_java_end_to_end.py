"""A Go repository and a Java repository through the platform: trigger over the API, the findings
API (security with its taint path, bug risk, the language filter and summary), the SARIF and
Markdown reports, and code search over the methods."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis import services as analysis_services
from analysis.models import AnalysisRun
from codesearch.models import CodeChunk
from tests.codesearch.conftest import commit, git, index

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

GO_MOD = "module example.com/shop\n\ngo 1.21\n"
SERVER_GO = """\
package main

import (
	"net/http"
	"os/exec"

	"example.com/shop/store"
)

func ping(w http.ResponseWriter, r *http.Request) {
	host := r.URL.Query().Get("host")
	out, _ := exec.Command("sh", "-c", "ping -c 1 "+host).Output()
	w.Write(out)
}

func main() {
	store.Open("shop.db")
	http.HandleFunc("/ping", ping)
	http.ListenAndServe(":8080", nil)
}
"""
STORE_GO = """\
package store

import "os"

// Cart holds the prices of the items a customer picked.
type Cart struct {
	Items []int
}

// Total is the sum of the prices of every item in the cart.
func (c *Cart) Total() int {
	sum := 0
	for _, price := range c.Items {
		sum += price
	}
	return sum
}

// Open opens the store's database file.
func Open(path string) error {
	os.Remove(path + ".lock")
	for _, name := range []string{path, path + ".wal"} {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
	}
	return nil
}
"""


def _repo(tmp_path: Path, name: str, files: dict[str, str]) -> Path:
    path = tmp_path / name
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    commit(path, files, "initial")
    return path


def _analyse(org, member, clone_url: Path, capture) -> tuple[object, str]:
    repo = analysis_services.repository_create(organization=org, name=clone_url.name, clone_url=str(clone_url))
    with capture(execute=True):
        response = member.client.post("/api/v1/analysis/trigger", {"repository_id": str(repo.pk)}, format="json")
    assert response.status_code == 202, response.json()
    run_id = response.json()["id"]
    assert member.client.get(f"/api/v1/analysis/{run_id}/status").json()["status"] == "completed"
    return repo, run_id


def _findings(member, **params) -> list[dict]:
    response = member.client.get("/api/v1/findings", {"scope": "all", "min_confidence": 0, **params})
    assert response.status_code == 200, response.json()
    return response.json()["results"]


def _reports(member, run_id: str, language: str) -> None:
    sarif = member.client.get(f"/api/v1/analysis/{run_id}/report", {"format": "sarif"})
    assert sarif.status_code == 200
    regions = [r["locations"][0]["physicalLocation"]["region"] for r in sarif.json()["runs"][0]["results"]]
    assert language in {r["sourceLanguage"] for r in regions}
    markdown = member.client.get(f"/api/v1/analysis/{run_id}/report", {"format": "markdown"})
    assert markdown.status_code == 200 and "## Languages" in markdown.content.decode()


def test_go_repository_through_the_platform(org, member, tmp_path, q_sync, django_capture_on_commit_callbacks):
    clone = _repo(tmp_path, "goshop", {"go.mod": GO_MOD, "main.go": SERVER_GO, "store/store.go": STORE_GO})
    repo, run_id = _analyse(org, member, clone, django_capture_on_commit_callbacks)

    findings = _findings(member, repository_id=repo.pk)
    by_detector = {(f["detector"], f["path"]): f for f in findings}
    injection = by_detector[("command-injection", "main.go")]
    assert injection["language"] == "go" and injection["kind"] == "vulnerability"
    assert [step["line"] for step in injection["taint_path"]] == [11, 11, 12]
    assert by_detector[("defer-in-loop", "store/store.go")]["line"] == 27
    ignored = {(f["path"], f["line"]) for f in findings if f["detector"] == "ignored-error"}
    assert {("main.go", 19), ("store/store.go", 21)} <= ignored
    go_only = _findings(member, repository_id=repo.pk, language="go")
    assert go_only and {f["language"] for f in go_only} == {"go"}
    summary = member.client.get("/api/v1/findings/summary", {"analysis_id": run_id}).json()
    assert set(summary["by_language"]) == {"go"}
    _reports(member, run_id, "go")

    index(AnalysisRun.objects.get(pk=run_id), django_capture_on_commit_callbacks)
    assert CodeChunk.objects.for_org(org).filter(language="go", qualname="store/store.go.Cart.Total", kind="method").exists()
    hits = member.client.post("/api/v1/code/search", {"query": "sum of the prices in the cart", "language": "go"}, format="json")
    assert hits.status_code == 200, hits.json()
    top = hits.json()["results"][0]
    assert top["file"] == "store/store.go" and top["language"] == "go"


CONTROLLER_JAVA = """\
package com.shop.web;

import com.shop.model.*;
import java.sql.Connection;
import java.sql.ResultSet;
import javax.servlet.http.HttpServletRequest;

public class OrderController {
    private Connection connection;

    public ResultSet find(HttpServletRequest request) throws Exception {
        String id = request.getParameter("id");
        return connection.createStatement().executeQuery("SELECT * FROM orders WHERE id = '" + id + "'");
    }

    public boolean isAdmin(String role) {
        try {
            return new Cart().total() > 0 && role == "admin";
        } catch (RuntimeException e) {
        }
        return false;
    }
}
"""
CART_JAVA = """\
package com.shop.model;

/** A shopping cart: the prices of the items a customer picked. */
public class Cart extends Basket implements Priced {
    private final int[] items = new int[0];

    /** Sum of the prices of every item in the cart. */
    public int total() {
        int sum = 0;
        for (int price : items) {
            sum += price;
        }
        return sum;
    }
}
"""
BASKET_JAVA = "package com.shop.model;\n\npublic abstract class Basket { }\n"
PRICED_JAVA = "package com.shop.model;\n\npublic interface Priced { int total(); }\n"


def test_java_repository_through_the_platform(org, member, tmp_path, q_sync, django_capture_on_commit_callbacks):
    base = "src/main/java/com/shop/"
    clone = _repo(
        tmp_path,
        "javashop",
        {
            base + "web/OrderController.java": CONTROLLER_JAVA,
            base + "model/Cart.java": CART_JAVA,
            base + "model/Basket.java": BASKET_JAVA,
            base + "model/Priced.java": PRICED_JAVA,
        },
    )
    repo, run_id = _analyse(org, member, clone, django_capture_on_commit_callbacks)

    controller = base + "web/OrderController.java"
    findings = _findings(member, repository_id=repo.pk)
    by_detector = {(f["detector"], f["path"]): f for f in findings}
    sql = by_detector[("sql-injection", controller)]
    assert sql["language"] == "java" and sql["kind"] == "vulnerability"
    assert [step["line"] for step in sql["taint_path"]] == [12, 12, 13]
    assert by_detector[("string-reference-equality", controller)]["line"] == 18
    assert by_detector[("bare-or-swallowed-except", controller)]["line"] == 19
    java_only = _findings(member, repository_id=repo.pk, language="java")
    assert java_only and {f["language"] for f in java_only} == {"java"}
    summary = member.client.get("/api/v1/findings/summary", {"analysis_id": run_id}).json()
    assert set(summary["by_language"]) == {"java"}
    _reports(member, run_id, "java")

    index(AnalysisRun.objects.get(pk=run_id), django_capture_on_commit_callbacks)
    chunks = CodeChunk.objects.for_org(org)
    assert chunks.filter(language="java", qualname=base + "model/Cart.java.Cart.total", kind="method").exists()
    hits = member.client.post(
        "/api/v1/code/search", {"query": "sum of the prices in the cart", "language": "java"}, format="json"
    )
    assert hits.status_code == 200, hits.json()
    top = hits.json()["results"][0]
    assert top["file"] == base + "model/Cart.java" and top["language"] == "java"
