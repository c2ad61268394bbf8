"""Schema, Swagger UI and ReDoc: public while ``API_DOCS_PUBLIC`` is on, else staff only.

Staff who signed in to the Django admin can read them with their session. A refusal
is JSON in the API's error shape, like every other error under ``/api/``.
"""

from drf_spectacular import views
from rest_framework.authentication import BaseAuthentication, SessionAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from logitrack.authentication import JWTAuthentication
from logitrack.permissions import IsStaffOrDocsPublic


class _DocsAccess(APIView):
    permission_classes: list[type[BasePermission]] = [IsStaffOrDocsPublic]
    authentication_classes: list[type[BaseAuthentication]] = [
        JWTAuthentication,
        SessionAuthentication,
    ]

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return response


class SchemaView(_DocsAccess, views.SpectacularAPIView):
    pass


class SwaggerView(_DocsAccess, views.SpectacularSwaggerView):
    pass


class RedocView(_DocsAccess, views.SpectacularRedocView):
    template_name = "logitrack/redoc.html"
