"""Response headers the portal adds to every page: no caching of personal pages, and a
Permissions-Policy that opens the camera and microphone only where a page needs them."""

from django.conf import settings
from django.utils.cache import add_never_cache_headers


class NoStoreForAuthenticatedMiddleware:
    """Pages shown to a logged-in person hold personal data: no browser or proxy keeps them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            # Sets no-cache, no-store, must-revalidate, private and max-age=0.
            add_never_cache_headers(response)
        return response


CLOSED = "camera=(), microphone=(), display-capture=(), geolocation=(), payment=(), usb=()"
MEDIA = (
    "camera=(self), microphone=(self), display-capture=(self), geolocation=(), payment=(), usb=()"
)


class PermissionsPolicyMiddleware:
    """Camera, microphone and screen sharing are allowed only on the views named in
    PORTAL_MEDIA_VIEWS (equipment check, interview call, interview simulation)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        media = match is not None and match.view_name in settings.PORTAL_MEDIA_VIEWS
        response.setdefault("Permissions-Policy", MEDIA if media else CLOSED)
        return response
