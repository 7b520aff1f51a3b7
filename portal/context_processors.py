"""Template context shared by every page."""

from django.conf import settings


def portal(request):
    return {"PORTAL_DEBUG": settings.DEBUG}
