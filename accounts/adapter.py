"""allauth adapters: after login everyone goes through the role dispatcher; staff keep their
second factor."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from django.urls import reverse


class AccountAdapter(DefaultAccountAdapter):
    def get_login_redirect_url(self, request):
        return reverse("portal:dispatch")

    def get_signup_redirect_url(self, request):
        return reverse("portal:dispatch")


class MFAAdapter(DefaultMFAAdapter):
    def can_delete_authenticator(self, authenticator) -> bool:
        """Advisors and managers keep their authenticator app: the second factor is compulsory
        for them (accounts.second_factor). Recovery codes follow allauth's own rules."""
        from .second_factor import requires_second_factor

        if authenticator.type == authenticator.Type.TOTP and requires_second_factor(
            authenticator.user
        ):
            return False
        return super().can_delete_authenticator(authenticator)
