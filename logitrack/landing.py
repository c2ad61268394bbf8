"""The page at ``/``: what this server is, and the way to its docs, admin and tracking."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from deliveries.selectors import delivery_tracking_example
from demo.fleet import DEMO_PLATE_PREFIX


@require_safe
def landing(request: HttpRequest) -> HttpResponse:
    """Links to Swagger UI, ReDoc, the schema and the admin; with demo data loaded, to
    the tracking page of one demo delivery."""
    return render(
        request,
        "logitrack/landing.html",
        {
            "docs_public": settings.API_DOCS_PUBLIC,
            "tracking_code": delivery_tracking_example(plate_prefix=DEMO_PLATE_PREFIX),
        },
    )
