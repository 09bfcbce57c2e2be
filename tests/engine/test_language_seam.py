"""The language seam: discovery by extension and shebang, the tree-sitter front end's facts,
JS/TS import resolution, tree detectors sharing the Python detectors' specs, and Python's
results unchanged when files of other languages sit beside it."""

from __future__ import annotations

import dataclasses
import pickle

import pytest

from analysis.engine import analyze
from analysis.engine.config import ConfigError, EngineConfig
from analysis.engine.discovery import discover, is_test_path
from analysis.engine.facts import FileFacts, ImportFact
from analysis.engine.languages import language_of_path, language_of_shebang, supported_languages
from analysis.engine.registry import all_specs, detector_languages, tree_detectors


def _facts(make_tree, files, **config):
    root = make_tree(files)
    result = analyze(str(root), workers=1, config=config or None)
    return result, {p: f for p, f in result.files.items()}


# --- discovery -----------------------------------------------------------------------------------
def test_language_by_extension_and_shebang():
    assert language_of_path("src/App.TSX") == "typescript"
    assert language_of_path("lib/a.cjs") == "javascript"
    assert language_of_path("x.py") == "python"
    assert language_of_path("README.md") is None
    assert language_of_shebang(b"#!/usr/bin/env node\n") == "javascript"
    assert language_of_shebang(b"#!/usr/bin/env -S deno run\n") == "javascript"
    assert language_of_shebang(b"#!/usr/bin/python3.11\n") == "python"
    assert language_of_shebang(b"#!/bin/sh\n") is None
    assert {"python", "javascript", "typescript"} <= set(supported_languages())


def test_discovery_languages_and_their_own_excludes(make_tree):
    root = make_tree(
        {
            "app/main.py": "x = 1\n",
            "app/ui.ts": "export const x = 1;\n",
            "app/types.d.ts": "export type T = number;\n",
            "app/vendor.min.js": "var a=1;\n",
            "bin/tool": "#!/usr/bin/env node\nconsole.log(1);\n",
            "bin/other": "#!/bin/sh\necho\n",
            # a JavaScript build directory: excluded for JS only, Python files in it stay
            "coverage/report.js": "var a = 1;\n",
            "coverage/helper.py": "x = 1\n",
            "README.md": "hi\n",
        }
    )
    found = {f.path: f.language for f in discover(root).files}
    assert found == {
        "app/main.py": "python",
        "app/ui.ts": "typescript",
        "bin/tool": "javascript",
        "coverage/helper.py": "python",
    }
    with_decl = {f.path for f in discover(root, EngineConfig(include_declarations=True)).files}
    assert "app/types.d.ts" in with_decl
    python_only = discover(root, EngineConfig.from_mapping({"languages": ["python"]}))
    assert [f.path for f in python_only.files] == ["app/main.py", "coverage/helper.py"]


def test_unknown_language_in_configuration_is_refused():
    with pytest.raises(ConfigError):
        EngineConfig.from_mapping({"languages": ["cobol"]})


def test_test_paths_of_other_languages():
    assert is_test_path("src/a.test.ts")
    assert is_test_path("src/__tests__/a.js")
    assert is_test_path("pkg/a_test.go")
    assert not is_test_path("src/latest.ts")
    assert not is_test_path("pkg/a.spec.py")  # Python's rules are unchanged


# --- facts ---------------------------------------------------------------------------------------
def test_typescript_facts(make_tree):
    _, files = _facts(
        make_tree,
        {
            "src/service.ts": """\
                import { helper } from "./util";
                import type { Shape } from "./types";
                import * as path from "path";

                // a comment line
                export class Service extends Base implements Api {
                  constructor(private readonly name: string = "x", opt?: number) { super(); }
                  run(a: number, b?: string): number {
                    if (a > 1 && b) {
                      for (const x of [1, 2]) { this.count += x; }
                    } else if (a ?? 0) {
                      return a?.toString() ? 1 : 2;
                    }
                    try { helper(); } catch (e) { }
                    switch (a) { case 1: break; default: break; }
                    return this.save();
                  }
                  save(): number { return 1; }
                }
                export const total = (x = 1, { y = 2 } = {}) => x || y;
                """,
            "src/util.ts": "export function helper() { return 1; }\n",
            "src/types.ts": "export type Shape = { a: number };\n",
        },
    )
    facts = files["src/service.ts"]
    assert facts.language == "typescript" and facts.module == "src/service.ts"
    defs = {d.qualname: d for d in facts.definitions}
    assert defs["src/service.ts.Service"].kind == "class"
    assert defs["src/service.ts.Service"].bases == ["Base", "Api"]
    run = defs["src/service.ts.Service.run"]
    assert run.kind == "method" and run.parameters == ["a", "b"]
    # ESLint: 1 + if + && + for + else-if + ?? + ?. + ?: + catch + case
    assert run.metrics.cyclomatic == 10
    assert run.metrics.max_nesting == 2
    assert defs["src/service.ts.Service.constructor"].metrics.cyclomatic == 2  # default value
    assert defs["src/service.ts.total"].metrics.cyclomatic == 5  # three defaults and ||
    assert facts.code_lines == facts.lines - 2  # the blank line and the comment line
    imports = {(i.specifier, tuple(i.names), i.alias): i for i in facts.imports}
    assert imports[("./util", ("helper",), None)].resolved == "src/util.ts"
    assert imports[("./types", ("Shape",), None)].type_checking_only
    assert imports[("path", (), "path")].resolved is None
    callees = {c.callee for c in facts.calls}
    assert {"helper", "self.save", "super"} <= callees
    assert "helper" in facts.names_used and "Service" not in facts.names_used
    assert facts.clone_windows  # statement units feed duplicate-code


