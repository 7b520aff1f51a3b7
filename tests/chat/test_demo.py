"""The chat's part of seed_demo: history, unread messages, one wait past the target; idempotent."""

import pytest
from django.core.management import call_command
from django.db import models
from django.test import override_settings
from django.utils import timezone

from accounts.models import User
from chat import selectors
from chat.models import Conversation, Message, ResponseWait

pytestmark = pytest.mark.django_db


@override_settings(DEBUG=True)
def test_the_demo_shows_history_unread_and_an_overdue_message():
    call_command("seed_demo", seekers=60)
    counts = (Conversation.objects.count(), Message.objects.count())
    call_command("seed_demo", seekers=60)

    assert (Conversation.objects.count(), Message.objects.count()) == counts
    # The answered waits behind the managers' first-response figure: one per advisor answer
    # that followed a seeker's message, each with the seeker's agency.
    answers = sum(
        1
        for conversation in Conversation.objects.all()
        for previous, role in zip(
            [None, *conversation.messages.values_list("author_role", flat=True)],
            conversation.messages.values_list("author_role", flat=True),
            strict=False,
        )
        if previous == "seeker" and role == "advisor"
    )
    assert answers > 0 and ResponseWait.objects.count() == answers
    assert not ResponseWait.objects.exclude(agency=models.F("conversation__seeker__agency"))
    assert counts[0] == 10 * 5 + 1  # the signing advisor follows one of these 60 seekers
    for conversation in Conversation.objects.all():
        seqs = list(conversation.messages.values_list("seq", flat=True))
        assert seqs == list(range(1, conversation.last_seq + 1))

    seeker = User.objects.get(email="demandeur0001@demo.test")
    assert selectors.seeker_conversation_summary(seeker)["unread"] == 1
    advisor = User.objects.get(email="conseiller01@demo.test").advisor_profile
    rows = selectors.inbox_rows(advisor, now=timezone.now())
    assert sum(row["over_target"] for row in rows) == 1
    assert rows[0]["over_target"]
    assert sum(row["unread"] for row in rows) >= 2
