"""Writes on advisors."""

from django.db import transaction

from accounts.models import Role, User

from .models import Advisor, AdvisorState


@transaction.atomic
def advisor_create(
    *, email: str, first_name: str, last_name: str, agency, capacity: int | None = None
) -> Advisor:
    """Creates the advisor's account (no usable password: they set one by password reset)."""
    user = User.objects.create_user(
        email=email, first_name=first_name, last_name=last_name, role=Role.ADVISOR
    )
    user.set_unusable_password()
    user.save(update_fields=["password"])
    fields = {"user": user, "agency": agency}
    if capacity is not None:
        fields["capacity"] = capacity
    return Advisor.objects.create(**fields)


def advisor_mark_absent(*, advisor: Advisor, until=None) -> Advisor:
    """From now, the advisor's conversations and alerts go to their backup."""
    advisor.state = AdvisorState.ABSENT
    advisor.absent_until = until
    advisor.save(update_fields=["state", "absent_until"])
    return advisor


def advisor_mark_back(*, advisor: Advisor) -> Advisor:
    advisor.state = AdvisorState.ACTIVE
    advisor.absent_until = None
    advisor.save(update_fields=["state", "absent_until"])
    return advisor


def advisors_end_absences(*, today) -> int:
    """Brings back the advisors whose declared absence ended before today."""
    return Advisor.objects.filter(state=AdvisorState.ABSENT, absent_until__lt=today).update(
        state=AdvisorState.ACTIVE, absent_until=None
    )
