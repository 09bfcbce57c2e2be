"""Bug-risk detectors: a positive and a negative snippet (with the usual false-positive traps) each."""

from __future__ import annotations

from tests.engine.detector_helpers import run_detectors


def ids_lines(findings):
    return [(f.detector, f.line) for f in findings]


# --- mutable-default-argument ------------------------------------------------------------------
def test_mutable_default_list_dict_and_factory_calls_are_reported():
    src = """
    import collections

    def f(a, items=[], *, opts={}, seen=set(), counts=collections.defaultdict(int)):
        pass

    g = lambda x=[]: x
    """
    found = run_detectors(src, "mutable-default-argument")
    assert [f.metadata["parameter"] for f in found] == ["items", "opts", "seen", "counts", "x"]
    assert found[0].symbol == "pkg.mod.f"
    assert found[0].line == 4


def test_immutable_defaults_are_not_reported():
    src = """
    def f(a, items=None, name="x", pair=(1, 2), frozen=frozenset(), n=0, *, flag=False):
        items = items or []
    """
    assert run_detectors(src, "mutable-default-argument") == []


# --- bare-or-swallowed-except -------------------------------------------------------------------
def test_bare_except_and_swallowed_exception_are_reported():
    src = """
    try:
        work()
    except:
        log()
    try:
        work()
    except Exception:
        pass
    try:
        work()
    except (ValueError, BaseException):
        ...
    """
    found = run_detectors(src, "bare-or-swallowed-except")
    assert [(f.line, f.metadata["kind"]) for f in found] == [(4, "bare"), (8, "swallowed"), (12, "swallowed")]
    assert found[0].cwe == "CWE-396"


def test_specific_or_handled_or_reraised_exceptions_are_not_reported():
    src = """
    try:
        work()
    except ValueError:
        pass
    try:
        work()
    except Exception:
        logger.exception("failed")
    try:
        work()
    except:
        cleanup()
        raise
    """
    assert run_detectors(src, "bare-or-swallowed-except") == []


# --- unreachable-code ---------------------------------------------------------------------------
def test_statements_after_return_raise_continue_break_are_reported():
    src = """
    def f(x):
        if x:
            return 1
            print("never")
        for i in x:
            continue
            i += 1
        raise ValueError(x)
        cleanup()
    """
    found = run_detectors(src, "unreachable-code")
    assert [(f.line, f.metadata["after"]) for f in found] == [(5, "return"), (8, "continue"), (10, "raise")]
    assert found[0].symbol == "pkg.mod.f"


def test_terminator_at_end_of_block_and_abstract_generator_are_not_reported():
    src = """
    def f(x):
        if x:
            return 1
        else:
            raise ValueError
        return 2

    def gen():
        raise NotImplementedError
        yield
    """
    assert run_detectors(src, "unreachable-code") == []


# --- return-or-break-in-finally -----------------------------------------------------------------
def test_return_and_break_in_finally_are_reported():
    src = """
    def f():
        try:
            work()
        finally:
            return 1

    def g(items):
        for i in items:
            try:
                work(i)
            finally:
                if i:
                    break
    """
    found = run_detectors(src, "return-or-break-in-finally")
    assert [(f.line, f.metadata["statement"]) for f in found] == [(6, "return"), (14, "break")]


def test_loops_and_functions_nested_in_finally_are_not_reported():
    src = """
    def f(items):
        try:
            work()
        finally:
            for i in items:
                if i:
                    break
                continue
            def cb():
                return 1
        return 2
    """
    assert run_detectors(src, "return-or-break-in-finally") == []


# --- comparison-to-singleton --------------------------------------------------------------------
def test_equality_with_none_true_false_is_reported():
    src = """
    if x == None:
        pass
    if None != y:
        pass
    ok = flag == True
    """
    found = run_detectors(src, "comparison-to-singleton")
    assert [(f.line, f.metadata["operator"], f.metadata["singleton"]) for f in found] == [
        (2, "==", "None"),
        (4, "!=", "None"),
        (6, "==", "True"),
    ]


def test_identity_checks_and_expression_builders_are_not_reported():
    src = """
    if x is None or y is not True:
        pass
    rows = session.query(User).filter(User.deleted_at == None)
    mask = df[df["a"] == True]
    n = x == 0
    """
    assert run_detectors(src, "comparison-to-singleton") == []


# --- assert-on-tuple ----------------------------------------------------------------------------
def test_assert_on_tuple_is_reported():
    found = run_detectors('assert (x > 0, "x must be positive")\n', "assert-on-tuple")
    assert ids_lines(found) == [("assert-on-tuple", 1)]
    assert found[0].severity == "high"


def test_assert_with_message_or_empty_tuple_is_not_reported():
    src = 'assert x > 0, "x must be positive"\nassert ()\nassert (x > 0)\n'
    assert run_detectors(src, "assert-on-tuple") == []


# --- duplicate-dict-key -------------------------------------------------------------------------
def test_duplicate_constant_key_is_reported():
    src = """
    d = {
        "a": 1,
        "b": 2,
        "a": 3,
    }
    """
    found = run_detectors(src, "duplicate-dict-key")
    assert [(f.line, f.metadata["key"], f.metadata["first_line"]) for f in found] == [(5, "'a'", 3)]


