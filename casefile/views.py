"""The seeker's file for their advisor, and the shared part (action plan, offers) for the seeker."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from seekers.permissions import can_enrol

from . import selectors, services
from .forms import ActionForm, ActionStatusForm, GoalForm, NoteForm, OfferForm
from .models import Action, AuditAction, Goal
from .permissions import staff_advisor
from .timeline import timeline_for


def file_access(view):
    """Resolves the seeker among those the advisor may open; anyone else gets a 404."""

    @login_required
    @wraps(view)
    def wrapper(request, seeker_id, *args, **kwargs):
        advisor = staff_advisor(request.user)
        if advisor is None:
            raise Http404
        seeker = get_object_or_404(selectors.files_for(advisor), pk=seeker_id)
        return view(request, advisor, seeker, *args, **kwargs)

    return wrapper


def _file_context(seeker, **forms):
    return {
        "seeker": seeker,
        "goals": selectors.action_plan(seeker),
        "notes": seeker.notes.select_related("author"),
        "offers": seeker.offers.select_related("shared_by"),
        "timeline": timeline_for(seeker),
        "goal_form": forms.get("goal_form") or GoalForm(),
        "action_form": ActionForm(),
        "note_form": forms.get("note_form") or NoteForm(),
        "offer_form": forms.get("offer_form") or OfferForm(),
        "statuses": ActionStatusForm.base_fields["status"].choices,
    }


@file_access
@require_GET
def seeker_file(request, advisor, seeker):
    services.audit_record(actor=request.user, action=AuditAction.OPENED_FILE, seeker=seeker)
    services.audit_record(actor=request.user, action=AuditAction.OPENED_NOTES, seeker=seeker)
    return render(request, "casefile/file.html", _file_context(seeker))


@file_access
@require_POST
def goal_add(request, advisor, seeker):
    form = GoalForm(request.POST)
    if form.is_valid():
        services.goal_create(seeker=seeker, title=form.cleaned_data["title"], by=request.user)
        return redirect("casefile:file", seeker_id=seeker.pk)
    return render(request, "casefile/file.html", _file_context(seeker, goal_form=form), status=400)


@file_access
@require_POST
def action_add(request, advisor, seeker, goal_id):
    goal = get_object_or_404(Goal.objects.filter(seeker=seeker), pk=goal_id)
    form = ActionForm(request.POST)
    if form.is_valid():
        services.action_create(goal=goal, **form.cleaned_data)
    else:
        messages.error(request, _("The action needs a title and a valid date."))
    return redirect("casefile:file", seeker_id=seeker.pk)


@file_access
@require_POST
def action_status(request, advisor, seeker, action_id):
    action = get_object_or_404(Action.objects.filter(goal__seeker=seeker), pk=action_id)
    form = ActionStatusForm(request.POST)
    if form.is_valid():
        services.action_set_status(action=action, status=form.cleaned_data["status"])
    return redirect("casefile:file", seeker_id=seeker.pk)


@file_access
@require_POST
def note_add(request, advisor, seeker):
    form = NoteForm(request.POST)
    status = 200
    if form.is_valid():
        services.note_write(seeker=seeker, body=form.cleaned_data["body"], by=request.user)
        form = NoteForm()
    else:
        status = 400
    if request.htmx:
        # Only the notes panel changes: htmx swaps it in place.
        context = {
            "seeker": seeker,
            "note_form": form,
            "notes": seeker.notes.select_related("author"),
        }
        return render(request, "casefile/_notes.html", context, status=status)
    if status == 400:
        return render(
            request, "casefile/file.html", _file_context(seeker, note_form=form), status=400
        )
    return redirect("casefile:file", seeker_id=seeker.pk)


@file_access
@require_POST
def offer_share(request, advisor, seeker):
    form = OfferForm(request.POST)
    if form.is_valid():
        services.offer_share(seeker=seeker, by=request.user, **form.cleaned_data)
        messages.success(request, _("The offer is now in the seeker's space."))
        return redirect("casefile:file", seeker_id=seeker.pk)
    return render(request, "casefile/file.html", _file_context(seeker, offer_form=form), status=400)


def seeker_only(view):
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not can_enrol(request.user) or not hasattr(request.user, "seeker_profile"):
            raise Http404
        return view(request, request.user.seeker_profile, *args, **kwargs)

    return wrapper


@seeker_only
@require_GET
def my_plan(request, seeker):
    return render(
        request,
        "casefile/my_plan.html",
        {
            "seeker": seeker,
            "goals": selectors.action_plan(seeker),
            "offers": seeker.offers.all(),
            "statuses": ActionStatusForm.base_fields["status"].choices,
        },
    )


@seeker_only
@require_POST
def my_action_status(request, seeker, action_id):
    action = get_object_or_404(Action.objects.filter(goal__seeker=seeker), pk=action_id)
    form = ActionStatusForm(request.POST)
    if form.is_valid():
        services.action_set_status(action=action, status=form.cleaned_data["status"])
        messages.success(request, _("Your advisor will see the new status."))
    return redirect("casefile:my_plan")
