from __future__ import annotations

import os

import pytest

from analysis.engine.detectors.deadcode import UnusedFunctionOrClass
from tests.engine.detector_helpers import run_detectors
from tests.engine.graph_helpers import facts_from_sources, project_from_sources, run_detector


def unused(source: str, path: str = "pkg/mod.py") -> list[str]:
    return [f.metadata["import"] for f in run_detectors(source, "unused-import", path)]


def test_unused_import_positive() -> None:
    source = """
        import os
        import sys
        from collections import OrderedDict, defaultdict

        print(sys.argv, defaultdict)
        """
    assert unused(source) == ["os", "collections.OrderedDict"]


def test_unused_import_negative_used_everywhere_it_can_be() -> None:
    source = """
        import os.path
        import json as j
        from typing import TYPE_CHECKING, Optional

        if TYPE_CHECKING:
            from decimal import Decimal

        def f(x: Optional[int]) -> "Decimal":
            return os.path.join(j.dumps(x))
        """
    assert unused(source) == []


def test_unused_import_function_scope_and_nested_use() -> None:
    source = """
        def outer():
            import re
            import string
            def inner():
                return re.compile("x")
            return inner
        """
    findings = run_detectors(source, "unused-import")
    assert [f.metadata["import"] for f in findings] == ["string"]
    assert findings[0].symbol == "outer"


def test_unused_import_shadowed_by_a_parameter_is_still_unused() -> None:
    source = """
        import models

        def save(models):
            return models.save()
        """
    assert unused(source) == ["models"]


def test_unused_import_class_body_names_do_not_reach_methods_but_module_names_do() -> None:
    source = """
        import logging

        class A:
            import json
            def f(self):
                return logging.getLogger()
        """
    assert unused(source) == []  # imports in a class body are class attributes


def test_unused_import_respects_dunder_all_and_explicit_reexport() -> None:
    source = """
        from .a import Thing
        from .b import Other as Other
        import zlib

        __all__ = ["Thing"]
        """
    assert unused(source) == ["zlib"]


def test_unused_import_package_init_reexports() -> None:
    source = """
        from .sub import helper
        from pkg.other import Thing
        import json
        """
    assert unused(source, "pkg/__init__.py") == ["json"]
    # the same imports in a plain module are unused
    assert unused(source) == [".sub.helper", "pkg.other.Thing", "json"]


def test_unused_import_noqa_and_future() -> None:
    source = """
        from __future__ import annotations
        import os  # noqa: F401
        import re  # noqa
        import sys  # noqa: E501
        """
    assert unused(source) == ["sys"]


def test_unused_import_rebinding_reports_only_the_last_binding() -> None:
    source = """
        try:
            import simplejson as json
        except ImportError:
            import json
        import csv
        csv = None
        """
    findings = run_detectors(source, "unused-import")
    assert [f.metadata["import"] for f in findings] == ["json"]
    assert findings[0].confidence < 1.0  # optional import


def test_unused_import_type_checking_names_in_string_annotations() -> None:
    source = """
        from typing import TYPE_CHECKING
        if TYPE_CHECKING:
            from a import Used, Unused

        x: "list[Used]" = []
        """
    assert unused(source) == ["a.Unused"]


def test_unused_import_comprehension_variable_does_not_use_import() -> None:
    source = """
        import item
        values = [item for item in range(3)]
        """
    assert unused(source) == ["item"]


def test_unused_import_fingerprints_differ_per_name_and_survive_line_shift() -> None:
    one = run_detectors("from m import a, b\n", "unused-import")
    two = run_detectors("\n\nfrom m import a, b\n", "unused-import")
    assert len({f.fingerprint for f in one}) == 2
    assert [f.fingerprint for f in one] == [f.fingerprint for f in two]


def test_unused_import_on_real_code_the_engine_has_none() -> None:
    base = os.path.join(os.path.dirname(__file__), "..", "..", "analysis", "engine")
    for name in ("graph.py", "project.py", "clones.py", "detectors/deadcode.py", "detectors/architecture.py"):
        with open(os.path.join(base, name), encoding="utf-8") as fh:
            assert run_detectors(fh.read(), "unused-import", f"analysis/engine/{name}", dedent=False) == [], name


# --- unused-function-or-class ----------------------------------------------------------------


DEAD = {
    "app/__init__.py": "",
    "app/core.py": """
        import functools

        def used():
            return 1

        def _forgotten():
            return 2

        def public_orphan():
            return 3

        class Orphan:
            pass

        class Base:
            def hook(self):
                return None

            def _unused_helper(self):
                return None

        class Child(Base):
            def hook(self):
                return used()

        @functools.cache
        def registered():
            return 4

        def main():
            return 0
        """,
    "app/other.py": """
        from app.core import Child

        def __getattr__(name):
            return name

        def run():
            return Child().hook()
        """,
    "app/tests/test_core.py": """
        def test_something():
            assert True

        def helper_nobody_calls():
            return 1
        """,
}


def test_unused_function_or_class_positive() -> None:
    found = run_detector(UnusedFunctionOrClass, project_from_sources(DEAD))
    by_name = {f.metadata["qualname"]: f for f in found}
    assert set(by_name) == {"app.core._forgotten", "app.core.public_orphan", "app.core.Orphan", "app.core.Base._unused_helper"}
    assert by_name["app.core._forgotten"].confidence > by_name["app.core.public_orphan"].confidence
    assert by_name["app.core._forgotten"].severity == "low"
    assert by_name["app.core.public_orphan"].severity == "info"
    assert by_name["app.core.Orphan"].message.startswith("Class")
    assert all(f.category == "dead_code" for f in found)


