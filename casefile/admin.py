from django.contrib import admin

from accounts.permissions import can_enter_admin

from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The audit trail, read-only for the managers of the seekers' agency."""

    list_display = ["at", "actor", "action", "seeker"]
    list_filter = ["action"]
    search_fields = ["actor__email", "seeker__user__email"]
    list_select_related = ["actor", "seeker__user"]
    date_hierarchy = "at"

    def get_queryset(self, request):
        return super().get_queryset(request).for_user(request.user)

    def has_module_permission(self, request):
        return can_enter_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return can_enter_admin(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
