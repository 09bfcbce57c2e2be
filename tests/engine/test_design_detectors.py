"""Design detectors: a positive and a negative snippet each, plus threshold overrides."""

from __future__ import annotations

import textwrap

from analysis.engine.context import DetectorSettings
from tests.engine.detector_helpers import run_detectors


def _god_class(groups: int, methods_per_group: int, branches: int) -> str:
    """A class whose methods form `groups` clusters, each sharing one attribute."""
    lines = ["class Big:"]
    for g in range(groups):
        for m in range(methods_per_group):
            lines.append(f"    def m_{g}_{m}(self, x):")
            for b in range(branches):
                lines.append(f"        if x == {b}:")
                lines.append(f"            self.attr_{g} = {b}")
            lines.append(f"        return self.attr_{g}")
    return "\n".join(lines) + "\n"


# --- god-class ----------------------------------------------------------------------------------
def test_large_complex_incohesive_class_is_a_god_class():
    found = run_detectors(_god_class(groups=4, methods_per_group=6, branches=8), "god-class")
    assert len(found) == 1
    meta = found[0].metadata
    assert (meta["methods"], meta["lines"], meta["wmc"], meta["lcom4"]) == (24, 433, 216, 4)
    assert meta["thresholds"]["max_wmc"] == 60
    assert found[0].symbol == "pkg.mod.Big"


def test_cohesive_or_simple_class_is_not_a_god_class():
    # Same size and complexity, but every method shares one attribute: cohesive.
    cohesive = _god_class(groups=1, methods_per_group=24, branches=8)
    assert run_detectors(cohesive, "god-class") == []
    # Test case classes grow one method per test.
    assert run_detectors(_god_class(groups=4, methods_per_group=6, branches=8), "god-class", path="tests/test_big.py") == []
    # Incohesive but small and simple.
    assert run_detectors(_god_class(groups=4, methods_per_group=2, branches=0), "god-class") == []


def test_god_class_thresholds_are_configurable():
    src = _god_class(groups=4, methods_per_group=2, branches=0)
    settings = {"god-class": DetectorSettings(thresholds={"max_methods": 5, "max_lines": 10, "max_wmc": 5, "min_lcom4": 2})}
    found = run_detectors(src, "god-class", settings=settings)
    assert [f.metadata["lcom4"] for f in found] == [4]


# --- large-file ---------------------------------------------------------------------------------
def test_file_over_code_line_limit_is_reported():
    src = "".join(f"x{i} = {i}\n" for i in range(1001))
    found = run_detectors(src, "large-file", dedent=False)
    assert [(f.line, f.metadata["code_lines"], f.metadata["threshold"]) for f in found] == [(1, 1001, 1000)]


def test_comments_and_blank_lines_do_not_count_towards_large_file():
    src = "".join(f"x{i} = {i}\n# comment\n\n" for i in range(1000))
    assert run_detectors(src, "large-file", dedent=False) == []


# --- feature-envy -------------------------------------------------------------------------------
def test_method_reading_mostly_a_parameter_is_envious():
    src = """
    class Invoice:
        def total(self, order):
            subtotal = order.price * order.quantity + order.shipping
            tax = subtotal * order.tax_rate - order.discount
            return tax + order.fees + order.price * order.quantity

        def other(self):
            return self.x
    """
    found = run_detectors(src, "feature-envy")
    assert [(f.symbol, f.metadata["envied"], f.metadata["foreign_accesses"]) for f in found] == [
        ("pkg.mod.Invoice.total", "order", 8)
    ]


def test_method_balanced_between_self_and_parameter_is_not_envious():
    src = """
    class Invoice:
        def total(self, order):
            subtotal = order.price * order.quantity + order.shipping
            tax = subtotal * order.tax_rate - order.discount
            return self.a + self.b + self.c + tax

        def __eq__(self, other):
            return other.a == self.a and other.b and other.c and other.d and other.e and other.f and other.g

        def calls(self, order):
            order.a(); order.b(); order.c(); order.d(); order.e(); order.f(); order.g(); order.h()
    """
    assert run_detectors(src, "feature-envy") == []


# --- message-chain ------------------------------------------------------------------------------
def test_long_call_chain_is_reported_once():
    src = """
    value = client.session().account().owner().address().city()
    """
    found = run_detectors(src, "message-chain")
    assert len(found) == 1
    assert found[0].metadata["chain"] == ["session", "account", "owner", "address", "city"]


