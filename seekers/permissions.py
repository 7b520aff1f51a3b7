"""Predicates on seekers, shared by views, consumers and the admin."""

from accounts.models import Role


def can_enrol(user) -> bool:
    return user.is_authenticated and user.role == Role.SEEKER
