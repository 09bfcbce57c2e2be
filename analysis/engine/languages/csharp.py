"""C# for the tree-sitter front end (``.cs``, tree-sitter-c-sharp).

Functions are methods, constructors, destructors, operators and local functions. Property
accessors are not (nor in lizard: an auto-property's ``get; set;`` has no body). Lambdas and anonymous methods are not functions of their own: as in lizard, their
decisions count in the enclosing function. Classes, structs, interfaces, enums and records are
the class-like definitions, with their base list as bases. Namespaces are transparent (the module
id is the file's path). ``using`` directives are resolved to the declaring files in
``resolve_native.py``.

Cyclomatic complexity is counted as lizard 1.24.3 counts C#: 1 + each ``if``, ``for``,
``foreach``, ``while`` (a ``do ... while`` too), ``catch``, ``case`` label (not ``default``),
``?:``, ``??`` and each ``&&``/``||``; the engine also counts each arm of a ``switch``
expression but a discard (``_ =>``), a ``case`` in all but name. Lizard counts every ``?``
token: the ``?.`` of a null-conditional access and the ``?`` of a nullable type (``int?``) too;
the engine does not.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

import tree_sitter_c_sharp

from analysis.engine.facts import ImportFact
from analysis.engine.languages.spec import LanguageHooks, LanguageSpec, else_if_as_alternative

if TYPE_CHECKING:
    from tree_sitter import Node

Text = Callable[["Node"], str]

FUNCTIONS = frozenset(
    {
        "method_declaration",
        "constructor_declaration",
        "destructor_declaration",
        "operator_declaration",
        "conversion_operator_declaration",
        "local_function_statement",
    }
)
CLASSES = frozenset(
    {"class_declaration", "struct_declaration", "interface_declaration", "enum_declaration", "record_declaration"}
)
LOOPS = frozenset({"for_statement", "foreach_statement", "while_statement", "do_statement"})
STATEMENTS = frozenset(
    {
        "expression_statement",
        "local_declaration_statement",
        "if_statement",
        "for_statement",
        "foreach_statement",
        "while_statement",
        "do_statement",
        "switch_statement",
        "return_statement",
        "throw_statement",
        "break_statement",
        "continue_statement",
        "goto_statement",
        "yield_statement",
        "try_statement",
        "using_statement",
        "lock_statement",
        "checked_statement",
        "unsafe_statement",
        "fixed_statement",
        "labeled_statement",
        "local_function_statement",
    }
)

ROLES: dict[str, frozenset[str]] = {
    "function": FUNCTIONS,
    "class": CLASSES,
    "branch": frozenset({"if_statement"}),
    "loop": LOOPS,
    "decision": frozenset({"catch_clause", "conditional_expression"}),
    "nesting": frozenset({"if_statement", "switch_statement", "switch_expression", "try_statement", "lock_statement", *LOOPS}),
    "call": frozenset({"invocation_expression", "object_creation_expression"}),
    "import": frozenset({"using_directive"}),
    "comment": frozenset({"comment"}),
    "string": frozenset({"string_literal", "verbatim_string_literal", "raw_string_literal", "interpolated_string_expression"}),
    "assignment": frozenset({"assignment_expression", "variable_declarator"}),
    "statement": STATEMENTS,
    "jump": frozenset({"return_statement", "throw_statement", "break_statement", "continue_statement", "goto_statement"}),
    "export": CLASSES,
}


def parameters(node: Node, text: Text) -> list[str]:
    params = node.child_by_field_name("parameters")
    if params is None:
        return []
    out = []
    for child in params.named_children:
        if child.type == "parameter":
            named = child.child_by_field_name("name")
            if named is not None:
                out.append(text(named))
    return out


def imports(node: Node, text: Text) -> list[ImportFact]:
    """``using A.B;`` (a namespace: names = ["*"]), ``using static A.B.C;``, ``using X = A.B.C;``."""
    line = node.start_point[0] + 1
    alias_node = node.child_by_field_name("name")
    target = next(
        (ch for ch in node.named_children if ch.type in ("qualified_name", "identifier", "generic_name") and ch != alias_node),
        None,
    )
    if target is None:
        return []
    written = "".join(text(target).split()).split("<", 1)[0]
    if written.startswith("global::"):
        written = written[len("global::") :]
    static = any(ch.type == "static" for ch in node.children)
    if alias_node is not None:
        return [ImportFact(module=written, alias=text(alias_node), line=line, kind="alias")]
    if static:
        return [ImportFact(module=written, names=["*"], line=line, is_from=True, kind="static")]
    return [ImportFact(module=written, names=["*"], line=line, is_from=True, kind="import")]


def complexity(node: Node, text: Text) -> int:
    kind = node.type
    if kind == "switch_section":
        # one section per label group; each ``case`` label counts (``default`` does not)
        return sum(1 for ch in node.children if ch.type == "case")
    if kind == "switch_expression_arm":
        pattern = node.named_child(0)
        return 0 if pattern is not None and pattern.type == "discard" else 1
    op = node.child_by_field_name("operator")
    return 1 if op is not None and op.type in ("&&", "||", "??") else 0


_DOTTED = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")


def callee(node: Node, text: Text) -> str | None:
    """``M``, ``a.b.M``, ``this.M`` (``self.M``), ``new T(...)`` (``T``)."""
    if node.type == "object_creation_expression":
        kind = node.child_by_field_name("type")
        return (
            text(kind).split("<", 1)[0]
            if kind is not None and kind.type in ("identifier", "qualified_name", "generic_name")
            else None
        )
    target = node.child_by_field_name("function")
    if target is None:
        return None
    if target.type == "generic_name":
        inner = target.named_child(0)
        return text(inner) if inner is not None else None
    if target.type not in ("identifier", "member_access_expression"):
        return None
    written = "".join(text(target).split())
    if not _DOTTED.fullmatch(written):
        written = re.sub(r"<[^<>()]*>", "", written)
        if not _DOTTED.fullmatch(written):
            return None
    return "self" + written[4:] if written.startswith("this.") else written


def bases(node: Node, text: Text) -> list[str]:
    clause = next((ch for ch in node.named_children if ch.type == "base_list"), None)
    if clause is None:
        return []
    out = []
    for child in clause.named_children:
        if child.type in ("identifier", "qualified_name", "generic_name"):
            out.append(text(child).split("<", 1)[0])
        elif child.type == "primary_constructor_base_type":
            inner = child.named_child(0)
            if inner is not None:
                out.append(text(inner).split("<", 1)[0])
    return out


def exports(node: Node, text: Text) -> list[str]:
    """Public types (their public members are the API another assembly may call)."""
    if not any(ch.type == "modifier" and text(ch) == "public" for ch in node.named_children):
        return []
    named = node.child_by_field_name("name")
    return [text(named)] if named is not None else []


# sinks of ``detectors/native_security.py``, matched after the walk
_SINK_METHODS = (
    "Start ExecuteReader ExecuteNonQuery ExecuteScalar ExecuteSqlRaw ExecuteSqlCommand FromSqlRaw Query Execute "
    "Deserialize ComputeHash Create Next NextBytes NextInt64 HashData SqlQuery SqlQueryRaw"
).split()
_SINK_TYPES = (
    "SqlCommand SqlDataAdapter OleDbCommand OdbcCommand NpgsqlCommand MySqlCommand SQLiteCommand SqliteCommand "
    "ProcessStartInfo BinaryFormatter SoapFormatter NetDataContractSerializer LosFormatter ObjectStateFormatter "
    "MD5CryptoServiceProvider SHA1CryptoServiceProvider SHA1Managed DESCryptoServiceProvider Random"
).split()
# ``#any-of?`` is decided in C (a ``#match?`` regex would run in Python for every ``new``): the
# names as written, bare or with their namespace
_SINK_TYPES = [
    *_SINK_TYPES,
    *(f"System.Data.SqlClient.{n}" for n in ("SqlCommand", "SqlDataAdapter")),
    *(f"Microsoft.Data.SqlClient.{n}" for n in ("SqlCommand", "SqlDataAdapter")),
    "System.Diagnostics.ProcessStartInfo",
    "System.Random",
    "System.Runtime.Serialization.Formatters.Binary.BinaryFormatter",
]
QUERY = f"""
(invocation_expression
  function: (member_access_expression name: (identifier) @cs.sink.name)
  (#any-of? @cs.sink.name {" ".join(f'"{n}"' for n in _SINK_METHODS)})) @cs.sink
(object_creation_expression
  type: [(identifier) (qualified_name)] @cs.sink.type
  (#any-of? @cs.sink.type {" ".join(f'"{n}"' for n in _SINK_TYPES)})) @cs.sink
(assignment_expression
  left: (member_access_expression name: (identifier) @cs.assign.name)
  (#any-of? @cs.assign.name "ServerCertificateValidationCallback" "ServerCertificateCustomValidationCallback" "RemoteCertificateValidationCallback" "CommandText")) @cs.assign
"""

HOOKS = LanguageHooks(
    parameters=parameters,
    imports=imports,
    complexity=complexity,
    callee=callee,
    bases=bases,
    exports=exports,
    is_else_if=else_if_as_alternative,
)

CSHARP = LanguageSpec(
    name="csharp",
    extensions=(".cs",),
    grammars={"": tree_sitter_c_sharp.language},
    roles=ROLES,
    identifiers=frozenset({"identifier"}),
    conditional=frozenset({"binary_expression", "switch_section", "switch_expression_arm"}),
    logical=frozenset({"binary_expression"}),
    cognitive=frozenset(
        {"if_statement", "switch_statement", "switch_expression", "catch_clause", "conditional_expression", *LOOPS}
    ),
    else_kinds=frozenset(),
    hooks=HOOKS,
    query=QUERY,
    excluded_dirs=frozenset({"bin", "obj"}),
    excluded_suffixes=(".designer.cs", ".g.cs", ".g.i.cs", ".assemblyinfo.cs"),
)

SPECS = (CSHARP,)
