from rest_framework.routers import SimpleRouter

from webhooks.views import CustomerWebhookViewSet

router = SimpleRouter(trailing_slash=False)
router.register("customer-webhooks", CustomerWebhookViewSet, basename="customer-webhook")

urlpatterns = router.urls
