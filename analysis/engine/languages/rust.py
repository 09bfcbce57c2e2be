"""Rust for the tree-sitter front end (``.rs``, tree-sitter-rust).

Functions are ``fn`` items; a function of an ``impl`` block is a method of the implemented type
(``hooks.receiver``: ``impl<T> Tr for S<T> { fn d() }`` -> ``file.rs.S.d``), a default method of
a trait a method of the trait. Structs, enums, unions and traits are the class-like definitions
(a trait's supertraits are its bases). Closures are not functions of their own: as in lizard,
their decisions count in the enclosing function. ``use`` declarations and ``mod x;`` are
imports, resolved to files in ``resolve_native.py`` (``crate::``, ``self::``, ``super::``,
workspace crates by name, the module tree of ``lib.rs``/``main.rs``/``mod.rs``).

Cyclomatic complexity is counted as lizard 1.24.3 counts Rust, except where lizard counts what
is not a decision: 1 + each ``if`` (``if let`` too), ``while`` (``while let`` too), ``for``,
each arm of a ``match`` but the first, each guard of an arm, each ``?`` (an early return), each ``let ... else`` and
each ``&&``/``||``; among the tokens of a macro call (``vec![x?]``, ``assert!(a && b)``) each
``?`` after an operand, ``&&``/``||`` between operands and ``if``/``while``/``for``. Lizard also counts the ``where`` keyword of a generic bound; the engine does
not. ``loop`` is not a decision (it exits through a ``break`` that is under one).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

import tree_sitter_rust
from tree_sitter import Language, Parser

from analysis.engine.facts import ImportFact
from analysis.engine.languages.spec import LanguageHooks, LanguageSpec, else_if_in_else_clause

if TYPE_CHECKING:
    from tree_sitter import Node

Text = Callable[["Node"], str]

CLASSES = frozenset({"struct_item", "enum_item", "union_item", "trait_item"})
LOOPS = frozenset({"for_expression", "while_expression"})
NESTING = frozenset({"if_expression", "match_expression", "loop_expression", "unsafe_block", *LOOPS})
STATEMENTS = frozenset({"expression_statement", "let_declaration"})

ROLES: dict[str, frozenset[str]] = {
    "function": frozenset({"function_item"}),
    "class": CLASSES,
    "branch": frozenset({"if_expression"}),
    "loop": LOOPS,
    "nesting": NESTING,
    "call": frozenset({"call_expression"}),
    "import": frozenset({"use_declaration", "mod_item"}),
    "comment": frozenset({"line_comment", "block_comment"}),
    "string": frozenset({"string_literal", "raw_string_literal"}),
    "assignment": frozenset({"let_declaration", "assignment_expression", "compound_assignment_expr"}),
    "statement": STATEMENTS,
    "jump": frozenset({"return_expression", "break_expression", "continue_expression"}),
    "export": frozenset({"function_item", *CLASSES}),
}


def _type_name(node: Node | None, text: Text) -> str | None:
    """``S`` for ``S``, ``S<T>``, ``a::S``, ``&S``."""
    while node is not None and node.type in ("generic_type", "reference_type", "pointer_type"):
        node = node.child_by_field_name("type")
    if node is None:
        return None
    if node.type == "scoped_type_identifier":
        inner = node.child_by_field_name("name")
        return text(inner) if inner is not None else None
    return text(node) if node.type in ("type_identifier", "primitive_type") else None


def receiver(node: Node, text: Text) -> str | None:
    """The type of the ``impl`` block a function is declared in."""
    body = node.parent
    owner = body.parent if body is not None else None
    if owner is None or body is None or body.type != "declaration_list" or owner.type != "impl_item":
        return None
    return _type_name(owner.child_by_field_name("type"), text)


def parameters(node: Node, text: Text) -> list[str]:
    params = node.child_by_field_name("parameters")
    out: list[str] = []
    for child in params.named_children if params is not None else []:
        if child.type == "self_parameter":
            out.append("self")
        elif child.type == "parameter":
            pattern = child.child_by_field_name("pattern")
            out.append(text(pattern) if pattern is not None and pattern.type == "identifier" else "_")
        elif child.type == "variadic_parameter":
            out.append("...")
    return out


def _use_paths(node: Node, prefix: str, text: Text, out: list[tuple[str, str | None, bool]]) -> None:
    """(path, alias, wildcard) for each leaf of a use tree: ``a::{b, c as d, e::*}``."""
    kind = node.type
    if kind in ("identifier", "scoped_identifier", "crate", "self", "super", "metavariable"):
        written = prefix + text(node)
        out.append((written, written.rsplit("::", 1)[-1], False))
    elif kind == "use_as_clause":
        original = node.child_by_field_name("path")
        alias = node.child_by_field_name("alias")
        if original is not None:
            out.append((prefix + text(original), text(alias) if alias is not None else None, False))
    elif kind == "use_wildcard":
        inner = node.named_child(0) if node.named_child_count else None
        out.append(((prefix + text(inner)) if inner is not None else prefix.rstrip(":"), None, True))
    elif kind == "scoped_use_list":
        scope = node.child_by_field_name("path")
        items = node.child_by_field_name("list")
        head = prefix + (text(scope) + "::" if scope is not None else "")
        if items is not None:
            _use_paths(items, head, text, out)
    elif kind == "use_list":
        for child in node.named_children:
            _use_paths(child, prefix, text, out)


def imports(node: Node, text: Text) -> list[ImportFact]:
    """``use a::b::C;`` (alias C), ``use a::{b, c as d};``, ``use a::*;``, ``mod x;``."""
    line = node.start_point[0] + 1
    if node.type == "mod_item":
        if node.child_by_field_name("body") is not None:
            return []  # an inline module: no file
        named = node.child_by_field_name("name")
        return [ImportFact(module=text(named), line=line, kind="mod")] if named is not None else []
    argument = node.child_by_field_name("argument")
    if argument is None:
        return []
    found: list[tuple[str, str | None, bool]] = []
    _use_paths(argument, "", text, found)
    out = []
    for path, alias, wildcard in found:
        path = "".join(path.split())
        if path.endswith("::self"):  # use a::b::{self} imports the module b
            path = path[: -len("::self")]
            alias = path.rsplit("::", 1)[-1]
        if wildcard:
            out.append(ImportFact(module=path, names=["*"], line=line, is_from=True, kind="import"))
        elif alias != "_":
            out.append(ImportFact(module=path, alias=alias, line=line, kind="import"))
    return out


_TREE_KEYWORDS = frozenset({"if", "while", "for"})


def _token_tree(node: Node) -> int:
    """Decisions among a macro's tokens (``vec![x?]``, ``assert!(a && b)``, ``format!("{}", if c
    {1} else {2})``): ``?`` after an operand (not ``?Sized``), ``&&``/``||`` between operands
    (not a closure's ``||`` nor a reference's ``&&``), ``if``, ``while``, ``for``."""
    n = 0
    children = node.children
    for i, child in enumerate(children):
        kind = child.type
        if kind in _TREE_KEYWORDS:
            n += 1
        elif kind == "?":
            n += 1 if i > 0 and children[i - 1].is_named else 0
        elif kind in ("&&", "||"):
            n += 1 if 0 < i < len(children) - 1 and children[i - 1].is_named and children[i + 1].is_named else 0
    return n


def complexity(node: Node, text: Text) -> int:
    kind = node.type
    if kind == "token_tree":
        return _token_tree(node)
    if kind == "match_arm":
        sibling = node.prev_named_sibling
        while sibling is not None and sibling.type != "match_arm":
            sibling = sibling.prev_named_sibling
        return 1 if sibling is not None else 0
    if kind == "try_expression":
        return 1
    if kind == "match_pattern":  # a guard: ``x if x > 0 =>``
        return 1 if node.child_by_field_name("condition") is not None else 0
    if kind == "let_declaration":
        return 1 if node.child_by_field_name("alternative") is not None else 0
    op = node.child_by_field_name("operator")
    return 1 if op is not None and op.type in ("&&", "||") else 0


_DOTTED = re.compile(r"[A-Za-z_]\w*(?:(?:\.|::)[A-Za-z_]\w*)*")


def callee(node: Node, text: Text) -> str | None:
    """``f``, ``a::b::f`` (as ``a.b.f``), ``x.m``, ``self.m``, ``S::new`` (as ``S.new``)."""
    target = node.child_by_field_name("function")
    if target is None:
        return None
    if target.type == "generic_function":  # f::<T>()
        target = target.child_by_field_name("function")
        if target is None:
            return None
    if target.type not in ("identifier", "scoped_identifier", "field_expression"):
        return None
    written = "".join(text(target).split())
    if not _DOTTED.fullmatch(written):
        return None
    return written.replace("::", ".")


def bases(node: Node, text: Text) -> list[str]:
    bounds = node.child_by_field_name("bounds") if node.type == "trait_item" else None
    if bounds is None:
        return []
    return [name for name in (_type_name(child, text) for child in bounds.named_children) if name]


_ENTRY_ATTRIBUTES = re.compile(r"#\[\s*(?:[\w:]*test|bench|no_mangle|export_name|proc_macro\w*|\w+::main)\b")


def exports(node: Node, text: Text) -> list[str]:
    """``pub`` items (``pub(crate)`` is not the crate's API but another module may use it), and
    functions something else calls: ``main``, ``#[test]``, ``#[tokio::main]``, ``#[no_mangle]``."""
    named = node.child_by_field_name("name")
    if named is None:
        return []
    if any(child.type == "visibility_modifier" for child in node.named_children):
        return [text(named)]
    if node.type == "function_item":
        if text(named) == "main":
            return ["main"]
        attribute = node.prev_named_sibling
        while attribute is not None and attribute.type in ("attribute_item", "line_comment", "block_comment"):
            if attribute.type == "attribute_item" and _ENTRY_ATTRIBUTES.match(text(attribute)):
                return [text(named)]
            attribute = attribute.prev_named_sibling
    return []


# an item-level macro call wrapping items (tokio's ``cfg_rt! { pub fn ... }``, ``pin_project! {
# struct ... }``): to tree-sitter its body is a token tree, so the functions in it would not exist.
# The parser sees the body as items: ``name! {`` and its closing ``}`` are replaced by spaces.
_ITEM_MACRO = re.compile(rb"^[ \t]*([a-z_][a-z0-9_]*)![ \t]*\{", re.M)
_NOT_ITEMS = frozenset({b"macro_rules", b"quote", b"quote_spanned", b"parse_quote", b"parse_quote_spanned", b"json"})
_ITEM_START = re.compile(
    rb"\s*(?:#!?\[|///|//!|pub\b|fn\b|impl\b|use\b|mod\b|struct\b|enum\b|trait\b|type\b|const\b|static\b|unsafe\b|"
    rb"async\b|extern\b|union\b)"
)
# tokens a template has (quote!'s #name, a macro_rules transcriber's $x): not plain items
_TEMPLATE = re.compile(rb"#[A-Za-z_(]|\$[A-Za-z_(]")
_BRACE_SCAN = re.compile(rb'[{}]|"(?:\\.|[^"\\])*"|//[^\n]*|/\*.*?\*/|\'(?:\\.|[^\\\'\n])\'', re.S)


def _closing_brace(data: bytes, start: int) -> int | None:
    """The offset of the ``}`` closing the ``{`` at ``start`` (strings, chars and comments skipped)."""
    depth = 0
    for token in _BRACE_SCAN.finditer(data, start):
        text = token.group(0)
        if text == b"{":
            depth += 1
        elif text == b"}":
            depth -= 1
            if depth == 0:
                return token.start()
    return None


@functools.cache
def _body_parser() -> Parser:
    """A parser of this process for the bodies of item macros (are they items?)."""
    return Parser(Language(tree_sitter_rust.language()))


def unwrap_item_macros(data: bytes) -> bytes:
    """The bytes the parser sees (same length): the wrappers of item-level macro calls whose body
    parses as items blanked, so their functions and types are parsed as such."""
    if b"! {" not in data and b"!{" not in data:
        return data
    out: bytearray | None = None
    for match in _ITEM_MACRO.finditer(data):
        if match.group(1) in _NOT_ITEMS:
            continue
        opening = match.end() - 1
        if not _ITEM_START.match(data, opening + 1):
            continue
        closing = _closing_brace(data, opening)
        if closing is None or _TEMPLATE.search(data, opening, closing):
            continue
        if _body_parser().parse(data[opening + 1 : closing]).root_node.has_error:
            continue  # a DSL that only looks like items (thread_local!'s ``static X: T = v``, mock!)
        if out is None:
            out = bytearray(data)
        start = match.start(1)
        out[start : opening + 1] = b" " * (opening + 1 - start)
        out[closing] = 0x20
    return bytes(out) if out is not None else data


# sinks of ``detectors/native_security.py``: method calls by name, matched after the walk
QUERY = """
(call_expression
  function: (field_expression field: (field_identifier) @rust.sink.name)
  (#any-of? @rust.sink.name "arg" "args" "danger_accept_invalid_certs" "danger_accept_invalid_hostnames" "unwrap" "expect")) @rust.sink
(call_expression
  function: (scoped_identifier) @rust.sink.path
  (#any-of? @rust.sink.path "Command::new" "process::Command::new" "std::process::Command::new" "tokio::process::Command::new")) @rust.sink
"""

HOOKS = LanguageHooks(
    parameters=parameters,
    imports=imports,
    complexity=complexity,
    callee=callee,
    bases=bases,
    exports=exports,
    is_else_if=else_if_in_else_clause,
    receiver=receiver,
)

RUST = LanguageSpec(
    name="rust",
    extensions=(".rs",),
    grammars={"": tree_sitter_rust.language},
    roles=ROLES,
    identifiers=frozenset({"identifier", "field_identifier", "type_identifier"}),
    # S::new and a::S in a path use S
    name_uses=frozenset({"scoped_identifier", "scoped_type_identifier", "generic_type"}),
    conditional=frozenset({"binary_expression", "match_arm", "match_pattern", "try_expression", "let_declaration", "token_tree"}),
    logical=frozenset({"binary_expression"}),
    cognitive=frozenset({"if_expression", "match_expression", "loop_expression", *LOOPS}),
    else_kinds=frozenset({"else_clause"}),
    hooks=HOOKS,
    query=QUERY,
    excluded_dirs=frozenset({"target"}),
    preprocess=unwrap_item_macros,
)

SPECS = (RUST,)
