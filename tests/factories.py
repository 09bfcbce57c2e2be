"""factory_boy factories shared by every app's tests."""

from __future__ import annotations

import factory

from accounts.models import Membership, Organization, Role, User


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Org {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")
    plan = "free"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.test")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.MEMBER


class RepositoryFactory(factory.django.DjangoModelFactory):
    """A registered repository (a remote URL by default: nothing is fetched unless a run executes)."""

    class Meta:
        model = "analysis.Repository"

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"repo-{n}")
    clone_url = factory.Sequence(lambda n: f"https://git.example.test/acme/repo-{n}.git")
    provider = "git"


class AnalysisRunFactory(factory.django.DjangoModelFactory):
    """An analysis run (queued by default); pass status/health_score/... for other states."""

    class Meta:
        model = "analysis.AnalysisRun"

    repository = factory.SubFactory(RepositoryFactory)
    organization = factory.SelfAttribute("repository.organization")
    status = "queued"
