"""Reads for the seeker's file."""

from django.db.models import Prefetch

from seekers.models import Seeker

from .models import Action, Goal


def files_for(advisor):
    """Seekers whose file the advisor may open, with what the file page needs."""
    return Seeker.objects.for_staff_advisor(advisor).select_related(
        "user", "agency", "referent__user", "referent__backup"
    )


def action_plan(seeker):
    return Goal.objects.filter(seeker=seeker).prefetch_related(
        Prefetch("actions", queryset=Action.objects.order_by("due_date", "pk"))
    )
