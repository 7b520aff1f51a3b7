"""Chat fixtures: a followed seeker, their referent and backup, real session cookies, and
websocket communicators on the full ASGI application (Origin check, session auth, routing)."""

import contextlib

import pytest
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.test import Client

from chat.models import Conversation
from tests.accounts.factories import UserFactory
from tests.advisors.factories import AdvisorFactory
from tests.seekers.factories import SeekerFactory

ORIGIN = "http://127.0.0.1:8000"


def session_cookie(user) -> str:
    """Logs in through Django's test client and returns the real session cookie."""
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


@pytest.fixture
def backup(agency):
    return AdvisorFactory(agency=agency)


@pytest.fixture
def referent(agency, backup):
    return AdvisorFactory(agency=agency, backup=backup)


@pytest.fixture
def followed(agency, referent):
    return SeekerFactory(agency=agency, followed=True, referent=referent)


@pytest.fixture
def conversation(followed):
    return Conversation.objects.create(seeker=followed)


@pytest.fixture
def stranger_seeker(agency, referent):
    return SeekerFactory(agency=agency, followed=True, referent=referent)


@pytest.fixture
def other_advisor(agency):
    return AdvisorFactory(agency=agency)


@pytest.fixture
def chat_manager(agency):
    return UserFactory(manager=True, agency=agency)


def application():
    from portal.asgi import application

    return application


def communicator(conversation_id: int, *, cookie: str | None, origin: str | None = ORIGIN):
    headers = []
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    if cookie is not None:
        headers.append((b"cookie", f"sessionid={cookie}".encode()))
    return WebsocketCommunicator(application(), f"/ws/chat/{conversation_id}/", headers=headers)


@pytest.fixture
async def open_socket():
    """Opens sockets that are all closed at the end of the test, whatever happens."""
    opened = []

    async def _open(conversation_id, cookie, *, origin=ORIGIN, expect=True):
        socket = communicator(conversation_id, cookie=cookie, origin=origin)
        connected, _ = await socket.connect(timeout=5)
        assert connected is expect
        if connected:
            opened.append(socket)
        return socket

    yield _open
    for socket in opened:
        with contextlib.suppress(Exception):
            await socket.disconnect()
    layer = get_channel_layer()
    with contextlib.suppress(Exception):
        await layer.flush()
    if hasattr(layer, "close_pools"):
        await layer.close_pools()
