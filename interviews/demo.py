"""Demo data of the interviews app, called by `manage.py seed_demo` (idempotent)."""


def seed(*, agency, advisors, stdout) -> None:
    """Nothing yet."""
