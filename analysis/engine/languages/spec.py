"""The declarative description of a language for the tree-sitter front end.

A ``LanguageSpec`` says which files are in the language (extensions, shebang interpreters), how to
get its grammar, which node kinds play which *role*, which fields hold a node's name, body and
parameters, and a few small hooks for what a table cannot say (the name of an anonymous function
assigned to a variable, the specifiers of an import statement). ``frontend.py`` turns that into
one traversal per file that extracts the language-neutral facts and dispatches nodes to the
``TreeDetector``\\ s subscribed to their roles. See ``/analysis/engine/languages/README.md``.

Roles (a node kind may play several):

==============  =================================================================================
``function``    a function with a body: a ``Definition`` with metrics; a new scope for the others
``class``       a class-like type: a ``Definition`` of kind ``class``; functions in it are methods
``branch``      +1 cyclomatic (an ``if``)
``loop``        +1 cyclomatic; ``ctx.loop_depth`` is one higher inside
``decision``    +1 cyclomatic (``case``, ``catch``, ternary...)
``nesting``     a block that nests: raises the nesting level of what is inside it
``call``        a call expression: a ``CallFact``
``import``      an import/export-from statement: ``hooks.imports`` makes the ``ImportFact``\\ s
``comment``     a comment: comment-only lines do not count as code; TODO markers; suppressions
``string``      a string literal
``assignment``  an assignment or variable declarator
``statement``   a statement: counted in ``FunctionMetrics.statements``; a clone-window unit
``jump``        return/throw/break/continue: what follows it in the same block is unreachable
``export``      a node that may export names: ``hooks.exports`` lists them (``FileFacts.extra["exports"]``)
==============  =================================================================================

Cyclomatic complexity = 1 + branch/loop/decision nodes + ``hooks.complexity`` of the
``conditional`` kinds (operators, default values). Cognitive complexity (SonarSource) = for each
``cognitive`` kind +1 plus the nesting level (+1 flat for an else-if, ``hooks.is_else_if``), +1 for
each ``else_kinds`` node and +1 per sequence of the same ``logical`` operator.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tree_sitter import Node

    from analysis.engine.facts import ImportFact

ROLES = (
    "function",
    "class",
    "branch",
    "loop",
    "decision",
    "nesting",
    "call",
    "import",
    "comment",
    "string",
    "assignment",
    "statement",
    "jump",
    "export",
)


def _no_imports(node: Node, text: Callable[[Node], str]) -> list[ImportFact]:
    return []


def _no_extra(node: Node, text: Callable[[Node], str]) -> int:
    return 0


def _no_name(node: Node, text: Callable[[Node], str]) -> str | None:
    return None


def else_if_in_else_clause(node: Node) -> bool:
    """``LanguageHooks.is_else_if`` of grammars that wrap the else branch in an ``else_clause``
    (JavaScript, Rust, C, C++): the ``if`` is the clause's child."""
    parent = node.parent
    return parent is not None and parent.type == "else_clause"


def else_if_as_alternative(node: Node) -> bool:
    """``LanguageHooks.is_else_if`` of grammars whose ``if_statement`` holds the else branch in its
    ``alternative`` field (Go, Java, C#): the ``if`` is that field."""
    parent = node.parent
    if parent is None or parent.type != "if_statement":
        return False
    alternative = parent.child_by_field_name("alternative")
    return alternative is not None and alternative.id == node.id


