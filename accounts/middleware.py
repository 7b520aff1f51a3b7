"""Staff sessions (advisors, managers) end after a stretch of inactivity."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from .models import Role

STAFF_ROLES = {Role.ADVISOR, Role.MANAGER}


# Pushing the end back rewrites the session row: at most once a minute, not on every request
# (three of the dashboard's twelve queries). The idle time allowed is 29 to 30 minutes.
REFRESH_SECONDS = 60


def _push_back(session) -> None:
    session.set_expiry(timezone.now() + timedelta(seconds=settings.PORTAL_STAFF_IDLE_SECONDS))


def is_staff_person(user) -> bool:
    return user.role in STAFF_ROLES or user.is_superuser


def on_user_logged_in(sender, request, user, **kwargs):
    """The idle expiry starts at sign-in (written with the new session), not at the first page."""
    if request is not None and hasattr(request, "session") and is_staff_person(user):
        _push_back(request.session)


class StaffIdleTimeoutMiddleware:
    """Sliding expiry for staff: requests push the end of the session back; after
    PORTAL_STAFF_IDLE_SECONDS without a request the session is gone. Seekers keep the default."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and is_staff_person(user):
            idle = settings.PORTAL_STAFF_IDLE_SECONDS
            session = request.session
            if (
                not isinstance(session.get("_session_expiry"), str)
                or session.get_expiry_age() < idle - REFRESH_SECONDS
            ):
                _push_back(session)
        return self.get_response(request)
