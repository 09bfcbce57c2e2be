from rest_framework.routers import SimpleRouter

from history.views import RepositoryHistoryViewSet

router = SimpleRouter(trailing_slash=False)
router.register("repositories", RepositoryHistoryViewSet, basename="repository-history")

urlpatterns = router.urls
