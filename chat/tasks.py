"""Background tasks of the chat, run by the task worker (django-tasks; `manage.py db_worker`)."""

from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from . import selectors, services
from .models import Message


@task()
def email_unread_message(message_id: int) -> int:
    """Emails each recipient who left the message unread with no socket open: one email per
    unread stretch, with a link to the conversation and never the message itself.

    Enqueued to run CHAT_UNREAD_EMAIL_DELAY_MINUTES after the message; a backend that cannot defer
    runs it at once, when it finds the message too recent and sends nothing."""
    message = (
        Message.objects.filter(pk=message_id)
        .only("conversation_id", "author_id", "seq", "sent_at")
        .first()
    )
    if message is None:
        return 0
    due = message.sent_at + timedelta(minutes=settings.CHAT_UNREAD_EMAIL_DELAY_MINUTES)
    if timezone.now() < due:
        return 0
    conversation = selectors.conversation_with_people(message.conversation_id)
    url = settings.PORTAL_BASE_URL + reverse("chat:conversation", args=[conversation.pk])
    sent = 0
    for user in selectors.conversation_participants(conversation):
        if user.pk == message.author_id or not user.email:
            continue
        if not services.unread_email_claim(
            conversation_id=conversation.pk, user=user, seq=message.seq
        ):
            continue
        with translation.override(settings.LANGUAGE_CODE):
            subject = _("A message is waiting for you")
            body = _(
                "Hello,\n\nA new message is waiting for you in your 100%% web follow-up "
                "conversation.\n\nRead it and answer here: %(url)s\n\n"
                "For your privacy, this email never contains the message itself."
            ) % {"url": url}
        send_mail(subject, body, None, [user.email])
        sent += 1
    return sent
