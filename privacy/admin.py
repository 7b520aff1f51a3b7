from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from accounts.permissions import can_enter_admin

from . import services
from .models import ErasureRequest, ErasureStatus


@admin.register(ErasureRequest)
class ErasureRequestAdmin(admin.ModelAdmin):
    list_display = ["seeker", "requested_at", "status", "handled_by", "handled_at"]
    list_filter = ["status"]
    list_select_related = ["seeker__user", "handled_by"]
    readonly_fields = ["seeker", "requested_at", "status", "handled_by", "handled_at", "report"]
    actions = ["carry_out"]

    def get_queryset(self, request):
        return super().get_queryset(request).for_user(request.user)

    def has_module_permission(self, request):
        return can_enter_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return can_enter_admin(request.user)

    def has_change_permission(self, request, obj=None):
        return can_enter_admin(request.user)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Carry out the erasure (irreversible)"))
    def carry_out(self, request, queryset):
        done = 0
        for erasure in queryset.filter(status=ErasureStatus.PENDING):
            services.erasure_carry_out(request=erasure, by=request.user)
            done += 1
        self.message_user(
            request, _("%(count)s erasure(s) carried out.") % {"count": done}, messages.SUCCESS
        )
