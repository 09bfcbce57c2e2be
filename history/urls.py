from django.urls import path
from rest_framework.routers import SimpleRouter

from history.views import HistoryPrivacyView, RepositoryHistoryViewSet

router = SimpleRouter(trailing_slash=False)
router.register("repositories", RepositoryHistoryViewSet, basename="repository-history")

urlpatterns = [path("history/privacy", HistoryPrivacyView.as_view(), name="history-privacy"), *router.urls]
