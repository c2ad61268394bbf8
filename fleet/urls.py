from rest_framework.routers import SimpleRouter

from fleet.views import VehicleViewSet

router = SimpleRouter()
router.register("vehicles", VehicleViewSet, basename="vehicle")

urlpatterns = router.urls
