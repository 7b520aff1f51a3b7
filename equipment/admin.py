from django.contrib import admin

from agencies.admin import ManagerScopedAdmin

from .models import EquipmentCheck


@admin.register(EquipmentCheck)
class EquipmentCheckAdmin(ManagerScopedAdmin):
    """Read-only: a check is a record of what was measured."""

    list_display = ["user", "started_at", "state", "verdict", "profile"]
    list_filter = ["verdict", "state", "profile"]
    search_fields = ["user__email", "user__last_name"]
    date_hierarchy = "started_at"
    list_select_related = ["user"]
    readonly_fields = [
        "user",
        "seeker",
        "state",
        "profile",
        "verdict",
        "reasons",
        "measurements",
        "user_agent",
        "started_at",
        "finished_at",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