@dataclass(frozen=True)
class LanguageHooks:
    """Small functions for what the tables cannot say. Each takes the node and ``text(node)``
    (the node's source text, decoded) and must not walk beyond the node's own children."""

    # the name of a function or class node without a name field (``const f = () => 1`` -> "f")
    name: Callable[[Node, Callable[[Node], str]], str | None] = _no_name
    # parameter names of a function node
    parameters: Callable[[Node, Callable[[Node], str]], list[str]] = lambda node, text: []
    # ImportFacts of a node with the ``import`` role (module = specifier as written)
    imports: Callable[[Node, Callable[[Node], str]], list[ImportFact]] = _no_imports
    # ImportFacts of a call node (``require("x")``, ``import("x")``); [] for ordinary calls
    call_imports: Callable[[Node, Callable[[Node], str]], list[ImportFact]] = _no_imports
    # cyclomatic increments of a kind in ``LanguageSpec.conditional``: ``a && b`` -> 1, ``a + b`` -> 0
    complexity: Callable[[Node, Callable[[Node], str]], int] = _no_extra
    # the dotted callee of a call node ("fs.readFile", "self.save"), or None when not a plain name
    callee: Callable[[Node, Callable[[Node], str]], str | None] = _no_name
    # base classes / implemented interfaces of a class node, as written
    bases: Callable[[Node, Callable[[Node], str]], list[str]] = lambda node, text: []
    # names a node of the ``export`` role exports (public API: dead-code findings get low confidence)
    exports: Callable[[Node, Callable[[Node], str]], list[str]] = lambda node, text: []
    # is this ``branch`` node an "else if" (cognitive complexity: +1 without nesting bonus)?
    is_else_if: Callable[[Node], bool] = lambda node: False
    # the type a function node is a method of when no class node encloses it (Go's
    # ``func (s *Server) Run()`` -> "Server", Java's anonymous classes -> "<anonymous>"): the
    # function is a method qualified by that type
    receiver: Callable[[Node, Callable[[Node], str]], str | None] = _no_name


@dataclass(frozen=True)
class LanguageSpec:
    """Everything the tree-sitter front end needs to know about one language."""

    name: str  # the FileFacts.language value: "javascript", "typescript", "go", ...
    extensions: tuple[str, ...]  # ".js", ".ts" ... (lower case, with the dot)
    # grammar capsule per extension; "" is the default (tree-sitter-typescript has two grammars)
    grammars: Mapping[str, Callable[[], Any]]
    roles: Mapping[str, frozenset[str]]  # role -> node kinds (see ROLES)
    shebangs: tuple[str, ...] = ()  # interpreters of extensionless scripts ("node", "deno")
    # the field holding a node's name / body / parameters (tree-sitter field names)
    name_field: str = "name"
    body_field: str = "body"
    parameters_field: str = "parameters"
    # identifier-like node kinds: their text is recorded in FileFacts.names_used, except the
    # declared name (the ``name_field`` child) unless its parent is one of ``name_uses``
    identifiers: frozenset[str] = frozenset({"identifier"})
    name_uses: frozenset[str] = frozenset()
    # a second field whose identifiers are declared, not used (C's ``declarator``: ``int x``,
    # ``f(void)``); "" for none
    declarator_field: str = ""
    # kinds whose cyclomatic increment depends on the node (operators): ``hooks.complexity`` decides
    conditional: frozenset[str] = frozenset()
    # logical-operator kinds: +1 cognitive per sequence of the same operator (hooks.complexity
    # says whether a node of the kind is a logical operator at all)
    logical: frozenset[str] = frozenset()
    # kinds adding +1 + nesting level to cognitive complexity (if, loops, switch, catch, ternary)
    cognitive: frozenset[str] = frozenset()
    # kinds adding a flat +1 to cognitive complexity (an else clause that is not an else-if)
    else_kinds: frozenset[str] = frozenset()
    # kinds whose subtree holds no facts (type annotations): not walked, their words are names used
    opaque: frozenset[str] = frozenset()
    hooks: LanguageHooks = field(default_factory=LanguageHooks)
    # sparse patterns (security sinks...) as one tree-sitter query, run once on each file's tree;
    # TreeDetectors subscribe to capture names
    query: str = ""
    # directory names never analysed for this language (added to discovery's defaults)
    excluded_dirs: frozenset[str] = frozenset()
    # file name suffixes that are not source (minified bundles, declaration files...)
    excluded_suffixes: tuple[str, ...] = ()
    # the bytes the parser sees, of the same length as the file's (C/C++: attribute-like macros
    # such as ``FOO_API`` blanked); offsets, facts and quoted text still come from the file itself
    preprocess: Callable[[bytes], bytes] | None = None
    # line comment prefixes, used by inline suppressions (``// repotoire: ignore[id]``)
    comment_prefixes: tuple[str, ...] = ("//",)

    def kinds(self, role: str) -> frozenset[str]:
        return self.roles.get(role, frozenset())
