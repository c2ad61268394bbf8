from django.urls import path
from rest_framework.routers import SimpleRouter

from deliveries.views import DeliveryViewSet, ReportViewSet, StatsView, TrackingView

router = SimpleRouter()
router.register("deliveries", DeliveryViewSet, basename="delivery")
router.register("reports", ReportViewSet, basename="report")

urlpatterns = [
    path("track/<str:tracking_code>/", TrackingView.as_view(), name="track"),
    path("stats/", StatsView.as_view(), name="stats"),
    *router.urls,
]
