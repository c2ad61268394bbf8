"""DRF's content negotiation, remembered: the renderer chosen for an ``Accept`` header.

DRF parses the ``Accept`` header and matches it against every renderer on each request,
in more CPU than serving a cached page takes. The choice depends only on the header and
the view's renderers, so it is remembered per (header, renderers); a URL format
(``?format=`` or a suffix) and every refusal (``406``) still go through DRF each time.
"""

from rest_framework.negotiation import DefaultContentNegotiation

from logitrack.memo import Memo

# (Accept header, the renderers' classes) → (position of the chosen one, media type).
_chosen = Memo(limit=256, ttl=3600)


class ContentNegotiation(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        if format_suffix or request.query_params.get(self.settings.URL_FORMAT_OVERRIDE):
            return super().select_renderer(request, renderers, format_suffix)
        key = (request.META.get("HTTP_ACCEPT"), tuple(type(renderer) for renderer in renderers))
        found = _chosen.get(key, None)
        if found is not None:
            index, media_type = found
            return renderers[index], media_type
        renderer, media_type = super().select_renderer(request, renderers, format_suffix)
        _chosen.set(key, (renderers.index(renderer), media_type))
        return renderer, media_type


class JsonErrorsOnly(DefaultContentNegotiation):
    """For a view that answers a file (a ``FileResponse`` of its own type) or a JSON
    error: JSON whatever ``Accept`` asks, so an error is never a ``406``."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type
