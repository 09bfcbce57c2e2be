from django.contrib import admin

from history.models import HistorySnapshot, OrganizationHistorySettings, RepositoryHistory


@admin.register(OrganizationHistorySettings)
class OrganizationHistorySettingsAdmin(admin.ModelAdmin):
    list_display = ["organization", "show_author_emails"]
    exclude = ["salt"]


@admin.register(RepositoryHistory)
class RepositoryHistoryAdmin(admin.ModelAdmin):
    list_display = ["repository", "months", "max_commits", "identity", "commits_stored", "updated_at"]
    readonly_fields = ["identity", "head_sha", "commits_stored", "updated_at"]


@admin.register(HistorySnapshot)
class HistorySnapshotAdmin(admin.ModelAdmin):
    list_display = ["run", "repository", "created_at"]
    readonly_fields = ["run", "repository", "organization", "summary", "hotspots", "couplings", "modules", "functions"]
