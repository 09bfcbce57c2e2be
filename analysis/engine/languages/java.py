"""Java for the tree-sitter front end (``.java``, tree-sitter-java).

Functions are methods, constructors and lambdas (a lambda is ``<lambda>``); the methods of an
anonymous class (``new T() {...}``) are methods of ``<anonymous>`` inside the method creating it. Classes, interfaces, enums, records and annotation types are class-like
definitions with ``extends``/``implements`` as bases. Imports — single-type, wildcard
(``a.b.*``) and static (``import static a.b.C.m``, ``a.b.C.*``) — are resolved to the declaring
files in ``resolve.py``.

Cyclomatic complexity is counted as lizard 1.24.3 counts it for Java: 1 + each ``if``, ``for``
(both forms), ``while`` (a ``do ... while`` too), ``catch``, ``case`` label (not ``default``),
``?:`` and each ``&&``/``||``. Lizard also counts the ``?`` of a generic wildcard
(``List<? extends T>``), which is not a decision: the engine does not. Lizard counts a lambda's
decisions in the enclosing method; the engine makes the lambda its own function
(``benchmarks/lizard_compare.py`` adds them back when it compares).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import tree_sitter_java

from analysis.engine.facts import ImportFact
from analysis.engine.languages.spec import LanguageHooks, LanguageSpec, else_if_as_alternative

if TYPE_CHECKING:
    from tree_sitter import Node

Text = Callable[["Node"], str]

FUNCTIONS = frozenset({"method_declaration", "constructor_declaration", "compact_constructor_declaration", "lambda_expression"})
CLASSES = frozenset(
    {"class_declaration", "interface_declaration", "enum_declaration", "record_declaration", "annotation_type_declaration"}
)
LOOPS = frozenset({"for_statement", "enhanced_for_statement", "while_statement", "do_statement"})
STATEMENTS = frozenset(
    {
        "expression_statement",
        "local_variable_declaration",
        "if_statement",
        "for_statement",
        "enhanced_for_statement",
        "while_statement",
        "do_statement",
        "return_statement",
        "throw_statement",
        "break_statement",
        "continue_statement",
        "yield_statement",
        "try_statement",
        "try_with_resources_statement",
        "switch_expression",
        "synchronized_statement",
        "labeled_statement",
        "assert_statement",
        "explicit_constructor_invocation",
        "local_class_declaration",
        "class_declaration",
        "record_declaration",
        "interface_declaration",
        "enum_declaration",
    }
)

ROLES: dict[str, frozenset[str]] = {
    "function": FUNCTIONS,
    "class": CLASSES,
    "branch": frozenset({"if_statement"}),
    "loop": LOOPS,
    "decision": frozenset({"catch_clause", "ternary_expression"}),
    "nesting": frozenset(
        {"if_statement", "switch_expression", "try_statement", "try_with_resources_statement", "synchronized_statement", *LOOPS}
    ),
    "call": frozenset({"method_invocation", "object_creation_expression"}),
    "import": frozenset({"import_declaration"}),
    "comment": frozenset({"line_comment", "block_comment"}),
    "string": frozenset({"string_literal"}),
    "assignment": frozenset({"assignment_expression", "variable_declarator"}),
    "statement": STATEMENTS,
    "jump": frozenset({"return_statement", "throw_statement", "break_statement", "continue_statement", "yield_statement"}),
    "export": CLASSES,
}


def _unnamed(node: Node, text: Text) -> str | None:
    """Lambdas are all ``<lambda>`` (their qualified names are numbered within the method)."""
    return "<lambda>" if node.type == "lambda_expression" else None


def parameters(node: Node, text: Text) -> list[str]:
    params = node.child_by_field_name("parameters")
    if params is None:
        # x -> ...: one identifier; compact constructors take the record's components
        return [text(c) for c in node.named_children if c.type == "identifier"][:1] if node.type == "lambda_expression" else []
    if params.type == "identifier":
        return [text(params)]
    out = []
    for child in params.named_children:
        if child.type in ("formal_parameter", "receiver_parameter"):
            name = child.child_by_field_name("name")
            if name is not None:
                out.append(text(name))
        elif child.type == "spread_parameter":
            declarator = next((c for c in child.named_children if c.type == "variable_declarator"), None)
            name = declarator.child_by_field_name("name") if declarator is not None else None
            if name is not None:
                out.append("..." + text(name))
        elif child.type == "identifier":  # inferred lambda parameters (a, b) -> ...
            out.append(text(child))
    return out


def imports(node: Node, text: Text) -> list[ImportFact]:
    """``import a.b.C;`` (alias C), ``import a.b.*;`` (every type of package a.b),
    ``import static a.b.C.m;`` and ``import static a.b.C.*;``."""
    target = next((c for c in node.named_children if c.type in ("scoped_identifier", "identifier")), None)
    if target is None:
        return []
    name = text(target)
    wildcard = any(c.type == "asterisk" for c in node.named_children)
    static = any(not c.is_named and c.type == "static" for c in node.children)
    line = node.start_point[0] + 1
    if wildcard:
        return [ImportFact(module=name, names=["*"], line=line, is_from=True, kind="static" if static else "import")]
    if static:
        owner, _, member = name.rpartition(".")
        return [ImportFact(module=owner, names=[member], line=line, is_from=True, kind="static")]
    return [ImportFact(module=name, alias=name.rsplit(".", 1)[-1], line=line, kind="import")]


def complexity(node: Node, text: Text) -> int:
    if node.type == "switch_label":
        first = node.child(0)
        return 1 if first is not None and first.type == "case" else 0
    op = node.child_by_field_name("operator")
    return 1 if op is not None and op.type in ("&&", "||") else 0


def dotted(node: Node, text: Text) -> str | None:
    parts: list[str] = []
    while node.type == "field_access":
        field = node.child_by_field_name("field")
        obj = node.child_by_field_name("object")
        if field is None or obj is None:
            return None
        parts.append(text(field))
        node = obj
    if node.type == "identifier":
        parts.append(text(node))
    elif node.type == "this":
        parts.append("self")
    elif node.type == "super":
        parts.append("super")
    else:
        return None
    return ".".join(reversed(parts))


def callee(node: Node, text: Text) -> str | None:
    if node.type == "object_creation_expression":
        kind = node.child_by_field_name("type")
        if kind is None:
            return None
        written = text(kind)
        return written.split("<", 1)[0] if kind.type in ("type_identifier", "scoped_type_identifier", "generic_type") else None
    name = node.child_by_field_name("name")
    if name is None:
        return None
    obj = node.child_by_field_name("object")
    if obj is None:
        return text(name)
    head = dotted(obj, text)
    return f"{head}.{text(name)}" if head else None


def _type_names(node: Node, text: Text) -> list[str]:
    out = []
    for child in node.named_children:
        if child.type == "type_list":
            out.extend(_type_names(child, text))
        elif child.type in ("type_identifier", "scoped_type_identifier", "generic_type"):
            out.append(text(child).split("<", 1)[0])
    return out


def bases(node: Node, text: Text) -> list[str]:
    out: list[str] = []
    for child in node.named_children:
        if child.type in ("superclass", "super_interfaces", "extends_interfaces"):
            out.extend(_type_names(child, text))
    return out


def exports(node: Node, text: Text) -> list[str]:
    """Public types (their public members are the API another file may call)."""
    modifiers = next((c for c in node.named_children if c.type == "modifiers"), None)
    if modifiers is None or "public" not in text(modifiers).split():
        return []
    name = node.child_by_field_name("name")
    return [text(name)] if name is not None else []


# security sinks and string comparisons (``detectors/java_security.py``, ``java_quality.py``),
# matched in C after the walk
_SINK_METHODS = (
    "execute executeQuery executeUpdate executeLargeUpdate addBatch prepareStatement prepareCall createQuery "
    "createNativeQuery queryForList queryForObject queryForMap query update exec newInstance newFactory "
    "newDefaultInstance createXMLReader get of readAllBytes readString newInputStream newBufferedReader lines delete "
    "write copy create newBuilder getForObject getForEntity exchange postForObject getInstance random current command nextInt nextLong nextBytes nextDouble nextFloat nextGaussian nextBoolean"
).split()
_SINK_TYPES = (
    "ProcessBuilder ObjectInputStream File FileInputStream FileOutputStream FileReader FileWriter RandomAccessFile "
    "PrintWriter URL HttpGet HttpPost Random SAXReader SAXBuilder"
).split()
QUERY = f"""
(method_invocation
  name: (identifier) @java.sink.name
  (#any-of? @java.sink.name {" ".join(f'"{n}"' for n in _SINK_METHODS)})) @java.sink
(object_creation_expression
  type: [(type_identifier) (scoped_type_identifier) (generic_type)] @java.sink.type
  (#match? @java.sink.type "(^|[.])({"|".join(_SINK_TYPES)})(<.*)?$")) @java.sink
(binary_expression operator: ["==" "!="]) @java.eq
"""


def receiver(node: Node, text: Text) -> str | None:
    """A method of an anonymous class (``new T() { ... }``, an enum constant's body) is a method
    of ``<anonymous>``: an override called through its type, not a local function."""
    body = node.parent
    if node.type != "method_declaration" or body is None or body.type != "class_body":
        return None
    owner = body.parent
    return "<anonymous>" if owner is not None and owner.type in ("object_creation_expression", "enum_constant") else None


HOOKS = LanguageHooks(
    name=_unnamed,
    receiver=receiver,
    parameters=parameters,
    imports=imports,
    complexity=complexity,
    callee=callee,
    bases=bases,
    exports=exports,
    is_else_if=else_if_as_alternative,
)

JAVA = LanguageSpec(
    name="java",
    extensions=(".java",),
    grammars={"": tree_sitter_java.language},
    roles=ROLES,
    identifiers=frozenset({"identifier", "type_identifier"}),
    name_uses=frozenset(),
    conditional=frozenset({"binary_expression", "switch_label"}),
    logical=frozenset({"binary_expression"}),
    cognitive=frozenset({"if_statement", "switch_expression", "catch_clause", "ternary_expression", *LOOPS}),
    hooks=HOOKS,
    query=QUERY,
    excluded_dirs=frozenset({"target", ".gradle"}),
    comment_prefixes=("//",),
)

SPECS = (JAVA,)
