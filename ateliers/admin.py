"""Managers edit the e-ateliers content here: workshops and their lessons, quizzes, question
banks, and their agency's live sessions. Permissions come from accounts.permissions."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.permissions import can_enter_admin
from advisors.models import Advisor
from agencies.admin import ManagerScopedAdmin

from . import services
from .models import (
    InterviewQuestion,
    Lesson,
    LiveSession,
    QuestionBank,
    QuizChoice,
    QuizQuestion,
    Registration,
    Workshop,
)


class ManagerInline(admin.TabularInline):
    extra = 0

    def has_view_permission(self, request, obj=None):
        return can_enter_admin(request.user)

    def has_add_permission(self, request, obj=None):
        return can_enter_admin(request.user)

    def has_change_permission(self, request, obj=None):
        return can_enter_admin(request.user)

    def has_delete_permission(self, request, obj=None):
        return can_enter_admin(request.user)


class ContentAdmin(ManagerScopedAdmin):
    """Workshop content is shared by every agency: any manager edits it."""

    def get_queryset(self, request):
        return admin.ModelAdmin.get_queryset(self, request)


class LessonInline(ManagerInline):
    model = Lesson
    fields = ["position", "title", "kind"]
    show_change_link = True


@admin.register(Workshop)
class WorkshopAdmin(ContentAdmin):
    list_display = ["title", "format", "duration_minutes", "has_simulation", "is_published"]
    list_filter = ["format", "is_published"]
    search_fields = ["title"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [LessonInline]


class QuizQuestionInline(ManagerInline):
    model = QuizQuestion
    fields = ["position", "prompt"]
    show_change_link = True


@admin.register(Lesson)
class LessonAdmin(ContentAdmin):
    list_display = ["title", "workshop", "position", "kind"]

    def save_model(self, request, obj, form, change):
        # The stored template gets a random name: keep the one the manager chose for download.
        upload = form.cleaned_data.get("template")
        if "template" in form.changed_data and upload and hasattr(upload, "content_type"):
            obj.template_name = obj.template_name or upload.name[-200:]
        super().save_model(request, obj, form, change)

    list_filter = ["workshop", "kind"]
    list_select_related = ["workshop"]
    search_fields = ["title"]
    inlines = [QuizQuestionInline]


class QuizChoiceInline(ManagerInline):
    model = QuizChoice
    fields = ["position", "text", "is_correct", "feedback"]
    extra = 2


@admin.register(QuizQuestion)
class QuizQuestionAdmin(ContentAdmin):
    list_display = ["prompt", "lesson", "position"]
    list_select_related = ["lesson__workshop"]
    inlines = [QuizChoiceInline]

    def has_module_permission(self, request):
        return False  # reached from its lesson


class InterviewQuestionInline(ManagerInline):
    model = InterviewQuestion
    fields = ["position", "text", "advice", "prep_seconds", "answer_seconds", "is_active"]


@admin.register(QuestionBank)
class QuestionBankAdmin(ContentAdmin):
    list_display = ["title", "job_family"]
    inlines = [InterviewQuestionInline]


class RegistrationInline(ManagerInline):
    model = Registration
    fields = ["seeker", "status", "created_at", "promoted_at", "joined_at", "attended_override"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(LiveSession)
class LiveSessionAdmin(ManagerScopedAdmin):
    list_display = ["workshop", "starts_at", "facilitator", "capacity", "cancelled_at"]
    list_filter = ["workshop"]
    list_select_related = ["workshop", "facilitator__user"]
    fields = ["workshop", "agency", "facilitator", "starts_at", "duration_minutes", "capacity",
              "cancelled_at"]  # fmt: skip
    inlines = [RegistrationInline]

    def get_readonly_fields(self, request, obj=None):
        return [] if request.user.is_superuser else ["agency"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "facilitator":
            kwargs["queryset"] = Advisor.objects.for_user(request.user).select_related("user")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser:
            obj.agency_id = request.user.agency_id
        cancelling = change and "cancelled_at" in form.changed_data and obj.cancelled_at
        super().save_model(request, obj, form, change)
        if cancelling:
            told = services.session_cancel(session_id=obj.pk)
            self.message_user(
                request, _("Session cancelled: %(count)s people are told.") % {"count": told}
            )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if change and "capacity" in form.changed_data:
            promoted = services.session_fill(session_id=form.instance.pk)
            if promoted:
                self.message_user(
                    request,
                    _("%(count)s seekers moved from the waiting list to the session.")
                    % {"count": len(promoted)},
                )
