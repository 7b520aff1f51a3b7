"""The chat's entries on the seeker's and the advisor's home pages."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.conftest import login
from tests.seekers.factories import SeekerFactory

from .factories import ConversationFactory, MessageFactory

pytestmark = pytest.mark.django_db


def _get(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), response.content.decode()


def test_the_advisor_home_links_to_the_inbox_with_the_unread_total(agency, referent):
    client = login(referent.user)
    for _ in range(2):
        conversation = ConversationFactory(
            seeker=SeekerFactory(agency=agency, followed=True, referent=referent)
        )
        MessageFactory(conversation=conversation)
    # The first page after login does once-a-minute session work (staff idle expiry): not counted.
    _get(client, reverse("advisors:home"))
    few, page = _get(client, reverse("advisors:home"))
    assert reverse("chat:inbox") in page
    assert 'data-testid="chat-unread">2 messages non lus<' in page

    for _ in range(15):
        conversation = ConversationFactory(
            seeker=SeekerFactory(agency=agency, followed=True, referent=referent)
        )
        MessageFactory.create_batch(2, conversation=conversation)
    many, page = _get(client, reverse("advisors:home"))
    assert few == many
    assert 'data-testid="chat-unread">32 messages non lus<' in page


def test_a_seeker_without_advisor_sees_no_chat_entry(agency):
    seeker = SeekerFactory(agency=agency, declared=True)
    _, page = _get(login(seeker.user), reverse("seekers:home"))
    assert reverse("chat:seeker_conversation") not in page


def test_the_seeker_home_has_no_badge_when_everything_is_read(followed):
    _, page = _get(login(followed.user), reverse("seekers:home"))
    assert reverse("chat:seeker_conversation") in page
    assert "chat-unread" not in page
