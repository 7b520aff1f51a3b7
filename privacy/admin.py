from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from agencies.admin import ManagerScopedAdmin

from . import services
from .models import ErasureRequest, ErasureStatus


@admin.register(ErasureRequest)
class ErasureRequestAdmin(ManagerScopedAdmin):
    list_display = ["seeker", "requested_at", "status", "handled_by", "handled_at"]
    list_filter = ["status"]
    list_select_related = ["seeker__user", "handled_by"]
    readonly_fields = ["seeker", "requested_at", "status", "handled_by", "handled_at", "report"]
    actions = ["carry_out"]

    def has_add_permission(self, request):
        return False  # requested by the seeker, from their space

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
