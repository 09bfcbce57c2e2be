"""Detector registry.

Two kinds of detector:

* ``NodeDetector`` — file-local. It subscribes to AST node types (``node_types``) and is called
  from the single shared traversal of each file (see ``visitor.py``) inside the worker process.
  It never walks the tree itself: fifty detectors that each walk the tree would be as slow as
  pylint. ``start_file``/``end_file`` bracket a file; ``leave`` is called after a subscribed
  node's children were visited (useful for scope-like nodes).
* ``ProjectDetector`` — whole-project. It runs once in the parent process over the per-file
  facts and the code graph (``ProjectContext`` in ``project.py``).

Both declare a ``spec`` and are registered with ``@register``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar

from analysis.engine.model import Finding
from analysis.engine.spec import DetectorSpec

__all__ = ["DetectorSpec", "NodeDetector", "ProjectDetector", "all_detectors", "all_specs", "register"]

if TYPE_CHECKING:
    from analysis.engine.context import FileContext
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


_REGISTRY: dict[str, type[NodeDetector] | type[ProjectDetector]] = {}


def register(cls: Any) -> Any:
    """Class decorator adding a detector to the registry (ids must be unique)."""
    spec = cls.spec
    if spec.id in _REGISTRY and _REGISTRY[spec.id] is not cls:
        raise ValueError(f"duplicate detector id {spec.id!r}")
    _REGISTRY[spec.id] = cls
    return cls


def all_detectors() -> dict[str, type[NodeDetector] | type[ProjectDetector]]:
    """Every registered detector, importing the detector modules on first use."""
    import analysis.engine.detectors  # noqa: F401 - registers on import

    return dict(_REGISTRY)


def all_specs() -> list[DetectorSpec]:
    return sorted((d.spec for d in all_detectors().values()), key=lambda s: s.id)
