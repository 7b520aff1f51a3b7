"""Instant messaging between a followed seeker and their follow-up: one conversation per seeker,
messages numbered without gap, read marks and the open sockets that tell who is online."""

import os
import uuid

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from advisors.models import AdvisorState
from seekers.models import FollowUpStatus


class PrivateStorage(FileSystemStorage):
    """Uploaded files live under PRIVATE_MEDIA_ROOT, outside static and media: only views that
    check the reader serve them. The root is read when used, never at import time."""

    @property
    def base_location(self):
        return str(settings.PRIVATE_MEDIA_ROOT)

    @property
    def location(self):
        return os.path.abspath(self.base_location)


def private_storage():
    return PrivateStorage()


def attachment_path(message, filename: str) -> str:
    # The name a person chose never reaches the file system.
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"chat/{message.conversation_id}/{uuid.uuid4().hex}.{extension}"


def participant_q(user, prefix: str = "") -> Q:
    """Who takes part in a conversation: the followed seeker, their referent, and the referent's
    backup while the referent is absent."""
    if not user.is_authenticated:
        return Q(pk__in=[])
    if user.role == Role.SEEKER:
        return Q(
            **{
                f"{prefix}seeker__user": user,
                f"{prefix}seeker__status": FollowUpStatus.FOLLOWED_ONLINE,
            }
        )
    if user.role == Role.ADVISOR:
        return Q(**{f"{prefix}seeker__referent__user": user}) | Q(
            **{
                f"{prefix}seeker__referent__state": AdvisorState.ABSENT,
                f"{prefix}seeker__referent__backup__user": user,
            }
        )
    return Q(pk__in=[])


class ConversationQuerySet(models.QuerySet):
    def for_user(self, user):
        """The conversations a person may open; managers and strangers get none."""
        return self.filter(participant_q(user))

    def for_advisor(self, advisor):
        return self.for_user(advisor.user)


class Conversation(models.Model):
    seeker = models.OneToOneField(
        "seekers.Seeker",
        verbose_name=_("job seeker"),
        on_delete=models.CASCADE,
        related_name="conversation",
    )
    # The last seq handed out; bumped under this row's lock, so seqs never repeat nor skip.
    last_seq = models.PositiveIntegerField(_("last message number"), default=0)
    last_message_at = models.DateTimeField(_("last message at"), null=True, blank=True)
    # Since when the oldest seeker message with no advisor answer after it has waited.
    awaiting_since = models.DateTimeField(_("awaiting an answer since"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = ConversationQuerySet.as_manager()

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        ordering = ["-last_message_at", "pk"]

    def __str__(self):
        return str(self.seeker)

    def get_absolute_url(self):
        return reverse("chat:conversation", args=[self.pk])

    @property
    def group_name(self) -> str:
        return f"chat.conversation.{self.pk}"

    @property
    def socket_path(self) -> str:
        return f"/ws/chat/{self.pk}/"


class MessageQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(participant_q(user, prefix="conversation__"))

    def with_author(self):
        return self.select_related("author")


class Message(models.Model):
    conversation = models.ForeignKey(
        Conversation,
        verbose_name=_("conversation"),
        on_delete=models.CASCADE,
        related_name="messages",
    )
    seq = models.PositiveIntegerField(_("number"))
    client_id = models.UUIDField(_("client identifier"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="chat_messages",
    )
    author_role = models.CharField(_("author role"), max_length=16, choices=Role.choices)
    body = models.TextField(_("message"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)
    attachment = models.FileField(
        _("attached file"), upload_to=attachment_path, storage=private_storage, blank=True
    )
    attachment_name = models.CharField(_("file name"), max_length=200, blank=True)
    attachment_type = models.CharField(_("file type"), max_length=100, blank=True)
    attachment_size = models.PositiveIntegerField(_("file size"), null=True, blank=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["conversation", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "seq"], name="chat_message_seq_unique"),
            models.UniqueConstraint(
                fields=["conversation", "client_id"], name="chat_message_client_id_unique"
            ),
        ]
        indexes = [models.Index(fields=["author", "sent_at"], name="chat_msg_author_sent")]

    def __str__(self):
        return f"{self.conversation_id}#{self.seq}"


class ReadMark(models.Model):
    """How far one participant has read a conversation, and how far they were emailed about."""

    conversation = models.ForeignKey(
        Conversation, verbose_name=_("conversation"), on_delete=models.CASCADE, related_name="reads"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="chat_reads",
    )
    last_read_seq = models.PositiveIntegerField(_("read up to"), default=0)
    emailed_seq = models.PositiveIntegerField(_("emailed up to"), default=0)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("read mark")
        verbose_name_plural = _("read marks")
        constraints = [
            models.UniqueConstraint(fields=["conversation", "user"], name="chat_read_unique"),
        ]

    def __str__(self):
        return f"{self.user_id} read {self.conversation_id} up to {self.last_read_seq}"


class ResponseWait(models.Model):
    """One wait of a seeker for an answer: from their first message after the other side last
    spoke to the advisor's next message. Written by the advisor's message that ends it, in the
    same statement, so that the managers' first-response figure reads the agency's waits of the
    period from one index instead of ordering every message of the period."""

    conversation = models.ForeignKey(
        Conversation, verbose_name=_("conversation"), on_delete=models.CASCADE, related_name="waits"
    )
    # The seeker's agency when the answer came (a seeker who moves keeps their past waits where
    # they were answered).
    agency = models.ForeignKey(
        "agencies.Agency", verbose_name=_("agency"), on_delete=models.CASCADE, related_name="+"
    )
    started_at = models.DateTimeField(_("waiting since"))
    answered_at = models.DateTimeField(_("answered at"))

    class Meta:
        verbose_name = _("answered wait")
        verbose_name_plural = _("answered waits")
        indexes = [
            models.Index(
                fields=["agency", "started_at"],
                include=["answered_at"],
                name="chat_wait_agency_started",
            )
        ]

    def __str__(self):
        return f"{self.conversation_id}: {self.started_at} → {self.answered_at}"


class OpenSocket(models.Model):
    """One open websocket of a participant, on any server process; refreshed by the client's
    pings so that a process that died without closing leaves no ghost for long."""

    channel_name = models.CharField(_("channel"), max_length=200, unique=True)
    conversation = models.ForeignKey(
        Conversation, verbose_name=_("conversation"), on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+"
    )
    seen_at = models.DateTimeField(_("last seen at"), default=timezone.now)

    class Meta:
        verbose_name = _("open socket")
        verbose_name_plural = _("open sockets")
        indexes = [models.Index(fields=["conversation", "user", "seen_at"])]

    def __str__(self):
        return self.channel_name
