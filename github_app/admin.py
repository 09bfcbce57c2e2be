from django.contrib import admin

from github_app.models import GithubInstallation, GithubPullRequestCheck, GithubRepository, GithubWebhookDelivery


@admin.register(GithubInstallation)
class GithubInstallationAdmin(admin.ModelAdmin):
    list_display = ("account_login", "installation_id", "organization", "suspended_at", "deleted_at", "created_at")
    search_fields = ("account_login", "installation_id")
    list_select_related = ("organization",)
    exclude = ("token_encrypted", "token_expires_at")
    readonly_fields = ("installation_id", "account_id", "permissions", "events", "linked_at")


@admin.register(GithubRepository)
class GithubRepositoryAdmin(admin.ModelAdmin):
    list_display = ("full_name", "organization", "enabled", "gate_enabled", "removed_at")
    list_filter = ("enabled", "gate_enabled")
    search_fields = ("full_name",)
    list_select_related = ("organization",)
    raw_id_fields = ("installation", "repository")


@admin.register(GithubWebhookDelivery)
class GithubWebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("delivery_id", "event", "action", "status", "received_at")
    list_filter = ("status", "event")
    search_fields = ("delivery_id",)
    readonly_fields = ("delivery_id", "event", "action", "installation_id", "payload", "received_at", "processed_at", "error")


@admin.register(GithubPullRequestCheck)
class GithubPullRequestCheckAdmin(admin.ModelAdmin):
    list_display = ("github_repository", "pull_request_number", "head_sha", "status", "conclusion", "created_at")
    list_filter = ("status", "conclusion")
    raw_id_fields = ("github_repository", "run", "base_run")
