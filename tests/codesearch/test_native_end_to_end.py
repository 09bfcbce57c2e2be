"""A Rust, a C, a C++ and a C# repository through the platform: trigger over the API, the findings
API (security with its taint path, bug risk, the language filter and summary), the SARIF and
Markdown reports, and code search over the functions."""

from __future__ import annotations

import pytest

from analysis.models import AnalysisRun
from codesearch.models import CodeChunk
from tests.codesearch.conftest import index
from tests.codesearch.test_go_java_end_to_end import _analyse, _findings, _repo, _reports

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

CARGO_TOML = '[package]\nname = "shop"\nversion = "0.1.0"\nedition = "2021"\n'
LIB_RS = """\
//! The shop's web handlers.
mod cart;

use actix_web::{web, HttpResponse};
use std::process::Command;
use crate::cart::Cart;

pub struct Ping {
    pub host: String,
}

pub async fn ping(q: web::Query<Ping>) -> HttpResponse {
    let script = format!("ping -c 1 {}", q.host);
    let out = Command::new("sh").arg("-c").arg(&script).output();
    HttpResponse::Ok().body(format!("{:?} {}", out, Cart::default().total()))
}
"""
CART_RS = """\
/// A shopping cart: the prices of the items a customer picked.
#[derive(Default)]
pub struct Cart {
    items: Vec<u32>,
}

impl Cart {
    /// Sum of the prices of every item in the cart.
    pub fn total(&self) -> u32 {
        let mut sum = 0;
        for price in &self.items {
            sum += price;
        }
        sum
    }
}
"""


def test_rust_repository_through_the_platform(org, member, tmp_path, q_sync, django_capture_on_commit_callbacks):
    clone = _repo(tmp_path, "rustshop", {"Cargo.toml": CARGO_TOML, "src/lib.rs": LIB_RS, "src/cart.rs": CART_RS})
    repo, run_id = _analyse(org, member, clone, django_capture_on_commit_callbacks)

    findings = _findings(member, repository_id=repo.pk)
    by_detector = {(f["detector"], f["path"]): f for f in findings}
    injection = by_detector[("command-injection", "src/lib.rs")]
    assert injection["language"] == "rust" and injection["kind"] == "vulnerability"
    assert [step["line"] for step in injection["taint_path"]] == [13, 13, 14]
    rust_only = _findings(member, repository_id=repo.pk, language="rust")
    assert rust_only and {f["language"] for f in rust_only} == {"rust"}
    summary = member.client.get("/api/v1/findings/summary", {"analysis_id": run_id}).json()
    assert set(summary["by_language"]) == {"rust"}
    _reports(member, run_id, "rust")

    index(AnalysisRun.objects.get(pk=run_id), django_capture_on_commit_callbacks)
    assert CodeChunk.objects.for_org(org).filter(language="rust", qualname="src/cart.rs.Cart.total", kind="method").exists()
    hits = member.client.post(
        "/api/v1/code/search", {"query": "sum of the prices in the cart", "language": "rust"}, format="json"
    )
    assert hits.status_code == 200, hits.json()
    top = hits.json()["results"][0]
    assert top["file"] == "src/cart.rs" and top["language"] == "rust"


TOOL_C = """\
#include <stdio.h>
#include <string.h>
#include "cart.h"

int main(int argc, char **argv) {
    char name[32];
    strcpy(name, argv[1]);
    switch (argc) {
    case 1:
        puts(name);
    case 2:
        break;
    }
    return cart_total(argc);
}
"""
CART_H = "#ifndef CART_H\n#define CART_H\nint cart_total(int n);\n#endif\n"
CART_C = '#include "cart.h"\n\n/* Sum of the prices of the items. */\nint cart_total(int n) {\n    int sum = 0;\n    for (int i = 0; i < n; i++) sum += i;\n    return sum;\n}\n'


