"""Admin of the interviews app: managers read their agency's interviews and their record
(outcomes, fallbacks, events); the advisors' private notes are not shown there. Changes go
through the portal's booking rules (constraints, emails, .ics), so only superusers edit here."""

from django.contrib import admin

from accounts.permissions import can_enter_admin
from agencies.admin import ManagerScopedAdmin

from .models import Appointment, AppointmentEvent, AvailabilityException, WeeklyAvailability


class AppointmentEventInline(admin.TabularInline):
    model = AppointmentEvent
    extra = 0
    can_delete = False
    fields = ["occurred_at", "kind", "actor", "detail"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return can_enter_admin(request.user)


@admin.register(Appointment)
class AppointmentAdmin(ManagerScopedAdmin):
    list_display = ["starts_at", "advisor", "seeker", "status", "fallback", "held_seconds"]
    list_filter = ["status", "fallback"]
    list_select_related = ["advisor__user", "seeker__user"]
    date_hierarchy = "starts_at"
    exclude = ["advisor_notes"]
    readonly_fields = [
        "sequence",
        "seeker_joined_at",
        "advisor_joined_at",
        "media_started_at",
        "call_ended_at",
        "failure_reported_at",
        "held_seconds",
        "settled_at",
    ]
    raw_id_fields = ["advisor", "seeker", "created_by", "cancelled_by"]
    inlines = [AppointmentEventInline]

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def get_queryset(self, request):
        return admin.ModelAdmin.get_queryset(self, request).for_admin(request.user)


@admin.register(WeeklyAvailability)
class WeeklyAvailabilityAdmin(admin.ModelAdmin):
    list_display = ["advisor", "weekday", "start_time", "end_time"]
    list_select_related = ["advisor__user"]


@admin.register(AvailabilityException)
class AvailabilityExceptionAdmin(admin.ModelAdmin):
    list_display = ["advisor", "reason", "starts_at", "ends_at", "label"]
    list_select_related = ["advisor__user"]
