"""repotoire.services.model_update: the one way services apply partial updates."""

from __future__ import annotations

import pytest

from analysis.models import Repository
from repotoire.services import model_update
from tests.factories import RepositoryFactory

pytestmark = pytest.mark.django_db


def test_only_changed_fields_are_saved_and_reported(django_assert_num_queries):
    repo = RepositoryFactory(name="one", default_branch="main")
    Repository.objects.filter(pk=repo.pk).update(is_active=False)  # a concurrent write to another column
    with django_assert_num_queries(1):
        _, changed = model_update(
            instance=repo, fields=("name", "default_branch"), data={"name": "two", "default_branch": "main"}
        )
    assert changed == ["name"]
    stored = Repository.objects.get(pk=repo.pk)
    assert (stored.name, stored.is_active) == ("two", False)


def test_nothing_changed_is_no_query(django_assert_num_queries):
    repo = RepositoryFactory(name="same")
    with django_assert_num_queries(0):
        assert model_update(instance=repo, fields=("name",), data={"name": "same"})[1] == []


def test_a_field_outside_the_allowed_ones_is_a_programming_error():
    repo = RepositoryFactory()
    with pytest.raises(ValueError, match="organization"):
        model_update(instance=repo, fields=("name",), data={"organization": None})
