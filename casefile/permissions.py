"""Who may open a seeker's file: their referent, or the referent's backup while they are absent.
Managers steer from the admin and seekers see only what is shared with them."""

from advisors.models import AdvisorState


def staff_advisor(user):
    """The advisor profile of a logged-in advisor, or None."""
    if not (user.is_authenticated and user.is_active and user.role == "advisor"):
        return None
    return getattr(user, "advisor_profile", None)


def can_open_file(advisor, seeker) -> bool:
    if advisor is None or seeker.referent_id is None:
        return False
    if seeker.referent_id == advisor.pk:
        return True
    referent = seeker.referent
    return referent.state == AdvisorState.ABSENT and referent.backup_id == advisor.pk
