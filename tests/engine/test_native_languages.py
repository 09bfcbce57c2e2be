"""Rust, C, C++ and C# on the tree-sitter front end: definitions (methods of impl blocks and of
out-of-class C++ definitions), cyclomatic complexity as lizard counts it, inheritance, calls,
import resolution (Cargo crates and the module tree, quoted #include, C# namespaces), the
language of a ``.h`` header, and facts from files the grammar cannot fully parse (macros)."""

from __future__ import annotations

from analysis.engine import analyze
from analysis.engine.languages import language_of_path


def _analyze(make_tree, files, **config):
    root = make_tree(files)
    return analyze(str(root), workers=1, config=config or None)


def _defs(facts):
    return {d.qualname: d for d in facts.definitions}


RUST_LIB = """
mod net;
pub mod util;
use crate::net::conn::Conn;
use self::util::{helper, Other as O};
use std::collections::HashMap;

pub trait Named: Clone { fn name(&self) -> String { String::new() } }

pub fn run(a: i32, names: &[String]) -> Result<i32, ()> {
    let c = Conn::new()?;
    let r = match a { 1 => helper(), 2 | 3 => 0, n if n > 10 && n < 20 => 1, _ => 2 };
    if a > 0 { c.open(); } else if a < 0 { loop { break; } } else { }
    for n in names { while false {} }
    let close = |x: i32| x > 0 || x < -5;
    Ok(r)
}
"""


def test_rust_definitions_complexity_and_module_resolution(make_tree):
    result = _analyze(
        make_tree,
        {
            "Cargo.toml": '[package]\nname = "my-app"\nversion = "0.1.0"\n',
            "src/lib.rs": RUST_LIB,
            "src/util.rs": "pub fn helper() -> i32 { 1 }\npub struct Other;\nimpl Other { pub fn m(&self) {} }\n",
            "src/net/mod.rs": "pub mod conn;\n",
            "src/net/conn.rs": (
                "use super::super::util::helper;\npub struct Conn;\n"
                "impl Conn { pub fn new() -> Result<Conn, ()> { helper(); Ok(Conn) } pub fn open(&self) {} }\n"
            ),
            "tests/it.rs": "use my_app::util::helper;\n#[test]\nfn t() { helper(); }\n",
        },
    )
    lib = result.files["src/lib.rs"]
    assert lib.language == "rust"
    defs = _defs(lib)
    run = defs["src/lib.rs.run"]
    assert run.kind == "function" and run.parameters == ["a", "names"]
    # ?, 3 arms after the first, the guard, &&, if, else if, for, while, the closure's || = 1 + 11
    assert run.metrics is not None and run.metrics.cyclomatic == 12
    assert defs["src/lib.rs.Named"].kind == "class" and defs["src/lib.rs.Named"].bases == ["Clone"]
    assert defs["src/lib.rs.Named.name"].kind == "method"
    imports = {(i.specifier, i.resolved, tuple(i.names)) for i in lib.imports}
    assert ("net", "src/net/mod.rs", ()) in imports
    assert ("util", "src/util.rs", ()) in imports
    assert ("crate::net::conn::Conn", "src/net/conn.rs", ("Conn",)) in imports
    assert ("self::util::helper", "src/util.rs", ("helper",)) in imports
    assert ("std::collections::HashMap", None, ()) in imports
    conn = result.files["src/net/conn.rs"]
    assert _defs(conn)["src/net/conn.rs.Conn.new"].kind == "method"
    assert [i.resolved for i in conn.imports] == ["src/util.rs"]
    # an integration test is a crate of its own that uses the library by its name
    assert [i.resolved for i in result.files["tests/it.rs"].imports] == ["src/util.rs"]
    assert ("run", "Conn.new") in {(c.caller.rsplit(".", 1)[-1], c.callee) for c in lib.calls}


C_MAIN = """
#include "lib/api.h"
#include <stdio.h>

static int twice(int x) { return x * 2; }

int main(int argc, char **argv) {
    if (argc > 1 && argv[1]) {
        api_call(argc ? 1 : 2);
    } else if (argc == 0) {
        return 1;
    }
    for (;;) { break; }
    do { argc--; } while (argc > 0);
    switch (argc) { case 1: case 2: break; default: break; }
    return twice(0);
}
"""


