"""C/C++, Rust and C# detectors: security with input-source evidence (a vulnerability only when a
source reaches the sink, else a hotspot), the bug-risk checks of each language, and the samples
of ``benchmarks/native_security_samples.py``."""

from __future__ import annotations

from analysis.engine import analyze
from benchmarks.native_security_samples import run as run_samples


def _findings(make_tree, files, **config):
    root = make_tree(files)
    return analyze(str(root), workers=1, config=config or None).findings


def _by(findings, detector):
    return [f for f in findings if f.detector == detector]


def test_samples_every_finding_found_and_safe_twins_quiet():
    wanted, found, alarms, _ = run_samples()
    assert len(wanted) >= 22
    assert wanted <= found
    assert alarms == []


def test_c_copy_without_a_source_is_a_hotspot_and_bounded_copies_are_quiet(make_tree):
    findings = _findings(
        make_tree,
        {
            "copy.c": (
                "#include <string.h>\n"
                "static char name[16];\n"
                "void set(const char *s) { strcpy(name, s); }\n"
                'void set_const(void) { strcpy(name, "anon"); }\n'
                "void set_heap(char *dst, const char *s) { strcpy(dst, s); }\n"
                'void fmt(int n) { char b[8]; sprintf(b, "%d", n); }\n'
            )
        },
    )
    (copy,) = _by(findings, "buffer-overflow")
    assert copy.kind == "hotspot" and copy.line == 3


def test_c_format_string_only_with_input(make_tree):
    findings = _findings(
        make_tree,
        {
            "log.c": (
                "#include <stdio.h>\n#include <stdlib.h>\n"
                "void log_msg(const char *fmt) { printf(fmt); }\n"
                'int main(void) { char *lang = getenv("LANG"); printf(lang); printf("%s", lang); return 0; }\n'
            )
        },
    )
    (fmt,) = _by(findings, "format-string")
    assert fmt.kind == "vulnerability" and fmt.line == 4


def test_c_fallthrough_annotations_and_shared_labels(make_tree):
    findings = _findings(
        make_tree,
        {
            "sw.cc": (
                "int f(int x) {\n"
                "  int y = 0;\n"
                "  switch (x) {\n"
                "  case 0: y = 1; [[fallthrough]];\n"
                "  case 1: y += 1; // falls through\n"
                "  case 2:\n"
                "  case 3: if (y) { return 1; } else { return 2; }\n"
                "  case 4: y = 4;\n"
                "  case 5: abort();\n"
                "  case 6: y = 6;\n"
                "  }\n"
                "  return y;\n"
                "}\n"
            )
        },
    )
    assert [f.line for f in _by(findings, "switch-fallthrough")] == [8]


def test_c_assignment_in_condition(make_tree):
    findings = _findings(
        make_tree,
        {
            "a.c": (
                "int f(int a, int b) {\n"
                "  if (a = b) return 1;\n"
                "  if ((a = b)) return 2;\n"
                "  while ((a = b) != 0) a--;\n"
                "  if (a == b) return 3;\n"
                "  return 0;\n"
                "}\n"
            )
        },
    )
    assert [f.line for f in _by(findings, "assignment-in-condition")] == [2]


def test_rust_unsafe_unwrap_and_shell(make_tree):
    files = {
        "Cargo.toml": '[package]\nname = "lib"\n',
        "src/lib.rs": (
            "use std::process::Command;\n"
            "pub fn run(dir: &str) {\n"
            '    let s = format!("ls {}", dir);\n'
            '    Command::new("sh").arg("-c").arg(&s).status().unwrap();\n'
            "    let v: Option<u8> = None;\n"
            '    v.expect("set");\n'
            "}\n"
            "pub fn raw(p: *const u8) -> u8 {\n"
            "    // SAFETY: the caller passes a valid pointer\n"
            "    unsafe { *p }\n"
            "}\n"
            "#[cfg(test)]\n"
            "mod tests {\n"
            "    #[test]\n"
            "    fn t() { Some(1).unwrap(); }\n"
            "}\n"
        ),
        "src/main.rs": 'fn main() { std::env::var("X").unwrap(); }\n',
    }
    findings = _findings(make_tree, files)
    (shell,) = _by(findings, "command-injection")
    assert shell.kind == "hotspot" and shell.line == 4
    (unwraps,) = _by(findings, "unwrap-in-library")
    assert unwraps.path == "src/lib.rs" and unwraps.line == 4 and unwraps.metadata["count"] == 2
    (block,) = _by(findings, "unsafe-block")
    assert block.kind == "hotspot" and block.metadata["documented"] is True
    binaries = _findings(make_tree, files, detectors={"unwrap-in-library": {"include_binaries": True}})
    assert sorted(f.path for f in _by(binaries, "unwrap-in-library")) == ["src/lib.rs", "src/main.rs"]


