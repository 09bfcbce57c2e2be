"""The README's walkthrough, command for command, against the running platform (uvicorn + workers):
API key → repository → analysis followed over SSE → findings → HTML report → fix proposal → apply,
and the command that lifts the demo organisation's free-plan limits."""

from __future__ import annotations

import os
import re
import subprocess

import httpx
import pytest
from django.core.management import call_command

from tests.asgi import ROOT

README = ROOT / "README.md"


def walkthrough_blocks() -> list[str]:
    section = README.read_text().split("## Walkthrough: from an API key to a fix", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.*?)```", section, re.S)


def test_walkthrough_shows_how_to_set_the_url_and_the_key():
    first = walkthrough_blocks()[0]
    assert re.findall(r"^export (\w+)=", first, re.M) == ["API", "KEY"]
    assert "export API=http://127.0.0.1:8000/api/v1\n" in first


@pytest.mark.slow
def test_readme_walkthrough_runs_against_a_live_server(browser_db, live_platform, tmp_path, capsys):
    from django.db import connection

    call_command("ensure_demo")  # what the first `make run` does
    key = re.search(r"^\s+(rpt_\S+)$", capsys.readouterr().out, re.M).group(1)
    setup, *steps, lift = walkthrough_blocks()

    env = {**os.environ, "API": f"{live_platform.url}/api/v1", "KEY": key}
    script = "set -euo pipefail\n" + "\n".join(steps)
    done = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    out = done.stdout
    assert done.returncode == 0, (
        f"{done.stderr[-3000:]}\n--- stdout ---\n{out[-3000:]}\n--- servers ---\n{live_platform.log.read_text()[-3000:]}"
    )

    # The SSE stream followed the run to its end, and the status agrees.
    assert "event: progress" in out and '"status":"completed"' in out
    # Findings, most severe first: the eval() before the unused import.
    assert re.search(r"^(critical|high) code-injection app.py \d+ ", out, re.M), out
    assert out.index("code-injection app.py") < out.index("unused-import app.py 1 ")
    report = (tmp_path / "report.html").read_text()
    assert report.startswith("<!DOCTYPE html>") and "demo-repo" in report
    # The proposal was reviewable (validated in the sandbox) and its diff drops the import.
    assert re.search(r"^pending ", out, re.M) and re.search(r"^-import os$", out, re.M)
    # Applied: a branch with the fix in the repository itself.
    assert re.search(r"repotoire/fix-[0-9a-f]{8}", out)

    headers = {"X-API-Key": key}
    assert httpx.get(f"{live_platform.url}/api/v1/analysis/concurrency", headers=headers).json()["plan"] == "free"
    lifted = subprocess.run(
        ["bash", "-c", "set -euo pipefail\n" + lift],
        cwd=ROOT,
        env={**os.environ, "REPOTOIRE_ENV": "test", "REPOTOIRE_DB_NAME": connection.settings_dict["NAME"]},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert lifted.returncode == 0, lifted.stderr
    assert lifted.stdout.startswith("rpt_")
    assert httpx.get(f"{live_platform.url}/api/v1/analysis/concurrency", headers=headers).json()["plan"] == "enterprise"