def test_tree_findings_use_shared_specs_and_per_language_thresholds(make_tree):
    body = "\n".join(f"  if (a === {i}) {{ return {i}; }}" for i in range(8))
    source = f"export function pick(a) {{\n{body}\n  return -1;\n}}\n"
    config = {"detectors": {"high-cyclomatic-complexity": {"max_complexity": 5, "typescript": {"max_complexity": 20}}}}
    result, _ = _facts(make_tree, {"a.js": source, "b.ts": source}, **config)
    hits = [(f.path, f.language) for f in result.findings if f.detector == "high-cyclomatic-complexity"]
    assert hits == [("a.js", "javascript")]  # 9 > 5 in JS; TypeScript's own threshold is 20
    assert "typescript" in detector_languages("high-cyclomatic-complexity")
    assert "high-cyclomatic-complexity" in tree_detectors()
    assert len({s.id for s in all_specs()}) == len(all_specs())


def test_slash_comment_suppression(make_tree):
    body = "\n".join(f"  if (a === {i}) {{ return {i}; }}" for i in range(20))
    source = f"// repotoire: ignore[high-cyclomatic-complexity]\nexport function pick(a) {{\n{body}\n}}\n"
    lines = source.splitlines()
    lines[1] += " // repotoire: ignore[high-cyclomatic-complexity]"
    result, _ = _facts(make_tree, {"a.js": "\n".join(lines) + "\n", "b.js": source.replace("// repotoire", "// x")})
    assert [f.path for f in result.findings if f.detector == "high-cyclomatic-complexity"] == ["b.js"]


# --- resolution ----------------------------------------------------------------------------------
def test_js_import_resolution(make_tree):
    _, files = _facts(
        make_tree,
        {
            "tsconfig.json": '{ // comments are allowed\n "compilerOptions": { "baseUrl": "src", "paths": {"@app/*": ["app/*"]}, }\n}',
            "src/app/core.ts": "export const core = 1;\n",
            "src/lib/index.ts": "export const lib = 1;\n",
            "src/shared.ts": "export const shared = 1;\n",
            "packages/ui/package.json": '{"name": "@acme/ui", "exports": {".": {"import": "./src/main.js"}, "./button": "./src/button.js"}}',
            "packages/ui/src/main.ts": "export const ui = 1;\n",
            "packages/ui/src/button.ts": "export const button = 1;\n",
            "src/main.ts": """\
                import { core } from "@app/core";
                import { lib } from "./lib";
                import { shared } from "shared";
                import { ui } from "@acme/ui";
                import { button } from "@acme/ui/button";
                import { x } from "./missing";
                import React from "react";
                export * from "./shared.js";
                const fs = require("node:fs");
                """,
        },
    )
    resolved = {i.specifier: i.resolved for i in files["src/main.ts"].imports}
    assert resolved == {
        "@app/core": "src/app/core.ts",
        "./lib": "src/lib/index.ts",
        "shared": "src/shared.ts",
        "@acme/ui": "packages/ui/src/main.ts",
        "@acme/ui/button": "packages/ui/src/button.ts",
        "./missing": None,
        "react": None,
        "./shared.js": "src/shared.ts",
        "node:fs": None,
    }


# --- Python unchanged ----------------------------------------------------------------------------
def test_python_findings_unchanged_beside_other_languages(make_tree):
    python = {
        "pkg/__init__.py": "",
        "pkg/a.py": "import os\nimport pkg.b\n\ndef f(x):\n    return eval(x)\n",
        "pkg/b.py": "import pkg.a\n\nclass Unused:\n    pass\n",
    }
    others = {
        "web/app.js": "import { f } from './lib.js';\nexport function g() { return f(); }\n",
        "web/lib.js": "export const f = () => 1;\n",
    }
    alone = analyze(str(make_tree(python)), workers=1)
    mixed = analyze(str(make_tree({**python, **others})), workers=1)
    python_only = [f.to_dict() for f in mixed.findings if f.language == "python"]
    assert python_only == [f.to_dict() for f in alone.findings]
    assert {f.language for f in mixed.files.values()} == {"python", "javascript"}


def test_facts_pickled_before_the_seam_load_with_defaults():
    facts = FileFacts(path="a.py", module="a", content_hash="0", imports=[ImportFact(module="os")], language="typescript")
    # as pickled before `language` (and the fields added after it, such as `role`) existed
    old_state = facts.__getstate__()[: [f.name for f in dataclasses.fields(FileFacts)].index("language")]
    restored = FileFacts.__new__(FileFacts)
    restored.__setstate__(old_state)
    assert restored.language == "python" and restored.imports[0].module == "os"
    again = pickle.loads(pickle.dumps(facts))
    assert again.language == "typescript" and again.imports[0].kind == ""
