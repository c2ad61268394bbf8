from django.urls import path

from locations.views import LocationBatchView

urlpatterns = [
    path("locations/", LocationBatchView.as_view(), name="location-batch"),
]
