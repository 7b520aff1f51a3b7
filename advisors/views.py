"""The advisor's space: for now, their whole caseload on one page."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import services
from .forms import AbsenceForm
from .permissions import is_advisor
from .selectors import backed_up_for, caseload_for


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
        {
            "advisor": advisor,
            "caseload": caseload,
            "load": len(caseload),
            "absence_form": AbsenceForm(),
            "backed_up": list(backed_up_for(advisor)),
        },
    )


@advisor_required
@require_POST
def absence(request, advisor):
    if request.POST.get("back"):
        services.advisor_mark_back(advisor=advisor)
        messages.success(request, _("Welcome back: your seekers' messages come to you again."))
        return redirect("advisors:home")
    form = AbsenceForm(request.POST)
    if form.is_valid():
        services.advisor_mark_absent(advisor=advisor, until=form.cleaned_data["until"])
        if advisor.backup_id:
            messages.success(
                request,
                _("Your conversations and alerts go to %(backup)s while you are away.")
                % {"backup": advisor.backup.user},
            )
        else:
            messages.warning(
                request, _("You have no backup advisor: ask your manager to name one.")
            )
    else:
        messages.error(request, " ".join(form.errors["until"]))
    return redirect("advisors:home")
