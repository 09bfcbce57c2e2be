"""Documentation, testing and performance detectors: positive and negative snippets."""

from __future__ import annotations

import json
import re
from pathlib import Path

from analysis.engine.context import DetectorSettings
from analysis.engine.model import Severity
from analysis.engine.registry import all_specs
from tests.engine.detector_helpers import ALL_IDS, BUG_RISK_IDS, DESIGN_IDS, make_context, run_context, run_detectors

STDLIB = Path(json.__file__).resolve().parent.parent


# --- missing-docstring --------------------------------------------------------------------------
def test_public_module_class_function_and_method_without_docstring_are_reported():
    src = """
    import os

    class Public:
        def method(self):
            return 1

    def function():
        return 2
    """
    found = run_detectors(src, "missing-docstring", path="pkg/service.py")
    assert [(f.line, f.metadata["kind"], f.symbol) for f in found] == [
        (1, "module", ""),
        (4, "class", "pkg.service.Public"),
        (5, "method", "pkg.service.Public.method"),
        (8, "function", "pkg.service.function"),
    ]
    assert {f.severity for f in found} == {"info"}


def test_private_nested_documented_trivial_and_test_code_is_not_reported():
    src = '''
    """Module docstring."""
    import typing

    class _Private:
        def method(self):
            return 1

    class Documented:
        """Doc."""

        def __init__(self):
            self.x = 1

        def _helper(self):
            return 2

        @property
        def value(self):
            return self.x

        @value.setter
        def value(self, v):
            self.x = v

        @typing.overload
        def f(self, a: int) -> int: ...

        def documented(self):
            """Doc."""
            def nested():
                return 1
            return nested
    '''
    assert run_detectors(src, "missing-docstring", path="pkg/service.py") == []
    assert run_detectors("def public():\n    pass\n", "missing-docstring", path="tests/test_x.py") == []
    # A private module has no module-level finding (its public functions still do).
    private = run_detectors("def public():\n    pass\n", "missing-docstring", path="pkg/_private.py")
    assert [f.metadata["kind"] for f in private] == ["function"]


# --- todo-comment -------------------------------------------------------------------------------
def test_todo_fixme_xxx_hack_comments_are_reported_with_position():
    src = """
    x = 1  # TODO: remove this
    # FIXME broken on windows
    def f():
        # HACK: works around bug 12
        return x  # XXX
    """
    found = run_detectors(src, "todo-comment")
    assert [(f.line, f.metadata["tag"]) for f in found] == [(2, "TODO"), (3, "FIXME"), (5, "HACK"), (6, "XXX")]
    assert found[0].column == 7
    assert found[0].metadata["text"] == "TODO: remove this"
    assert found[0].snippet == "TODO: remove this"
    assert [f.symbol for f in found] == ["", "", "pkg.mod.f", "pkg.mod.f"]


def test_todo_tags_are_configurable():
    src = "# NOTE: keep\n# TODO: later\n"
    settings = {"todo-comment": DetectorSettings(thresholds={"tags": ["NOTE"]})}
    found = run_detectors(src, "todo-comment", settings=settings)
    assert [(f.line, f.metadata["tag"]) for f in found] == [(1, "NOTE")]


def test_tags_in_strings_identifiers_or_lowercase_are_not_reported():
    src = '''
    msg = "# TODO in a string"
    TODO_LIST = []
    label = "XXX"  # placeholder value
    # todo: lowercase is prose
    # TODOS and XXXL are other words
    doc = """
    TODO: inside a docstring
    """
    '''
    assert run_detectors(src, "todo-comment") == []


# --- test-without-assertion ---------------------------------------------------------------------
def test_tests_without_any_assertion_are_reported():
    src = """
    import pytest

    def test_nothing():
        compute(1)

    class TestThing:
        def test_calls_only(self):
            self.client.get("/")

        def test_helper_without_assert(self):
            self._setup()

        def _setup(self):
            self.x = 1

        def test_placeholder(self):
            pass
    """
    found = run_detectors(src, "test-without-assertion", path="tests/test_thing.py")
    assert [f.symbol for f in found] == [
        "tests.test_thing.test_nothing",
        "tests.test_thing.TestThing.test_calls_only",
        "tests.test_thing.TestThing.test_helper_without_assert",
        "tests.test_thing.TestThing.test_placeholder",
    ]


