"""Logs hold no message bodies and no file contents (issue 9, part 7).

The chat runs on a real daphne process logging at DEBUG to a file, through the paths that could
be tempted to log what they refuse (over-long, malformed, unknown, oversized frames); files go up
and down over HTTP and the unread-message email task runs, with every logger captured at DEBUG.
Then no log line may carry the marker that every body and file held."""

import asyncio
import json
import logging
import uuid

import pytest
import websockets
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse

from chat import services
from chat.models import Conversation, Message
from tests.advisors.factories import AdvisorFactory
from tests.chat.conftest import session_cookie
from tests.chat.servers import daphne_servers
from tests.chat.test_unread_email import run_worker, time_passes
from tests.seekers.factories import SeekerFactory

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

MARKER = "SECRET-7f3a-numero-secu-185055935012345"


def _assert_clean(text: str) -> None:
    assert MARKER not in text, text[max(0, text.find(MARKER) - 300) : text.find(MARKER) + 300]
    # Not in an escaped or truncated form either.
    assert MARKER[:16] not in text


@pytest.fixture
def people(agency):
    referent = AdvisorFactory(agency=agency)
    seeker = SeekerFactory(agency=agency, followed=True, referent=referent)
    conversation = Conversation.objects.create(seeker=seeker)
    return conversation, seeker, referent


def test_the_chat_server_logs_no_message_body(people):
    conversation, seeker, referent = people
    seeker_cookie, advisor_cookie = session_cookie(seeker.user), session_cookie(referent.user)
    logs: list[str] = []

    with daphne_servers(1, extra_env={"LOG_LEVEL": "DEBUG"}, logs_out=logs) as (base,):
        url = base.replace("http", "ws", 1) + f"/ws/chat/{conversation.pk}/"

        def connect(cookie):
            return websockets.connect(
                url, origin=base, additional_headers={"Cookie": f"sessionid={cookie}"}
            )

        async def receive(socket):
            return json.loads(await asyncio.wait_for(socket.recv(), 10))

        async def scenario():
            async with connect(seeker_cookie) as seeker_socket, connect(advisor_cookie) as advisor:
                await seeker_socket.send(
                    json.dumps(
                        {"type": "message.send", "client_id": str(uuid.uuid4()), "body": MARKER}
                    )
                )
                assert (await receive(seeker_socket))["type"] == "message.ack"
                assert (await receive(advisor))["message"]["body"] == MARKER
                refusals = [
                    {"type": "message.send", "client_id": str(uuid.uuid4()), "body": MARKER * 200},
                    {"type": MARKER, "body": MARKER},
                    {"type": "message.send", "client_id": MARKER, "body": MARKER},
                ]
                for frame in refusals:
                    await seeker_socket.send(json.dumps(frame))
                    assert (await receive(seeker_socket))["type"] == "error"
                await seeker_socket.send("{not json " + MARKER)
                assert (await receive(seeker_socket))["type"] == "error"
                await seeker_socket.send(json.dumps({"type": "sync", "after_seq": 0}))
                history = await receive(seeker_socket)
                assert history["messages"][0]["body"] == MARKER
            # A frame over the size limit closes the socket.
            async with connect(seeker_cookie) as oversized:
                await oversized.send(json.dumps({"type": "message.send", "body": MARKER * 5000}))
                with pytest.raises(websockets.exceptions.ConnectionClosed):
                    await asyncio.wait_for(oversized.recv(), 10)

        asyncio.run(scenario())

    assert Message.objects.filter(conversation=conversation, body=MARKER).count() == 1
    text = "\n".join(logs)
    # The server did log at DEBUG, down to each incoming frame (so the check below could fail),
    # and the task it queued; just nothing private.
    assert "WebSocket incoming frame" in text
    assert "chat.tasks.email_unread_message enqueued" in text
    _assert_clean(text)


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n% " + MARKER.encode() + b"\ntrailer<<>>\n%%EOF\n"


@override_settings(
    TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}},
    CHAT_UNREAD_EMAIL_DELAY_MINUTES=15,
)
def test_files_and_the_email_task_log_no_content(people, caplog):
    conversation, seeker, referent = people
    caplog.set_level(logging.DEBUG)
    client = Client()
    client.force_login(seeker.user)
    upload = reverse("chat:upload", args=[conversation.pk])

    shared = client.post(
        upload,
        {"client_id": str(uuid.uuid4()), "file": SimpleUploadedFile("cv.pdf", PDF)},
        HTTP_ACCEPT="application/json",
    )
    assert shared.status_code == 200, shared.content
    message_id = shared.json()["message"]["id"]
    refused = client.post(
        upload,
        {
            "client_id": str(uuid.uuid4()),
            "file": SimpleUploadedFile("cv.pdf", b"<html><script>" + MARKER.encode()),
        },
        HTTP_ACCEPT="application/json",
    )
    assert refused.status_code == 400
    advisor = Client()
    advisor.force_login(referent.user)
    download = advisor.get(reverse("chat:attachment", args=[conversation.pk, message_id]))
    assert download.status_code == 200
    assert MARKER.encode() in b"".join(download.streaming_content)

    services.message_send(
        conversation_id=conversation.pk, author=seeker.user, client_id=uuid.uuid4(), body=MARKER
    )
    time_passes()
    run_worker()

    assert caplog.records, "nothing was logged: the check below would prove nothing"
    for record in caplog.records:
        _assert_clean(record.getMessage())
        if record.exc_text:
            _assert_clean(record.exc_text)
    _assert_clean(caplog.text)
