"""Demo data of the chat app, called by `manage.py seed_demo` (idempotent)."""


def seed(*, agency, advisors, stdout) -> None:
    """Nothing yet."""
