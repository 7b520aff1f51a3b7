"""Predicates on advisors, shared by views, consumers and the admin."""

from accounts.models import Role


def is_advisor(user) -> bool:
    return user.is_authenticated and user.role == Role.ADVISOR and hasattr(user, "advisor_profile")