def test_tests_asserting_directly_or_via_helpers_are_not_reported():
    src = """
    import pytest
    from unittest import mock
    from tests.utils import run_case

    def test_assert():
        assert compute(1) == 2

    def test_raises():
        with pytest.raises(ValueError):
            compute(-1)

    def test_mock(m=mock.Mock()):
        m()
        m.assert_called_once_with()

    def test_imported_test_helper():
        run_case("x")

    def _verify_sum(x):
        assert x

    def test_via_local_helper():
        _verify_sum(3)

    def helper_indirect():
        _verify_sum(1)

    def test_via_two_helpers():
        helper_indirect()

    def checked_run(expected):
        def wrap(func):
            def run():
                assert func() == expected
            return run
        return wrap

    @checked_run(3)
    def test_checked_by_decorator():
        return 3

    @pytest.mark.skip(reason="later")
    def test_skipped():
        pass

    class TestCase(unittest.TestCase):
        def test_unittest(self):
            self.assertEqual(1, 1)

        def test_inherited_helper(self):
            self.check_output("x")

        def test_raise(self):
            if bad():
                self.fail("bad")

        def test_aliased_assert(self):
            eq = self.assertEqual
            eq(1, 1)

        def test_parametrised_helper(self):
            enum._test_simple_enum(A, B)

    def not_a_test():
        compute(1)

    class TestOuter(unittest.TestCase):
        def test_with_fixture_class(self):
            class Foo(unittest.TestCase):
                def test_die(self):
                    pass
            self.assertTrue(run(Foo("test_die")))
    """
    assert run_detectors(src, "test-without-assertion", path="tests/test_thing.py") == []
    # Outside test files nothing is reported, nor test_* helpers of a testing library.
    assert run_detectors("def test_x():\n    f()\n", "test-without-assertion", path="pkg/mod.py") == []
    helper = "def test_match_tags(test, tags):\n    return bool(tags)\n"
    assert run_detectors(helper, "test-without-assertion", path="django/test/runner.py") == []
    assert len(run_detectors(helper, "test-without-assertion", path="django/test/test_runner.py")) == 1


# --- query-in-loop ------------------------------------------------------------------------------
def test_orm_and_sqlalchemy_queries_in_loops_are_reported():
    src = """
    def f(ids, session):
        for i in ids:
            Book.objects.get(pk=i)
            n = Author.objects.filter(book=i).count()
            rows = list(Review.objects.filter(book=i))
        names = [Book.objects.get(pk=i).name for i in ids]
        while ids:
            session.query(Book).all()
            ids.pop()
        for book in Book.objects.filter(stale=True):
            book.save()
    """
    found = run_detectors(src, "query-in-loop")
    assert [(f.line, f.metadata["call"]) for f in found] == [
        (4, "get"),
        (5, "filter.count"),
        (6, "filter"),
        (7, "get"),
        (9, "session.query"),
        (12, "book.save"),
    ]


def test_queries_outside_loops_lazy_querysets_and_lookalikes_are_not_reported():
    src = """
    def f(ids, cache):
        books = Book.objects.filter(pk__in=ids)
        for b in Book.objects.filter(pk__in=ids).select_related("author"):
            print(b)
        qs = Book.objects.none()
        for i in ids:
            qs = qs | Book.objects.filter(pk=i)
            cache.get(i)
            self.objects.get(i)
            form.save()
        for item in items:
            item.save()
        def later():
            return Book.objects.get(pk=1)
    """
    assert run_detectors(src, "query-in-loop") == []


# --- regex-compile-in-loop ----------------------------------------------------------------------
def test_constant_regex_in_loop_is_reported():
    src = """
    import re
    from re import compile as rc

    def f(lines):
        for line in lines:
            if re.match(r"^\\d+$", line):
                pat = rc("[a-z]+")
        return [m for m in lines if re.search("x", m)]
    """
    found = run_detectors(src, "regex-compile-in-loop")
    assert [(f.line, f.metadata["call"]) for f in found] == [(7, "re.match"), (8, "re.compile"), (9, "re.search")]


