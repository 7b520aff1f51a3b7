"""The admin site is the managers' room: only managers and superusers enter it."""

from django.apps import AppConfig
from django.contrib import admin
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class PortalAdminSite(admin.AdminSite):
    site_header = _("100% web follow-up — management")
    site_title = _("100% web follow-up")
    index_title = _("Agency management")

    def has_permission(self, request):
        from accounts.permissions import can_enter_admin

        return can_enter_admin(request.user)

    def get_urls(self):
        from django.urls import path

        from steering import views

        def page(view):
            return self.admin_view(lambda request: view(request, self))

        return [
            path("pilotage/chiffres/", page(views.figures), name="steering_figures"),
            path("pilotage/reequilibrage/", page(views.rebalance), name="steering_rebalance"),
            path("pilotage/import/", page(views.import_seekers), name="steering_import"),
            *super().get_urls(),
        ]


class PortalAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "portal.apps.PortalAdminSite"


class PortalConfig(AppConfig):
    default = True
    name = "portal"
    verbose_name = _("Portal")
