"""The jail of ``[fixes] test_command``: a real bubblewrap jail around real processes."""

from __future__ import annotations

import os
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection

from fixes import jail
from fixes.sandbox import run_test_command


def _scratch(tmp_path: Path, settings) -> tuple[Path, Path]:
    """A checkout where the sandbox puts one: under the workspace, beside other organisations'."""
    workspace = Path(settings.REPOTOIRE_WORKSPACE_DIR)
    scratch = workspace / "sandboxes" / "fix-test"
    root = scratch / "tree" / "repo"
    root.mkdir(parents=True)
    return scratch, root


def _run(root: Path, scratch: Path, code: str, timeout: int = 60) -> dict:
    (root / "probe.py").write_text(code)
    return run_test_command(root, "python3 probe.py", timeout=timeout, scratch=scratch)


def test_the_command_runs_as_nobody_and_sees_only_its_checkout(tmp_path, settings, monkeypatch):
    settings.REPOTOIRE_WORKSPACE_DIR = tmp_path / "workspaces"
    scratch, root = _scratch(tmp_path, settings)
    other = Path(settings.REPOTOIRE_WORKSPACE_DIR) / "another-org-repo"
    other.mkdir()
    (other / "secret.txt").write_text("theirs")
    monkeypatch.setenv("DJANGO_SECRET_KEY_PROBE", "s3cr3t-value")
    db_host = str(connection.settings_dict.get("HOST") or "")
    probe = f"""
import os, socket
print("uid", os.getuid(), os.getgid())
print("shadow", os.path.exists("/etc/shadow"))
print("other", os.path.exists({str(other)!r}))
print("workspace", os.path.exists({str(Path(settings.REPOTOIRE_WORKSPACE_DIR))!r}))
print("sandbox", sorted(os.listdir("/sandbox")), os.getcwd())
print("project", os.path.exists({str(Path(__file__).resolve().parents[2])!r}))
print("dbsocket", {db_host!r}.startswith("/") and os.path.exists({db_host!r}))
print("env", sorted(os.environ))
s = socket.socket(socket.AF_UNIX)
for path in ("/run/postgresql/.s.PGSQL.5432", "/tmp/.s.PGSQL.5432"):
    try:
        s.connect(path); print("unix", path, "connected")
    except OSError:
        pass
open("written.txt", "w").write("ok")
"""
    result = _run(root, scratch, probe)
    out = result["output_tail"]
    assert result["ran"] is True and result["passed"] is True, out
    assert result["isolated"] is True
    assert "uid 65534 65534" in out
    assert "shadow False" in out
    assert "other False" in out
    assert "workspace False" in out
    assert "sandbox ['home', 'repo', 'tmp'] /sandbox/repo" in out
    assert "project False" in out
    assert "dbsocket False" in out
    assert "connected" not in out
    assert "s3cr3t" not in out and "DJANGO_SECRET_KEY_PROBE" not in out
    assert (root / "written.txt").read_text() == "ok"  # the checkout itself is writable


def test_a_setsid_child_does_not_outlive_the_timeout(tmp_path, settings):
    settings.REPOTOIRE_WORKSPACE_DIR = tmp_path / "workspaces"
    scratch, root = _scratch(tmp_path, settings)
    token = f"escapee-{uuid.uuid4().hex}"
    probe = f"""
import subprocess, sys, time
subprocess.Popen([sys.executable, "-c", "import time\\nwhile True:\\n    open('beat', 'a').write('.')\\n    time.sleep(0.1)", {token!r}],
                 start_new_session=True)
time.sleep(60)
"""
    started = time.monotonic()
    result = _run(root, scratch, probe, timeout=2)
    assert result["timed_out"] is True and result["passed"] is False
    assert time.monotonic() - started < 30
    time.sleep(0.5)
    alive = [pid for pid in os.listdir("/proc") if pid.isdigit() and _cmdline_has(pid, token)]
    assert alive == []
    size = (root / "beat").stat().st_size
    time.sleep(0.5)
    assert (root / "beat").stat().st_size == size


def _cmdline_has(pid: str, token: str) -> bool:
    try:
        return token.encode() in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def test_without_an_isolated_sandbox_the_command_is_not_run(tmp_path, settings, monkeypatch):
    settings.REPOTOIRE_WORKSPACE_DIR = tmp_path / "workspaces"
    scratch, root = _scratch(tmp_path, settings)
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent))  # no bwrap there
    jail.unavailable.cache_clear()
    try:
        result = _run(root, scratch, "open('ran.txt', 'w').write('yes')\n")
    finally:
        jail.unavailable.cache_clear()
    assert result["ran"] is False and result["passed"] is None
    assert "isolated sandbox" in result["output_tail"] and "bubblewrap" in result["output_tail"]
    assert not (root / "ran.txt").exists()


@pytest.fixture(autouse=True)
def _needs_the_jail() -> None:
    if os.environ.get("CI") != "true" and jail.unavailable():
        pytest.skip(f"no isolated sandbox here: {jail.unavailable()}")