def test_c_definitions_complexity_includes_and_structs(make_tree):
    result = _analyze(
        make_tree,
        {
            "src/main.c": C_MAIN,
            "include/lib/api.h": "#ifndef API\n#define API\ntypedef struct { int x; } Point;\nint api_call(int x);\n#endif\n",
            "src/api.c": '#include "../include/lib/api.h"\nstruct node { struct node *next; };\nint api_call(int x) { return x; }\n',
        },
    )
    main = result.files["src/main.c"]
    assert main.language == "c"
    defs = _defs(main)
    # if, &&, ?:, else if, for, do-while, two cases = 1 + 8
    assert defs["src/main.c.main"].metrics.cyclomatic == 9
    assert defs["src/main.c.main"].parameters == ["argc", "argv"]
    assert defs["src/main.c.twice"].kind == "function"
    assert "twice" not in main.extra.get("exports", [])  # static: not visible elsewhere
    assert [(i.specifier, i.resolved) for i in main.imports] == [("lib/api.h", "include/lib/api.h"), ("stdio.h", None)]
    assert {c.callee for c in main.calls} >= {"api_call", "twice"}
    header = result.files["include/lib/api.h"]
    assert header.language == "c"
    assert "include/lib/api.h.Point" in _defs(header)  # an anonymous struct takes its typedef's name
    api = result.files["src/api.c"]
    assert [i.resolved for i in api.imports] == ["include/lib/api.h"]
    # a struct used only as a type is not a second definition
    assert [d.qualname for d in api.definitions if d.kind == "class"] == ["src/api.c.node"]
    # the declared name of a function is not a use of it
    assert "api_call" not in api.names_used


CPP_SHAPE = """
#pragma once
namespace geo {
class Shape { public: virtual ~Shape(); virtual double area() const = 0; };
class Circle : public Shape {
 public:
  explicit Circle(double r) : r_(r) {}
  double area() const override { return r_ > 0 ? 3.14 * r_ * r_ : 0; }
 private:
  double r_;
};
}
"""

CPP_IMPL = """
#include "shape.hpp"
#include <vector>
namespace geo {
Shape::~Shape() {}
double total(const std::vector<Shape*>& v) {
  double t = 0;
  for (auto* s : v) { if (s && s->area() > 0) t += s->area(); }
  try { helper(); } catch (const std::exception& e) { return -1; }
  auto f = [&](int x) { return x > 0 || x < -5; };
  return t;
}
}
"""


def test_cpp_classes_methods_outside_their_class_and_headers(make_tree):
    result = _analyze(
        make_tree,
        {
            "src/shape.hpp": CPP_SHAPE,
            "src/shape.cc": CPP_IMPL,
            "src/main.cpp": '#include "shape.hpp"\nint main() { geo::Circle c(1); return geo::total({&c}) > 0; }\n',
            "src/point.h": "typedef struct { int x; } Point;\n",  # beside C++ sources: C++
            "c_only/util.h": "namespace u { template <typename T> T id(T x) { return x; } }\n",  # C++ syntax
            "c_only/plain.h": "int plain(void);\n",
            "c_only/plain.c": "int plain(void) { return 0; }\n",
        },
    )
    assert result.files["src/shape.hpp"].language == "cpp"
    assert result.files["src/point.h"].language == "cpp"
    assert result.files["c_only/util.h"].language == "cpp"
    assert result.files["c_only/plain.h"].language == "c"
    header = _defs(result.files["src/shape.hpp"])
    assert header["src/shape.hpp.Circle"].bases == ["Shape"]
    assert header["src/shape.hpp.Circle.area"].kind == "method"
    assert header["src/shape.hpp.Circle.area"].metrics.cyclomatic == 2
    impl = result.files["src/shape.cc"]
    defs = _defs(impl)
    assert defs["src/shape.cc.Shape.~Shape"].kind == "method"
    # for, if, &&, catch and the lambda's || (lambdas count in their function, as in lizard)
    assert defs["src/shape.cc.total"].metrics.cyclomatic == 6
    assert [(i.specifier, i.resolved) for i in impl.imports] == [("shape.hpp", "src/shape.hpp"), ("vector", None)]
    main = result.files["src/main.cpp"]
    assert {"Circle", "total"} <= set(main.names_used)
    assert "geo.total" in {c.callee for c in main.calls}


def test_c_macros_the_grammar_cannot_parse_still_yield_facts(make_tree):
    source = (
        "#define DECLARE(x) int x##_value\n"
        "DECLARE(a)\n"
        "BEGIN_NAMESPACE weird ) ( {\n"
        "int ok(int y) { if (y) return 1; return 0; }\n"
    )
    result = _analyze(make_tree, {"m.c": source})
    facts = result.files["m.c"]
    assert "m.c.ok" in _defs(facts)
    assert _defs(facts)["m.c.ok"].metrics.cyclomatic == 2


CS_USER = """
namespace App.Models
{
    public class User : Entity, IComparable<User>
    {
        public string Name { get; set; }
        public int Score(int? a)
        {
            if (a > 1 && Name != null) { return 1; }
            var k = a switch { 1 => 2, 2 => 3, _ => 0 };
            return a ?? 0;
        }
    }
}
"""

