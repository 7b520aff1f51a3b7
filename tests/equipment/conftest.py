"""Fixtures of the equipment tests: websocket clients through the full ASGI application, with
a real session cookie and an Origin header."""

import gc

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections
from django.test import Client

from equipment.peer import slots

WS_PATH = "/ws/equipement/test/"
ORIGIN = b"http://127.0.0.1"


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


async def open_socket(user=None, *, origin=ORIGIN, user_agent=b"pytest aiortc client"):
    from portal.asgi import application

    headers = [(b"origin", origin), (b"user-agent", user_agent)]
    if user is not None:
        cookie = await sync_to_async(session_cookie)(user)
        headers.append((b"cookie", f"sessionid={cookie}".encode()))
    communicator = WebsocketCommunicator(application, WS_PATH, headers=headers)
    connected, code = await communicator.connect(timeout=5)
    return communicator, connected, code


@pytest.fixture(scope="session", autouse=True)
def collect_orphaned_connections(django_db_setup):
    """The websocket auth loads the session and user on any thread of the event loop's default
    executor (accounts.sockets); those threads end with their test's loop, and the connection
    each held is closed only when collected. Collected here, before the test database is
    dropped (which fails while any session is open)."""
    yield
    gc.collect()


@pytest.fixture(autouse=True)
async def close_thread_connections():
    """The async ORM and sync_to_async run in asgiref's executor thread, whose connection would
    stay checked out of the pool and keep the test database from being dropped."""
    yield
    await sync_to_async(connections.close_all)()


@pytest.fixture
async def connect_ws():
    opened = []

    async def connect(user=None, **kwargs):
        communicator, connected, code = await open_socket(user, **kwargs)
        opened.append(communicator)
        return communicator, connected, code

    yield connect
    for communicator in opened:
        await communicator.disconnect()
    # A test that failed midway must not leave a slot taken for the next one.
    assert len(slots) == 0, "an equipment check slot was never released"


def signalling(communicator):
    async def send(message):
        await communicator.send_json_to(message)

    async def receive(wait):
        return await communicator.receive_json_from(timeout=wait)

    return send, receive