def test_hoisted_dynamic_or_non_re_patterns_are_not_reported():
    src = """
    import re
    PAT = re.compile(r"\\d+")

    def f(lines, words):
        for line in lines:
            PAT.match(line)
            re.search(re.escape(line), "text")
            re.match(words[0], line)
            other.compile("x")
        for m in re.finditer("x", "xyz"):
            pass
        return [re.match(w, "x") for w in words]
    """
    assert run_detectors(src, "regex-compile-in-loop") == []


# --- string-concat-in-loop ----------------------------------------------------------------------
def test_string_accumulated_in_loop_is_reported_once_per_variable():
    src = """
    def render(rows):
        out = ""
        for row in rows:
            out += row.name
            out += ", "
        text = None
        while rows:
            text = text + f"{rows.pop()}"
        for group in rows:
            line = ""
            for cell in group:
                line += str(cell)
        return out, text, line
    """
    found = run_detectors(src, "string-concat-in-loop")
    assert [(f.line, f.metadata["variable"]) for f in found] == [(5, "out"), (9, "text"), (13, "line")]


def test_numeric_accumulators_list_joins_and_single_concat_are_not_reported():
    src = """
    def total(rows):
        n = 0
        parts = []
        for row in rows:
            n += row.size
            parts.append(str(row))
            parts += [row.name]
        s = ""
        s += "done"
        for row in rows:
            label = row.name
            if row.flag:
                label += "*"
            key, suffix = row.split()
            key += "_" + suffix
        message = "No match."
        for row in rows:
            if row.close:
                message += " Did you mean %r?" % row
                break
        return n, "".join(parts), s, label, key, message
    """
    assert run_detectors(src, "string-concat-in-loop") == []


# --- all 25 detectors together, on real code ------------------------------------------------------
def test_specs_of_all_owned_detectors_are_complete():
    specs = {s.id: s for s in all_specs()}
    assert set(ALL_IDS) <= set(specs)
    for det_id in ALL_IDS:
        spec = specs[det_id]
        assert spec.description and spec.title and spec.effort_minutes > 0
        assert spec.cwe is None or re.fullmatch(r"CWE-\d+", spec.cwe)
    assert {specs[i].category.value for i in BUG_RISK_IDS} == {"bug_risk"}
    assert {specs[i].category.value for i in DESIGN_IDS} == {"design"}
    assert specs["god-class"].thresholds == {"max_methods": 20, "max_lines": 500, "max_wmc": 60, "min_lcom4": 3}


def _run_stdlib(relative: str) -> tuple[list[str], list]:
    source = (STDLIB / relative).read_text(encoding="utf-8")
    ctx = make_context(source, f"stdlib/{relative}")
    return ctx.lines, run_context(ctx, ALL_IDS)  # fails on any detector exception


def test_all_owned_detectors_over_real_stdlib_files():
    specs = {s.id: s for s in all_specs()}
    severities = {s.value for s in Severity}
    results = {rel: _run_stdlib(rel) for rel in ("json/decoder.py", "argparse.py")}
    for rel, (lines, findings) in results.items():
        for f in findings:
            assert f.detector in ALL_IDS, rel
            assert f.category == specs[f.detector].category.value
            assert f.severity in severities
            assert f.path == f"stdlib/{rel}"
            assert 1 <= f.line <= f.end_line <= len(lines), (rel, f.detector, f.line, f.end_line)
            assert f.column >= 0 and len(f.fingerprint) == 32

    # json.decoder is clean, well-kept code: only two undocumented public functions.
    _, decoder = results["json/decoder.py"]
    assert sorted((f.detector, f.symbol) for f in decoder) == [
        ("missing-docstring", "stdlib.json.decoder.JSONArray"),
        ("missing-docstring", "stdlib.json.decoder.JSONObject"),
    ]
    # argparse is a 2600-line module with one classic mutable default (parents=[]).
    _, argparse_findings = results["argparse.py"]
    by_detector = {}
    for f in argparse_findings:
        by_detector.setdefault(f.detector, []).append(f)
    assert by_detector["large-file"][0].metadata["code_lines"] > 1000
    assert [(f.symbol, f.metadata["parameter"]) for f in by_detector["mutable-default-argument"]] == [
        ("stdlib.argparse.ArgumentParser.__init__", "parents")
    ]
    assert not set(by_detector) & set(BUG_RISK_IDS) - {"mutable-default-argument"}
