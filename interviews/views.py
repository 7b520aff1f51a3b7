"""Pages of the interviews app: lists, booking, availability, the interview page (waiting room
and call), changes, and the advisor's notes. Views parse, authorize, call one service or
selector, then render."""

from __future__ import annotations

import json
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from casefile.models import AuditAction
from casefile.services import audit_record
from seekers.models import Seeker

from . import selectors, services
from .conf import app_settings
from .forms import (
    CancelForm,
    ExceptionForm,
    NotesForm,
    OutcomeForm,
    ProposeForm,
    RescheduleForm,
    SlotForm,
    WeeklyAvailabilityForm,
)
from .models import AvailabilityException, Status, WeeklyAvailability
from .permissions import (
    ADVISOR,
    SEEKER,
    can_change,
    can_confirm,
    can_join_call,
    can_write_notes,
    is_advisor,
    is_seeker,
    role_in,
)
from .services import BookingError

ERRORS = {
    "slot_unavailable": _("This slot is no longer free. Please pick another one."),
    "slot_taken": _("This time is already taken. Please pick another one."),
    "too_late": _("This time is too close or already past."),
    "advisor_unavailable": _("The advisor is not available at that time."),
    "no_referent": _("You can book an interview once you have a referent advisor."),
    "not_referent": _("You can only propose interviews to the seekers you follow."),
    "notice_too_short": _("It is too late to change this interview online."),
    "reason_required": _("Please give a reason."),
    "not_changeable": _("This interview can no longer be changed."),
    "not_proposed": _("This interview is not waiting for your confirmation."),
    "seeker_joined": _(
        "The seeker joined the interview: it cannot be recorded as an absence. "
        "Record a technical failure instead."
    ),
    "not_finished": _("This interview has not taken place yet."),
    "forbidden": _("You cannot do this."),
}


CALL_STRINGS = {
    "advisorHere": _("Your advisor is ready. They will let you in shortly."),
    "advisorAbsent": _("Your advisor is not connected yet."),
    "advisorLeft": _("Your advisor left the call."),
    "seekerHere": _("The seeker is in the waiting room."),
    "seekerAbsent": _("The seeker is not in the waiting room yet."),
    "seekerLeft": _("The seeker left the call."),
    "waiting": _("You are in the waiting room."),
    "connecting": _("Connecting the call…"),
    "connected": _("Connected."),
    "ended": _("The call has ended."),
    "peerHungUp": _("The other participant hung up."),
    "iceFailed": _("The connection failed."),
    "noMedia": _("No video is coming through."),
    "mediaDenied": _("The camera or microphone could not be used."),
    "signallingFailed": _("The call server cannot be reached."),
    "mute": _("Mute"),
    "unmute": _("Unmute"),
    "cameraOff": _("Camera off"),
    "cameraOn": _("Camera on"),
    "share": _("Share my screen"),
    "stopShare": _("Stop sharing"),
    "fallbackAudio": _("Audio only: video is switched off."),
    "fallbackChat": _("Continue by text chat, beside the video."),
    "fallbackPhone": _("Your advisor will call you back by phone."),
    "fallbackPhoneAdvisor": _("The seeker asks to be called back by phone at:"),
    "windowClosed": _("The call window has closed."),
    "replaced": _("This call is now open in another page or window."),
    "recheckCameraOk": _("working, you can see yourself."),
    "recheckMicrophoneOk": _("working, we hear you."),
    "recheckSilent": _("no sound heard: check that it is not muted."),
    "recheckFailed": _("not available."),
}


def _error(request, error: BookingError) -> None:
    messages.error(request, ERRORS.get(error.code, error.code))


