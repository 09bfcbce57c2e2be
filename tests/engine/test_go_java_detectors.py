"""Go and Java detectors: security with input-source evidence (vulnerability only when a source
reaches the sink, else hotspot), the bug-risk checks of each language, and the generic tree
detectors (complexity, unreachable code) covering both."""

from __future__ import annotations

from analysis.engine import analyze
from benchmarks.go_java_security_samples import run as run_samples


def _findings(make_tree, files):
    root = make_tree(files)
    return analyze(str(root), workers=1).findings


def _by(findings, detector):
    return [f for f in findings if f.detector == detector]


def test_samples_every_vulnerability_found_and_safe_twins_quiet():
    wanted, found, alarms = run_samples()
    assert len(wanted) >= 19
    assert wanted <= found
    assert alarms == []


def test_go_sql_built_without_a_source_is_a_hotspot(make_tree):
    findings = _findings(
        make_tree,
        {
            "repo/store.go": (
                'package repo\n\nimport (\n\t"database/sql"\n\t"fmt"\n)\n\n'
                "func ByTable(db *sql.DB, table string) {\n"
                '\tq := fmt.Sprintf("SELECT * FROM %s", table)\n'
                "\trows, _ := db.Query(q)\n\t_ = rows\n}\n"
            )
        },
    )
    (sql,) = _by(findings, "sql-injection")
    assert sql.kind == "hotspot" and sql.line == 10


def test_java_sql_built_without_a_source_is_a_hotspot_and_constants_are_quiet(make_tree):
    findings = _findings(
        make_tree,
        {
            "Repo.java": (
                "class Repo {\n"
                "  java.sql.ResultSet byTable(java.sql.Statement st, String table) throws Exception {\n"
                '    return st.executeQuery("SELECT * FROM " + table);\n'
                "  }\n"
                "  java.sql.ResultSet all(java.sql.Statement st) throws Exception {\n"
                '    return st.executeQuery("SELECT * FROM " + "users");\n'
                "  }\n"
                "}\n"
            )
        },
    )
    (sql,) = _by(findings, "sql-injection")
    assert sql.kind == "hotspot" and sql.line == 3


def test_go_bug_risks(make_tree):
    findings = _findings(
        make_tree,
        {
            "main.go": (
                'package main\n\nimport "os"\n\n'
                "func save() error { return nil }\n\n"
                "func run(paths []string) int {\n"
                "\tsave()\n"  # 8: ignored error of a same-file function
                '\tos.Remove("x")\n'  # 9: ignored error of the standard library
                "\t_ = save()\n"  # explicit: fine
                "\tif err := save(); err != nil {\n\t\treturn 1\n\t}\n"
                "\tfor _, p := range paths {\n"
                "\t\tf, err := os.Open(p)\n\t\tif err != nil {\n\t\t\tcontinue\n\t\t}\n"
                "\t\tdefer f.Close()\n"  # 19: defer in a loop
                "\t\tgo func() {\n\t\t\tdefer f.Close()\n\t\t}()\n"  # a literal's own defer: fine
                "\t}\n"
                "\treturn 0\n"
                "\tsave()\n"  # 25: unreachable
                "}\n"
            )
        },
    )
    assert sorted(f.line for f in _by(findings, "ignored-error")) == [8, 9, 25]
    assert [f.line for f in _by(findings, "defer-in-loop")] == [19]
    assert [f.line for f in _by(findings, "unreachable-code")] == [25]


def test_java_bug_risks(make_tree):
    findings = _findings(
        make_tree,
        {
            "A.java": (
                "import java.io.*;\n"
                "class A {\n"
                "  private String mode;\n"
                "  boolean check(String a, String b, int n) {\n"
                '    if (a == "x") { return true; }\n'  # 5: literal
                "    if (a == b) { return true; }\n"  # 6: two strings
                "    if (a == null || n == 3) { return false; }\n"  # fine
                "    if (mode != a) { return false; }\n"  # 8: a field and a parameter
                "    try { n++; } catch (RuntimeException e) { }\n"  # 9: empty catch
                "    try { n++; } catch (RuntimeException ignored) { }\n"  # named on purpose
                "    try { n++; } catch (RuntimeException e) { /* cannot happen */ }\n"
                "    return n > 0;\n"
                "  }\n"
                "  String first(String path) throws IOException {\n"
                "    BufferedReader leaked = new BufferedReader(new FileReader(path));\n"  # 15
                "    BufferedReader closed = new BufferedReader(new FileReader(path));\n"
                "    try { return leaked.readLine() + closed.readLine(); } finally { closed.close(); }\n"
                "  }\n"
                "  String second(String path) throws IOException {\n"
                "    try (BufferedReader r = new BufferedReader(new FileReader(path))) { return r.readLine(); }\n"
                "  }\n"
                "  Reader third(String path) throws IOException {\n"
                "    Reader r = new FileReader(path);\n"
                "    return r;\n"  # handed to the caller
                "  }\n"
                "}\n"
            )
        },
    )
    assert sorted(f.line for f in _by(findings, "string-reference-equality")) == [5, 6, 8]
    assert [f.line for f in _by(findings, "bare-or-swallowed-except")] == [9]
    assert [f.line for f in _by(findings, "resource-not-closed")] == [15]


