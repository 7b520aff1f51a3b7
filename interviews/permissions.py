"""Who may do what with an interview; shared by views, the consumer and the admin."""

from accounts.models import Role

from .models import Appointment, Status

ADVISOR = "advisor"
SEEKER = "seeker"


def role_in(user, appointment: Appointment) -> str | None:
    """The part a user plays in an appointment, or None for everybody else."""
    if not user.is_authenticated:
        return None
    if user.role == Role.ADVISOR and appointment.advisor.user_id == user.pk:
        return ADVISOR
    if user.role == Role.SEEKER and appointment.seeker.user_id == user.pk:
        return SEEKER
    return None


def can_join_call(user, appointment: Appointment, now=None) -> bool:
    return role_in(user, appointment) is not None and appointment.is_open(now)


def can_change(user, appointment: Appointment) -> bool:
    """Reschedule or cancel: both participants, while it is still to come."""
    return role_in(user, appointment) is not None and appointment.status in (
        Status.PROPOSED,
        Status.CONFIRMED,
    )


def can_confirm(user, appointment: Appointment) -> bool:
    return role_in(user, appointment) == SEEKER and appointment.status == Status.PROPOSED


def can_write_notes(user, appointment: Appointment) -> bool:
    """The advisor's notes are private: the seeker never reads them."""
    return role_in(user, appointment) == ADVISOR


def is_advisor(user) -> bool:
    return user.is_authenticated and user.role == Role.ADVISOR and hasattr(user, "advisor_profile")


def is_seeker(user) -> bool:
    return user.is_authenticated and user.role == Role.SEEKER and hasattr(user, "seeker_profile")
