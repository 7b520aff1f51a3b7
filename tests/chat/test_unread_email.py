"""The unread-message email: queued with django-tasks' database backend and run by its worker."""

import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from chat import services
from chat.models import Message, OpenSocket

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("database_tasks"),
]

SECRET = "Mon numéro de sécurité sociale est 1 85 05 59 350 123 45"


@pytest.fixture
def database_tasks():
    with override_settings(
        TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}},
        CHAT_UNREAD_EMAIL_DELAY_MINUTES=15,
        PORTAL_BASE_URL="https://suivi.example",
    ):
        yield


def send(conversation, author, body=SECRET) -> Message:
    message, _ = services.message_send(
        conversation_id=conversation.pk, author=author, client_id=uuid.uuid4(), body=body
    )
    return message


def time_passes(minutes=16) -> None:
    """The queued task and the messages become `minutes` older."""
    earlier = timedelta(minutes=minutes)
    for result in DBTaskResult.objects.all():
        result.run_after = (result.run_after or timezone.now()) - earlier
        result.save(update_fields=["run_after"])
    for message in Message.objects.all():
        message.sent_at -= earlier
        message.save(update_fields=["sent_at"])


def run_worker() -> None:
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)


def test_the_email_is_queued_for_later_and_sent_once_without_the_body(
    conversation, followed, referent
):
    message = send(conversation, followed.user)

    queued = DBTaskResult.objects.get()
    assert queued.task_path == "chat.tasks.email_unread_message"
    assert queued.args_kwargs["args"] == [message.pk]
    assert queued.run_after > timezone.now() + timedelta(minutes=14)
    run_worker()
    assert mail.outbox == []  # not due yet: the worker leaves it queued

    time_passes()
    run_worker()

    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [referent.user.email]
    assert f"https://suivi.example/messagerie/{conversation.pk}/" in email.body
    assert SECRET not in email.body and SECRET not in email.subject
    assert "sécurité sociale" not in email.body

    # More messages in the same unread stretch: still one email.
    send(conversation, followed.user, "Vous êtes là ?")
    time_passes()
    run_worker()
    assert len(mail.outbox) == 1


def test_reading_then_a_new_message_allows_a_new_email(conversation, followed, referent):
    send(conversation, followed.user)
    time_passes()
    run_worker()
    services.conversation_mark_read(
        conversation_id=conversation.pk, user=referent.user, up_to_seq=1
    )

    send(conversation, followed.user, "Une autre question")
    time_passes()
    run_worker()

    assert len(mail.outbox) == 2


def test_no_email_when_the_message_was_read_in_time(conversation, followed, referent):
    send(conversation, followed.user)
    services.conversation_mark_read(
        conversation_id=conversation.pk, user=referent.user, up_to_seq=1
    )
    time_passes()
    run_worker()
    assert mail.outbox == []


def test_no_email_to_a_recipient_with_an_open_socket(conversation, followed, referent):
    OpenSocket.objects.create(
        channel_name="specific.test!1", conversation=conversation, user=referent.user
    )
    send(conversation, followed.user)
    time_passes()
    OpenSocket.objects.update(seen_at=timezone.now())
    run_worker()
    assert mail.outbox == []


def test_an_advisor_answer_emails_the_seeker_and_never_the_author(conversation, followed, referent):
    send(conversation, referent.user, "Votre CV est très bien")
    time_passes()
    run_worker()
    assert [email.to for email in mail.outbox] == [[followed.user.email]]
