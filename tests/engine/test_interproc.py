"""Inter-procedural taint (interproc.py) on the vulnerable sample with safe twins, and the rules
for local sources and sanitised wrappers."""

from __future__ import annotations

from analysis.engine import analyze
from benchmarks.trust_recall import measure


def test_every_expected_flow_is_found_with_its_kind_and_the_safe_twins_stay_silent():
    m = measure()
    assert len(m.expected) >= 19
    missed = m.expected - m.hits
    assert not missed, (missed, m.wrong_kind)
    assert m.false_alarms == []


def test_paths_across_modules_name_every_call(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "tools.py").write_text(
        "import os\nimport shlex\n\n\ndef run(cmd):\n    return os.system(cmd)\n\n\n"
        "def run_quoted(arg):\n    return os.system('ls ' + shlex.quote(arg))\n"
    )
    (tmp_path / "pkg" / "cli.py").write_text(
        "import sys\n\nfrom pkg.tools import run, run_quoted\n\n\n"
        "def main():\n    run(sys.argv[1])\n    run_quoted(sys.argv[2])\n"
    )
    (tmp_path / "pkg" / "web.py").write_text(
        "from flask import request\n\nfrom pkg import tools\n\n\ndef hook():\n    return tools.run_quoted(request.args['x'])\n"
    )
    result = analyze(str(tmp_path), workers=1)
    found = [f for f in result.findings if f.detector == "command-injection"]
    # argv is the operator's own input: a hotspot, with the path; the quoted wrapper is safe
    assert [(f.path, f.line, f.kind) for f in found] == [("pkg/tools.py", 6, "hotspot")]
    assert [(s["path"], s["line"], s["note"]) for s in found[0].taint_path] == [
        ("pkg/cli.py", 7, "source: sys.argv"),
        ("pkg/cli.py", 7, "passed to run(cmd)"),
        ("pkg/tools.py", 6, "sink: os.system"),
    ]
    assert "taint" in result.timings
