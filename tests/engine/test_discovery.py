"""File discovery, module names and configuration loading."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from analysis.engine.config import ConfigError, EngineConfig
from analysis.engine.discovery import discover, is_test_path, module_names
from analysis.engine.model import Severity


def paths(root, config=None):
    return [f.path for f in discover(root, config).files]


def test_gitignore_root_nested_and_negation(make_tree):
    root = make_tree(
        {
            ".gitignore": "generated/\n*_local.py\n",
            "app/.gitignore": "secret.py\n!keep_local.py\n",
            "app/main.py": "x = 1\n",
            "app/secret.py": "x = 1\n",
            "app/settings_local.py": "x = 1\n",
            "app/keep_local.py": "x = 1\n",
            "secret.py": "x = 1\n",  # the nested .gitignore does not apply above its directory
            "generated/out.py": "x = 1\n",
        }
    )
    assert paths(root) == ["app/keep_local.py", "app/main.py", "secret.py"]


def test_repotoireignore_and_config_excludes(make_tree):
    root = make_tree(
        {
            ".repotoireignore": "scripts/\n",
            "scripts/run.py": "",
            "docs/conf.py": "",
            "src/a.py": "",
        }
    )
    assert paths(root, EngineConfig(exclude=["docs/**"])) == ["src/a.py"]


def test_default_excludes_and_counts(make_tree):
    root = make_tree(
        {
            "node_modules/x.py": "",
            ".venv/lib/x.py": "",
            "myenv/pyvenv.cfg": "home = /usr\n",
            "myenv/lib/y.py": "",
            "build/lib/z.py": "",
            "vendor/lib.py": "",
            "proto/msg_pb2.py": "",
            "app/migrations/0001_initial.py": "x = 1\n",
            "app/models.py": "x = 1\n",
            "README.md": "hi\n",
        }
    )
    d = discover(root)
    assert [f.path for f in d.files] == ["app/migrations/0001_initial.py", "app/models.py"]
    assert d.files[0].is_migration and not d.files[1].is_migration
    assert d.skipped["excluded_dir"] == 5
    assert d.skipped["generated"] == 1
    assert d.other_files == 1  # README.md: counted, not analysed


def test_size_cap(make_tree):
    root = make_tree({"big.py": "x = 1\n" * 1000, "small.py": "x = 1\n"})
    d = discover(root, EngineConfig(max_file_size=100))
    assert [f.path for f in d.files] == ["small.py"]
    assert d.skipped == {"too_large": 1}


def test_module_names_src_layout(make_tree):
    root = make_tree(
        {
            "src/pkg/__init__.py": "",
            "src/pkg/sub/__init__.py": "",
            "src/pkg/sub/mod.py": "",
            "scripts/tool.py": "",
            "setup.py": "",
        }
    )
    d = discover(root)
    names = module_names(root, [f.path for f in d.files], d.package_dirs)
    assert names == {
        "scripts/tool.py": "tool",
        "setup.py": "setup",
        "src/pkg/__init__.py": "pkg",
        "src/pkg/sub/__init__.py": "pkg.sub",
        "src/pkg/sub/mod.py": "pkg.sub.mod",
    }


def test_module_names_when_the_root_is_a_package(make_tree):
    root = make_tree({"django/__init__.py": "", "django/db/__init__.py": "", "django/db/models.py": ""})
    pkg = root / "django"
    d = discover(pkg)
    names = module_names(pkg, [f.path for f in d.files], d.package_dirs)
    assert names["db/models.py"] == "django.db.models"
    assert names["__init__.py"] == "django"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("tests/test_a.py", True),
        ("pkg/test_b.py", True),
        ("pkg/b_test.py", True),
        ("conftest.py", True),
        ("pkg/tests/helpers.py", True),
        ("pkg/testing_utils.py", False),
        ("pkg/contest.py", False),
    ],
)
def test_is_test_path(path, expected):
    assert is_test_path(path) is expected


def test_config_from_repotoire_toml(make_tree):
    root = make_tree(
        {
            "repotoire.toml": """
                exclude = ["legacy/**"]
                max_file_size = 5000
                layers = ["app.web", ["app.services", "app.jobs"], "app.domain"]

                [detectors.long-function]
                max_lines = 10
                severity = "high"

                [detectors.todo-comment]
                enabled = false

                [score]
                min_kloc = 1
            """,
        }
    )
    config = EngineConfig.load(root)
    assert config.exclude == ["legacy/**"]
    assert config.max_file_size == 5000
    assert config.layers == ["app.web", ["app.services", "app.jobs"], "app.domain"]
    assert not config.is_enabled("todo-comment") and config.is_enabled("long-function")
    assert config.detectors["long-function"].severity is Severity.HIGH
    assert config.threshold("long-function", "max_lines") == 10
    assert config.options["score"] == {"min_kloc": 1}
    assert config.source_file == "repotoire.toml"


def test_config_from_pyproject_and_overrides(make_tree):
    root = make_tree(
        {"pyproject.toml": "[tool.repotoire]\nexclude = ['a/**']\n[tool.repotoire.detectors.deep-nesting]\nmax_depth = 2\n"}
    )
    config = EngineConfig.load(root, overrides={"detectors": {"deep-nesting": {"max_depth": 6}}, "exclude": ["b/**"]})
    assert config.exclude == ["a/**", "b/**"]
    assert config.threshold("deep-nesting", "max_depth") == 6
    assert config.source_file == "pyproject.toml"


def test_malformed_config_is_a_config_error(make_tree):
    root = make_tree({"repotoire.toml": "[detectors.x]\nseverity = 'extreme'\n"})
    with pytest.raises(ConfigError):
        EngineConfig.load(root)
    with pytest.raises(ConfigError):
        EngineConfig.load(make_tree({"repotoire.toml": "exclude = [1, 2"}))


# A glob that Python's backtracking ``re`` needs minutes (hours for longer names) to reject.
HOSTILE_GLOB = "*a" * 12 + "*b"
REPO_ROOT = Path(__file__).resolve().parents[2]


def test_hostile_globs_are_matched_in_linear_time(make_tree, tmp_path):
    """The exclude glob, a .gitignore and a [roles] glob that each pinned a worker for minutes
    are matched in a bounded time (a real interpreter under a timeout: a backtracking regex
    holds the GIL, so no in-process watchdog could stop it)."""
    name = "a" * 60
    root = make_tree(
        {
            "repotoire.toml": f'exclude = ["{HOSTILE_GLOB}"]\n[roles]\ntest = ["{HOSTILE_GLOB}"]\n',
            ".gitignore": HOSTILE_GLOB + "\n",
            f"{name}.py": "x = 1\n",
            f"pkg/{name}/{name}.py": "x = 1\n",
            "ab.py": "x = 1\n",
            "a" * 12 + "b/hidden.py": "x = 1\n",  # the glob matches the directory
        }
    )
    script = (
        "import sys\n"
        "from analysis.engine.config import EngineConfig\n"
        "from analysis.engine.discovery import discover\n"
        "from analysis.engine.roles import RoleResolver\n"
        "config = EngineConfig.load(sys.argv[1])\n"
        "files = [f.path for f in discover(sys.argv[1], config).files]\n"
        "roles = RoleResolver(overrides=config.roles)\n"
        "print(sorted(files), [roles.role(p) for p in sorted(files)])\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(root)], capture_output=True, text=True, timeout=60, cwd=REPO_ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"['{name}.py', 'ab.py', 'pkg/{name}/{name}.py'] ['source', 'source', 'source']"


@pytest.mark.parametrize("globs", [["[z-a]"], ["x" * 2000], ["a"] * 6000])
def test_unusable_exclude_globs_are_a_config_error(globs):
    with pytest.raises(ConfigError, match="exclude"):
        EngineConfig.from_mapping({"exclude": globs})


def test_an_ignore_file_that_does_not_compile_is_skipped_and_counted(make_tree):
    root = make_tree({".gitignore": "[z-a]\n", "app.py": "x = 1\n"})
    found = discover(root)
    assert [f.path for f in found.files] == ["app.py"]
    assert found.skipped["invalid_ignore_file"] == 1


def test_discovery_calls_check_while_walking_and_stops_when_it_raises(make_tree):
    """The worker's deadline and cancellation reach a long walk through ``check``."""
    root = make_tree({f"d{i}/m{j}.py": "x = 1\n" for i in range(20) for j in range(60)})
    calls = []

    class Stop(Exception):
        pass

    def check():
        calls.append(1)
        if len(calls) == 2:
            raise Stop

    with pytest.raises(Stop):
        discover(root, check=check)
    assert len(calls) == 2
    assert len(discover(root, check=lambda: None).files) == 1200
