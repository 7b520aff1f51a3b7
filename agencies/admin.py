from django.contrib import admin

from accounts.permissions import can_enter_admin

from .models import Agency, Region


class ManagerScopedAdmin(admin.ModelAdmin):
    """Admin for agency managers: they see and edit only their own agency's rows.

    The model's queryset must offer `for_user(user)`; deleting stays a superuser's act, since
    follow-up history must survive."""

    def has_module_permission(self, request):
        return can_enter_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return can_enter_admin(request.user)

    def has_change_permission(self, request, obj=None):
        return can_enter_admin(request.user)

    def has_add_permission(self, request):
        return can_enter_admin(request.user)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def get_queryset(self, request):
        return super().get_queryset(request).for_user(request.user)


class ManagerReadOnlyAdmin(ManagerScopedAdmin):
    """A record the managers read and nobody writes through the admin (an audit trail, say)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Region)
class RegionAdmin(ManagerScopedAdmin):
    list_display = ["name"]
    search_fields = ["name"]

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(Agency)
class AgencyAdmin(ManagerScopedAdmin):
    list_display = ["name", "code", "region", "response_target_minutes"]
    list_filter = ["region"]
    search_fields = ["name", "code"]
    list_select_related = ["region"]

    def has_add_permission(self, request):
        return request.user.is_superuser

    def get_readonly_fields(self, request, obj=None):
        if request.user.is_superuser:
            return []
        return ["region", "name", "code"]
