"""Background task: the daily purge of personal data past its retention period."""

from django_tasks import task

from .services import purge_expired


@task()
def purge_expired_data() -> dict:
    return purge_expired()
