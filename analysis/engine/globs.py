"""Gitignore-style glob matching in linear time.

``pathspec`` turns each glob into a regular expression. Python's ``re`` backtracks: a glob such
as ``*a*a*a*a*a*a*a*a*b`` against a long name takes minutes, holding the GIL all along (the
run's heartbeat thread, deadline and cancel checks stop with it). Every glob the engine matches
(``exclude``, ``[roles]``, the repository's ``.gitignore``/``.repotoireignore`` files) is
compiled by RE2 instead (pathspec's ``re2`` backend): an automaton whose matching time is linear
in the path's length, whatever the pattern.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pathspec

# Bounds on the globs a configuration may carry; beyond them it is refused (CONFIG_INVALID).
MAX_GLOB_LENGTH = 1024
MAX_GLOBS = 5000


class GlobError(ValueError):
    """A glob list that cannot be compiled or exceeds the bounds above."""


def compile_globs(lines: Iterable[str]) -> pathspec.GitIgnoreSpec:
    """A gitignore spec over ``lines`` matched by RE2 (linear time)."""
    try:
        return pathspec.GitIgnoreSpec.from_lines(list(lines), backend="re2")
    except (ValueError, TypeError, re.error) as exc:
        raise GlobError(f"invalid glob: {exc}") from exc


def check_globs(key: str, globs: list[str]) -> list[str]:
    """``globs`` when within the bounds and compilable, else ``GlobError`` naming ``key``."""
    if len(globs) > MAX_GLOBS:
        raise GlobError(f"{key}: at most {MAX_GLOBS} globs")
    for glob in globs:
        if len(glob) > MAX_GLOB_LENGTH:
            raise GlobError(f"{key}: a glob is longer than {MAX_GLOB_LENGTH} characters")
        if "\x00" in glob:
            raise GlobError(f"{key}: a glob contains a NUL character")
    try:
        compile_globs(globs)
    except GlobError as exc:
        raise GlobError(f"{key}: {exc}") from exc
    return globs
