from django.urls import path
from rest_framework.routers import SimpleRouter

from deliveries.views import DeliveryViewSet, TrackingView

router = SimpleRouter()
router.register("deliveries", DeliveryViewSet, basename="delivery")

urlpatterns = [
    path("track/<str:tracking_code>/", TrackingView.as_view(), name="track"),
    *router.urls,
]
