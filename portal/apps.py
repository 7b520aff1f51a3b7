"""The admin site is the managers' room: only managers and superusers enter it."""

from functools import wraps

from django.apps import AppConfig
from django.contrib import admin
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _

# Pages of one object: Django's history page answers 403 for an object that exists and its
# "does not exist" redirect for one that does not, to people who may not see the model at all.
OBJECT_VIEWS = {"change_view", "history_view", "delete_view"}


def _hide_existence(model_admin, view):
    """Whoever may not see a model gets the "does not exist" answer for any id of it."""

    @wraps(view)
    def wrapper(request, object_id, *args, **kwargs):
        if not model_admin.has_view_or_change_permission(request):
            return model_admin._get_obj_does_not_exist_redirect(
                request, model_admin.opts, object_id
            )
        return view(request, object_id, *args, **kwargs)

    return wrapper


class PortalAdminSite(admin.AdminSite):
    site_header = _("100% web follow-up — management")
    site_title = _("100% web follow-up")
    index_title = _("Agency management")

    def has_permission(self, request):
        from accounts.permissions import can_enter_admin

        return can_enter_admin(request.user)

    def login(self, request, extra_context=None):
        """The admin's own login form would skip the second factor: everyone signs in through
        allauth, which asks for it."""
        from django.contrib.auth import REDIRECT_FIELD_NAME
        from django.contrib.auth.views import redirect_to_login
        from django.urls import reverse

        target = request.GET.get(REDIRECT_FIELD_NAME) or reverse(
            "admin:index", current_app=self.name
        )
        return redirect_to_login(target, reverse("account_login"))

    def admin_view(self, view, cacheable=False):
        model_admin = getattr(view, "__self__", None)
        if isinstance(model_admin, admin.ModelAdmin) and view.__name__ in OBJECT_VIEWS:
            view = _hide_existence(model_admin, view)
        return super().admin_view(view, cacheable)

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
