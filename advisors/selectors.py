"""Reads for the advisor's space."""

from seekers.models import Seeker


def caseload_for(advisor):
    """The advisor's whole caseload, in one query whatever its size."""
    return (
        Seeker.objects.for_advisor(advisor)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "pk")
    )
