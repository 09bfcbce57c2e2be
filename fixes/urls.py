from django.urls import path
from rest_framework.routers import SimpleRouter

from fixes.views import FindingFixView, FixProposalViewSet

router = SimpleRouter(trailing_slash=False)
router.register("fixes", FixProposalViewSet, basename="fix")

urlpatterns = [
    path("findings/<uuid:finding_id>/fix", FindingFixView.as_view(), name="finding-fix"),
    *router.urls,
]
