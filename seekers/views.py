"""The public offer page, the enrolment steps, the seeker's home and the way back."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from . import services
from .forms import AccessibilityForm, DeclarationsForm, ReturnToAgencyForm
from .models import EnrolmentStep, FollowUpStatus
from .permissions import can_enrol

STEP_URLS = {
    EnrolmentStep.DECLARATIONS: "seekers:enrol_declarations",
    EnrolmentStep.ACCESSIBILITY: "seekers:enrol_accessibility",
    EnrolmentStep.EQUIPMENT_CHECK: "seekers:enrol_equipment",
    EnrolmentStep.AWAITING_ADVISOR: "seekers:home",
    EnrolmentStep.DONE: "seekers:home",
}

ERROR_MESSAGES = {
    "enrolment_finished": gettext_lazy("Your enrolment is already complete."),
    "step_not_reached": gettext_lazy("Complete the previous steps first."),
    "already_returned": gettext_lazy("You are already followed by your agency."),
    "closed": gettext_lazy("Your follow-up is closed."),
    "not_returned": gettext_lazy("You are already followed online."),
}


def seeker_required(view):
    """Only seekers reach these pages; others get a 404 so that nothing leaks."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not can_enrol(request.user):
            raise Http404
        seeker = services.seeker_start_enrolment(user=request.user)
        return view(request, seeker, *args, **kwargs)

    return wrapper


def landing(request: HttpRequest) -> HttpResponse:
    return render(request, "seekers/landing.html")


def _stepper(seeker, current: str) -> dict:
    steps = [EnrolmentStep.DECLARATIONS, EnrolmentStep.ACCESSIBILITY, EnrolmentStep.EQUIPMENT_CHECK]
    index = steps.index(current)
    return {
        "current": index + 1,
        "total": len(steps) + 1,
        "title": EnrolmentStep(current).label,
        "next": EnrolmentStep(steps[index + 1]).label
        if index + 1 < len(steps)
        else _("Referent advisor"),
    }


@seeker_required
def enrol(request, seeker):
    if seeker.status != FollowUpStatus.ENROLLING:
        return redirect("seekers:home")
    return redirect(STEP_URLS[seeker.enrolment_step])


def _guard_step(seeker, step):
    """Sends the seeker back to where they are when they try a step out of order."""
    if seeker.status != FollowUpStatus.ENROLLING:
        return redirect("seekers:home")
    if not seeker.step_reached(step):
        return redirect(STEP_URLS[seeker.enrolment_step])
    return None


@seeker_required
@require_http_methods(["GET", "POST"])
def enrol_declarations(request, seeker):
    if (response := _guard_step(seeker, EnrolmentStep.DECLARATIONS)) is not None:
        return response
    initial = {
        "agency": seeker.agency_id,
        "age_band": seeker.age_band,
        "preferred_channel": seeker.preferred_channel,
        "phone": seeker.phone,
        "device_with_webcam": seeker.declared_device_with_webcam,
        "good_connection": seeker.declared_good_connection,
    }
    form = DeclarationsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.seeker_save_declarations(
            seeker=seeker,
            agency=form.cleaned_data["agency"],
            age_band=form.cleaned_data["age_band"],
            preferred_channel=form.cleaned_data["preferred_channel"],
            phone=form.cleaned_data["phone"],
        )
        return redirect("seekers:enrol_accessibility")
    return render(
        request,
        "seekers/enrol_declarations.html",
        {"form": form, "seeker": seeker, "stepper": _stepper(seeker, EnrolmentStep.DECLARATIONS)},
        status=400 if form.errors else 200,
    )


@seeker_required
@require_http_methods(["GET", "POST"])
def enrol_accessibility(request, seeker):
    if (response := _guard_step(seeker, EnrolmentStep.ACCESSIBILITY)) is not None:
        return response
    initial = {"need": seeker.accessibility_need, "details": seeker.accessibility_details}
    form = AccessibilityForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.seeker_save_accessibility(
            seeker=seeker, need=form.cleaned_data["need"], details=form.cleaned_data["details"]
        )
        return redirect("seekers:enrol_equipment")
    return render(
        request,
        "seekers/enrol_accessibility.html",
        {"form": form, "seeker": seeker, "stepper": _stepper(seeker, EnrolmentStep.ACCESSIBILITY)},
        status=400 if form.errors else 200,
    )


@seeker_required
def enrol_equipment(request, seeker):
    if (response := _guard_step(seeker, EnrolmentStep.EQUIPMENT_CHECK)) is not None:
        return response
    return render(
        request,
        "seekers/enrol_equipment.html",
        {"seeker": seeker, "stepper": _stepper(seeker, EnrolmentStep.EQUIPMENT_CHECK)},
    )


@seeker_required
def home(request, seeker):
    if seeker.status == FollowUpStatus.ENROLLING and seeker.enrolment_step not in (
        EnrolmentStep.AWAITING_ADVISOR,
    ):
        resume_url = reverse(STEP_URLS[seeker.enrolment_step])
    else:
        resume_url = None
    referent = seeker.referent
    if referent is not None:
        referent = (
            type(referent)
            .objects.select_related("user")
            .prefetch_related("skills")
            .get(pk=referent.pk)
        )
    return render(
        request,
        "seekers/home.html",
        {"seeker": seeker, "referent": referent, "resume_url": resume_url},
    )


@seeker_required
@require_http_methods(["GET", "POST"])
def return_to_agency(request, seeker):
    if seeker.status in (FollowUpStatus.RETURNED_TO_AGENCY, FollowUpStatus.CLOSED):
        messages.info(request, ERROR_MESSAGES["already_returned"])
        return redirect("seekers:home")
    form = ReturnToAgencyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.seeker_return_to_agency(
            seeker=seeker,
            reason=form.cleaned_data["reason"],
            comment=form.cleaned_data["comment"],
        )
        messages.success(
            request,
            _(
                "Your agency will follow you again. You can come back to the 100% web follow-up "
                "at any time."
            ),
        )
        return redirect("seekers:home")
    return render(
        request,
        "seekers/return_to_agency.html",
        {"form": form, "seeker": seeker},
        status=400 if form.errors else 200,
    )


@seeker_required
@require_POST
def rejoin(request, seeker):
    try:
        advisor = services.seeker_rejoin(seeker=seeker)
    except services.EnrolmentError as exc:
        messages.error(request, ERROR_MESSAGES.get(str(exc), _("This is not possible now.")))
        return redirect("seekers:home")
    if advisor is not None:
        messages.success(request, _("Welcome back! %(name)s follows you.") % {"name": advisor})
    else:
        messages.info(request, _("Welcome back! Let's finish setting up your follow-up."))
    seeker.refresh_from_db()
    if seeker.status == FollowUpStatus.ENROLLING and seeker.enrolment_step in STEP_URLS:
        return redirect(STEP_URLS[seeker.enrolment_step])
    return redirect("seekers:home")
