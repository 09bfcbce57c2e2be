"""Detector registry.

Two kinds of detector:

* ``NodeDetector`` — file-local. It subscribes to AST node types (``node_types``) and is called
  from the single shared traversal of each file (see ``visitor.py``) inside the worker process.
  It never walks the tree itself: fifty detectors that each walk the tree would be as slow as
  pylint. ``start_file``/``end_file`` bracket a file; ``leave`` is called after a subscribed
  node's children were visited (useful for scope-like nodes).
* ``ProjectDetector`` — whole-project. It runs once in the parent process over the per-file
  facts and the code graph (``ProjectContext`` in ``project.py``).
* ``TreeDetector`` — file-local for the tree-sitter languages (``languages/``). It subscribes to
  *roles* (function, branch, call, string...), node kinds and query captures of the language's
  spec, and is called from the one traversal of each file (``languages/frontend.py``). It may
  share its ``spec`` (hence its id, thresholds and configuration) with the Python detector of
  the same check: one id, one implementation per front end.

All declare a ``spec`` and are registered with ``@register``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar

from analysis.engine.languages import PYTHON, specs
from analysis.engine.model import Finding
from analysis.engine.spec import DetectorSpec

__all__ = ["DetectorSpec", "NodeDetector", "ProjectDetector", "all_detectors", "all_specs", "register"]

if TYPE_CHECKING:
    from tree_sitter import Node

    from analysis.engine.context import FileContext
    from analysis.engine.languages.context import TreeContext
    from analysis.engine.project import ProjectContext


class NodeDetector:
    spec: ClassVar[DetectorSpec]
    node_types: ClassVar[tuple[type[ast.AST], ...]] = ()
    # node types ``leave`` is called for (None: every type in ``node_types``); a detector that
    # only needs ``leave`` for a few scope-like types saves a call per other visited node
    leave_types: ClassVar[tuple[type[ast.AST], ...] | None] = None
    # pre-filter for ``ast.Call`` nodes (None: every call): when set, ``visit`` gets a call only
    # if the last component of the called name — ``func.attr``, ``func.id``, or for a plain name
    # the last part of what it was imported as — is in it. The detector must still check itself.
    call_names: ClassVar[frozenset[str] | None] = None

    def subscriptions(self, detectors: list[NodeDetector]) -> tuple[type[ast.AST], ...]:
        """Node types this instance's ``visit`` is dispatched for in a traversal running
        ``detectors`` (in that order); default: the class's ``node_types``."""
        return type(self).node_types

    def start_file(self, ctx: FileContext) -> None:  # noqa: B027 - optional hook
        pass

    def visit(self, node: ast.AST, ctx: FileContext) -> None:  # noqa: B027 - optional hook
        pass

    def leave(self, node: ast.AST, ctx: FileContext) -> None:  # noqa: B027 - optional hook
        pass

    def end_file(self, ctx: FileContext) -> None:  # noqa: B027 - optional hook
        pass


class ProjectDetector:
    spec: ClassVar[DetectorSpec]

    def run(self, project: ProjectContext) -> Iterable[Finding]:
        raise NotImplementedError


class TreeDetector:
    r"""A file-local detector for the tree-sitter languages (see the module docstring).

    ``visit`` is called for every node whose kind plays one of ``roles`` in the file's language
    spec or is one of ``kinds``; ``leave`` after that node's children for ``leave_roles``;
    ``match`` once per match of the language's query that has one of ``captures`` (after the
    traversal, so every fact of the file is known). Nodes are ``tree_sitter.Node``\ s.
    """

    spec: ClassVar[DetectorSpec]
    languages: ClassVar[frozenset[str] | None] = None  # None: every tree-sitter language
    roles: ClassVar[tuple[str, ...]] = ()
    kinds: ClassVar[frozenset[str]] = frozenset()
    leave_roles: ClassVar[tuple[str, ...]] = ()
    captures: ClassVar[tuple[str, ...]] = ()
    # Routing (optional, for checks that most nodes of a kind fail at once): detectors with the
    # same ``router`` name visiting a kind of ``keyed_kinds``, next to each other in the visit
    # order, are visited through one router per node: ``key(node, ctx)`` (the same for all of
    # them) is computed once and ``visit`` is called only when ``wants(key)`` (a pure function of
    # the key, cached per process; it may say yes too often, never too rarely: ``visit`` still
    # makes its own checks).
    router: ClassVar[str] = ""
    keyed_kinds: ClassVar[frozenset[str]] = frozenset()

    def applies_to(self, language: str) -> bool:
        return self.languages is None or language in self.languages

    def key(self, node: Node, ctx: TreeContext) -> str:
        return ""

    def wants(self, key: str) -> bool:
        return True

    def start_file(self, ctx: TreeContext) -> None:  # noqa: B027 - optional hook
        pass

    def visit(self, node: Node, ctx: TreeContext) -> None:  # noqa: B027 - optional hook
        pass

    def leave(self, node: Node, ctx: TreeContext) -> None:  # noqa: B027 - optional hook
        pass

    def match(self, captures: dict[str, list[Node]], ctx: TreeContext) -> None:  # noqa: B027 - optional hook
        pass

    def end_file(self, ctx: TreeContext) -> None:  # noqa: B027 - optional hook
        pass


_REGISTRY: dict[str, type[NodeDetector] | type[ProjectDetector]] = {}
# detector id -> the TreeDetector classes implementing it (one per language family)
_TREE_REGISTRY: dict[str, list[type[TreeDetector]]] = {}


def register(cls: Any) -> Any:
    """Class decorator adding a detector to the registry (ids must be unique per front end: a
    TreeDetector may reuse the spec of a Python detector)."""
    spec = cls.spec
    if issubclass(cls, TreeDetector):
        family = _TREE_REGISTRY.setdefault(spec.id, [])
        if cls not in family:
            family.append(cls)
        return cls
    if spec.id in _REGISTRY and _REGISTRY[spec.id] is not cls:
        raise ValueError(f"duplicate detector id {spec.id!r}")
    _REGISTRY[spec.id] = cls
    return cls


def all_detectors() -> dict[str, type[NodeDetector] | type[ProjectDetector]]:
    """Every registered Python and project detector, importing the detector modules on first use."""
    import analysis.engine.detectors  # noqa: F401 - registers on import

    return dict(_REGISTRY)


def tree_detectors() -> dict[str, list[type[TreeDetector]]]:
    """Detector id -> its TreeDetector classes (the tree-sitter languages)."""
    import analysis.engine.detectors  # noqa: F401 - registers on import

    return {did: list(classes) for did, classes in _TREE_REGISTRY.items()}


def detector_languages(detector_id: str) -> frozenset[str] | None:
    """Languages a detector id covers: None for every language (project detectors work on the
    language-neutral graph), else the union of its implementations' languages."""
    cls = all_detectors().get(detector_id)
    if cls is not None and issubclass(cls, ProjectDetector):
        return getattr(cls, "languages", None)
    out: set[str] = {PYTHON} if cls is not None else set()
    for tree_cls in tree_detectors().get(detector_id, ()):
        out |= set(specs()) if tree_cls.languages is None else set(tree_cls.languages)
    return frozenset(out)


def all_specs() -> list[DetectorSpec]:
    """The spec of every detector id, Python, project and tree-sitter alike."""
    specs = {d.spec.id: d.spec for d in all_detectors().values()}
    for did, classes in tree_detectors().items():
        specs.setdefault(did, classes[0].spec)
    return sorted(specs.values(), key=lambda s: s.id)
