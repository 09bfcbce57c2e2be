"""Writes shared by every app's services."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from django.db import models

M = TypeVar("M", bound=models.Model)


def model_update(*, instance: M, fields: Iterable[str], data: Mapping[str, Any]) -> tuple[M, list[str]]:
    """The one way services apply a partial update: set each of ``fields`` that ``data`` carries
    and whose value differs, then save only those columns (and ``updated_at`` where the model has
    one), so a concurrent write to another column is not overwritten. A key of ``data`` outside
    ``fields`` is a programming error (ValueError): callers pass validated input. Returns the
    instance and the names of the fields that changed."""
    allowed = list(fields)
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValueError(f"{type(instance).__name__}: not updatable: {sorted(unknown)}")
    changed = [name for name in allowed if name in data and getattr(instance, name) != data[name]]
    for name in changed:
        setattr(instance, name, data[name])
    if changed:
        stamp = ["updated_at"] if any(f.name == "updated_at" for f in instance._meta.get_fields()) else []
        instance.save(update_fields=[*changed, *stamp])
    return instance, changed
