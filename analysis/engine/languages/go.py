"""Go for the tree-sitter front end (``.go``, tree-sitter-go).

Functions are ``func`` declarations, methods (``func (r *T) M()``: the receiver's type qualifies
the name, ``pkg/file.go.T.M``) and function literals (``func() {...}``, their own function as in
lizard). A package is a directory: imports are resolved in ``resolve.py`` through ``go.mod``'s
module path and ``vendor/``. Types (``type T struct {...}``, interfaces, named types) are the
class-like definitions; embedded fields and interfaces are their bases.

Cyclomatic complexity is counted as lizard 1.24.3 counts it for Go: 1 + each ``if``, ``for``,
``case`` of a switch, type switch or select (not ``default``) and each ``&&``/``||``. ``go`` and
``defer`` statements do not nest: the function literal they run is its own function.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

import tree_sitter_go

from analysis.engine.facts import ImportFact
from analysis.engine.languages.spec import LanguageHooks, LanguageSpec, else_if_as_alternative

if TYPE_CHECKING:
    from tree_sitter import Node

Text = Callable[["Node"], str]

FUNCTIONS = frozenset({"function_declaration", "method_declaration", "func_literal"})
SWITCHES = frozenset({"expression_switch_statement", "type_switch_statement", "select_statement"})
CASES = frozenset({"expression_case", "type_case", "communication_case"})
STATEMENTS = frozenset(
    {
        "expression_statement",
        "send_statement",
        "inc_statement",
        "dec_statement",
        "assignment_statement",
        "short_var_declaration",
        "var_declaration",
        "const_declaration",
        "type_declaration",
        "return_statement",
        "go_statement",
        "defer_statement",
        "if_statement",
        "for_statement",
        "expression_switch_statement",
        "type_switch_statement",
        "select_statement",
        "labeled_statement",
        "fallthrough_statement",
        "break_statement",
        "continue_statement",
        "goto_statement",
        "function_declaration",
        "method_declaration",
    }
)

ROLES: dict[str, frozenset[str]] = {
    "function": FUNCTIONS,
    "class": frozenset({"type_spec"}),
    "branch": frozenset({"if_statement"}),
    "loop": frozenset({"for_statement"}),
    "decision": CASES,
    "nesting": frozenset({"if_statement", "for_statement", *SWITCHES}),
    "call": frozenset({"call_expression"}),
    "import": frozenset({"import_declaration"}),
    "comment": frozenset({"comment"}),
    "string": frozenset({"interpreted_string_literal", "raw_string_literal"}),
    "assignment": frozenset({"assignment_statement", "short_var_declaration", "var_spec", "const_spec"}),
    "statement": STATEMENTS,
    "jump": frozenset({"return_statement", "break_statement", "continue_statement", "goto_statement"}),
    "export": frozenset({"function_declaration", "method_declaration", "type_spec"}),
}


def string_value(node: Node | None, text: Text) -> str | None:
    """The value of a string literal without escapes to decode (``"x"`` or a raw `` `x` ``)."""
    if node is None or node.type not in ("interpreted_string_literal", "raw_string_literal"):
        return None
    raw = text(node)
    if len(raw) < 2:
        return None
    inner = raw[1:-1]
    return None if node.type == "interpreted_string_literal" and "\\" in inner else inner


def imports(node: Node, text: Text) -> list[ImportFact]:
    """``import "a/b"``, ``import x "a/b"``, ``import . "a/b"``, ``import _ "a/b"`` and groups."""
    specs: list[Node] = []
    for child in node.named_children:
        if child.type == "import_spec":
            specs.append(child)
        elif child.type == "import_spec_list":
            specs.extend(c for c in child.named_children if c.type == "import_spec")
    out = []
    for spec in specs:
        path = string_value(spec.child_by_field_name("path"), text)
        if not path:
            continue
        name = spec.child_by_field_name("name")
        written = text(name) if name is not None else None
        line = spec.start_point[0] + 1
        if written == ".":  # every exported name of the package in scope
            out.append(ImportFact(module=path, names=["*"], line=line, is_from=True))
        elif written == "_":  # imported for its side effects (init) only
            out.append(ImportFact(module=path, line=line))
        else:
            out.append(ImportFact(module=path, alias=written or path.rsplit("/", 1)[-1], line=line))
    return out


def parameters(node: Node, text: Text) -> list[str]:
    params = node.child_by_field_name("parameters")
    if params is None:
        return []
    out: list[str] = []
    for decl in params.named_children:
        if decl.type not in ("parameter_declaration", "variadic_parameter_declaration"):
            continue
        names = [text(c) for c in decl.children_by_field_name("name")]
        if not names:  # func(int, string): an unnamed parameter counts, as "_"
            names = ["_"]
        out.extend(("..." + n if decl.type == "variadic_parameter_declaration" else n) for n in names)
    return out


def _type_name(node: Node | None, text: Text) -> str | None:
    """``T`` for ``T``, ``*T``, ``T[K]``, ``pkg.T``."""
    while node is not None and node.type in ("pointer_type", "generic_type", "parenthesized_type"):
        node = node.child_by_field_name("type") or (node.named_child(0) if node.named_child_count else None)
    if node is None:
        return None
    if node.type == "type_identifier":
        return text(node)
    if node.type == "qualified_type":
        return text(node)
    return None


def receiver(node: Node, text: Text) -> str | None:
    """The receiver's type of a method declaration (``func (s *Server) Run()`` -> ``Server``)."""
    if node.type != "method_declaration":
        return None
    params = node.child_by_field_name("receiver")
    decl = params.named_child(0) if params is not None and params.named_child_count else None
    if decl is None:
        return None
    return _type_name(decl.child_by_field_name("type"), text)


