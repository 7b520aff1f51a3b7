"""The chat pages: the seeker's conversation, the advisor's inbox, escaping, files."""

import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from advisors.models import AdvisorState
from chat import services
from chat.models import Conversation, Message
from seekers import services as seeker_services
from tests.accounts.factories import UserFactory
from tests.advisors.factories import AdvisorFactory
from tests.conftest import login
from tests.seekers.factories import SeekerFactory

from .factories import ConversationFactory, MessageFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# A whole 1x1 PNG, up to its IEND chunk: the upload refuses files cut short or with a tail.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c63f80f00000101000518d84e0000000049454e44ae426082"
)


def upload(name, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="application/pdf")


# The seeker's way in --------------------------------------------------------------------------


def test_the_seeker_reaches_their_conversation_from_home(followed):
    client = login(followed.user)
    home = client.get(reverse("seekers:home")).content.decode()
    assert reverse("chat:seeker_conversation") in home

    response = client.get(reverse("chat:seeker_conversation"))
    conversation = Conversation.objects.get(seeker=followed)
    assert response.status_code == 302
    assert response.url == reverse("chat:conversation", args=[conversation.pk])
    page = client.get(response.url).content.decode()
    assert f'data-chat-socket="/ws/chat/{conversation.pk}/"' in page
    assert page.count("<h1") == 1
    assert 'aria-live="polite"' in page
    assert '<label class="fr-label" for="id_body">' in page


def test_the_home_page_counts_unread_messages(followed):
    conversation = ConversationFactory(seeker=followed)
    MessageFactory.create_batch(3, conversation=conversation, from_advisor=True)
    page = login(followed.user).get(reverse("seekers:home")).content.decode()
    assert 'data-testid="chat-unread">3 messages non lus<' in page


def test_a_seeker_not_followed_has_no_conversation(agency):
    seeker = SeekerFactory(agency=agency, declared=True)
    client = login(seeker.user)
    assert client.get(reverse("chat:seeker_conversation")).status_code == 404


def test_only_participants_open_a_conversation(conversation, followed, referent, backup, agency):
    url = reverse("chat:conversation", args=[conversation.pk])
    assert login(followed.user).get(url).status_code == 200
    assert login(referent.user).get(url).status_code == 200
    stranger = SeekerFactory(agency=agency, followed=True, referent=referent)
    for outsider in (
        stranger.user,
        backup.user,
        AdvisorFactory(agency=agency).user,
        UserFactory(manager=True, agency=agency),
    ):
        assert login(outsider).get(url).status_code == 404
    referent.state = AdvisorState.ABSENT
    referent.save()
    assert login(backup.user).get(url).status_code == 200


def test_the_conversation_survives_a_change_of_advisor(conversation, followed, referent, agency):
    MessageFactory(conversation=conversation, body="Historique d'avant")
    newcomer = AdvisorFactory(agency=agency)
    seeker_services.seeker_reassign(seeker=followed, advisor=newcomer, by=None)

    url = reverse("chat:conversation", args=[conversation.pk])
    assert "Historique d'avant" in login(newcomer.user).get(url).content.decode()
    assert login(referent.user).get(url).status_code == 404


def test_the_advisor_opens_a_conversation_from_a_seeker(followed, referent, agency):
    client = login(referent.user)
    response = client.get(reverse("chat:open_for_seeker", args=[followed.pk]))
    assert response.status_code == 302
    other = SeekerFactory(agency=agency, followed=True, referent=AdvisorFactory(agency=agency))
    assert client.get(reverse("chat:open_for_seeker", args=[other.pk])).status_code == 404


# Sending without JavaScript; escaping and links ----------------------------------------------


def test_the_form_sends_once_even_when_posted_twice(conversation, followed):
    client = login(followed.user)
    url = reverse("chat:conversation", args=[conversation.pk])
    data = {"body": "Sans JavaScript", "client_id": str(uuid.uuid4())}
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 302
    assert Message.objects.filter(conversation=conversation).count() == 1


def test_bodies_are_escaped_and_links_made_safe(conversation, followed):
    MessageFactory(
        conversation=conversation,
        body="<script>alert(1)</script> voir https://www.pole-emploi.fr/offre?id=1&x=2. "
        'et javascript:alert(2) <a href="javascript:alert(3)">x</a>',
    )
    page = login(followed.user).get(reverse("chat:conversation", args=[conversation.pk]))
    html = page.content.decode()
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert (
        '<a href="https://www.pole-emploi.fr/offre?id=1&amp;x=2" target="_blank" '
        'rel="nofollow noopener noreferrer">' in html
    )
    assert '<a href="javascript:' not in html
    assert "&lt;a href=" in html


# The inbox -----------------------------------------------------------------------------------


def _inbox(client):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("chat:inbox"))
    assert response.status_code == 200
    return len(captured), response.content.decode()


def test_the_inbox_puts_the_longest_wait_first_with_unread_counts(agency, referent):
    agency.response_target_minutes = 60
    agency.save()
    now = timezone.now()

    def conversation_for(name, *messages):
        seeker = SeekerFactory(
            agency=agency, followed=True, referent=referent, user__last_name=name
        )
        conversation = ConversationFactory(seeker=seeker)
        for minutes_ago, from_advisor in messages:
            MessageFactory(
                conversation=conversation,
                from_advisor=from_advisor,
                sent_at=now - timedelta(minutes=minutes_ago),
            )
        return conversation

    conversation_for("Recent", (10, False))
    conversation_for("Answered", (300, False), (200, True))
    conversation_for("Oldest", (120, False), (90, False))
    conversation_for("Middle", (500, True), (45, False))

    _, page = _inbox(login(referent.user))

    table = page[page.index("<tbody>") :]
    order = [table.index(name) for name in ("Oldest", "Middle", "Recent", "Answered")]
    assert order == sorted(order)
    assert "120 min" in page
    assert page.count("fr-badge--error") == 1  # only Oldest is over the 60-minute target