CS_SERVICE = """
using System;
using App.Models;
using static App.Util.Strings;
namespace App.Services;
public class Service
{
    public User Load(string id)
    {
        var u = new User();
        foreach (var x in id) { switch (x) { case 'a': case 'b': break; default: break; } }
        try { Blank(id); } catch (Exception) { }
        Func<int, bool> f = y => y > 0 ? true : false;
        return u;
    }
}
"""


def test_csharp_definitions_complexity_and_using_resolution(make_tree):
    result = _analyze(
        make_tree,
        {
            "Models/User.cs": CS_USER,
            "Services/Service.cs": CS_SERVICE,
            "Entity.cs": "namespace App { public class Entity { } }\n",
            "Util/Strings.cs": "namespace App.Util { public static class Strings { public static bool Blank(string s) => s == null; } }\n",
        },
    )
    user = result.files["Models/User.cs"]
    assert user.language == "csharp"
    defs = _defs(user)
    assert defs["Models/User.cs.User"].bases == ["Entity", "IComparable"]
    # if, &&, two switch-expression arms (not the discard), ?? = 1 + 5
    assert defs["Models/User.cs.User.Score"].metrics.cyclomatic == 6
    # Entity is in the enclosing namespace App: no using needed
    assert [(i.resolved, i.kind) for i in user.imports] == [("Entity.cs", "package")]
    service = result.files["Services/Service.cs"]
    load = _defs(service)["Services/Service.cs.Service.Load"]
    # foreach, two cases, catch, ?: (the lambda's) = 1 + 5
    assert load.metrics.cyclomatic == 6
    resolved = {(i.specifier, i.resolved) for i in service.imports}
    assert ("System", None) in resolved
    assert ("App.Models", "Models/User.cs") in resolved
    assert ("App.Util.Strings", "Util/Strings.cs") in resolved
    assert "User" in {c.callee for c in service.calls}


def test_native_extensions():
    assert language_of_path("a/b.rs") == "rust"
    assert language_of_path("a/b.c") == "c"
    assert language_of_path("a/b.h") == "c"  # refined by discovery (header_language)
    for ext in (".cc", ".cpp", ".cxx", ".hpp", ".hh"):
        assert language_of_path("x" + ext) == "cpp"
    assert language_of_path("Program.cs") == "csharp"


def test_c_headers_with_export_macros_and_extern_c_guards_parse(make_tree):
    header = (
        "#ifndef API_H\n#define API_H\n"
        '#define MYLIB_API __attribute__((visibility("default")))\n'
        '#ifdef __cplusplus\nextern "C" {\n#endif\n'
        "MYLIB_API int lib_open(const char *path);\n"
        "MYLIB_API static inline int lib_twice(int x) { return x > 0 ? 2 * x : 0; }\n"
        "#ifdef __cplusplus\n}\n#endif\n#endif\n"
    )
    cpp = "namespace fmt {\nclass FMT_API writer {\n public:\n  int size() const FMT_NOEXCEPT { return n_ ? n_ : 1; }\n  int n_;\n};\n}\n"
    result = _analyze(make_tree, {"include/lib.h": header, "src/writer.hpp": cpp})
    lib = result.files["include/lib.h"]
    assert not lib.extra.get("syntax_errors")
    assert _defs(lib)["include/lib.h.lib_twice"].metrics.cyclomatic == 2
    writer = result.files["src/writer.hpp"]
    assert not writer.extra.get("syntax_errors")
    assert "src/writer.hpp.writer.size" in _defs(writer)
    # the macros are masked for the parser only: what the engine quotes is the file
    assert not [f for f in result.findings if f.detector == "parse-error"]


def test_rust_items_inside_item_macros_are_parsed(make_tree):
    source = (
        'macro_rules! cfg_rt { ($($item:item)*) => { $(#[cfg(feature = "rt")] $item)* } }\n'
        "cfg_rt! {\n"
        "    pub fn spawn(n: u32) -> u32 { if n > 1 { n } else { 0 } }\n"
        "    impl Handle { pub fn current() -> Self { Handle } }\n"
        "}\n"
        "thread_local! {\n"
        "    static DEPTH: std::cell::Cell<u32> = std::cell::Cell::new(0)\n"
        "}\n"
        "pub struct Handle;\n"
    )
    result = _analyze(make_tree, {"src/lib.rs": source})
    facts = result.files["src/lib.rs"]
    defs = _defs(facts)
    assert defs["src/lib.rs.spawn"].metrics.cyclomatic == 2
    assert defs["src/lib.rs.Handle.current"].kind == "method"
    # thread_local!'s body is not items: left as a macro call, no syntax error made up
    assert not facts.extra.get("syntax_errors")
