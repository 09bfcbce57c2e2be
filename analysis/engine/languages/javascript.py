"""JavaScript and TypeScript for the tree-sitter front end.

Two specs share one set of tables and hooks: ``javascript`` (``.js .jsx .mjs .cjs``, scripts run
by node/deno/bun; tree-sitter-javascript, which parses JSX) and ``typescript`` (``.ts .mts .cts``
with the TypeScript grammar, ``.tsx`` with its TSX grammar). Cyclomatic complexity follows
ESLint's ``complexity`` rule: +1 for ``if``, each loop, ``catch``, ``?:``, each non-default
``case``, ``&& || ??``, ``&&= ||= ??=``, each default value (parameters and destructuring) and
each optional chain ``?.``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

import tree_sitter_javascript
import tree_sitter_typescript

from analysis.engine.facts import ImportFact
from analysis.engine.languages.spec import LanguageHooks, LanguageSpec, else_if_in_else_clause

if TYPE_CHECKING:
    from tree_sitter import Node

Text = Callable[["Node"], str]

FUNCTIONS = frozenset(
    {
        "function_declaration",
        "function_expression",
        "arrow_function",
        "generator_function_declaration",
        "generator_function",
        "method_definition",
    }
)
CLASSES = frozenset({"class_declaration", "class", "abstract_class_declaration"})
LOOPS = frozenset({"for_statement", "for_in_statement", "while_statement", "do_statement"})
_LOGICAL = frozenset({"&&", "||", "??"})
_LOGICAL_ASSIGN = frozenset({"&&=", "||=", "??="})
STATEMENTS = frozenset(
    {
        "expression_statement",
        "lexical_declaration",
        "variable_declaration",
        "if_statement",
        "for_statement",
        "for_in_statement",
        "while_statement",
        "do_statement",
        "return_statement",
        "throw_statement",
        "break_statement",
        "continue_statement",
        "try_statement",
        "switch_statement",
        "function_declaration",
        "generator_function_declaration",
        "class_declaration",
        "abstract_class_declaration",
        "labeled_statement",
        "debugger_statement",
        "import_statement",
        "export_statement",
        "type_alias_declaration",
        "interface_declaration",
        "enum_declaration",
    }
)

ROLES: dict[str, frozenset[str]] = {
    "function": FUNCTIONS,
    "class": CLASSES,
    "branch": frozenset({"if_statement"}),
    "loop": LOOPS,
    "decision": frozenset({"switch_case", "catch_clause", "ternary_expression", "optional_chain"}),
    "nesting": frozenset({"if_statement", "switch_statement", "try_statement", *LOOPS}),
    "call": frozenset({"call_expression", "new_expression"}),
    "import": frozenset({"import_statement", "export_statement"}),
    "comment": frozenset({"comment", "html_comment"}),
    "string": frozenset({"string", "template_string"}),
    "assignment": frozenset({"assignment_expression", "augmented_assignment_expression", "variable_declarator"}),
    "statement": STATEMENTS,
    "jump": frozenset({"return_statement", "throw_statement", "break_statement", "continue_statement"}),
    "export": frozenset({"export_statement", "assignment_expression"}),
}


def unquote(text: str) -> str:
    """The value of a simple string literal ('x', "x", `x` without substitutions)."""
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"`":
        return text[1:-1]
    return text


def _field_text(node: Node, name: str, text: Text) -> str | None:
    child = node.child_by_field_name(name)
    return text(child) if child is not None else None


def function_name(node: Node, text: Text) -> str | None:
    """The name an anonymous function or class is bound to: ``const f = () => 1``, ``f: function``,
    ``obj.f = function``, ``f = () => 1`` in a class body."""
    parent = node.parent
    while parent is not None and parent.type in ("parenthesized_expression", "as_expression", "satisfies_expression"):
        parent = parent.parent
    if parent is None:
        return None
    kind = parent.type
    if kind == "variable_declarator":
        name = parent.child_by_field_name("name")
        return text(name) if name is not None and name.type == "identifier" else None
    if kind in ("assignment_expression", "augmented_assignment_expression"):
        left = parent.child_by_field_name("left")
        if left is None:
            return None
        if left.type == "member_expression":
            return _field_text(left, "property", text)
        return text(left) if left.type == "identifier" else None
    if kind == "pair":
        key = parent.child_by_field_name("key")
        return unquote(text(key)) if key is not None else None
    if kind in ("field_definition", "public_field_definition"):
        prop = parent.child_by_field_name("property") or parent.child_by_field_name("name")
        return text(prop) if prop is not None else None
    if kind == "export_statement":
        return "default"
    return None


def _pattern_name(node: Node, text: Text) -> str:
    kind = node.type
    if kind == "identifier":
        return text(node)
    if kind == "assignment_pattern":
        left = node.child_by_field_name("left")
        return _pattern_name(left, text) if left is not None else text(node)
    if kind in ("required_parameter", "optional_parameter"):
        pattern = node.child_by_field_name("pattern")
        return _pattern_name(pattern, text) if pattern is not None else text(node)
    if kind == "rest_pattern":
        inner = node.named_child(0)
        return "..." + (_pattern_name(inner, text) if inner is not None else "")
    return text(node)


def parameters(node: Node, text: Text) -> list[str]:
    single = node.child_by_field_name("parameter")  # `x => x`
    if single is not None:
        return [text(single)]
    params = node.child_by_field_name("parameters")
    if params is None:
        return []
    out = []
    for child in params.named_children:
        if child.type == "comment":
            continue
        name = _pattern_name(child, text)
        if name != "this":  # TypeScript's `this: T` declares the receiver's type, not a parameter
            out.append(name)
    return out


def _string_value(node: Node | None, text: Text) -> str | None:
    if node is None or node.type not in ("string", "template_string"):
        return None
    if (
        node.type == "template_string"
        and node.named_child_count
        and any(c.type == "template_substitution" for c in node.named_children)
    ):
        return None
    return unquote(text(node))


def _has_type_keyword(node: Node) -> bool:
    return any(not c.is_named and c.type in ("type", "typeof") for c in node.children)


def imports(node: Node, text: Text) -> list[ImportFact]:
    """ImportFacts of an ``import`` or ``export ... from`` statement (module = the specifier)."""
    source = _string_value(node.child_by_field_name("source"), text)
    line = node.start_point[0] + 1
    if node.type == "export_statement":
        if source is None:
            return []
        clause = next((c for c in node.named_children if c.type == "export_clause"), None)
        if clause is None:
            ns = next((c for c in node.named_children if c.type == "namespace_export"), None)
            alias = text(ns.named_child(0)) if ns is not None and ns.named_child(0) is not None else None
            return [ImportFact(module=source, names=["*"], alias=alias, line=line, is_from=True, kind="reexport")]
        out = []
        for spec in clause.named_children:
            if spec.type != "export_specifier":
                continue
            name = _field_text(spec, "name", text) or ""
            alias = _field_text(spec, "alias", text)
            out.append(ImportFact(module=source, names=[name], alias=alias, line=line, is_from=True, kind="reexport"))
        return out
    type_only = _has_type_keyword(node)
    kind = "type" if type_only else "import"
    require = next((c for c in node.named_children if c.type == "import_require_clause"), None)
    if require is not None:  # TypeScript: import fs = require("fs")
        bound = require.named_child(0)
        spec_source = _string_value(require.child_by_field_name("source"), text)
        if spec_source is None:
            return []
        return [ImportFact(module=spec_source, alias=text(bound) if bound is not None else None, line=line, kind="require")]
    if source is None:
        return []
    clause = next((c for c in node.named_children if c.type == "import_clause"), None)
    if clause is None:  # import "./side-effect"
        return [ImportFact(module=source, line=line, kind=kind, type_checking_only=type_only)]
    out = []
    for part in clause.named_children:
        if part.type == "identifier":  # default import
            out.append(ImportFact(module=source, alias=text(part), line=line, kind=kind, type_checking_only=type_only))
        elif part.type == "namespace_import":
            ident = part.named_child(0)
            alias = text(ident) if ident is not None else None
            out.append(ImportFact(module=source, alias=alias, line=line, kind=kind, type_checking_only=type_only))
        elif part.type == "named_imports":
            for spec in part.named_children:
                if spec.type != "import_specifier":
                    continue
                name = _field_text(spec, "name", text) or ""
                alias = _field_text(spec, "alias", text)
                only = type_only or _has_type_keyword(spec)
                out.append(
                    ImportFact(
                        module=source,
                        names=[unquote(name)],
                        alias=alias,
                        line=line,
                        is_from=True,
                        kind="type" if only else kind,
                        type_checking_only=only,
                    )
                )
    return out


def call_imports(node: Node, text: Text) -> list[ImportFact]:
    """``require("x")`` (bound names from its declarator) and ``import("x")``."""
    if node.type != "call_expression":
        return []
    fn = node.child_by_field_name("function")
    if fn is None:
        return []
    if fn.type == "import":
        kind = "dynamic"
    elif fn.type == "identifier" and text(fn) == "require":
        kind = "require"
    else:
        return []
    args = node.child_by_field_name("arguments")
    first = args.named_child(0) if args is not None and args.named_child_count == 1 else None
    source = _string_value(first, text)
    if source is None:
        return []
    line = node.start_point[0] + 1
    parent = node.parent
    if kind == "require" and parent is not None and parent.type == "variable_declarator":
        target = parent.child_by_field_name("name")
        if target is not None and target.type == "identifier":
            return [ImportFact(module=source, alias=text(target), line=line, kind=kind)]
        if target is not None and target.type == "object_pattern":
            out = []
            for prop in target.named_children:
                if prop.type == "shorthand_property_identifier_pattern":
                    out.append(ImportFact(module=source, names=[text(prop)], line=line, is_from=True, kind=kind))
                elif prop.type == "pair_pattern":
                    key = _field_text(prop, "key", text) or ""
                    value = prop.child_by_field_name("value")
                    alias = text(value) if value is not None and value.type == "identifier" else None
                    out.append(ImportFact(module=source, names=[key], alias=alias, line=line, is_from=True, kind=kind))
            if out:
                return out
    return [ImportFact(module=source, line=line, kind=kind)]


def complexity(node: Node, text: Text) -> int:
    kind = node.type
    if kind == "binary_expression":
        op = node.child_by_field_name("operator")
        return 1 if op is not None and op.type in _LOGICAL else 0
    if kind == "augmented_assignment_expression":
        op = node.child_by_field_name("operator")
        return 1 if op is not None and op.type in _LOGICAL_ASSIGN else 0
    if kind in ("assignment_pattern", "object_assignment_pattern"):
        return 1
    if kind in ("required_parameter", "optional_parameter"):
        return 1 if node.child_by_field_name("value") is not None else 0
    return 0


def dotted(node: Node, text: Text) -> str | None:
    """``a.b.c`` for an identifier/member chain (``this`` spelled ``self``), else None."""
    parts: list[str] = []
    while node.type == "member_expression":
        prop = node.child_by_field_name("property")
        obj = node.child_by_field_name("object")
        if prop is None or obj is None or prop.type not in ("property_identifier", "private_property_identifier"):
            return None
        parts.append(text(prop))
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


# a callee written as a plain chain of ASCII names (``f``, ``a.b.c``, ``this.#x``): its text is the
# dotted name, once the head is known to be an identifier (not a keyword-like node kind)
_PLAIN_CHAIN = re.compile(r"[A-Za-z_$][\w$]*(?:\.#?[A-Za-z_$][\w$]*)*", re.ASCII)
_NOT_IDENTIFIERS = frozenset(
    {"undefined", "null", "true", "false", "import", "new", "typeof", "void", "delete", "await", "yield", "in", "of"}
)


def callee(node: Node, text: Text) -> str | None:
    target = node.child_by_field_name("function" if node.type == "call_expression" else "constructor")
    if target is None:
        return None
    kind = target.type
    if kind == "identifier":
        return text(target)
    if kind == "member_expression" and not target.has_error:
        written = text(target)
        if _PLAIN_CHAIN.fullmatch(written):
            head, dot, rest = written.partition(".")
            if head == "this":
                return f"self.{rest}"
            if head == "super" or head not in _NOT_IDENTIFIERS:
                return written
    if kind == "import":
        return None
    return dotted(target, text)


def bases(node: Node, text: Text) -> list[str]:
    heritage = next((c for c in node.named_children if c.type == "class_heritage"), None)
    if heritage is None:
        return []
    out = []
    for part in heritage.named_children:
        if part.type == "extends_clause":
            value = part.child_by_field_name("value")
            if value is not None:
                out.append(text(value))
        elif part.type == "implements_clause":
            out.extend(text(t) for t in part.named_children)
        elif part.type != "comment":
            out.append(text(part))  # JavaScript: class_heritage holds the expression itself
    return out


def exports(node: Node, text: Text) -> list[str]:
    """Names exported by ``export ...`` (ESM) or ``module.exports``/``exports.x =`` (CommonJS)."""
    if node.type == "export_statement":
        if node.child_by_field_name("source") is not None:
            return []
        declaration = node.child_by_field_name("declaration")
        if declaration is not None:
            name = declaration.child_by_field_name("name")
            if name is not None:
                return [text(name)]
            return [
                text(declared)
                for d in declaration.named_children
                if d.type == "variable_declarator" and (declared := d.child_by_field_name("name")) is not None
            ]  # type: ignore[arg-type]
        clause = next((c for c in node.named_children if c.type == "export_clause"), None)
        if clause is not None:
            return [text(n) for s in clause.named_children if (n := s.child_by_field_name("name")) is not None]
        value = node.child_by_field_name("value")
        return [text(value)] if value is not None and value.type == "identifier" else ["default"]
    left = node.child_by_field_name("left")
    if left is None or left.type != "member_expression":
        return []
    target = text(left)
    right = node.child_by_field_name("right")
    if target in ("module.exports", "exports"):
        if right is None:
            return []
        if right.type == "identifier":
            return [text(right)]
        if right.type == "object":
            out = []
            for member in right.named_children:
                if member.type == "shorthand_property_identifier":
                    out.append(text(member))
                elif member.type == "pair":
                    value = member.child_by_field_name("value")
                    if value is not None and value.type == "identifier":
                        out.append(text(value))
            return out
        return []
    if target.startswith(("module.exports.", "exports.")):
        prop = left.child_by_field_name("property")
        names = [text(prop)] if prop is not None else []
        if right is not None and right.type == "identifier":
            names.append(text(right))
        return names
    return []


HOOKS = LanguageHooks(
    name=function_name,
    parameters=parameters,
    imports=imports,
    call_imports=call_imports,
    complexity=complexity,
    callee=callee,
    bases=bases,
    exports=exports,
    is_else_if=else_if_in_else_clause,
)

_COMMON = {
    "roles": ROLES,
    "identifiers": frozenset({"identifier", "property_identifier", "shorthand_property_identifier", "type_identifier"}),
    # export { a } uses the local a; Foo<T> in a heritage clause or an expression uses Foo
    "name_uses": frozenset({"export_specifier", "generic_type", "nested_type_identifier"}),
    "conditional": frozenset(
        {
            "binary_expression",
            "augmented_assignment_expression",
            "assignment_pattern",
            "object_assignment_pattern",
            "required_parameter",
            "optional_parameter",
        }
    ),
    "logical": frozenset({"binary_expression"}),
    # TypeScript types: no calls, branches or functions inside (a conditional type is not a
    # decision), only the names they mention; about a third of the nodes of typed code
    "opaque": frozenset(
        {"type_annotation", "type_arguments", "type_parameters", "asserts_annotation", "type_predicate_annotation"}
    ),
    "cognitive": frozenset({"if_statement", "switch_statement", "catch_clause", "ternary_expression", *LOOPS}),
    "else_kinds": frozenset({"else_clause"}),
    "hooks": HOOKS,
    "excluded_dirs": frozenset({"node_modules", "bower_components", "dist", "build", "out", "coverage", ".next", ".nuxt"}),
}

JAVASCRIPT = LanguageSpec(
    name="javascript",
    extensions=(".js", ".jsx", ".mjs", ".cjs"),
    grammars={"": tree_sitter_javascript.language},
    shebangs=("node", "nodejs", "deno", "bun"),
    excluded_suffixes=(".min.js", ".min.mjs", ".min.cjs", ".bundle.js", "-min.js"),
    **_COMMON,  # type: ignore[arg-type]
)

TYPESCRIPT = LanguageSpec(
    name="typescript",
    extensions=(".ts", ".tsx", ".mts", ".cts"),
    grammars={"": tree_sitter_typescript.language_typescript, ".tsx": tree_sitter_typescript.language_tsx},
    shebangs=("ts-node", "tsx"),
    excluded_suffixes=(".d.ts", ".d.mts", ".d.cts"),
    **_COMMON,  # type: ignore[arg-type]
)

SPECS = (JAVASCRIPT, TYPESCRIPT)
