"""C for the tree-sitter front end (``.c``, and ``.h`` headers of C directories; tree-sitter-c).

Functions are function definitions; their name is the identifier inside the declarator
(``int (*h(int q))(int)`` is ``h``). Structs and unions with a body are the class-like
definitions: the *body* (``field_declaration_list``) plays the class role, because a
``struct_specifier`` without a body (``struct S *p``) only names the type; an anonymous struct
takes its typedef's name (``typedef struct {...} T`` is ``T``). ``#include "x.h"`` is an import,
resolved within the repository in ``resolve_native.py``; ``#include <stdio.h>`` stays unresolved.
Macros the grammar cannot parse are left to tree-sitter's error recovery: the functions around
them still yield their facts.

Identifiers in a ``declarator`` field are declared, not used (``int x``, a parameter, a struct
member): ``LanguageSpec.declarator_field``.

Cyclomatic complexity is counted as lizard 1.24.3 counts C: 1 + each ``if``, ``for``, ``while``
(a ``do ... while`` too), ``case`` label (not ``default``), ``?:`` and each ``&&``/``||``. Preprocessor conditions are decided at compile time: neither the
``#if`` nor its ``&&``/``||`` count (lizard counts an ``#if`` inside a function). Both branches of an
``#if``/``#else`` are parsed and counted.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

import tree_sitter_c

from analysis.engine.facts import ImportFact
from analysis.engine.languages.spec import LanguageHooks, LanguageSpec, else_if_in_else_clause

if TYPE_CHECKING:
    from tree_sitter import Node

Text = Callable[["Node"], str]

LOOPS = frozenset({"for_statement", "while_statement", "do_statement"})
STATEMENTS = frozenset(
    {
        "expression_statement",
        "declaration",
        "if_statement",
        "for_statement",
        "while_statement",
        "do_statement",
        "switch_statement",
        "return_statement",
        "break_statement",
        "continue_statement",
        "goto_statement",
        "labeled_statement",
    }
)
JUMPS = frozenset({"return_statement", "break_statement", "continue_statement", "goto_statement"})

ROLES: dict[str, frozenset[str]] = {
    "function": frozenset({"function_definition"}),
    "class": frozenset({"field_declaration_list"}),
    "branch": frozenset({"if_statement"}),
    "loop": LOOPS,
    "decision": frozenset({"conditional_expression"}),
    "nesting": frozenset({"if_statement", "switch_statement", *LOOPS}),
    "call": frozenset({"call_expression"}),
    "import": frozenset({"preproc_include"}),
    "comment": frozenset({"comment"}),
    "string": frozenset({"string_literal"}),
    "assignment": frozenset({"assignment_expression", "init_declarator"}),
    "statement": STATEMENTS,
    "jump": JUMPS,
    "export": frozenset({"function_definition"}),
}

_DECLARATORS = frozenset(
    {
        "pointer_declarator",
        "reference_declarator",
        "parenthesized_declarator",
        "attributed_declarator",
        "array_declarator",
        "init_declarator",
    }
)


def declared_name(node: Node | None, text: Text) -> Node | None:
    """The identifier a declarator declares: through pointers, arrays and parentheses to the
    innermost function declarator's name (``(*h(int))(int)`` -> ``h``)."""
    found: Node | None = None
    while node is not None:
        if node.type == "function_declarator":
            found = node.child_by_field_name("declarator")
            node = found
            continue
        if node.type in _DECLARATORS:
            inner = node.child_by_field_name("declarator")
            if inner is None:  # parenthesized_declarator has no field
                inner = next((c for c in node.named_children if c.type != "type_qualifier"), None)
            node = inner
            continue
        return node
    return found


def function_declarator(node: Node) -> Node | None:
    """The innermost ``function_declarator`` of a function definition (its parameters)."""
    found = None
    current = node.child_by_field_name("declarator")
    while current is not None:
        if current.type == "function_declarator":
            found = current
        inner = current.child_by_field_name("declarator")
        if inner is None and current.type == "parenthesized_declarator":
            inner = next((c for c in current.named_children if c.type != "type_qualifier"), None)
        current = inner
    return found


def _last_name(node: Node | None, text: Text) -> str | None:
    """``run`` for ``ns::Foo::run``, ``~Foo`` for a destructor, the text of anything else."""
    while node is not None and node.type == "qualified_identifier":
        node = node.child_by_field_name("name")
    if node is None:
        return None
    if node.type == "template_function":
        inner = node.child_by_field_name("name")
        return text(inner) if inner is not None else None
    return text(node)