def seeker_required(view):
    @login_required
    def wrapper(request, *args, **kwargs):
        if not is_seeker(request.user):
            raise Http404
        return view(request, request.user.seeker_profile, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def advisor_required(view):
    @login_required
    def wrapper(request, *args, **kwargs):
        if not is_advisor(request.user):
            raise Http404
        return view(request, request.user.advisor_profile, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


@login_required
def appointment_list(request):
    if is_advisor(request.user):
        lists = selectors.appointments_of_advisor(request.user.advisor_profile)
        role = ADVISOR
    elif is_seeker(request.user):
        lists = selectors.appointments_of_seeker(request.user.seeker_profile)
        role = SEEKER
    else:
        raise Http404
    return render(request, "interviews/list.html", {**lists, "role": role, "now": timezone.now()})


@seeker_required
@require_http_methods(["GET", "POST"])
def book(request, seeker: Seeker):
    if seeker.referent_id is None:
        messages.info(request, ERRORS["no_referent"])
        return redirect("seekers:home")
    form = SlotForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            appointment = services.appointment_book(
                seeker=seeker, starts_at=form.cleaned_data["slot"]
            )
        except BookingError as error:
            _error(request, error)
        else:
            messages.success(
                request, _("Your interview is booked. A confirmation email is on its way.")
            )
            return redirect(appointment)
    days = selectors.bookable_slots(advisor=seeker.referent)
    return render(request, "interviews/book.html", {"days": days, "form": form, "seeker": seeker})


@advisor_required
@require_http_methods(["GET", "POST"])
def availability(request, advisor):
    weekly_form = WeeklyAvailabilityForm(prefix="weekly")
    exception_form = ExceptionForm(prefix="exception")
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "add_weekly":
            weekly_form = WeeklyAvailabilityForm(request.POST, prefix="weekly")
            if weekly_form.is_valid():
                services.availability_add_weekly(advisor=advisor, **weekly_form.cleaned_data)
                return redirect("interviews:availability")
        elif action == "add_exception":
            exception_form = ExceptionForm(request.POST, prefix="exception")
            if exception_form.is_valid():
                services.availability_add_exception(advisor=advisor, **exception_form.cleaned_data)
                return redirect("interviews:availability")
        elif action == "remove_weekly":
            services.availability_remove_weekly(advisor=advisor, pk=int(request.POST.get("pk", 0)))
            return redirect("interviews:availability")
        elif action == "remove_exception":
            services.availability_remove_exception(
                advisor=advisor, pk=int(request.POST.get("pk", 0))
            )
            return redirect("interviews:availability")
    today = timezone.localdate()
    return render(
        request,
        "interviews/availability.html",
        {
            "weekly": WeeklyAvailability.objects.filter(advisor=advisor),
            "exceptions": AvailabilityException.objects.filter(
                advisor=advisor, ends_at__gte=timezone.now()
            ),
            "weekly_form": weekly_form,
            "exception_form": exception_form,
            "preview": selectors.free_slots(
                advisor=advisor, first_day=today, last_day=today + timedelta(days=6)
            ),
            "slot_minutes": app_settings.INTERVIEWS_SLOT_MINUTES,
        },
    )


@advisor_required
@require_http_methods(["GET", "POST"])
def propose(request, advisor):
    form = ProposeForm(
        request.POST or None,
        seekers=Seeker.objects.for_advisor(advisor).followed().select_related("user"),
    )
    if request.method == "POST" and form.is_valid():
        try:
            appointment = services.appointment_propose(
                advisor=advisor,
                seeker=form.cleaned_data["seeker"],
                starts_at=form.cleaned_data["starts_at"],
            )
        except BookingError as error:
            _error(request, error)
        else:
            messages.success(request, _("Proposal sent. The seeker has to confirm it."))
            return redirect(appointment)
    return render(request, "interviews/propose.html", {"form": form})


@login_required
def detail(request, pk: int):
    appointment = selectors.appointment_for(request.user, pk)
    role = role_in(request.user, appointment)
    if role is None:
        raise Http404
    context = {
        "appointment": appointment,
        "role": role,
        "can_join": can_join_call(request.user, appointment),
        "can_change": can_change(request.user, appointment),
        "can_confirm": can_confirm(request.user, appointment),
        "opens_at": appointment.window()[0],
    }
    if can_write_notes(request.user, appointment):
        # The advisor's private notes are shown here: reading them is audited.
        audit_record(actor=request.user, action=AuditAction.OPENED_NOTES, seeker=appointment.seeker)
        context["notes_form"] = NotesForm(initial={"notes": appointment.advisor_notes})
        if appointment.starts_at <= timezone.now() and appointment.status != Status.CANCELLED:
            context["outcome_form"] = OutcomeForm()
        context["events"] = list(appointment.events.select_related("actor"))
    return render(request, "interviews/detail.html", context)


@login_required
def call(request, pk: int):
    """The waiting room, then the call: one page, driven by static/js/interview-call.js."""
    appointment = selectors.appointment_for(request.user, pk)
    role = role_in(request.user, appointment)
    if role is None:
        raise Http404
    if not can_join_call(request.user, appointment):
        messages.info(request, _("The waiting room opens 15 minutes before the interview."))
        return redirect(appointment)
    config = {
        "appointmentId": appointment.pk,
        "role": role,
        "wsPath": f"/ws/interviews/{appointment.pk}/",
        "reportUrl": reverse("interviews:report", args=[appointment.pk]),
        "mediaTimeoutSeconds": app_settings.INTERVIEWS_MEDIA_TIMEOUT_SECONDS,
        "seekerSigns": appointment.seeker.signs_lsf,
    }
    if role == ADVISOR:
        config["seekerPhone"] = appointment.seeker.phone
    get_token(request)  # the page posts its reports with the CSRF cookie
    return render(
        request,
        "interviews/call.html",
        {
            "appointment": appointment,
            "role": role,
            "config": config,
            "strings": {key: str(value) for key, value in CALL_STRINGS.items()},
            # Hooks for the neighbouring apps: their partial when it exists, ours otherwise.
            "equipment_recheck_templates": [
                "equipment/_quick_check.html",
                "interviews/_equipment_recheck.html",
            ],
            "chat_panel_templates": ["chat/_call_panel.html", "interviews/_chat_panel.html"],
        },
    )


@login_required
@require_POST
def confirm(request, pk: int):
    appointment = selectors.appointment_for(request.user, pk)
    try:
        services.appointment_confirm(appointment=appointment, by=request.user)
    except BookingError as error:
        _error(request, error)
    else:
        messages.success(request, _("Interview confirmed."))
    return redirect(appointment)


@login_required
@require_http_methods(["GET", "POST"])
def reschedule(request, pk: int):
    appointment = selectors.appointment_for(request.user, pk)
    if not can_change(request.user, appointment):
        raise Http404
    role = role_in(request.user, appointment)
    form = RescheduleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.appointment_reschedule(
                appointment=appointment,
                by=request.user,
                starts_at=form.cleaned_data["starts_at"],
                reason=form.cleaned_data["reason"],
            )
        except BookingError as error:
            _error(request, error)
        else:
            messages.success(
                request, _("Interview moved. Both of you receive an updated invitation.")
            )
            return redirect(appointment)
    days = selectors.bookable_slots(advisor=appointment.advisor) if role == SEEKER else []
    return render(
        request,
        "interviews/reschedule.html",
        {"appointment": appointment, "form": form, "days": days},
    )


@login_required
@require_http_methods(["GET", "POST"])
def cancel(request, pk: int):
    appointment = selectors.appointment_for(request.user, pk)
    if not can_change(request.user, appointment):
        raise Http404
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.appointment_cancel(
                appointment=appointment, by=request.user, reason=form.cleaned_data["reason"]
            )
        except BookingError as error:
            _error(request, error)
        else:
            messages.success(request, _("Interview cancelled."))
            return redirect(appointment)
    return render(request, "interviews/cancel.html", {"appointment": appointment, "form": form})


@login_required
@require_POST
def notes(request, pk: int):
    appointment = selectors.appointment_for(request.user, pk)
    if not can_write_notes(request.user, appointment):
        raise Http404
    if "outcome" in request.POST:
        form = OutcomeForm(request.POST)
        if form.is_valid():
            try:
                services.appointment_set_outcome(
                    appointment=appointment, by=request.user, outcome=form.cleaned_data["outcome"]
                )
            except BookingError as error:
                _error(request, error)
            else:
                messages.success(request, _("Outcome recorded."))
    else:
        form = NotesForm(request.POST)
        if form.is_valid():
            services.appointment_save_notes(
                appointment=appointment, by=request.user, notes=form.cleaned_data["notes"]
            )
            messages.success(request, _("Notes saved."))
    return redirect(appointment)


@login_required
@require_POST
def report(request, pk: int):
    """What the call page saw, posted over HTTP when the websocket cannot carry it."""
    appointment = selectors.appointment_for(request.user, pk)
    if not can_join_call(request.user, appointment):
        return JsonResponse({"type": "error", "code": "closed", "detail": "closed"}, status=403)
    try:
        payload = json.loads(request.body or b"{}")
        kind = payload["report"]
        services.call_record_report(appointment_id=appointment.pk, user=request.user, report=kind)
    except (ValueError, KeyError, TypeError):
        return JsonResponse(
            {"type": "error", "code": "malformed", "detail": "malformed"}, status=400
        )
    except BookingError as error:
        return JsonResponse({"type": "error", "code": error.code, "detail": error.code}, status=400)
    return HttpResponse(status=204)
