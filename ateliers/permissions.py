"""Who may do what in the e-ateliers, as plain predicates and scoped querysets shared by views,
the room consumer and the admin. Views scope first, so that a stranger gets a 404, never a leak."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from accounts.models import Role
from advisors.models import AdvisorState

from .models import CvSubmission, LiveSession, Registration, RegistrationStatus, Simulation


def seeker_of(user):
    """The seeker profile of a signed-in seeker, else None."""
    if not (user.is_authenticated and user.is_active and user.role == Role.SEEKER):
        return None
    return getattr(user, "seeker_profile", None)


def advisor_of(user):
    """The advisor profile of a signed-in advisor, else None."""
    if not (user.is_authenticated and user.is_active and user.role == Role.ADVISOR):
        return None
    return getattr(user, "advisor_profile", None)


def followed_by_q(advisor, prefix: str = "") -> Q:
    """Seekers an advisor follows: their caseload, and their absent colleague's when they are
    the backup (the same rule as the chat)."""
    # As an IN over the (few) advisors concerned: an OR across the join made PostgreSQL scan
    # every seeker of the country (291 ms at 1M seekers, against 0.18 ms this way).
    from advisors.models import Advisor

    referents = Advisor.objects.filter(
        Q(pk=advisor.pk) | Q(state=AdvisorState.ABSENT, backup=advisor)
    ).values("pk")
    return Q(**{f"{prefix}referent__in": referents})


def advisor_follows(advisor, seeker) -> bool:
    if advisor is None or seeker is None or seeker.referent_id is None:
        return False
    if seeker.referent_id == advisor.pk:
        return True
    referent = seeker.referent
    return referent.state == AdvisorState.ABSENT and referent.backup_id == advisor.pk


def can_use_ateliers(user) -> bool:
    return seeker_of(user) is not None


def can_view_seeker_work(user, seeker) -> bool:
    """Progress, quiz results, exercises and CVs: the seeker and the advisor who follows them."""
    own = seeker_of(user)
    if own is not None:
        return own.pk == seeker.pk
    return advisor_follows(advisor_of(user), seeker)


def cv_submissions_for(user):
    own = seeker_of(user)
    if own is not None:
        return CvSubmission.objects.filter(seeker=own)
    advisor = advisor_of(user)
    if advisor is not None:
        return CvSubmission.objects.filter(followed_by_q(advisor, "seeker__"))
    return CvSubmission.objects.none()


def simulations_for(user):
    """A seeker's own simulations; for an advisor, only those shared by a seeker they follow.
    Managers and strangers see none: a recording is personal data."""
    own = seeker_of(user)
    if own is not None:
        return Simulation.objects.filter(seeker=own)
    advisor = advisor_of(user)
    if advisor is not None:
        return Simulation.objects.shared().filter(followed_by_q(advisor, "seeker__"))
    return Simulation.objects.none()


def can_give_feedback(user, simulation) -> bool:
    return simulation.shared_at is not None and advisor_follows(advisor_of(user), simulation.seeker)


def is_facilitator(user, session) -> bool:
    advisor = advisor_of(user)
    return advisor is not None and session.facilitator_id == advisor.pk


def room_is_open(session, now=None) -> bool:
    now = now or timezone.now()
    opens = session.starts_at - timedelta(minutes=settings.ATELIERS_ROOM_OPENS_MINUTES_BEFORE)
    closes = session.ends_at + timedelta(minutes=settings.ATELIERS_ROOM_CLOSES_MINUTES_AFTER)
    return session.cancelled_at is None and opens <= now <= closes


def can_join_room(user, session_id: int) -> bool:
    """The facilitator and registered seekers (not those waiting), while the room is open."""
    session = LiveSession.objects.filter(pk=session_id).first()
    if session is None or not room_is_open(session):
        return False
    if is_facilitator(user, session):
        return True
    seeker = seeker_of(user)
    return (
        seeker is not None
        and Registration.objects.filter(
            session=session, seeker=seeker, status=RegistrationStatus.REGISTERED
        ).exists()
    )
