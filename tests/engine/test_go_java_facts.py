"""Go and Java on the tree-sitter front end: definitions (methods with receivers, function
literals, lambdas, anonymous classes), cyclomatic complexity as lizard counts it, inheritance, and
import resolution (go.mod module path, vendor/, GOPATH layout; Java single-type, wildcard and
static imports) — and facts from files with syntax errors."""

from __future__ import annotations

from analysis.engine import analyze
from analysis.engine.languages import language_of_path

GO_SERVER = """package server

import (
	"fmt"
	h "net/http"

	"example.com/app/internal/store"
)

type Server struct {
	store.Base
	Name string
}

func (s *Server) Handle(w h.ResponseWriter, r *h.Request) {
	check := func(n int) bool { return n > 0 && n < 10 }
	if check(1) || s.Name == "" {
		fmt.Println("x")
	} else if s.Name == "a" {
	}
	switch s.Name {
	case "a", "b":
	case "c":
	default:
	}
	for i := 0; i < 3; i++ {
		defer store.Close()
	}
}

func New() *Server { return &Server{} }
"""


def _analyze(make_tree, files, **config):
    root = make_tree(files)
    return analyze(str(root), workers=1, config=config or None)


def test_go_definitions_metrics_and_module_resolution(make_tree):
    result = _analyze(
        make_tree,
        {
            "go.mod": "module example.com/app\n\ngo 1.21\n",
            "server/server.go": GO_SERVER,
            "internal/store/store.go": "package store\n\ntype Base struct{}\n\nfunc Close() {}\n",
            "internal/store/more.go": "package store\n\nfunc Open() {}\n",
            "internal/store/store_test.go": "package store\n\nfunc TestX() {}\n",
        },
    )
    facts = result.files["server/server.go"]
    assert facts.language == "go"
    defs = {d.qualname: d for d in facts.definitions}
    handle = defs["server/server.go.Server.Handle"]
    assert handle.kind == "method" and handle.parameters == ["w", "r"]
    # if, else if, ||, two non-default cases, for: 1 + 6 (the literal's && is its own)
    assert handle.metrics is not None and handle.metrics.cyclomatic == 7
    literal = defs["server/server.go.Server.Handle.<anonymous>"]
    assert literal.metrics is not None and literal.metrics.cyclomatic == 2
    assert defs["server/server.go.Server"].kind == "class"
    assert defs["server/server.go.Server"].bases == ["store.Base"]
    assert defs["server/server.go.New"].kind == "function"
    # the package is a directory: one import per non-test file of it
    store = [i.resolved for i in facts.imports if i.specifier == "example.com/app/internal/store"]
    # store.Close and store.Base are defined in store.go: the name is bound to it first
    assert store == ["internal/store/store.go", "internal/store/more.go"]
    fmt = next(i for i in facts.imports if i.specifier == "fmt")
    assert fmt.resolved is None and fmt.module == "fmt"


def test_go_vendor_and_gopath_layouts(make_tree):
    result = _analyze(
        make_tree,
        {
            "go.mod": "module example.com/app\n",
            "main.go": 'package main\n\nimport "github.com/lib/pq"\n\nfunc main() { pq.Open() }\n',
            "vendor/github.com/lib/pq/conn.go": "package pq\n\nfunc Open() {}\n",
        },
        default_excludes=False,
    )
    (imp,) = result.files["main.go"].imports
    assert imp.resolved == "vendor/github.com/lib/pq/conn.go"
    gopath = _analyze(
        make_tree,
        {
            "src/github.com/a/b/cmd/main.go": 'package main\n\nimport "github.com/a/b/util"\n\nfunc main() { util.F() }\n',
            "src/github.com/a/b/util/util.go": "package util\n\nfunc F() {}\n",
        },
    )
    (imp,) = gopath.files["src/github.com/a/b/cmd/main.go"].imports
    assert imp.resolved == "src/github.com/a/b/util/util.go"


JAVA_SERVICE = """package com.acme.app;

import com.acme.model.User;
import com.acme.util.*;
import static com.acme.util.Strings.blank;
import java.util.List;

@Service
public class UserService extends BaseService implements Api, Comparable<UserService> {
    @Override
    public int handle(List<? extends User> users, String... names) throws Exception {
        Runnable r = () -> { if (users.isEmpty() && names.length > 0) { } };
        Object o = new Object() {
            public String toString() { return blank("x") ? "a" : "b"; }
        };
        try { Helper.run(); } catch (IllegalStateException e) { }
        switch (names.length) { case 0: case 1: break; default: }
        for (User u : users) { }
        do { } while (users.size() > 3);
        return 0;
    }

    UserService() { super(); }
}
"""


