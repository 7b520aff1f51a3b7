"""Writes on advisors."""

from django.db import transaction

from accounts.models import Role, User

from .models import Advisor


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