def test_the_inbox_query_count_does_not_grow_with_rows(agency, referent):
    client = login(referent.user)

    def add(count):
        for _ in range(count):
            seeker = SeekerFactory(agency=agency, followed=True, referent=referent)
            conversation = ConversationFactory(seeker=seeker)
            MessageFactory.create_batch(2, conversation=conversation)

    add(2)
    # The first page after login does once-a-minute session work (staff idle expiry): not counted.
    _inbox(client)
    few, _ = _inbox(client)
    add(20)
    many, page = _inbox(client)

    assert few == many
    assert page.count('data-testid="inbox-row"') == 22


def test_the_inbox_lists_the_conversations_of_an_absent_referent_for_the_backup(
    conversation, referent, backup
):
    MessageFactory(conversation=conversation)
    referent.state = AdvisorState.ABSENT
    referent.save()
    _, page = _inbox(login(backup.user))
    assert page.count('data-testid="inbox-row"') == 1


def test_the_inbox_is_for_advisors_only(followed):
    assert login(followed.user).get(reverse("chat:inbox")).status_code == 404


# Files ---------------------------------------------------------------------------------------


@pytest.fixture
def private_root(tmp_path):
    with override_settings(PRIVATE_MEDIA_ROOT=tmp_path / "private"):
        yield tmp_path / "private"


def test_a_pdf_is_stored_privately_and_served_to_participants_only(
    conversation, followed, referent, agency, private_root
):
    client = login(followed.user)
    response = client.post(
        reverse("chat:upload", args=[conversation.pk]),
        {"file": upload("Mon CV.pdf", PDF), "client_id": str(uuid.uuid4())},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 200, response.content
    message = Message.objects.get()
    assert message.attachment_type == "application/pdf"
    stored = private_root / message.attachment.name
    assert stored.read_bytes() == PDF
    assert str(settings.STATIC_ROOT) not in str(stored)
    assert "Mon CV" not in message.attachment.name

    url = response.json()["message"]["attachment"]["url"]
    download = login(referent.user).get(url)
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content) == PDF
    stranger = SeekerFactory(agency=agency, followed=True, referent=referent)
    assert login(stranger.user).get(url).status_code == 404


def test_the_type_comes_from_the_content_not_the_name(conversation, followed, private_root):
    client = login(followed.user)
    url = reverse("chat:upload", args=[conversation.pk])
    html = b"<html><script>alert(1)</script></html>"
    response = client.post(
        url,
        {"file": upload("cv.pdf", html), "client_id": str(uuid.uuid4())},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "bad_type"
    response = client.post(url, {"file": upload("photo.pdf", PNG), "client_id": str(uuid.uuid4())})
    assert response.status_code == 302
    message = Message.objects.get()
    assert message.attachment_type == "image/png"
    assert message.attachment_name == "photo.png"


@override_settings(CHAT_MAX_UPLOAD_BYTES=1024)
def test_files_over_the_limit_are_refused(conversation, followed, private_root):
    response = login(followed.user).post(
        reverse("chat:upload", args=[conversation.pk]),
        {"file": upload("big.pdf", PDF + b"0" * 2048), "client_id": str(uuid.uuid4())},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "too_large"
    assert not Message.objects.exists()


def test_the_default_upload_limit_is_ten_megabytes():
    assert settings.CHAT_MAX_UPLOAD_BYTES == 10 * 1024 * 1024


def test_services_refuse_empty_and_long_bodies(conversation, followed):
    for body in ("", "  ", "x" * 4001):
        with pytest.raises(services.ChatError):
            services.message_send(
                conversation_id=conversation.pk,
                author=followed.user,
                client_id=uuid.uuid4(),
                body=body,
            )


def test_the_conversation_page_query_count_does_not_grow_with_messages(conversation, followed):
    client = login(followed.user)
    url = reverse("chat:conversation", args=[conversation.pk])

    def queries():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200
        return len(captured), response.content.decode()

    MessageFactory.create_batch(2, conversation=conversation)
    MessageFactory(conversation=conversation, from_advisor=True)
    few, _ = queries()
    MessageFactory.create_batch(20, conversation=conversation)
    MessageFactory.create_batch(20, conversation=conversation, from_advisor=True)
    many, page = queries()

    assert few == many
    assert page.count('class="chat-message') == 43


def test_a_client_id_of_someone_else_is_refused(conversation, followed, referent):
    client_id = uuid.uuid4()
    services.message_send(
        conversation_id=conversation.pk, author=followed.user, client_id=client_id, body="à moi"
    )
    with pytest.raises(services.ChatError) as refused:
        services.message_send(
            conversation_id=conversation.pk, author=referent.user, client_id=client_id, body="x"
        )
    assert refused.value.code == "client_id_conflict"
    assert Message.objects.count() == 1


def test_the_inbox_offers_to_write_to_any_followed_seeker(followed, referent, agency):
    client = login(referent.user)
    _, page = _inbox(client)
    assert f'<option value="{followed.pk}">' in page
    response = client.get(reverse("chat:write_to"), {"seeker": followed.pk})
    assert response.status_code == 302
    other = SeekerFactory(agency=agency, followed=True, referent=AdvisorFactory(agency=agency))
    assert client.get(reverse("chat:write_to"), {"seeker": other.pk}).status_code == 404
    assert client.get(reverse("chat:write_to"), {"seeker": "x"}).status_code == 404
