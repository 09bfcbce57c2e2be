"""File discovery, module names and configuration loading."""

from __future__ import annotations

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
