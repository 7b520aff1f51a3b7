"""Who may do what, as plain predicates shared by views, consumers and the admin."""

from .models import Role


def can_enter_admin(user) -> bool:
    """Only agency managers and superusers enter the admin; seekers and advisors never do."""
    if not (user.is_authenticated and user.is_active):
        return False
    return user.is_superuser or (user.role == Role.MANAGER and user.is_staff)


def is_seeker(user) -> bool:
    return user.is_authenticated and user.role == Role.SEEKER


def is_advisor(user) -> bool:
    return user.is_authenticated and user.role == Role.ADVISOR
