from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularRedocView, SpectacularSwaggerView

from repotoire import health, views

api_v1 = [
    path("", include("accounts.urls")),
    path("", include("analysis.urls")),
    path("", include("findings.urls")),
    path("", include("fixes.urls")),
    path("", include("codesearch.urls")),
    path("", include("billing.urls")),
    path("", include("webhooks.urls")),
    path("", include("github_app.urls")),
    path("", include("history.urls")),
]

urlpatterns = [
    path("", views.landing, name="landing"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("health", health.liveness, name="health"),
    path("health/ready", health.readiness, name="health-ready"),
    path("openapi.json", SpectacularJSONAPIView.as_view(), name="openapi"),
    path("docs", views.offline_csp(SpectacularSwaggerView.as_view(url_name="openapi")), name="docs"),
    path(
        "redoc",
        views.offline_csp(SpectacularRedocView.as_view(url_name="openapi", template_name="repotoire/redoc.html")),
        name="redoc",
    ),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("app/", include("dashboard.urls")),
]