def name(node: Node, text: Text) -> str | None:
    if node.type == "function_definition":
        return _last_name(declared_name(node.child_by_field_name("declarator"), text), text)
    if node.type == "field_declaration_list":  # a struct/union/class body: its type's name
        owner = node.parent
        if owner is None:
            return None
        named = owner.child_by_field_name("name")
        if named is not None:
            return _last_name(named, text)
        holder = owner.parent
        if holder is not None and holder.type == "type_definition":
            declared = declared_name(holder.child_by_field_name("declarator"), text)
            return text(declared) if declared is not None else None
    return None


def parameters(node: Node, text: Text) -> list[str]:
    declarator = function_declarator(node)
    params = declarator.child_by_field_name("parameters") if declarator is not None else None
    if params is None:
        return []
    out: list[str] = []
    for child in params.named_children:
        if child.type in ("parameter_declaration", "optional_parameter_declaration"):
            declared = declared_name(child.child_by_field_name("declarator"), text)
            if declared is not None:
                out.append(text(declared))
            elif text(child).strip() != "void":
                out.append("_")  # an unnamed parameter: int f(int)
        elif child.type == "variadic_parameter":
            out.append("...")
        elif child.type == "variadic_parameter_declaration":
            out.append("...")
    return out


def imports(node: Node, text: Text) -> list[ImportFact]:
    """``#include "a/b.h"`` (kind ``import``) and ``#include <stdio.h>`` (kind ``system``)."""
    path = node.child_by_field_name("path")
    if path is None:
        return []
    written = text(path)
    if path.type == "system_lib_string":
        return [ImportFact(module=written[1:-1].strip(), line=node.start_point[0] + 1, kind="system")]
    if path.type == "string_literal":
        inner = written[1:-1] if len(written) >= 2 else ""
        return [ImportFact(module=inner, line=node.start_point[0] + 1, kind="import")] if inner else []
    return []  # #include MACRO


_LOGICAL = frozenset({"&&", "||", "and", "or"})
_PREPROCESSOR_CONDITIONS = frozenset({"preproc_if", "preproc_elif"})
_CONDITION_PARTS = frozenset({"binary_expression", "parenthesized_expression", "unary_expression"})


def _in_directive(node: Node) -> bool:
    """Is this operator part of an ``#if``/``#elif`` condition (decided at compile time)?"""
    parent = node.parent
    while parent is not None and parent.type in _CONDITION_PARTS:
        parent = parent.parent
    return parent is not None and parent.type in _PREPROCESSOR_CONDITIONS


def complexity(node: Node, text: Text) -> int:
    if node.type == "case_statement":
        return 1 if node.child_by_field_name("value") is not None else 0
    op = node.child_by_field_name("operator")
    return 1 if op is not None and op.type in _LOGICAL and not _in_directive(node) else 0


_DOTTED = re.compile(r"[A-Za-z_]\w*(?:(?:\.|->|::)[A-Za-z_]\w*)*")
_SEPARATORS = re.compile(r"->|::")


def callee(node: Node, text: Text) -> str | None:
    """``f``, ``obj.m``, ``p->m`` (as ``p.m``), ``ns::g`` (as ``ns.g``), ``this->m`` (``self.m``)."""
    target = node.child_by_field_name("function")
    if target is None:
        return None
    if target.type == "template_function":
        target = target.child_by_field_name("name")
        if target is None:
            return None
    kind = target.type
    if kind == "identifier":
        return text(target)
    if kind not in ("field_expression", "qualified_identifier"):
        return None
    written = text(target)
    if " " in written or "\n" in written or "\t" in written:
        written = "".join(written.split())
    if not _DOTTED.fullmatch(written):
        return None
    dotted = _SEPARATORS.sub(".", written)
    return "self" + dotted[4:] if dotted.startswith("this.") else dotted


def exports(node: Node, text: Text) -> list[str]:
    """Functions without ``static`` linkage are visible to every other translation unit."""
    for child in node.named_children:
        if child.type == "storage_class_specifier" and text(child) == "static":
            return []
    found = name(node, text)
    return [found] if found else []


