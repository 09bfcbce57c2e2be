"""C++ for the tree-sitter front end (``.cc .cpp .cxx .c++ .hpp .hh .hxx``, and ``.h`` headers
of C++ directories; tree-sitter-cpp).

Everything of ``c.py`` holds, plus: classes, structs and unions with a body are class-like (their
body plays the class role, see ``c.py``) with their ``base_class_clause`` as bases; a method
defined outside its class (``void ns::Foo::run()``) gets the innermost scope as its type
(``hooks.receiver``: ``file.cc.Foo.run``); templates, namespaces and ``extern "C"`` blocks are
transparent. Lambdas are not functions of their own: as in lizard, their decisions count in the
enclosing function.

Cyclomatic complexity is counted as lizard 1.24.3 counts C++: 1 + each ``if``, ``for`` (both
forms), ``while`` (a ``do ... while`` too), ``catch``, ``case`` label (not ``default``), ``?:``
and each ``&&``/``||`` (``and``/``or`` too).

A ``.h`` file is C++ when its directory holds C++ sources or it uses C++ syntax
(``languages.header_language``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import tree_sitter_cpp

from analysis.engine.languages import c
from analysis.engine.languages.spec import LanguageHooks, LanguageSpec, else_if_in_else_clause

if TYPE_CHECKING:
    from tree_sitter import Node

Text = Callable[["Node"], str]

LOOPS = frozenset({*c.LOOPS, "for_range_loop"})
NESTING = frozenset({"if_statement", "switch_statement", "try_statement", *LOOPS})

ROLES: dict[str, frozenset[str]] = {
    **c.ROLES,
    "loop": LOOPS,
    "decision": frozenset({"conditional_expression", "catch_clause"}),
    "nesting": NESTING,
    "string": frozenset({"string_literal", "raw_string_literal"}),
    "statement": frozenset({*c.STATEMENTS, "for_range_loop", "try_statement", "throw_statement"}),
    "jump": frozenset({*c.JUMPS, "throw_statement"}),
}


def receiver(node: Node, text: Text) -> str | None:
    """``Foo`` for ``void ns::Foo::run() {...}`` (a method defined outside its class)."""
    if node.type != "function_definition":
        return None
    declared = c.declared_name(node.child_by_field_name("declarator"), text)
    scope = None
    while declared is not None and declared.type == "qualified_identifier":
        scope = declared.child_by_field_name("scope")
        declared = declared.child_by_field_name("name")
    if scope is None:
        return None
    written = text(scope)
    return written.split("<", 1)[0] or None


def bases(node: Node, text: Text) -> list[str]:
    owner = node.parent
    clause = next((ch for ch in owner.named_children if ch.type == "base_class_clause"), None) if owner is not None else None
    if clause is None:
        return []
    out = []
    for child in clause.named_children:
        if child.type in ("type_identifier", "qualified_identifier", "template_type"):
            out.append(text(child).split("<", 1)[0])
    return out


def exports(node: Node, text: Text) -> list[str]:
    """Functions with external linkage; methods are reached through their class."""
    return c.exports(node, text)


HOOKS = LanguageHooks(
    name=c.name,
    parameters=c.parameters,
    imports=c.imports,
    complexity=c.complexity,
    callee=c.callee,
    bases=bases,
    exports=exports,
    is_else_if=else_if_in_else_clause,
    receiver=receiver,
)

# ``#any-of?`` is decided in C; a ``#match?`` regex would run in Python for every call
_SINKS = " ".join(f'"{prefix}{n}"' for n in c.SINK_NAMES for prefix in ("", "std::", "::"))
QUERY = f"""
(call_expression
  function: [(identifier) (qualified_identifier)] @c.sink.name
  (#any-of? @c.sink.name {_SINKS})) @c.sink
"""

CPP = LanguageSpec(
    name="cpp",
    extensions=(".cc", ".cpp", ".cxx", ".c++", ".hpp", ".hh", ".hxx", ".ipp", ".tpp"),
    grammars={"": tree_sitter_cpp.language},
    roles=ROLES,
    identifiers=frozenset({"identifier", "field_identifier", "type_identifier", "namespace_identifier"}),
    declarator_field="declarator",
    # ns::f and ns::T use f and T; T<int> and f<int>() use T and f
    name_uses=frozenset({"qualified_identifier", "template_type", "template_function"}),
    conditional=c.C.conditional,
    logical=c.C.logical,
    cognitive=frozenset({"if_statement", "switch_statement", "conditional_expression", "catch_clause", *LOOPS}),
    else_kinds=frozenset({"else_clause"}),
    hooks=HOOKS,
    query=QUERY,
    preprocess=c.mask_for_parser,
)

SPECS = (CPP,)
