"""Advisors and managers must use a second factor (TOTP through django-allauth's MFA).

How it holds:
- every sign-in goes through allauth (the admin's own login form redirects there), and allauth
  asks for the authenticator code of anyone who has activated one;
- a staff person who has not activated one yet may do nothing but activate it: every page
  redirects to the activation page (StaffSecondFactorMiddleware) and websockets are refused
  (accounts.sockets);
- staff cannot remove their authenticator (accounts.adapter.MFAAdapter).

Once the authenticator is known to exist, the session remembers it, so that pages do not pay one
more query each.
"""

from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from .models import Role

SESSION_KEY = "portal_second_factor_user"

STAFF_ROLES = {Role.ADVISOR, Role.MANAGER}

# Pages a staff person without an authenticator may still open: the activation itself (and the
# password confirmation allauth may ask first), leaving, the language switch, and pages that
# carry no personal data.
ALLOWED_URL_NAMES = (
    "mfa_activate_totp",
    "mfa_view_recovery_codes",
    "mfa_download_recovery_codes",
    "mfa_index",
    "account_reauthenticate",
    "mfa_reauthenticate",
    "account_logout",
    "set_language",
    "accessibility",
    "healthz",
    "readyz",
)


def requires_second_factor(user) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and (user.is_superuser or user.role in STAFF_ROLES)
    )


def has_totp(user) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def _remembered(session, user) -> bool:
    return session is not None and session.get(SESSION_KEY) == str(user.pk)


def second_factor_missing(user, session) -> bool:
    """True for a staff person who has not activated their authenticator. Remembers in the
    session a positive answer (one query per session, not per page)."""
    if not requires_second_factor(user) or _remembered(session, user):
        return False
    if not has_totp(user):
        return True
    if session is not None:
        session[SESSION_KEY] = str(user.pk)
    return False


class StaffSecondFactorMiddleware:
    """Staff without an authenticator are sent to its activation page, whatever they open."""

    def __init__(self, get_response):
        self.get_response = get_response
        self._allowed_paths = None

    def _allowed(self, path: str) -> bool:
        if self._allowed_paths is None:
            self._allowed_paths = {reverse(name) for name in ALLOWED_URL_NAMES}
        from django.conf import settings

        return path in self._allowed_paths or path.startswith(settings.STATIC_URL)

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            requires_second_factor(user)
            and not self._allowed(request.path)
            and second_factor_missing(user, request.session)
        ):
            messages.warning(
                request,
                _(
                    "Advisors and managers protect their account with a second factor: "
                    "activate an authenticator app to continue."
                ),
            )
            target = reverse("mfa_activate_totp")
            if request.headers.get("HX-Request") == "true":
                response = redirect(target)
                response["HX-Redirect"] = target
                return response
            return redirect(target)
        return self.get_response(request)


def on_user_logged_in(sender, request, user, **kwargs):
    # allauth signs a person in only once their code is checked: the session starts knowing.
    if request is not None and hasattr(request, "session"):
        second_factor_missing(user, request.session)


def on_authenticator_added(sender, request, user, authenticator, **kwargs):
    if authenticator.type == Authenticator.Type.TOTP and request is not None:
        request.session[SESSION_KEY] = str(user.pk)


def on_authenticator_removed(sender, request, user, authenticator, **kwargs):
    if authenticator.type == Authenticator.Type.TOTP and request is not None:
        request.session.pop(SESSION_KEY, None)


def connect_signals() -> None:
    from allauth.mfa import signals
    from django.contrib.auth.signals import user_logged_in

    user_logged_in.connect(on_user_logged_in, dispatch_uid="portal-2fa-login")

    signals.authenticator_added.connect(on_authenticator_added, dispatch_uid="portal-2fa-added")
    signals.authenticator_removed.connect(
        on_authenticator_removed, dispatch_uid="portal-2fa-removed"
    )


class SecondFactorSocketMiddleware:
    """ASGI: a staff person without an authenticator opens no websocket (refused before
    accept, as the pages are). Sits inside AuthMiddlewareStack."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and requires_second_factor(scope.get("user")):
            from channels.db import database_sync_to_async

            missing = await database_sync_to_async(second_factor_missing)(
                scope["user"], scope.get("session")
            )
            if missing:
                message = await receive()
                if message["type"] == "websocket.connect":
                    await send({"type": "websocket.close", "code": 4403})
                return None
        return await self.app(scope, receive, send)