# attribute-like macros the grammar takes for types or names: export/visibility/inline/calling
# convention macros before a declaration (``ZSTDLIB_API size_t f(...)``, ``class SPDLOG_API x``,
# ``STBIDEF int f(...)``) and specifiers after one (``f() FOO_NOEXCEPT;``), namespace brackets
# (``FMT_BEGIN_NAMESPACE``). Preprocessor lines are left alone; a macro called with ``(`` is not
# touched.
_ATTRIBUTE_MACROS = re.compile(
    rb"\b[A-Z][A-Z0-9_]*(?:API|EXPORT|IMPORT|INLINE|DECL|CALL|ATTR|NODISCARD|DEPRECATED|HIDDEN|VISIBILITY|IDEF|_DEF|"
    rb"CONSTEXPR\d*|NOEXCEPT|NAMESPACE\w*)_?\b"
)
# specifiers that may stand anywhere (after a parameter list, alone on a line)
_ANYWHERE = re.compile(rb"(?:NOEXCEPT|NAMESPACE\w*|CONSTEXPR\d*|INLINE)_?$")
_DECLARATION_START = re.compile(rb"[ \t]+(?:[A-Za-z_~]|::)")


def mask_for_parser(data: bytes) -> bytes:
    """The file's bytes as the parser sees them (same length: every offset holds): attribute-like
    macros replaced by spaces, and the ``extern "C" {`` / ``}`` that ``#ifdef __cplusplus``
    guards blanked. One cheap regex finds the candidates; each is checked in place:
    not on a preprocessor line, not after ``.``/``->``/``::``, not called with ``(``, and followed
    by a declaration (or a specifier that may stand anywhere)."""
    out: bytearray | None = None
    for match in _ATTRIBUTE_MACROS.finditer(data):
        start, end = match.span()
        if start and data[start - 1 : start] in (b".", b">", b":"):
            continue
        line_start = data.rfind(b"\n", 0, start) + 1
        if data[line_start:start].lstrip().startswith(b"#"):
            continue
        after = data[end : end + 2].lstrip(b" \t")[:1]
        if after == b"(":
            continue
        if not (_ANYWHERE.search(match.group(0)) or _DECLARATION_START.match(data, end)):
            continue
        if out is None:
            out = bytearray(data)
        out[start:end] = b" " * (end - start)
    if b"__cplusplus" in data:
        # #ifdef __cplusplus / extern "C" { / #endif ... #ifdef __cplusplus / } / #endif: a brace
        # opened and closed in conditional code, which the grammar cannot pair
        for guarded in _EXTERN_C.finditer(data):
            start, end = guarded.span("body")
            if out is None:
                out = bytearray(data)
            out[start:end] = re.sub(rb"[^\n]", b" ", data[start:end])
    return bytes(out) if out is not None else data


_EXTERN_C = re.compile(
    rb"^[ \t]*#[ \t]*if(?:def[ \t]+__cplusplus|[ \t]+defined[ \t]*\(?[ \t]*__cplusplus[ \t]*\)?)[ \t]*(?://[^\n]*|/\*.*?\*/)?[ \t]*\n"
    rb"(?P<body>(?:[ \t]*(?:extern[ \t]+\"C\"[ \t]*\{|\})[ \t]*(?://[^\n]*|/\*.*?\*/)?[ \t]*\n)+)"
    rb"[ \t]*#[ \t]*endif",
    re.M,
)


# security sinks (``detectors/c_security.py``): calls of these names, matched after the walk
SINK_NAMES = (
    "gets strcpy strcat sprintf vsprintf stpcpy wcscpy wcscat printf fprintf vprintf vfprintf syslog snprintf "
    "dprintf system popen execl execlp execv execvp rand random srand"
).split()
QUERY = f"""
(call_expression
  function: (identifier) @c.sink.name
  (#any-of? @c.sink.name {" ".join(f'"{n}"' for n in SINK_NAMES)})) @c.sink
"""

HOOKS = LanguageHooks(
    name=name,
    parameters=parameters,
    imports=imports,
    complexity=complexity,
    callee=callee,
    exports=exports,
    is_else_if=else_if_in_else_clause,
)

C = LanguageSpec(
    name="c",
    extensions=(".c", ".h"),
    grammars={"": tree_sitter_c.language},
    roles=ROLES,
    identifiers=frozenset({"identifier", "field_identifier", "type_identifier"}),
    declarator_field="declarator",
    conditional=frozenset({"binary_expression", "case_statement"}),
    logical=frozenset({"binary_expression"}),
    cognitive=frozenset({"if_statement", "switch_statement", "conditional_expression", *LOOPS}),
    else_kinds=frozenset({"else_clause"}),
    hooks=HOOKS,
    query=QUERY,
    preprocess=mask_for_parser,
)

SPECS = (C,)