def test_java_definitions_metrics_and_imports(make_tree):
    result = _analyze(
        make_tree,
        {
            "src/main/java/com/acme/app/UserService.java": JAVA_SERVICE,
            "src/main/java/com/acme/model/User.java": "package com.acme.model;\n\npublic class User { }\n",
            "src/main/java/com/acme/util/Helper.java": "package com.acme.util;\n\npublic class Helper { static void run() {} }\n",
            "src/main/java/com/acme/util/Unused.java": "package com.acme.util;\n\nclass Unused { }\n",
            "src/main/java/com/acme/util/Strings.java": (
                "package com.acme.util;\n\npublic final class Strings {\n"
                "    public static boolean blank(String s) { return s == null || s.isEmpty(); }\n}\n"
            ),
        },
    )
    path = "src/main/java/com/acme/app/UserService.java"
    facts = result.files[path]
    assert facts.language == "java"
    defs = {d.qualname: d for d in facts.definitions}
    cls = defs[f"{path}.UserService"]
    assert cls.kind == "class" and cls.bases == ["BaseService", "Api", "Comparable"]
    handle = defs[f"{path}.UserService.handle"]
    # catch, two cases, for-each, do-while: 1 + 5; the lambda and the anonymous class are their own
    assert handle.kind == "method" and handle.metrics is not None and handle.metrics.cyclomatic == 6
    assert handle.parameters == ["users", "...names"]
    lam = defs[f"{path}.UserService.handle.<lambda>"]
    assert lam.metrics is not None and lam.metrics.cyclomatic == 3
    anon = defs[f"{path}.UserService.handle.<anonymous>.toString"]
    assert anon.kind == "method"
    assert anon.metrics is not None and anon.metrics.cyclomatic == 2
    assert f"{path}.UserService.UserService" in defs  # the constructor
    resolved = {(i.specifier, i.resolved) for i in facts.imports}
    base = "src/main/java/com/acme/"
    assert ("com.acme.model.User", base + "model/User.java") in resolved
    # the wildcard resolves to the files of the package whose types this file names, only
    assert ("com.acme.util", base + "util/Helper.java") in resolved
    assert ("com.acme.util", base + "util/Unused.java") not in resolved
    assert ("com.acme.util.Strings", base + "util/Strings.java") in resolved  # static import
    assert ("java.util.List", None) in resolved
    # a type of the same package needs no import: still a dependency
    helper = result.files[base + "util/Helper.java"]
    assert [i.resolved for i in helper.imports] == []
    same = _analyze(
        make_tree,
        {
            "p/A.java": "package p;\n\nclass A { B b = new B(); }\n",
            "p/B.java": "package p;\n\nclass B { }\n",
            "p/C.java": "package p;\n\nclass C { }\n",
        },
    )
    assert [(i.resolved, i.kind, i.names) for i in same.files["p/A.java"].imports] == [("p/B.java", "package", ["B"])]
    # imported names are bound to the classes: inheritance across files resolves
    inherits = _analyze(
        make_tree,
        {
            "q/Base.java": "package q;\n\npublic class Base { }\n",
            "r/Impl.java": "package r;\n\nimport q.Base;\n\nclass Impl extends Base { }\n",
            "r/Same.java": "package r;\n\nclass Same extends Impl { }\n",
        },
    )
    (imp,) = inherits.files["r/Impl.java"].imports
    assert (imp.resolved, imp.alias, imp.names) == ("q/Base.java", "Base", ["Base"])


def test_files_with_syntax_errors_still_yield_facts(make_tree):
    result = _analyze(
        make_tree,
        {
            "a.go": "package a\n\nfunc Good(x int) int {\n\tif x > 0 { return 1 }\n\treturn 0\n}\n\nfunc Bad( {\n",
            "B.java": "class B {\n  int ok(int x) { return x > 0 ? 1 : 0; }\n  void broken( { \n}\n",
        },
    )
    go = result.files["a.go"]
    assert go.extra.get("syntax_errors", 0) > 0
    good = next(d for d in go.definitions if d.name == "Good")
    assert good.metrics is not None and good.metrics.cyclomatic == 2
    java = result.files["B.java"]
    assert java.extra.get("syntax_errors", 0) > 0
    ok = next(d for d in java.definitions if d.name == "ok")
    assert ok.metrics is not None and ok.metrics.cyclomatic == 2


def test_parse_error_only_above_the_unparsed_share(make_tree):
    good = "".join(f"func F{i}(x int) int {{\n\treturn x + {i}\n}}\n\n" for i in range(30))
    result = _analyze(
        make_tree,
        {
            "small.go": f"package a\n\n{good}func Bad( {{\n",  # one broken line of many: facts, no finding
            "garbage.go": "package a\n\n" + "}}} ))) func ((( {{ @@ ## $$\n" * 20,
        },
    )
    errors = {f.path: f for f in result.findings if f.detector == "parse-error"}
    assert set(errors) == {"garbage.go"}
    assert errors["garbage.go"].metadata["unparsed_share"] > 0.1 and errors["garbage.go"].language == "go"
    assert result.files["small.go"].extra["syntax_errors"] > 0
    assert len([d for d in result.files["small.go"].definitions if d.name.startswith("F")]) == 30


def test_extensions():
    assert language_of_path("cmd/main.go") == "go"
    assert language_of_path("src/A.java") == "java"
