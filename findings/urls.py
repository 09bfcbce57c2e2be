from rest_framework.routers import SimpleRouter

from findings.views import FindingViewSet

router = SimpleRouter(trailing_slash=False)
router.register("findings", FindingViewSet, basename="finding")

urlpatterns = [*router.urls]
