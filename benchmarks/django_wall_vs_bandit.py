"""Wall time of the engine on Django against bandit's on the same tree (target: <= 0.35x).

Usage (from the repository root)::

    .venv/bin/python -m benchmarks.django_wall_vs_bandit

Runs bandit (``-r``, JSON to a temporary file), then the engine's CLI twice — every language (Django
ships some JavaScript) and ``languages = ["python"]`` — each as a fresh process with the default
workers, and prints the wall times, the ratios and the load average (the machine is shared).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._cache import ensure_tools, project_source, tool_path


def _wall(cmd: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, check=False, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t


def main() -> int:
    ensure_tools("bandit")
    root = str(project_source("django"))
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "python.toml"
        config.write_text('languages = ["python"]\n', encoding="utf-8")
        out = str(Path(tmp) / "out.json")
        bandit = _wall([tool_path("bandit"), "-r", "-q", "-f", "json", "-o", out, root])
        every = _wall([sys.executable, "-m", "analysis.engine", root, "-q", "-o", out])
        python = _wall([sys.executable, "-m", "analysis.engine", root, "-q", "-o", out, "--config", str(config)])
    print(
        f"Django: bandit {bandit:.2f} s; engine, every language {every:.2f} s = {every / bandit:.2f}x; "
        f"engine, Python only {python:.2f} s = {python / bandit:.2f}x (load average {os.getloadavg()[0]:.2f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
