"""Reads of the chat: participants, history, unread counts and the advisor's inbox."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Count, F, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Role
from advisors.models import AdvisorState
from seekers.models import FollowUpStatus, Seeker

from .models import Conversation, Message, OpenSocket, ReadMark


def conversation_participants(conversation: Conversation) -> list:
    """The users who take part now: the followed seeker, the referent, the absent referent's
    backup. Expects seeker__user, seeker__referent__user and its backup's user loaded."""
    seeker = conversation.seeker
    people = []
    if seeker.status == FollowUpStatus.FOLLOWED_ONLINE:
        people.append(seeker.user)
    referent = seeker.referent
    if referent is not None:
        people.append(referent.user)
        if referent.state == AdvisorState.ABSENT and referent.backup is not None:
            people.append(referent.backup.user)
    return people


def conversation_with_people(conversation_id: int) -> Conversation:
    return Conversation.objects.select_related(
        "seeker__user", "seeker__agency", "seeker__referent__user", "seeker__referent__backup__user"
    ).get(pk=conversation_id)


def participants_by_conversation(conversation_ids) -> dict[int, set[tuple[int, str]]]:
    """(user id, role) of the people who take part now in each conversation, by the rule of
    participant_q, for many conversations in one query."""
    rows = Conversation.objects.filter(pk__in=conversation_ids).values_list(
        "pk",
        "seeker__user_id",
        "seeker__status",
        "seeker__referent__user_id",
        "seeker__referent__state",
        "seeker__referent__backup__user_id",
    )
    people = {}
    for pk, seeker_user, status, referent_user, referent_state, backup_user in rows:
        people[pk] = set()
        if status == FollowUpStatus.FOLLOWED_ONLINE:
            people[pk].add((seeker_user, Role.SEEKER))
        if referent_user is not None:
            people[pk].add((referent_user, Role.ADVISOR))
            if referent_state == AdvisorState.ABSENT and backup_user is not None:
                people[pk].add((backup_user, Role.ADVISOR))
    return people


def is_participant(user, conversation_id: int) -> bool:
    return Conversation.objects.for_user(user).filter(pk=conversation_id).exists()


def messages_after(conversation_id: int, after_seq: int, limit: int) -> list[Message]:
    return list(
        Message.objects.with_author()
        .filter(conversation_id=conversation_id, seq__gt=after_seq)
        .order_by("seq")[:limit]
    )


def latest_messages(conversation_id: int, limit: int = 100) -> list[Message]:
    """The last messages, oldest first, for the page's first paint."""
    latest = list(
        Message.objects.with_author()
        .filter(conversation_id=conversation_id)
        .order_by("-seq")[:limit]
    )
    return latest[::-1]


def message_by_client_id(conversation_id: int, client_id) -> Message | None:
    return (
        Message.objects.with_author()
        .filter(conversation_id=conversation_id, client_id=client_id)
        .first()
    )


def last_read_seq(conversation_id: int, user) -> int:
    mark = ReadMark.objects.filter(conversation_id=conversation_id, user=user).first()
    return mark.last_read_seq if mark else 0


def other_side_read_seq(conversation_id: int, user) -> int:
    """How far the other side has read: drives the "read" state of the user's own messages."""
    reads = ReadMark.objects.filter(conversation_id=conversation_id).exclude(user=user)
    return max(reads.values_list("last_read_seq", flat=True), default=0)


def _read_seq_subquery(user):
    return Coalesce(
        Subquery(
            ReadMark.objects.filter(conversation=OuterRef("conversation"), user=user).values(
                "last_read_seq"
            )[:1]
        ),
        Value(0),
        output_field=IntegerField(),
    )


def _unread_subquery(user):
    """Messages of the others after the user's read mark, counted in one subquery per row."""
    return Coalesce(
        Subquery(
            Message.objects.filter(conversation=OuterRef("pk"))
            .exclude(author=user)
            .annotate(read_seq=_read_seq_subquery(user))
            .filter(seq__gt=F("read_seq"))
            .order_by()
            .values("conversation")
            .annotate(count=Count("pk"))
            .values("count")
        ),
        Value(0),
        output_field=IntegerField(),
    )


