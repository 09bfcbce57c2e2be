"""The command line as a person and as CI meet it: nothing graded without source, a summary on a
terminal and JSON in a pipe, the findings that failed the run named, git's whole message."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.engine.__main__ import main
from analysis.engine.source import SourceError, fetch
from tests.engine.test_reports import html_data

ROOT = Path(__file__).resolve().parents[2]
PROJECT = {
    "app/__init__.py": "",
    # request data reaching two sinks: vulnerabilities (a parameter alone would be a hotspot)
    "app/views.py": "import os\n\n\ndef run(request):\n    cmd = request.GET['c']\n    os.system('ls ' + cmd)\n    return eval(cmd)\n",
}


def test_a_directory_without_source_files_exits_2_and_says_why(make_tree, capsys):
    root = make_tree({"README.md": "# docs only\n", "data/table.csv": "a,b\n"})
    assert main([str(root)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # no report, no score
    assert "no source file to analyse" in captured.err and "other_language 2" in captured.err  # files in no analysed language
    assert "score" not in captured.err


def test_an_empty_directory_exits_2(tmp_path, capsys):
    assert main([str(tmp_path)]) == 2
    assert "the directory holds no file" in capsys.readouterr().err


def test_json_when_stdout_is_a_pipe(make_tree, capsys):
    root = make_tree(PROJECT)
    assert main([str(root), "--quiet"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert {f["detector"] for f in report["findings"]} >= {"code-injection"}


def test_text_summary_on_request(make_tree, capsys):
    root = make_tree(PROJECT)
    assert main([str(root), "--format", "text"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Repotoire: {root.name}\n")
    assert "Grade " in out and "Top findings" in out
    assert "\x1b[" not in out  # no colour outside a terminal


def _run_on_a_terminal(args: list[str]) -> tuple[int, str]:
    """Run the CLI with stdout and stderr on a pseudo-terminal, as in a person's shell."""
    leader, follower = pty.openpty()
    env = {**os.environ, "COLUMNS": "120", "PYTHONPATH": str(ROOT)}
    env.pop("NO_COLOR", None)
    proc = subprocess.Popen([sys.executable, "-m", "analysis.engine", *args], stdout=follower, stderr=follower, cwd=ROOT, env=env)
    os.close(follower)
    chunks = []
    while True:
        ready, _, _ = select.select([leader], [], [], 60)
        if not ready:
            proc.kill()
            raise AssertionError("no output from the command line for 60 s")
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed: the process exited
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    return proc.wait(timeout=60), b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.slow
def test_a_terminal_gets_a_readable_summary_not_json(make_tree):
    root = make_tree(PROJECT)
    code, out = _run_on_a_terminal([str(root), "--workers", "1"])
    assert code == 0
    assert "Grade" in out and "score" in out and "Top findings" in out
    assert "code-injection" in out and "app/views.py:6" in out
    assert '"schema_version"' not in out
    assert "\x1b[1m" in out  # bold headings on a terminal


def test_fail_on_names_the_findings_that_failed_the_run(make_tree, tmp_path, capsys):
    root = make_tree(PROJECT)
    assert main([str(root), "--fail-on", "high", "--quiet", "-o", str(tmp_path / "r.json")]) == 1
    err = capsys.readouterr().err
    assert "FAILED: 2 new finding(s) at or above high" in err
    lines = [line for line in err.splitlines() if "app/views.py" in line]
    assert {line.split()[1] for line in lines} == {"code-injection", "command-injection"}
    assert all(line.split()[0] in ("critical", "high") for line in lines)


def test_failures_are_capped_with_a_count(make_tree, tmp_path, capsys):
    body = "".join(f"\n\ndef f{i}(request):\n    return eval(request.GET['x'])\n" for i in range(25))
    root = make_tree({"m.py": body})
    assert main([str(root), "--fail-on", "high", "--quiet", "-o", str(tmp_path / "r.json")]) == 1
    err = capsys.readouterr().err
    assert "FAILED: 25 new finding(s)" in err
    assert "… and 5 more (see the report)" in err