def complexity(node: Node, text: Text) -> int:
    op = node.child_by_field_name("operator")
    return 1 if op is not None and op.type in ("&&", "||") else 0


_DOTTED = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")


def callee(node: Node, text: Text) -> str | None:
    """``pkg.F``, ``x.y.M``, ``f`` as written; None for anything else (``f()()``, ``a[i].M``).
    One text and a regex instead of walking the selector chain (a call is one node in ten)."""
    target = node.child_by_field_name("function")
    if target is None or target.type not in ("identifier", "selector_expression"):
        return None
    written = text(target)
    return written if _DOTTED.fullmatch(written) else None


def bases(node: Node, text: Text) -> list[str]:
    """Embedded struct fields and embedded interfaces of a type declaration."""
    kind = node.child_by_field_name("type")
    if kind is None:
        return []
    out: list[str] = []
    if kind.type == "struct_type":
        fields = next((c for c in kind.named_children if c.type == "field_declaration_list"), None)
        for decl in fields.named_children if fields is not None else []:
            if decl.type == "field_declaration" and decl.child_by_field_name("name") is None:
                name = _type_name(decl.child_by_field_name("type"), text)
                if name:
                    out.append(name)
    elif kind.type == "interface_type":
        for elem in kind.named_children:
            if elem.type == "type_elem":
                name = _type_name(elem.named_child(0), text)
                if name:
                    out.append(name)
    return out


def exports(node: Node, text: Text) -> list[str]:
    """Go exports what starts with an upper-case letter."""
    name = node.child_by_field_name("name")
    if name is None:
        return []
    word = text(name)
    return [word] if word[:1].isupper() else []


# security sinks (``detectors/go_security.py``): calls of these names, matched in C after the walk
# (a detector visiting every call costs more than the whole query)
_SINK_NAMES = (
    "Command CommandContext Query QueryRow Exec Prepare QueryContext QueryRowContext ExecContext PrepareContext Raw "
    "Select Get Open OpenFile ReadFile Create Remove RemoveAll WriteFile ReadDir ServeFile Post Head PostForm NewRequest "
    "NewRequestWithContext New Sum Int Intn Int31 Int31n Int63 Int63n Uint32 Uint64 Float32 Float64 Perm Read N IntN "
    "Int32N Int64N Uint32N Uint64N"
).split()
QUERY = f"""
(call_expression
  function: (selector_expression field: (field_identifier) @go.sink.name)
  (#any-of? @go.sink.name {" ".join(f'"{n}"' for n in _SINK_NAMES)})) @go.sink
"""

HOOKS = LanguageHooks(
    parameters=parameters,
    imports=imports,
    complexity=complexity,
    callee=callee,
    bases=bases,
    exports=exports,
    is_else_if=else_if_as_alternative,
    receiver=receiver,
)

GO = LanguageSpec(
    name="go",
    extensions=(".go",),
    grammars={"": tree_sitter_go.language},
    roles=ROLES,
    identifiers=frozenset({"identifier", "field_identifier", "type_identifier", "package_identifier"}),
    # pkg.Name in a type uses pkg; T{...} and T[int] use T
    name_uses=frozenset({"qualified_type", "generic_type"}),
    conditional=frozenset({"binary_expression"}),
    logical=frozenset({"binary_expression"}),
    cognitive=frozenset({"if_statement", "for_statement", *SWITCHES}),
    hooks=HOOKS,
    query=QUERY,
    excluded_dirs=frozenset({"testdata"}),  # vendor/ is excluded by discovery unless default_excludes is off
    excluded_suffixes=(".pb.go", "_gen.go"),
)

SPECS = (GO,)
