"""Demo data of the ateliers app, called by `manage.py seed_demo` (idempotent)."""


def seed(*, agency, advisors, stdout) -> None:
    """Nothing yet."""