def unread_count(conversation_id: int, user) -> int:
    read = last_read_seq(conversation_id, user)
    return (
        Message.objects.filter(conversation_id=conversation_id, seq__gt=read)
        .exclude(author=user)
        .count()
    )


def seeker_conversation_summary(user) -> dict | None:
    """For the seeker's home: their conversation and how many messages wait unread."""
    conversation = (
        Conversation.objects.for_user(user)
        .annotate(unread=_unread_subquery(user))
        .only("pk")
        .first()
    )
    if conversation is None:
        return None
    return {"conversation": conversation, "unread": conversation.unread}


def inbox_for(advisor):
    """The advisor's conversations, longest-waiting unanswered seeker message first, then the
    rest by latest activity; each with the advisor's unread count. One query whatever the size."""
    user = advisor.user
    return (
        Conversation.objects.for_user(user)
        .filter(last_seq__gt=0)
        .select_related("seeker__user", "seeker__agency", "seeker__referent__user")
        .annotate(unread=_unread_subquery(user))
        .order_by(
            F("awaiting_since").asc(nulls_last=True),
            F("last_message_at").desc(nulls_last=True),
            "pk",
        )
    )


def inbox_rows(advisor, now=None) -> list[dict]:
    """Inbox rows with the wait measured against the agency's response target."""
    now = now or timezone.now()
    rows = []
    for conversation in inbox_for(advisor):
        agency = conversation.seeker.agency
        target = agency.response_target_minutes if agency else None
        waited = None
        if conversation.awaiting_since is not None:
            waited = int((now - conversation.awaiting_since).total_seconds() // 60)
        rows.append(
            {
                "conversation": conversation,
                "seeker": conversation.seeker,
                "unread": conversation.unread,
                "waited_minutes": waited,
                "target_minutes": target,
                "over_target": waited is not None and target is not None and waited > target,
                "is_backup": conversation.seeker.referent.user_id != advisor.user_id,
            }
        )
    return rows


def advisor_unread_total(advisor) -> int:
    """The unread messages of every conversation of the advisor's inbox, counted by one
    aggregate query (no row is loaded), over an IN on the advisors concerned rather than the
    OR across the join of participant_q (which scans every seeker at national size)."""
    user = advisor.user
    return (
        Message.objects.filter(conversation__seeker__in=Seeker.objects.for_staff_advisor(advisor))
        .exclude(author=user)
        .annotate(read_seq=_read_seq_subquery(user))
        .filter(seq__gt=F("read_seq"))
        .count()
    )


def has_open_socket(conversation_id: int, user) -> bool:
    fresh = timezone.now() - timedelta(seconds=settings.CHAT_SOCKET_TTL_SECONDS)
    return OpenSocket.objects.filter(
        conversation_id=conversation_id, user=user, seen_at__gte=fresh
    ).exists()


def role_of(user) -> str:
    return user.role if user.role in (Role.SEEKER, Role.ADVISOR) else Role.MANAGER


def followed_seeker_of(user):
    """The user's seeker file when they are followed online, else None."""
    return Seeker.objects.followed().filter(user=user).first()


def seekers_followed_by(user):
    """Seekers whose conversation an advisor may open: referent, or backup of an absent one."""
    return Seeker.objects.followed().filter(
        Q(referent__user=user) | Q(referent__state=AdvisorState.ABSENT, referent__backup__user=user)
    )


def conversation_page(conversation: Conversation, user) -> dict:
    """What the conversation page shows first: the latest messages, marked mine / read."""
    messages = latest_messages(conversation.pk)
    read_up_to = other_side_read_seq(conversation.pk, user)
    return {
        "conversation": conversation,
        "seeker": conversation.seeker,
        "chat_messages": messages,
        "read_up_to": read_up_to,
        "my_read_seq": last_read_seq(conversation.pk, user),
    }