def test_generic_complexity_detectors_cover_go_and_java(make_tree):
    branches = "".join(f"\tif x == {i} {{\n\t\treturn {i}\n\t}}\n" for i in range(20))
    jbranches = "".join(f"    if (x == {i}) {{ return {i}; }}\n" for i in range(20))
    findings = _findings(
        make_tree,
        {
            "c.go": f"package c\n\nfunc Many(x int) int {{\n{branches}\treturn -1\n}}\n",
            "C.java": f"class C {{\n  int many(int x) {{\n{jbranches}    return -1;\n  }}\n}}\n",
        },
    )
    cyclomatic = {(f.path, f.language): f.metadata["value"] for f in _by(findings, "high-cyclomatic-complexity")}
    assert cyclomatic == {("c.go", "go"): 21, ("C.java", "java"): 21}


def test_go_dead_code_knows_init_and_unexported_names(make_tree):
    findings = _findings(
        make_tree,
        {
            "main.go": (
                'package main\n\nimport "fmt"\n\n'
                "func init() { fmt.Println(1) }\n\n"
                "func helper() int { return 1 }\n\n"
                "func Exported() int { return 2 }\n\n"
                "func main() { fmt.Println(2) }\n"
            )
        },
    )
    unused = {f.message.split("'")[1]: f for f in _by(findings, "unused-function-or-class")}
    assert set(unused) == {"helper", "Exported"}
    assert unused["helper"].confidence > unused["Exported"].confidence  # unexported: nothing outside can call it
    assert unused["Exported"].metadata.get("exported") is True


def test_java_checks_shared_with_python_and_javascript(make_tree):
    findings = _findings(
        make_tree,
        {
            "B.java": (
                "import java.util.List;\n"  # 1: used
                "import java.util.Map;\n"  # 2: unused
                "import java.util.Set;\n"  # 3: named in Javadoc only: a use
                "import static java.lang.Math.max;\n"  # 4: unused static import
                "import java.io.*;\n"  # wildcard: not judged
                "/** Holds a {@link Set}. */\n"
                "class B {\n"
                "  private int size;\n"
                "  List<String> items;\n"
                "  int read(int size) {\n"
                "    size = size;\n"  # 11: self-assignment
                "    this.size = this.size;\n"  # 12
                "    this.size = size;\n"
                '    String out = "";\n'
                "    for (String s : items) {\n"
                "      out += s;\n"  # 16: concatenation in a loop
                "    }\n"
                "    try {\n"
                "      return out.length();\n"
                "    } finally {\n"
                "      for (String s : items) { if (s.isEmpty()) { break; } }\n"  # a loop's own break: fine
                "      return 0;\n"  # 22: return in finally
                "    }\n"
                "  }\n"
                "}\n"
            )
        },
    )
    assert sorted(f.line for f in _by(findings, "unused-import")) == [2, 4]
    assert sorted(f.line for f in _by(findings, "self-assignment")) == [11, 12]
    assert [f.line for f in _by(findings, "string-concat-in-loop")] == [16]
    assert [f.line for f in _by(findings, "return-or-break-in-finally")] == [22]


def test_go_self_assignment_and_string_concat_in_loop(make_tree):
    findings = _findings(
        make_tree,
        {
            "s.go": (
                "package s\n\n"
                "func Join(items []string, n int) string {\n"
                '\tout := ""\n'
                "\ttotal := 0\n"
                "\tfor _, it := range items {\n"
                '\t\tout += it + ","\n'  # 7: string built in a loop
                "\t\ttotal += len(it)\n"  # an int: fine
                "\t}\n"
                "\tn = n\n"  # 10: self-assignment
                "\t_ = total\n"
                "\treturn out\n"
                "}\n"
            )
        },
    )
    assert [f.line for f in _by(findings, "string-concat-in-loop")] == [7]
    assert [f.line for f in _by(findings, "self-assignment")] == [10]
