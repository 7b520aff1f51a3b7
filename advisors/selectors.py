"""Reads for the advisor's space."""

from seekers.models import Seeker


def caseload_for(advisor):
    """The advisor's whole caseload, in one query whatever its size."""
    return (
        Seeker.objects.for_advisor(advisor)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "pk")
    )


def backed_up_for(advisor):
    """Seekers of absent colleagues whom this advisor backs up, with their referent."""
    from .models import AdvisorState

    return (
        Seeker.objects.filter(referent__state=AdvisorState.ABSENT, referent__backup=advisor)
        .select_related("user", "referent__user")
        .order_by("user__last_name", "user__first_name", "pk")
    )
