"""allauth adapter: after login everyone goes through the role dispatcher."""

from allauth.account.adapter import DefaultAccountAdapter
from django.urls import reverse


class AccountAdapter(DefaultAccountAdapter):
    def get_login_redirect_url(self, request):
        return reverse("portal:dispatch")

    def get_signup_redirect_url(self, request):
        return reverse("portal:dispatch")