def test_unused_function_or_class_negative_exclusions() -> None:
    found = {f.metadata["qualname"] for f in run_detector(UnusedFunctionOrClass, project_from_sources(DEAD))}
    for excluded in (
        "app.core.used",  # called
        "app.core.Base",  # used as a base class
        "app.core.Base.hook",  # overridden below
        "app.core.Child.hook",  # overrides a base method
        "app.core.registered",  # decorated
        "app.core.main",  # entry point
        "app.other.__getattr__",  # dunder
        "app.tests.test_core.helper_nobody_calls",  # tests
    ):
        assert excluded not in found, excluded


def test_unused_function_respects_dunder_all_and_django_conventions() -> None:
    sources = {
        "shop/__init__.py": "",
        "shop/api.py": '__all__ = ["exported"]\n\ndef exported():\n    return 1\n',
        "shop/models.py": "from django.db import models\n\nclass Item(models.Model):\n    class Meta:\n        ordering = ['id']\n\n    def get_absolute_url(self):\n        return '/'\n",
        "shop/admin.py": "class ItemAdmin:\n    pass\n",
        "shop/tasks.py": "def send_receipts():\n    return 1\n",
        "shop/middleware.py": "def timing(get_response):\n    return get_response\n\nclass AuditMiddleware:\n    pass\n",
        "shop/util.py": "def send_receipts_later():\n    return 1\n",
    }
    found = {f.metadata["qualname"] for f in run_detector(UnusedFunctionOrClass, project_from_sources(sources))}
    # Item itself is unreferenced (models are found by Django through the app registry), but
    # everything Django calls by convention is excluded
    assert "shop.api.exported" not in found
    assert "shop.models.Item.Meta" not in found
    assert "shop.models.Item.get_absolute_url" not in found
    assert "shop.admin.ItemAdmin" not in found
    assert "shop.tasks.send_receipts" not in found  # queued by dotted name
    assert not {"shop.middleware.timing", "shop.middleware.AuditMiddleware"} & found  # named in settings
    assert "shop.util.send_receipts_later" in found


@pytest.mark.parametrize("qualname", ["analysis.engine.graph.strongly_connected_components", "analysis.engine.graph.pagerank"])
def test_unused_function_on_real_code_engine_functions_are_used(qualname: str) -> None:
    base = os.path.join(os.path.dirname(__file__), "..", "..")
    sources = {}
    for name in ("graph.py", "project.py", "detectors/architecture.py"):
        with open(os.path.join(base, "analysis", "engine", name), encoding="utf-8") as fh:
            sources[f"analysis/engine/{name}"] = fh.read()
    from analysis.engine.project import build_project
    from tests.engine.graph_helpers import Config

    project = build_project(facts_from_sources(sources), Config(), base)
    found = {f.metadata["qualname"] for f in run_detector(UnusedFunctionOrClass, project)}
    assert qualname not in found


def test_unused_import_pyflakes_compatible_settings_report_reexports_and_noqa() -> None:
    from analysis.engine.context import DetectorSettings

    source = "from .a import Thing\nfrom .b import Other as Other\nimport os  # noqa: F401\n"
    settings = {
        "unused-import": DetectorSettings(
            thresholds={"honour_noqa": False, "report_init_reexports": True, "report_explicit_reexports": True}
        )
    }
    found = run_detectors(source, "unused-import", "pkg/__init__.py", settings=settings)
    assert [f.metadata["import"] for f in found] == [".a.Thing", ".b.Other", "os"]
    assert run_detectors(source, "unused-import", "pkg/__init__.py") == []


def test_unused_star_import_only_when_every_name_is_defined() -> None:
    unused_star = "from os.path import *\n\nx = len([1])\n"
    used_star = "from os.path import *\n\nx = join('a', 'b')\n"
    assert unused(unused_star) == ["os.path.*"]
    assert unused(used_star) == []
    assert unused("from .sub import *\n", "pkg/__init__.py") == []  # package re-export


def test_unused_public_methods_only_when_configured() -> None:
    from tests.engine.graph_helpers import Config

    sources = {"m/a.py": "class Thing:\n    def shiny(self):\n        return 1\n\nThing()\n"}
    assert run_detector(UnusedFunctionOrClass, project_from_sources(sources)) == []
    config = Config({"unused-function-or-class": {"report_public_methods": True}})
    found = run_detector(UnusedFunctionOrClass, project_from_sources(sources, config))
    assert [f.metadata["qualname"] for f in found] == ["m.a.Thing.shiny"]


def test_unused_import_side_effect_import_in_app_config_ready() -> None:
    source = """
        from django.apps import AppConfig

        class ShopConfig(AppConfig):
            def ready(self):
                import shop.signals

            def other(self):
                import shop.tasks
        """
    assert unused(source, "shop/apps.py") == ["shop.tasks"]


def test_drop_reexported_unused_imports_keeps_the_really_unused() -> None:
    from analysis.engine.detectors.deadcode import drop_reexported_unused_imports

    sources = {
        "lib/__init__.py": "",
        "lib/compat.py": "from urllib.parse import urlparse, quote\n",
        "lib/client.py": "from lib.compat import urlparse\n\nprint(urlparse)\n",
    }
    findings = run_detectors(sources["lib/compat.py"], "unused-import", "lib/compat.py")
    assert [f.metadata["name"] for f in findings] == ["urlparse", "quote"]
    project = project_from_sources(sources)
    kept = drop_reexported_unused_imports(findings, project)
    assert [f.metadata["name"] for f in kept] == ["quote"]
