from rest_framework.routers import SimpleRouter

from analysis.views import AnalysisViewSet, RepositoryViewSet

router = SimpleRouter(trailing_slash=False)
router.register("repositories", RepositoryViewSet, basename="repository")
router.register("analysis", AnalysisViewSet, basename="analysis")

urlpatterns = [*router.urls]
