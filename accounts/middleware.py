"""Staff sessions (advisors, managers) end after a stretch of inactivity."""

from django.conf import settings

from .models import Role

STAFF_ROLES = {Role.ADVISOR, Role.MANAGER}


class StaffIdleTimeoutMiddleware:
    """Sliding expiry for staff: each request pushes the end of the session back; after
    PORTAL_STAFF_IDLE_SECONDS without a request the session is gone. Seekers keep the default."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and (user.role in STAFF_ROLES or user.is_superuser)
        ):
            request.session.set_expiry(settings.PORTAL_STAFF_IDLE_SECONDS)
        return self.get_response(request)
