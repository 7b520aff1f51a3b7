"""Personal data held by the chat: the seeker's conversation and the files shared in it."""

from datetime import timedelta

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from privacy.registry import Category, register

from .models import Message


def _export(seeker):
    return [
        {
            "seq": m.seq,
            "sent_at": m.sent_at.isoformat(),
            "author": str(m.author) if m.author_id else None,
            "author_role": m.author_role,
            "body": m.body,
            "file": m.attachment_name or None,
        }
        for m in Message.objects.filter(conversation__seeker=seeker)
        .select_related("author")
        .order_by("seq")
    ]


def _delete(messages) -> int:
    count = 0
    for message in messages.exclude(attachment=""):
        message.attachment.delete(save=False)
    count = messages.delete()[0]
    return count


def _erase(seeker):
    return _delete(Message.objects.filter(conversation__seeker=seeker))


def _purge(now):
    cutoff = now - timedelta(days=settings.PORTAL_RETENTION_MESSAGES_DAYS)
    return _delete(Message.objects.filter(sent_at__lt=cutoff))


register(
    Category("messages", _("Messages and shared files"), export=_export, erase=_erase, purge=_purge)
)
