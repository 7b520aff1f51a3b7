"""The conversation beside the video: the call page carries the chat of the seeker."""

import pytest
from django.urls import reverse

from tests.chat.factories import ConversationFactory, MessageFactory
from tests.conftest import login
from tests.interviews.factories import AppointmentFactory

pytestmark = pytest.mark.django_db


def test_the_call_page_holds_the_conversation(advisor):
    appointment = AppointmentFactory(advisor=advisor, now_open=True)
    conversation = ConversationFactory(seeker=appointment.seeker)
    MessageFactory(conversation=conversation, body="Je vous entends mal, j'écris ici.")

    for user in (advisor.user, appointment.seeker.user):
        page = login(user).get(reverse("interviews:call", args=[appointment.pk]))

        content = page.content.decode()
        assert page.status_code == 200
        assert f'data-chat-socket="/ws/chat/{conversation.pk}/"' in content
        assert "Je vous entends mal" in content
        assert "js/chat.js" in content


def test_without_a_conversation_yet_the_page_links_to_it(advisor):
    appointment = AppointmentFactory(advisor=advisor, now_open=True)

    page = login(appointment.seeker.user).get(reverse("interviews:call", args=[appointment.pk]))

    assert 'data-hook="chat-panel"' in page.content.decode()
    assert "data-chat-socket" not in page.content.decode()
