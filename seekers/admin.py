from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from advisors.models import Advisor
from agencies.admin import ManagerScopedAdmin

from . import services
from .models import ReferentAssignment, Seeker, SeekerQueueEntry, TimelineEvent

REASSIGN_ERRORS = {
    "other_agency": _("This advisor works in another agency."),
    "needs_signing_advisor": _(
        "This seeker signs (LSF): only an advisor who signs in LSF may follow them."
    ),
}


class SeekerAdminForm(forms.ModelForm):
    class Meta:
        model = Seeker
        fields = ["referent"]

    def clean_referent(self):
        advisor = self.cleaned_data.get("referent")
        seeker = self.instance
        if advisor is None:
            if seeker.referent_id is not None:
                raise forms.ValidationError(
                    _(
                        "To end the online follow-up, the seeker returns to the agency "
                        "from their space."
                    )
                )
            return advisor
        if advisor.pk == seeker.referent_id:
            return advisor
        if advisor.agency_id != seeker.agency_id:
            raise forms.ValidationError(REASSIGN_ERRORS["other_agency"])
        if seeker.signs_lsf and not advisor.signs_lsf:
            raise forms.ValidationError(REASSIGN_ERRORS["needs_signing_advisor"])
        load = advisor.caseload.count()
        if load >= advisor.capacity:
            raise forms.ValidationError(
                _("%(advisor)s is full (%(load)s of %(capacity)s seekers).")
                % {"advisor": advisor, "load": load, "capacity": advisor.capacity}
            )
        return advisor


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReferentAssignmentInline(ReadOnlyInline):
    model = ReferentAssignment
    fields = ["advisor", "reason", "assigned_by", "started_at", "ended_at"]
    readonly_fields = fields
    verbose_name_plural = _("Who followed this seeker, and when")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("advisor__user", "assigned_by")


class TimelineInline(ReadOnlyInline):
    model = TimelineEvent
    fields = ["occurred_at", "kind", "actor", "advisor", "detail"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor", "advisor__user")


@admin.register(Seeker)
class SeekerAdmin(ManagerScopedAdmin):
    form = SeekerAdminForm
    list_display = [
        "__str__",
        "email",
        "agency",
        "status",
        "enrolment_step",
        "referent",
        "accessibility_need",
        "age_band",
    ]
    list_filter = [
        "status",
        "enrolment_step",
        "accessibility_need",
        "age_band",
        "agency",
        "referent",
    ]
    search_fields = ["user__email", "user__first_name", "user__last_name"]
    list_select_related = ["user", "agency", "referent__user"]
    inlines = [ReferentAssignmentInline, TimelineInline]
    readonly_fields = [
        "user",
        "agency",
        "status",
        "enrolment_step",
        "accessibility_need",
        "accessibility_details",
        "preferred_channel",
        "age_band",
        "phone",
        "consent_given_at",
        "enrolled_at",
        "queued_since",
        "returned_at",
        "return_reason",
        "return_comment",
    ]
    fieldsets = (
        (_("Follow-up"), {"fields": ["user", "agency", "status", "enrolment_step", "referent"]}),
        (
            _("Profile"),
            {
                "fields": [
                    "accessibility_need",
                    "accessibility_details",
                    "preferred_channel",
                    "age_band",
                    "phone",
                ]
            },
        ),
        (
            _("Dates"),
            {
                "fields": [
                    "consent_given_at",
                    "enrolled_at",
                    "queued_since",
                    "returned_at",
                    "return_reason",
                    "return_comment",
                ]
            },
        ),
    )
    actions = ["assign_automatically"]

    def has_add_permission(self, request):
        # Seekers enrol themselves; an import is a later feature.
        return False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "referent":
            kwargs["queryset"] = (
                Advisor.objects.for_user(request.user).select_related("user").with_load()
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        # The referent changes only through the service, which writes the timeline.
        advisor = form.cleaned_data.get("referent")
        if advisor is not None and "referent" in form.changed_data:
            services.seeker_reassign(seeker=obj, advisor=advisor, by=request.user)

    @admin.display(description=_("email"), ordering="user__email")
    def email(self, obj):
        return obj.user.email

    @admin.action(description=_("Assign a referent automatically (waiting seekers)"))
    def assign_automatically(self, request, queryset):
        assigned = 0
        for seeker in queryset.awaiting_advisor():
            if services.seeker_assign_referent(seeker=seeker, by=request.user) is not None:
                assigned += 1
        self.message_user(
            request,
            _("%(count)s seeker(s) got a referent advisor.") % {"count": assigned},
            messages.SUCCESS if assigned else messages.WARNING,
        )


@admin.register(SeekerQueueEntry)
class SeekerQueueAdmin(SeekerAdmin):
    """The visible queue: seekers whose enrolment is complete but who wait for an advisor."""

    list_display = ["__str__", "email", "agency", "accessibility_need", "queued_since"]
    list_filter = ["accessibility_need", "agency"]
    ordering = ["queued_since"]

    def get_queryset(self, request):
        return super().get_queryset(request).awaiting_advisor()
