"""The advisor's space: for now, their whole caseload on one page."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from .permissions import is_advisor
from .selectors import caseload_for


def advisor_required(view):
    """Only advisors reach these pages; others get a 404 so that nothing leaks."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not is_advisor(request.user):
            raise Http404
        return view(request, request.user.advisor_profile, *args, **kwargs)

    return wrapper


@advisor_required
def home(request, advisor):
    caseload = list(caseload_for(advisor))
    return render(
        request,
        "advisors/home.html",
        {"advisor": advisor, "caseload": caseload, "load": len(caseload)},
    )
