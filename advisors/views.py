"""The advisor's space: for now, their whole caseload on one page."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import dashboard, services
from .forms import AbsenceForm
from .permissions import is_advisor
from .selectors import agenda_days, backed_up_for


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
    """The caseload dashboard; htmx asks again for the table alone (filters, live refresh)."""
    q = request.GET.get("q", "")[:100]
    alert = request.GET.get("alert", "")
    alert = alert if alert in dashboard.Alert.LABELS else ""
    sort = request.GET.get("sort", "alerts")
    sort = sort if sort in dashboard.SORTS else "alerts"
    rows = dashboard.caseload_rows(advisor, q=q, alert=alert, sort=sort)
    context = {
        "advisor": advisor,
        "rows": rows,
        "filters": {"q": q, "alert": alert, "sort": sort},
        "alerts": dashboard.Alert.LABELS,
        "sorts": dashboard.SORTS,
    }
    if request.htmx:
        return render(request, "advisors/_caseload.html", context)
    context.update(
        load=advisor.caseload.count(),
        absence_form=AbsenceForm(),
        backed_up=list(backed_up_for(advisor)),
    )
    return render(request, "advisors/home.html", context)


@advisor_required
def agenda(request, advisor):
    """Today and the next seven days, with a join button on each interview."""
    days = agenda_days(advisor, today=timezone.localdate())
    return render(request, "advisors/agenda.html", {"advisor": advisor, "days": days})


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