def test_c_repository_through_the_platform(org, member, tmp_path, q_sync, django_capture_on_commit_callbacks):
    clone = _repo(tmp_path, "ctool", {"src/tool.c": TOOL_C, "src/cart.h": CART_H, "src/cart.c": CART_C})
    repo, run_id = _analyse(org, member, clone, django_capture_on_commit_callbacks)

    findings = _findings(member, repository_id=repo.pk)
    by_detector = {(f["detector"], f["path"]): f for f in findings}
    overflow = by_detector[("buffer-overflow", "src/tool.c")]
    assert overflow["language"] == "c" and overflow["kind"] == "vulnerability"
    assert [step["line"] for step in overflow["taint_path"]] == [7, 7]
    assert by_detector[("switch-fallthrough", "src/tool.c")]["line"] == 10
    # the header resolves: cart_total is used, not dead code
    assert ("unused-function-or-class", "src/cart.c") not in by_detector
    summary = member.client.get("/api/v1/findings/summary", {"analysis_id": run_id}).json()
    assert set(summary["by_language"]) == {"c"}
    _reports(member, run_id, "c")


SERVER_CC = """\
#include <cstdio>
#include <cstdlib>
#include "geo/shape.hpp"

int handle(int sock) {
    char query[256];
    recv(sock, query, sizeof query, 0);
    std::printf(query);
    geo::Circle c(2.0);
    return c.area() > 1.0;
}
"""
SHAPE_HPP = """\
#pragma once
namespace geo {
class Shape { public: virtual ~Shape() = default; virtual double area() const = 0; };
class Circle : public Shape {
 public:
  explicit Circle(double r) : r_(r) {}
  double area() const override { return r_ > 0 ? 3.14159 * r_ * r_ : 0; }
 private:
  double r_;
};
}
"""


def test_cpp_repository_through_the_platform(org, member, tmp_path, q_sync, django_capture_on_commit_callbacks):
    clone = _repo(tmp_path, "cppserver", {"src/server.cc": SERVER_CC, "include/geo/shape.hpp": SHAPE_HPP})
    repo, run_id = _analyse(org, member, clone, django_capture_on_commit_callbacks)

    findings = _findings(member, repository_id=repo.pk)
    by_detector = {(f["detector"], f["path"]): f for f in findings}
    fmt = by_detector[("format-string", "src/server.cc")]
    assert fmt["language"] == "cpp" and fmt["kind"] == "vulnerability"
    assert [step["line"] for step in fmt["taint_path"]] == [7, 7, 8]
    cpp_only = _findings(member, repository_id=repo.pk, language="cpp")
    assert cpp_only and {f["language"] for f in cpp_only} == {"cpp"}
    _reports(member, run_id, "cpp")


CONTROLLER_CS = """\
using System.Data.SqlClient;
using Microsoft.AspNetCore.Mvc;
using Shop.Model;

namespace Shop.Web;

[ApiController]
public class OrdersController : ControllerBase
{
    private readonly SqlConnection connection;

    [HttpGet("orders")]
    public IActionResult Find(string id)
    {
        var sql = "SELECT * FROM orders WHERE id = '" + id + "'";
        using var command = new SqlCommand(sql, connection);
        return Ok(new Cart().Total() + command.ExecuteScalar().ToString());
    }
}
"""
CART_CS = """\
namespace Shop.Model;

/// <summary>A shopping cart: the prices of the items a customer picked.</summary>
public class Cart
{
    private readonly int[] items = new int[0];

    /// <summary>Sum of the prices of every item in the cart.</summary>
    public int Total()
    {
        var sum = 0;
        foreach (var price in items)
        {
            sum += price;
        }
        return sum;
    }
}
"""


def test_csharp_repository_through_the_platform(org, member, tmp_path, q_sync, django_capture_on_commit_callbacks):
    clone = _repo(tmp_path, "csshop", {"Web/OrdersController.cs": CONTROLLER_CS, "Model/Cart.cs": CART_CS})
    repo, run_id = _analyse(org, member, clone, django_capture_on_commit_callbacks)

    findings = _findings(member, repository_id=repo.pk)
    by_detector = {(f["detector"], f["path"]): f for f in findings}
    sql = by_detector[("sql-injection", "Web/OrdersController.cs")]
    assert sql["language"] == "csharp" and sql["kind"] == "vulnerability"
    assert [step["line"] for step in sql["taint_path"]] == [15, 15, 16]
    cs_only = _findings(member, repository_id=repo.pk, language="csharp")
    assert cs_only and {f["language"] for f in cs_only} == {"csharp"}
    _reports(member, run_id, "csharp")

    index(AnalysisRun.objects.get(pk=run_id), django_capture_on_commit_callbacks)
    assert CodeChunk.objects.for_org(org).filter(language="csharp", qualname="Model/Cart.cs.Cart.Total", kind="method").exists()