def test_fluent_query_and_string_chains_and_short_chains_are_not_reported():
    src = """
    rows = Book.objects.filter(a=1).exclude(b=2).order_by("c").values("d").distinct()
    name = raw.strip().lower().replace("-", "_").split(".")
    x = a.b().c()
    y = a.b.c.d.e.f()
    """
    assert run_detectors(src, "message-chain") == []


# --- data-clumps --------------------------------------------------------------------------------
def test_parameter_group_recurring_in_three_functions_is_reported():
    src = """
    def draw(x, y, width, height, colour): ...
    def erase(x, y, width, height): ...
    def move(x, y, width, height, dx, dy): ...
    def unrelated(a, b, c): ...
    """
    found = run_detectors(src, "data-clumps")
    assert len(found) == 1
    assert found[0].metadata["parameters"] == ["height", "width", "x", "y"]
    assert found[0].metadata["functions"] == ["draw", "erase", "move"]
    assert found[0].line == 2


def test_parameter_group_in_two_functions_or_overrides_is_not_reported():
    src = """
    def draw(x, y, width): ...
    def erase(x, y, width): ...

    class A:
        def render(self, a, b, c): ...
    class B(A):
        def render(self, a, b, c): ...
    class C(A):
        def render(self, a, b, c): ...
    """
    assert run_detectors(src, "data-clumps") == []


# --- refused-bequest ----------------------------------------------------------------------------
def test_subclass_refusing_concrete_parent_methods_is_reported():
    src = """
    class Stack:
        def push(self, item):
            self.items.append(item)
        def pop(self):
            return self.items.pop()

    class ReadOnlyStack(Stack):
        def push(self, item):
            raise NotImplementedError("read only")
        def pop(self):
            pass
    """
    found = run_detectors(src, "refused-bequest")
    assert len(found) == 1
    assert found[0].metadata["refused"] == ["push", "pop"]
    assert found[0].symbol == "pkg.mod.ReadOnlyStack"


def test_implementing_abstract_methods_or_disabling_hooks_is_not_refused_bequest():
    src = """
    import abc

    class Base(abc.ABC):
        @abc.abstractmethod
        def run(self): ...
        def area(self):
            raise NotImplementedError
        def on_save(self):
            self.log.append("saved")

    class Child(Base):
        def run(self):
            raise NotImplementedError
        def area(self):
            raise NotImplementedError
        def on_save(self):
            pass

    class Other(External):
        def method(self):
            raise NotImplementedError
    """
    assert run_detectors(src, "refused-bequest") == []


# --- middle-man ---------------------------------------------------------------------------------
def test_class_that_only_delegates_is_a_middle_man():
    src = """
    class Wrapper:
        def __init__(self, inner):
            self._inner = inner
        def read(self, n):
            return self._inner.read(n)
        def write(self, data):
            return self._inner.write(data)
        def close(self):
            self._inner.close()
        @property
        def name(self):
            return self._inner.name
    """
    found = run_detectors(src, "middle-man")
    assert [(f.metadata["delegate"], f.metadata["delegating_methods"], f.metadata["methods"]) for f in found] == [
        ("_inner", 4, 4)
    ]


def test_class_with_own_logic_is_not_a_middle_man():
    src = """
    class Widget:
        def insert(self, index, text):
            return self.tk.call(self._w, "insert", index, text)
        def delete(self, first, last=None):
            return self.tk.call(self._w, "delete", first, last)
        def get(self):
            return self.tk.call(self._w, "get")
        def icursor(self, index):
            self.tk.call(self._w, "icursor", index)

    class Service:
        def read(self, n):
            return self._inner.read(n)
        def write(self, data):
            return self._inner.write(data)
        def close(self):
            self._inner.close()
        def process(self, data):
            cleaned = data.strip()
            return self._other.send(cleaned)
        def report(self):
            return {"count": self.count}
    """
    assert run_detectors(src, "middle-man") == []


def test_god_class_and_feature_envy_share_one_collection_pass():
    envy = """
    class Invoice:
        def total(self, order):
            subtotal = order.price * order.quantity + order.shipping
            tax = subtotal * order.tax_rate - order.discount
            return tax + order.fees + order.price * order.quantity
    """
    src = _god_class(groups=4, methods_per_group=6, branches=8) + textwrap.dedent(envy)
    both = run_detectors(src, ["god-class", "feature-envy"], dedent=False)
    assert sorted(f.detector for f in both) == ["feature-envy", "god-class"]
    # and each one alone finds the same thing
    assert [f.detector for f in run_detectors(src, "feature-envy", dedent=False)] == ["feature-envy"]
    assert [f.detector for f in run_detectors(src, ["feature-envy", "god-class"], dedent=False)] == ["god-class", "feature-envy"]