def test_distinct_keys_names_and_override_after_spread_are_not_reported():
    src = """
    d = {"a": 1, **defaults, "a": 2}
    e = {k: 1, k: 2}
    f = {1: "int", "1": "str", True: "bool"}
    """
    assert run_detectors(src, "duplicate-dict-key") == []


# --- redefined-function -------------------------------------------------------------------------
def test_function_and_method_redefined_without_use_are_reported():
    src = """
    def helper():
        return 1

    def helper():
        return 2

    class TestThing:
        def test_a(self):
            pass

        def test_a(self):
            pass
    """
    found = run_detectors(src, "redefined-function")
    assert [(f.line, f.symbol, f.metadata["first_line"]) for f in found] == [
        (5, "pkg.mod.helper", 2),
        (12, "pkg.mod.TestThing.test_a", 9),
    ]


def test_property_setter_overload_used_and_conditional_definitions_are_not_reported():
    src = """
    import typing

    class A:
        @property
        def x(self):
            return self._x

        @x.setter
        def x(self, value):
            self._x = value

        @typing.overload
        def f(self, a: int) -> int: ...
        @typing.overload
        def f(self, a: str) -> str: ...
        def f(self, a):
            return a

    def g():
        return 1
    register(g)
    def g():
        return 2

    try:
        from fast import h
    except ImportError:
        def h():
            pass
    if cond:
        def k(): pass
    else:
        def k(): pass
    """
    assert run_detectors(src, "redefined-function") == []


# --- self-assignment ----------------------------------------------------------------------------
def test_self_assignment_is_reported():
    src = """
    def f(x, y):
        x = x
        self.a = self.a
        x, y = x, y
    """
    found = run_detectors(src, "self-assignment")
    assert [f.line for f in found] == [3, 4, 5]


def test_assignment_from_other_value_or_class_body_copy_is_not_reported():
    src = """
    def f(self, a):
        self.a = a
        x = y
        a, b = b, a
        def inner():
            pass

    def factory(name):
        class C:
            name = name
            if cond:
                other = other
        return C

    dict = dict
    """
    assert run_detectors(src, "self-assignment") == []


# --- blocking-call-in-async ---------------------------------------------------------------------
def test_blocking_calls_in_async_function_are_reported():
    src = """
    import time
    import requests
    from subprocess import run
    from urllib.request import urlopen

    async def handler(url):
        time.sleep(1)
        requests.get(url)
        run(["ls"])
        urlopen(url)
        with open("f") as fh:
            return fh.read()
    """
    found = run_detectors(src, "blocking-call-in-async")
    assert [f.metadata["call"] for f in found] == [
        "time.sleep",
        "requests.get",
        "subprocess.run",
        "urllib.request.urlopen",
        "open",
    ]
    assert found[-1].severity == "low"


def test_blocking_calls_in_sync_code_or_offloaded_are_not_reported():
    src = """
    import asyncio
    import time
    import aiofiles
    from aiofiles import open

    def sync():
        time.sleep(1)

    async def handler(loop):
        await asyncio.sleep(1)
        await loop.run_in_executor(None, lambda: time.sleep(1))
        await asyncio.to_thread(time.sleep, 1)
        def helper():
            time.sleep(1)
        async with open("f") as fh:
            pass
    """
    assert run_detectors(src, "blocking-call-in-async") == []


# --- infinite-loop-without-exit -----------------------------------------------------------------
def test_while_true_without_exit_is_reported():
    src = """
    def worker(q):
        while True:
            job = q.get()
            for step in job:
                if step:
                    break
            def cb():
                return 1

    while 1:
        tick()
    """
    found = run_detectors(src, "infinite-loop-without-exit")
    assert [f.line for f in found] == [3, 11]
    assert found[0].cwe == "CWE-835"


def test_loops_with_exit_or_generators_are_not_reported():
    src = """
    import sys

    def a(q):
        while True:
            if q.empty():
                break
    def b(q):
        while True:
            if q:
                return q
    def c():
        while True:
            yield 1
    async def d(q):
        while True:
            await q.get()
    def e():
        while True:
            sys.exit(0)
    def f(x):
        while x:
            x -= 1
    def g():
        while True:
            raise StopIteration
    """
    assert run_detectors(src, "infinite-loop-without-exit") == []


# --- unused-local-variable ----------------------------------------------------------------------
def test_unused_local_variables_are_reported():
    src = """
    def f(a):
        result = compute(a)
        total: int = 0
        if (m := match(a)):
            pass
        return a
    """
    found = run_detectors(src, "unused-local-variable")
    assert [(f.line, f.metadata["variable"]) for f in found] == [(3, "result"), (4, "total"), (5, "m")]
    assert all(f.symbol == "pkg.mod.f" for f in found)


def test_used_underscore_unpacked_closure_and_dynamic_locals_are_not_reported():
    src = """
    def f(a):
        _ignored = 1
        x, y = a
        for i in range(3):
            pass
        with open(a) as fh:
            pass
        used = 2
        print(used)
        captured = 3
        def inner():
            return captured
        counter = 0
        counter += 1
        return inner

    def g():
        secret = 1
        return locals()

    def h():
        value = 1
        def inner():
            nonlocal value
            value = 2
        inner()

    def k():
        gone = 1
        del gone

    COUNT = 0
    def m():
        global COUNT
        COUNT = 1

    class C:
        attr = 1
    """
    assert run_detectors(src, "unused-local-variable") == []
