"""Reads for the advisor's space."""

from seekers.models import Seeker


def backed_up_for(advisor):
    """Seekers of absent colleagues whom this advisor backs up, with their referent."""
    from .models import AdvisorState

    return (
        Seeker.objects.filter(referent__state=AdvisorState.ABSENT, referent__backup=advisor)
        .select_related("user", "referent__user")
        .order_by("user__last_name", "user__first_name", "pk")
    )


def agenda_days(advisor, *, today, days: int = 7) -> list[dict]:
    """The advisor's interviews from today for `days` days, grouped by day (one query)."""
    from datetime import datetime, time, timedelta

    from django.utils import timezone

    from interviews.models import Appointment, Status

    tz = timezone.get_current_timezone()
    start = datetime.combine(today, time.min, tzinfo=tz)
    end = start + timedelta(days=days)
    appointments = (
        Appointment.objects.for_advisor(advisor)
        .filter(starts_at__gte=start, starts_at__lt=end)
        .exclude(status=Status.CANCELLED)
        .select_related("seeker__user")
        .order_by("starts_at")
    )
    grouped = {today + timedelta(days=offset): [] for offset in range(days)}
    for appointment in appointments:
        grouped[timezone.localtime(appointment.starts_at, tz).date()].append(appointment)
    return [{"date": day, "appointments": items} for day, items in grouped.items()]
