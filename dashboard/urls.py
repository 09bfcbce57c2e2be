from django.urls import path, re_path

from dashboard.views import analyses, auth, billing, code, findings, fixes, repositories, settings, webhooks

app_name = "dashboard"

urlpatterns = [
    path("", auth.HomeView.as_view(), name="home"),
    path("login/", auth.login_view, name="login"),
    path("logout/", auth.logout_view, name="logout"),
    path("org/switch/", auth.OrgSwitchView.as_view(), name="org-switch"),
    path("repositories/", repositories.RepositoryListView.as_view(), name="repositories"),
    path("repositories/add/", repositories.RepositoryCreateView.as_view(), name="repository-add"),
    path("repositories/<uuid:pk>/", repositories.RepositoryDetailView.as_view(), name="repository"),
    path("repositories/<uuid:pk>/analyse/", repositories.RepositoryAnalyseView.as_view(), name="repository-analyse"),
    path("repositories/<uuid:pk>/settings/", repositories.RepositorySettingsView.as_view(), name="repository-settings"),
    path("repositories/<uuid:pk>/delete/", repositories.RepositoryDeleteView.as_view(), name="repository-delete"),
    path("analyses/<uuid:pk>/", analyses.RunDetailView.as_view(), name="run"),
    path("analyses/<uuid:pk>/cancel/", analyses.RunCancelView.as_view(), name="run-cancel"),
    path("findings/", findings.FindingListView.as_view(), name="findings"),
    path("findings/triage/", findings.FindingBulkTriageView.as_view(), name="findings-triage"),
    path("findings/<uuid:pk>/", findings.FindingDetailView.as_view(), name="finding"),
    path("findings/<uuid:pk>/fix/", findings.FindingFixRequestView.as_view(), name="finding-fix"),
    path("fixes/", fixes.FixListView.as_view(), name="fixes"),
    path("fixes/<uuid:pk>/", fixes.FixDetailView.as_view(), name="fix"),
    re_path(
        r"^fixes/(?P<pk>[0-9a-f-]{36})/(?P<action>approve|reject|reopen|apply|preview)/$",
        fixes.FixActionView.as_view(),
        name="fix-action",
    ),
    path("code/", code.CodeView.as_view(), name="code"),
    path("settings/", settings.SettingsView.as_view(), name="settings"),
    path("settings/api-keys/", settings.ApiKeysView.as_view(), name="settings-keys"),
    path("settings/api-keys/<uuid:pk>/revoke/", settings.ApiKeyRevokeView.as_view(), name="settings-key-revoke"),
    path("settings/members/", settings.MembersView.as_view(), name="settings-members"),
    path("settings/webhooks/", webhooks.WebhookListView.as_view(), name="webhooks"),
    path("settings/webhooks/<uuid:pk>/", webhooks.WebhookDetailView.as_view(), name="webhook"),
    re_path(
        r"^settings/webhooks/(?P<pk>[0-9a-f-]{36})/(?P<action>test|rotate|delete)/$",
        webhooks.WebhookActionView.as_view(),
        name="webhook-action",
    ),
    path(
        "settings/webhooks/<uuid:pk>/deliveries/<uuid:delivery_id>/redeliver/",
        webhooks.WebhookRedeliverView.as_view(),
        name="webhook-redeliver",
    ),
    path("settings/billing/", billing.BillingView.as_view(), name="settings-billing"),
    path("settings/github/", billing.GithubView.as_view(), name="settings-github"),
    path("settings/github/install/", billing.GithubInstallView.as_view(), name="settings-github-install"),
    path("settings/github/installations/<uuid:pk>/repos/", billing.GithubReposView.as_view(), name="settings-github-repos"),
    path("settings/github/repos/<uuid:pk>/gate/", billing.GithubGateView.as_view(), name="settings-github-gate"),
    re_path(r"^.*$", auth.NotFoundView.as_view(), name="not-found"),
]