def test_rust_shell_with_process_input_is_a_vulnerability(make_tree):
    findings = _findings(
        make_tree,
        {
            "src/main.rs": (
                "use std::process::Command;\n"
                "fn main() {\n"
                "    let arg = std::env::args().nth(1).unwrap();\n"
                '    let mut cmd = Command::new("bash");\n'
                '    cmd.args(["-c", &arg]);\n'
                "    cmd.status().ok();\n"
                "}\n"
            )
        },
    )
    (shell,) = _by(findings, "command-injection")
    assert shell.kind == "vulnerability" and shell.taint_path[0]["note"].startswith("source: env::args")


def test_csharp_sql_built_without_a_source_is_a_hotspot(make_tree):
    findings = _findings(
        make_tree,
        {
            "Repo.cs": (
                "using System.Data.SqlClient;\n"
                "class Repo {\n"
                "  SqlConnection conn;\n"
                "  internal object Count(string table) {\n"
                "    var cmd = conn.CreateCommand();\n"
                '    cmd.CommandText = $"SELECT COUNT(*) FROM {table}";\n'
                "    return cmd.ExecuteScalar();\n"
                "  }\n"
                '  internal object One() { return new SqlCommand("SELECT 1", conn).ExecuteScalar(); }\n'
                "}\n"
            )
        },
    )
    (sql,) = _by(findings, "sql-injection")
    assert sql.kind == "hotspot" and sql.line == 6


def test_csharp_weak_hash_without_password_is_a_hotspot(make_tree):
    findings = _findings(
        make_tree,
        {"Etag.cs": "using System.Security.Cryptography;\nclass Etag { byte[] Of(byte[] b) => SHA1.HashData(b); }\n"},
    )
    (weak,) = _by(findings, "weak-crypto")
    assert weak.kind == "hotspot"


def test_fallthrough_macros_that_annotate_throw_or_return_and_endless_loops(make_tree):
    findings = _findings(
        make_tree,
        {
            "m.cpp": (
                "int f(int x) {\n"
                "  switch (x) {\n"
                "  case 0: x = 1; FMT_FALLTHROUGH;\n"
                "  case 1: JSON_THROW(error(1));\n"
                '  case 2: RETURN_ERROR(bad, "no");\n'
                "  case 3: for (;;) { if (x) return 1; }\n"
                "  case 4: switch (x) { case 1: return 1; default: return 2; }\n"
                "  case 5: while (true) { if (x) break; }\n"
                "  case 6: return 0;\n"
                "  }\n"
                "  return x;\n"
                "}\n"
            )
        },
    )
    # only the endless loop with a break of its own falls through
    assert [f.line for f in _by(findings, "switch-fallthrough")] == [8]


def test_csharp_minimal_api_handler_parameters_are_sources(make_tree):
    findings = _findings(
        make_tree,
        {
            "Program.cs": (
                "var app = WebApplication.Create(args);\n"
                'app.MapGet("/run", (string cmd, ILogger<Program> log) => {\n'
                '    Process.Start("bash", "-c " + cmd);\n'
                '    return "ok";\n'
                "});\n"
                'app.MapPost("/q", (HttpRequest req, SqlConnection db) => {\n'
                '    var sql = "SELECT * FROM t WHERE id = " + req.Query["id"];\n'
                "    return new SqlCommand(sql, db).ExecuteScalar();\n"
                "});\n"
                'Func<string, string> local = (string s) => { Process.Start("bash", "-c " + s); return s; };\n'
            )
        },
    )
    kinds = {(f.detector, f.line): f.kind for f in findings if f.category == "security"}
    assert kinds[("command-injection", 3)] == "vulnerability"
    assert kinds[("sql-injection", 8)] == "vulnerability"
    assert kinds[("command-injection", 10)] == "hotspot"  # a lambda that is not an endpoint


def test_panic_in_drop_skips_the_panicking_guard_and_tests(make_tree):
    files = {
        "src/lib.rs": (
            "pub struct Q;\n"
            "impl Drop for Q {\n"
            "    fn drop(&mut self) {\n"
            "        if !std::thread::panicking() {\n"
            '            assert!(self.is_empty(), "queue not empty");\n'
            "        }\n"
            "    }\n"
            "}\n"
        ),
        "tests/drop.rs": 'struct P;\nimpl Drop for P {\n    fn drop(&mut self) { panic!("on purpose"); }\n}\n',
    }
    assert _by(_findings(make_tree, files), "panic-in-drop") == []
