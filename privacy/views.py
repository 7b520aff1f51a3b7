"""The seeker's data page: download everything as JSON, ask for erasure."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from seekers.permissions import can_enrol

from . import services
from .models import ErasureStatus


def _seeker(request):
    if not can_enrol(request.user) or not hasattr(request.user, "seeker_profile"):
        raise Http404
    return request.user.seeker_profile


@login_required
@require_GET
def my_data(request):
    seeker = _seeker(request)
    pending = seeker.erasure_requests.filter(status=ErasureStatus.PENDING).first()
    return render(request, "privacy/my_data.html", {"seeker": seeker, "pending": pending})


@login_required
@require_GET
def export(request):
    seeker = _seeker(request)
    data = services.seeker_export(seeker=seeker)
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="mes-donnees-{stamp}.json"'
    return response


@login_required
@require_POST
def erasure(request):
    seeker = _seeker(request)
    if request.POST.get("confirm") != "on":
        messages.error(request, _("Tick the box to confirm your request."))
        return redirect("privacy:my_data")
    services.erasure_request(seeker=seeker)
    messages.success(
        request,
        _(
            "Your request is registered. A manager of your agency will carry it out and you will "
            "be told by email."
        ),
    )
    return redirect("privacy:my_data")
