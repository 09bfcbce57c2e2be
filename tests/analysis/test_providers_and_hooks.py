"""The plug-in points other apps fill for analysis runs, and the post-analysis hook list."""

from __future__ import annotations

import pytest

from analysis import hooks, providers
from analysis.hooks import PostAnalysisHook, post_analysis_hooks
from tests.factories import RepositoryFactory


@pytest.mark.django_db
def test_clone_credentials_come_from_the_first_provider_that_serves_the_repository(monkeypatch):
    repo = RepositoryFactory()
    calls: list[str] = []

    def none(*, repository):
        calls.append("none")
        return []

    def token(*, repository):
        calls.append("token")
        return [f"Authorization: Basic {repository.name}"]

    monkeypatch.setattr(providers, "_clone_credentials", [])
    assert providers.clone_credentials(repo) == []
    providers.clone_credentials_register(none)
    providers.clone_credentials_register(token)
    providers.clone_credentials_register(token)  # twice is harmless
    assert providers.clone_credentials(repo) == [f"Authorization: Basic {repo.name}"]
    assert calls == ["none", "token"]


def test_the_installed_apps_registered_their_providers():
    from findings.services import findings_record_run
    from github_app.services import github_clone_auth_headers

    assert github_clone_auth_headers in providers._clone_credentials
    assert providers.findings_store().record_run is findings_record_run


def test_without_a_findings_store_a_run_cannot_complete_silently(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    monkeypatch.setattr(providers, "_findings_store", [])
    with pytest.raises(ImproperlyConfigured):
        providers.findings_store()


def test_hooks_follow_their_switches_and_pull_request_runs_only_get_theirs(monkeypatch, settings):
    monkeypatch.setattr(
        hooks,
        "POST_ANALYSIS_HOOKS",
        [PostAnalysisHook("a", "x.a"), PostAnalysisHook("b", "x.b", pull_requests=True), PostAnalysisHook("c", "x.c")],
    )
    settings.REPOTOIRE_POST_ANALYSIS_HOOKS = {"a": True, "b": True, "c": False}
    assert [h.name for h in post_analysis_hooks(pull_request=False)] == ["a", "b"]
    assert [h.name for h in post_analysis_hooks(pull_request=True)] == ["b"]
    settings.REPOTOIRE_POST_ANALYSIS_HOOKS = {}
    assert post_analysis_hooks(pull_request=False) == []


def test_every_listed_hook_task_exists_and_has_a_switch():
    from django.utils.module_loading import import_string

    import repotoire.settings as project_settings  # the tests' own settings switch hooks off

    for hook in hooks.POST_ANALYSIS_HOOKS:
        assert callable(import_string(hook.task)), hook.task
        assert project_settings.REPOTOIRE_POST_ANALYSIS_HOOKS[hook.name] is True, hook.name


def test_git_locks_a_killed_fetch_left_are_cleared_before_the_next_fetch(tmp_path):
    from analysis.services.worker import _clear_stale_git_locks

    git_dir = tmp_path / "clone" / ".git"
    (git_dir / "refs" / "heads").mkdir(parents=True)
    locks = [git_dir / "shallow.lock", git_dir / "index.lock", git_dir / "refs" / "heads" / "main.lock"]
    for lock in locks:
        lock.write_text("")
    (git_dir / "HEAD").write_text("ref: refs/heads/main\n")
    _clear_stale_git_locks(git_dir)
    assert not any(lock.exists() for lock in locks)
    assert (git_dir / "HEAD").exists()
    _clear_stale_git_locks(tmp_path / "never-cloned" / ".git")  # nothing to clear, no error
