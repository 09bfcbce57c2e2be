"""JavaScript/TypeScript detectors: a positive and a negative snippet each, and the reports'
language fields (SARIF sourceLanguage, the per-language score breakdown, code-search chunks)."""

from __future__ import annotations

import json

import pytest

from analysis.engine import analyze
from analysis.engine.calibration import estimate
from analysis.engine.reports import render
from benchmarks.js_security_samples import run
from codesearch.chunking import chunk_file


def _findings(make_tree, source: str, detector: str, name: str = "src/a.js", extra: dict | None = None):
    root = make_tree({name: source, **(extra or {})})
    result = analyze(str(root), workers=1)
    return [f for f in result.findings if f.detector == detector and f.path == name]


CASES = [
    # (detector, positive, negative)
    (
        "bare-or-swallowed-except",
        "try { f(); } catch (e) {}\n",
        "try { f(); } catch (e) { log(e); }\ntry { g(); } catch { /* optional */ }\n",
    ),
    (
        "return-or-break-in-finally",
        "function f() { try { return 1; } finally { return 2; } }\n",
        "function f() { try { return 1; } finally { for (;;) { break; } } }\n",
    ),
    ("self-assignment", "let a = 1; a = a;\n", "let a = 1; a = b;\nthis.x = this.y;\n"),
    (
        "duplicate-dict-key",
        "const o = { a: 1, b: 2, a: 3 };\n",
        "const o = { a: 1, get c() { return 1; }, set c(v) {}, ['a']: 2 };\n",
    ),
    (
        "redefined-function",
        "function f() { return 1; }\nfunction f() { return 2; }\nf();\n",
        "function f() { return 1; }\nfunction g() { return 2; }\nf(); g();\n",
    ),
    (
        "infinite-loop-without-exit",
        "function f() { while (true) { tick(); } }\n",
        "function f() { while (true) { if (done()) break; } for (;;) { return 1; } }\n",
    ),
    (
        "string-concat-in-loop",
        "let s = ''; for (const x of xs) { s += 'x'; }\n",
        "let s = ''; s += 'x'; for (const x of xs) { n += 1; }\n",
    ),
    ("message-chain", "const v = a.b.c.d.e.f;\n", "const v = this.a.b.c.d;\n"),
    ("loose-equality", "if (a == 1) {}\n", "if (a === 1 || a == null || typeof a == 'string') {}\n"),
    (
        "await-in-loop",
        "async function f(xs) { for (const x of xs) { await g(x); } }\n",
        "async function f(xs) { await Promise.all(xs.map(g)); for await (const x of xs) { await x; } }\n",
    ),
    (
        "floating-promise",
        "async function load() {}\nfunction f() { load(); }\n",
        "async function load() {}\nasync function f() { await load(); load().catch(e => e); void load(); }\n",
    ),
    ("unreachable-code", "function f() { return 1; g(); }\n", "function f() { return g(); function g() { return 1; } }\n"),
    ("todo-comment", "// TODO: remove this\nconst a = 1;\n", "// to do well, measure\nconst a = 1;\n"),
    ("missing-docstring", "export function api() {}\n", "/** Documented. */\nexport function api() {}\nfunction local() {}\n"),
    (
        "unused-import",
        "import { a, b } from './b.js';\nconsole.log(a);\n",
        "import { a } from './b.js';\nimport type { T } from './b.js';\nexport { a };\nlet x: T;\n",
    ),
]


@pytest.mark.parametrize(("detector", "positive", "negative"), CASES, ids=[c[0] for c in CASES])
def test_js_detector_positive_and_negative(make_tree, detector, positive, negative):
    extra = {"src/b.js": "export const a = 1, b = 2;\n"}
    name = "src/a.ts" if "import type" in negative or ": T" in negative else "src/a.js"
    assert _findings(make_tree, positive, detector, "src/a.js", extra), f"{detector} missed its positive case"
    assert not _findings(make_tree, negative, detector, name, extra), f"{detector} fired on its negative case"


def test_eslint_complexity_counting(make_tree):
    source = """\
        function f(a, b = 1, { c = 2 } = {}) {
          if (a && b || c ?? 0) { a ||= b; }
          for (;;) {} for (const k in a) {} for (const v of a) {} while (a) {} do {} while (b);
          try {} catch (e) {}
          switch (a) { case 1: break; case 2: break; default: }
          return a ? a?.b?.(c) : b;
        }
        """
    root = make_tree({"a.js": source})
    facts = analyze(str(root), workers=1).files["a.js"]
    # 1 + 3 defaults + if + && + || + ?? + ||= + 5 loops + catch + 2 cases + ?: + 2 optional chains
    assert facts.definitions[0].metrics.cyclomatic == 20


def test_exported_unused_symbol_is_low_confidence(make_tree):
    root = make_tree({"a.js": "export function api() {}\nfunction helper() {}\n"})
    found = {f.symbol: f for f in analyze(str(root), workers=1).findings if f.detector == "unused-function-or-class"}
    # the detector's own estimate (the pipeline then calibrates it on hand labels)
    assert estimate(found["api"]) == 0.2 and found["api"].severity == "info"
    assert estimate(found["helper"]) > 0.2


def test_reports_carry_the_language(make_tree):
    root = make_tree({"app.py": "def f():\n    return 1\n", "web/a.ts": "// TODO: x\nexport const a = 1;\n"})
    result = analyze(str(root), workers=1)
    assert set(result.metrics["languages"]) == {"python", "typescript"}
    assert result.metrics["languages"]["typescript"]["files"] == 1
    sarif = json.loads(render(result, "sarif"))
    languages = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]: r["locations"][0]["physicalLocation"]["region"][
            "sourceLanguage"
        ]
        for r in sarif["runs"][0]["results"]
    }
    assert languages["web/a.ts"] == "typescript" and languages["app.py"] == "python"
    assert "## Languages" in render(result, "markdown")


def test_code_search_chunks_of_typescript(make_tree):
    source = "export class Cart {\n  total(items: number[]) {\n    return items.reduce((a, b) => a + b, 0);\n  }\n}\n"
    root = make_tree({"src/cart.ts": source})
    facts = analyze(str(root), workers=1).files["src/cart.ts"]
    chunks = chunk_file(facts, source)
    assert {c.kind for c in chunks} == {"module", "class", "method"}
    assert {c.language for c in chunks} == {"typescript"}
    assert any(c.qualname == "src/cart.ts.Cart.total" for c in chunks)


def test_security_samples_found_with_evidence_and_safe_twins_quiet():
    wanted, found, alarms = run()
    assert len(wanted) >= 13
    assert wanted <= found, sorted(wanted - found)
    assert alarms == []


def test_security_hotspot_without_evidence(make_tree):
    root = make_tree({"a.js": "function build(table) {\n  return db.query(`SELECT * FROM ${table}`);\n}\n"})
    found = [f for f in analyze(str(root), workers=1).findings if f.detector == "sql-injection"]
    assert [(f.kind, f.taint_path) for f in found] == [("hotspot", [])]


def test_js_hardcoded_secret(make_tree):
    positive = 'const apiKey = "q8Zr3xT1vN7pLk2WmY5s";\nconst aws = "AKIAIOSFODNN7ABCDEFG";\n'
    negative = 'const apiKey = process.env.API_KEY;\nconst password = "changeme";\nconst tokenName = "x-auth-token-header";\n'
    assert len(_findings(make_tree, positive, "hardcoded-secret")) == 2
    assert not _findings(make_tree, negative, "hardcoded-secret")