def test_baseline_marks_new_findings_in_the_html_report(make_tree, tmp_path, capsys):
    root = make_tree(PROJECT)
    baseline = tmp_path / "base.json"
    assert main([str(root), "--quiet", "-o", str(baseline)]) == 0
    (root / "app" / "more.py").write_text("def g(x):\n    return eval(x)\n")
    assert main([str(root), "--quiet", "--format", "html", "--baseline", str(baseline)]) == 0
    page = capsys.readouterr().out
    items = html_data(page)["findings"]
    assert {i["path"] for i in items if i.get("new")} == {"app/more.py"}
    assert any(i["path"] == "app/views.py" for i in items)
    assert 'id="f-fresh"' in page


def test_clone_errors_keep_gits_whole_message_without_credentials(tmp_path):
    with pytest.raises(SourceError) as exc:
        fetch(f"file://{tmp_path}/no-such-repo.git", workspace=tmp_path / "ws")
    message = str(exc.value)
    # git explains the cause first and ends with the generic advice: both are kept
    assert "does not appear to be a git repository" in message
    assert "and the repository exists" in message
    with pytest.raises(SourceError) as exc:
        fetch("https://someone:s3cr3t-token@127.0.0.1:9/acme/shop.git", workspace=tmp_path / "ws", timeout=30)
    assert "s3cr3t-token" not in str(exc.value)
    assert "127.0.0.1" in str(exc.value)


def test_the_cli_shows_a_clone_failure_whole(tmp_path, capsys):
    assert main([f"file://{tmp_path}/missing.git", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "does not appear to be a git repository" in err and "and the repository exists" in err


def test_the_cli_never_prints_the_html_entities_of_markdown(make_tree, capsys):
    root = make_tree({"a.py": "import b\n", "b.py": "import a\n"})
    assert main([str(root), "--quiet", "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    assert "->" in out  # the import cycle's "a -> b -> a"
    assert "&gt;" not in out and "&lt;" not in out and "&amp;" not in out


def test_the_summary_says_what_the_default_view_leaves_out(make_tree, capsys):
    root = make_tree({**PROJECT, "tests/test_views.py": "import os\n\n\ndef test_run(x):\n    return eval(x)\n"})
    assert main([str(root), "--format", "text"]) == 0
    out = " ".join(capsys.readouterr().out.split())  # wrapped to the terminal's width
    assert "Not listed: 3 in tests, examples, vendored or generated files (to list them: --scope all --min-confidence 0)" in out
    assert "tests/test_views.py" not in out
    assert main([str(root), "--format", "text", "--scope", "all", "--min-confidence", "0"]) == 0
    assert "Not listed" not in capsys.readouterr().out


def test_a_typescript_and_go_project_is_analysed_from_the_command_line(make_tree, capsys):
    """Languages other than Python through the CLI: a summary naming the finding, and the JSON
    report with each language's score and the vulnerability's source-to-sink path."""
    root = make_tree(
        {
            "web/calc.ts": 'import express from "express";\n\nconst app = express();\napp.get("/calc", (req, res) => {\n'
            "  const expression = String(req.query.expr);\n  res.json({ value: eval(expression) });\n});\nexport default app;\n",
            "cmd/run/main.go": 'package main\n\nimport (\n\t"net/http"\n\t"os/exec"\n)\n\nfunc run(w http.ResponseWriter, r *http.Request) {\n'
            '\tname := r.URL.Query().Get("name")\n\texec.Command("sh", "-c", "ls "+name).Run()\n}\n\n'
            'func main() {\n\thttp.HandleFunc("/run", run)\n}\n',
        }
    )
    assert main([str(root), "--format", "text"]) == 0
    summary = capsys.readouterr().out
    assert re.search(r"code-injection +web/calc\.ts:6", summary) and re.search(r"command-injection +cmd/run/main\.go:10", summary)

    assert main([str(root), "--format", "json", "--fail-on", "high"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert set(report["metrics"]["languages"]) == {"typescript", "go"}
    by_detector = {f["detector"]: f for f in report["findings"] if f["category"] == "security"}
    assert by_detector["code-injection"]["language"] == "typescript"
    assert [step["line"] for step in by_detector["code-injection"]["taint_path"]] == [5, 5, 6]
    assert by_detector["command-injection"]["path"] == "cmd/run/main.go" and by_detector["command-injection"]["line"] == 10
