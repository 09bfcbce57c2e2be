"""Per-function metrics: cyclomatic as radon counts it, SonarSource cognitive complexity,
nesting, statements, lines and parameters."""

from __future__ import annotations

import ast
import textwrap

import pytest

from analysis.engine.facts import FunctionMetrics
from analysis.engine.metrics import function_metrics


def metrics_of(code: str, name: str | None = None) -> FunctionMetrics:
    tree = ast.parse(textwrap.dedent(code))
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and (name is None or node.name == name):
            in_class = any(isinstance(p, ast.ClassDef) and node in p.body for p in ast.walk(tree))
            return function_metrics(node, in_class)
    raise AssertionError("no function")


def test_straight_line_function_has_complexity_one():
    m = metrics_of("def f(a):\n    x = a + 1\n    return x\n")
    assert (m.cyclomatic, m.cognitive, m.max_nesting, m.statements, m.lines, m.parameters) == (1, 0, 0, 2, 3, 1)


def test_cyclomatic_counts_branches_loops_handlers_and_boolean_operands():
    m = metrics_of(
        """
        def f(a, b):
            if a and b or a:          # if +1, two extra operands +2
                pass
            elif b:                   # +1
                pass
            for x in a:               # +1, loop else +1
                pass
            else:
                pass
            try:                      # two handlers +2, try else +1
                pass
            except ValueError:
                pass
            except KeyError:
                pass
            else:
                pass
            y = [i for i in a if i]   # comprehension +1, its if +1
            z = 1 if a else 2         # +1
            assert a and b            # +1 (its test is not looked into)
        """
    )
    assert m.cyclomatic == 1 + 3 + 1 + 2 + 3 + 2 + 1 + 1


def test_cyclomatic_ignores_nested_functions_but_counts_lambdas():
    m = metrics_of(
        """
        def outer(a):
            def inner(b):
                if b:
                    return 1
            key = lambda v: v if v else 0
            return inner
        """,
        "outer",
    )
    assert m.cyclomatic == 2  # the lambda's conditional expression only


def test_match_counts_cases_except_the_wildcard():
    m = metrics_of(
        """
        def f(x):
            match x:
                case 1:
                    return "one"
                case 2:
                    return "two"
                case _:
                    return "many"
        """
    )
    assert m.cyclomatic == 3
    assert m.cognitive == 1  # SonarSource: a switch counts once


def test_cognitive_sum_of_primes_example():
    # The SonarSource white paper's sumOfPrimes, without Java's labelled continue (+1)
    m = metrics_of(
        """
        def sum_of_primes(limit):
            total = 0
            for i in range(1, limit):      # +1
                for j in range(2, i):      # +2 (nesting 1)
                    if i % j == 0:         # +3 (nesting 2)
                        break
                total += i
            return total
        """
    )
    assert m.cognitive == 6
    assert m.max_nesting == 3


def test_cognitive_elif_and_else_do_not_pay_nesting():
    m = metrics_of(
        """
        def f(a, b):
            for x in a:            # +1
                if x:              # +2
                    pass
                elif b:            # +1
                    pass
                else:              # +1
                    pass
        """
    )
    assert m.cognitive == 5
    assert m.max_nesting == 2


def test_cognitive_counts_boolean_operator_sequences():
    assert metrics_of("def f(a, b, c):\n    return a and b and c\n").cognitive == 1
    assert metrics_of("def f(a, b, c):\n    return a and b or c\n").cognitive == 2


def test_cognitive_nested_function_adds_nesting_to_enclosing_function():
    code = """
        def outer(a):
            def inner(b):
                if b:          # +1 in inner, +2 in outer (nesting 1)
                    return 1
            return inner
        """
    assert metrics_of(code, "outer").cognitive == 2
    assert metrics_of(code, "inner").cognitive == 1


def test_cognitive_except_and_ternary_pay_nesting():
    m = metrics_of(
        """
        def f(a):
            try:
                x = 1
            except ValueError:            # +1
                x = 2 if a else 3         # +2 (nesting 1)
            return x
        """
    )
    assert m.cognitive == 3


def test_max_nesting_counts_with_try_and_not_elif():
    m = metrics_of(
        """
        def f(a):
            with a:
                try:
                    if a:
                        pass
                    elif a:
                        if a:
                            pass
                except Exception:
                    pass
        """
    )
    assert m.max_nesting == 4


def test_parameters_exclude_self_and_count_star_args():
    m = metrics_of(
        """
        class C:
            def m(self, a, /, b, *args, c, **kw):
                pass
        """
    )
    assert m.parameters == 5


def test_statements_do_not_include_nested_function_bodies():
    m = metrics_of(
        """
        def f():
            a = 1
            def g():
                b = 2
                c = 3
            return a
        """,
        "f",
    )
    assert m.statements == 3


RADON_SNIPPETS = [
    "def f(a):\n    while a:\n        a -= 1\n    else:\n        pass\n",
    "def f(a):\n    return {k: v for k, v in a if k if v}\n",
    "def f(a):\n    assert a or not a, 'x'\n    return a and a\n",
    "async def f(a):\n    async for x in a:\n        if x: return x\n",
    "class C:\n    def m(self, a):\n        try:\n            pass\n        except (A, B):\n            pass\n        finally:\n            pass\n",
    "def f(a):\n    match a:\n        case [x, *_] if x:\n            pass\n        case y:\n            pass\n",
    "def f(a):\n    g = lambda x: (x or a) if x else a\n    return g\n",
]


@pytest.mark.parametrize("code", RADON_SNIPPETS)
def test_cyclomatic_equals_radon(code):
    radon_visitors = pytest.importorskip("radon.visitors")
    blocks = radon_visitors.ComplexityVisitor.from_code(code).blocks
    theirs = {b.name: b.complexity for b in blocks if not hasattr(b, "methods")}
    tree = ast.parse(code)
    ours = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            ours[node.name] = function_metrics(node).cyclomatic
    assert ours == theirs
