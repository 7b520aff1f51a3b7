"""Admin of the interviews app: managers see their agency's interviews and their record; the
advisors' private notes are not shown there."""

from django.contrib import admin

from .models import Appointment, AppointmentEvent, AvailabilityException, WeeklyAvailability


class AppointmentEventInline(admin.TabularInline):
    model = AppointmentEvent
    extra = 0
    can_delete = False
    fields = ["occurred_at", "kind", "actor", "detail"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin):
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

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        if request.user.agency_id:
            return queryset.filter(advisor__agency_id=request.user.agency_id)
        return queryset.none()


@admin.register(WeeklyAvailability)
class WeeklyAvailabilityAdmin(admin.ModelAdmin):
    list_display = ["advisor", "weekday", "start_time", "end_time"]
    list_select_related = ["advisor__user"]


@admin.register(AvailabilityException)
class AvailabilityExceptionAdmin(admin.ModelAdmin):
    list_display = ["advisor", "reason", "starts_at", "ends_at", "label"]
    list_select_related = ["advisor__user"]
