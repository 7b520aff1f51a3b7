"""Who may run an equipment check, and who may read a seeker's checks."""

from accounts.models import Role
from advisors.models import AdvisorState


def can_run_check(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def can_view_checks_of(user, seeker) -> bool:
    """The seeker, their referent (or that advisor's backup), and their agency's managers."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    if user.is_superuser or seeker.user_id == user.pk:
        return True
    if user.role == Role.MANAGER:
        return bool(user.agency_id) and user.agency_id == seeker.agency_id
    if user.role == Role.ADVISOR and seeker.referent_id is not None:
        referent = seeker.referent
        # The backup acts for the referent only while the referent is away.
        return referent.user_id == user.pk or (
            referent.state == AdvisorState.ABSENT
            and referent.backup_id is not None
            and referent.backup.user_id == user.pk
        )
    return False
