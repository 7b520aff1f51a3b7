"""Pages of the equipment check: the test itself, the user's history, a seeker's checks."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, render

from seekers.models import Seeker

from .permissions import can_view_checks_of
from .selectors import history_for_seeker, history_for_user


@login_required
def check(request):
    return render(
        request,
        "equipment/check.html",
        {"checks": history_for_user(request.user, limit=5)},
    )


@login_required
def history(request):
    return render(
        request,
        "equipment/history.html",
        {"checks": history_for_user(request.user)},
    )


@login_required
def seeker_checks(request, seeker_id: int):
    seeker = get_object_or_404(
        Seeker.objects.select_related("user", "referent__backup"), pk=seeker_id
    )
    if not can_view_checks_of(request.user, seeker):
        raise Http404
    return render(
        request,
        "equipment/seeker_checks.html",
        {"seeker": seeker, "checks": history_for_seeker(seeker)},
    )
