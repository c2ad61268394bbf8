from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny

from deliveries.views import TrackingPageView
from logitrack import docs, health, landing
from logitrack.lockout import AdminLoginForm

admin.site.login_form = AdminLoginForm
admin.site.site_header = "LogiTrack fleet administration"
admin.site.site_title = "LogiTrack admin"
admin.site.index_title = "Fleet and deliveries"

api_v1 = [  # the busiest first: URLs are matched in this order
    path("", include("deliveries.urls")),
    path("", include("fleet.urls")),
    path("", include("users.urls")),
    path("", include("webhooks.urls")),
    path("", include("apikeys.urls")),
    path("", include("locations.urls")),
]


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
@authentication_classes([])
@permission_classes([AllowAny])
def api_not_found(request, *args, **kwargs):
    """Any other path under ``/api/``: a JSON 404, never an HTML page."""
    raise NotFound("No API endpoint at this address.")


urlpatterns = [
    path("", landing.landing, name="landing"),
    # Anything under /track/ is a code to look up: a malformed one gets the page's 404.
    path("track/<path:tracking_code>/", TrackingPageView.as_view(), name="track-page"),
    path("admin/", admin.site.urls),
    path("health/live/", health.live, name="health-live"),
    path("health/ready/", health.ready, name="health-ready"),
    path("api/schema/", docs.SchemaView.as_view(), name="schema"),
    path("api/docs/", docs.SwaggerView.as_view(url_name="schema"), name="docs"),
    path("api/redoc/", docs.RedocView.as_view(url_name="schema"), name="redoc"),
    path("api/v1/", include(api_v1)),
    re_path(r"^api/", api_not_found),
]
