from django.urls import re_path
from rest_framework.routers import SimpleRouter

from analysis.views import AnalysisViewSet, RepositoryViewSet, analysis_progress_stream

router = SimpleRouter(trailing_slash=False)
router.register("repositories", RepositoryViewSet, basename="repository")
router.register("analysis", AnalysisViewSet, basename="analysis")

urlpatterns = [
    # Served by the async wrapper; the router's route of the same action stays for the schema.
    re_path(r"^analysis/(?P<pk>[0-9a-fA-F-]{36})/progress$", analysis_progress_stream, name="analysis-progress-stream"),
    *router.urls,
]
