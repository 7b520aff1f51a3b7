from django.contrib import admin

from agencies.admin import ManagerReadOnlyAdmin

from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(ManagerReadOnlyAdmin):
    """The audit trail, read-only for the managers of the seekers' agency."""

    list_display = ["at", "actor", "action", "seeker"]
    list_filter = ["action"]
    search_fields = ["actor__email", "seeker__user__email"]
    list_select_related = ["actor", "seeker__user"]
    date_hierarchy = "at"
