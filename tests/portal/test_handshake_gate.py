"""The process-wide cap on websocket handshakes in progress (accounts.sockets.HandshakeGate):
beyond the cap a handshake waits its turn, then is refused at once instead of being left to
daphne's connect timeout; a handshake's slot is given back when the consumer accepts or refuses,
or when its instance ends."""

import asyncio

from channels.testing import ApplicationCommunicator
from django.test import override_settings

from accounts.sockets import HandshakeGate

SCOPE = {"type": "websocket", "path": "/ws/test/", "headers": [], "subprotocols": []}


class HeldHandshake:
    """An inner application that accepts (or refuses) only when told to."""

    def __init__(self):
        self.entered = 0
        self.release: dict[int, asyncio.Event] = {}

    async def __call__(self, scope, receive, send):
        self.entered += 1
        number = self.entered
        self.release[number] = event = asyncio.Event()
        await receive()  # websocket.connect
        await event.wait()
        await send({"type": "websocket.accept"})
        await receive()  # websocket.disconnect


async def _connect(gate):
    communicator = ApplicationCommunicator(gate, dict(SCOPE))
    await communicator.send_input({"type": "websocket.connect"})
    return communicator


async def _until(predicate, within=5.0):
    deadline = asyncio.get_running_loop().time() + within
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.01)


@override_settings(PORTAL_WEBSOCKET_HANDSHAKES=1, PORTAL_WEBSOCKET_HANDSHAKE_WAIT_SECONDS=0.2)
async def test_a_handshake_beyond_the_cap_is_refused_after_its_wait():
    inner = HeldHandshake()
    gate = HandshakeGate(inner)
    first = await _connect(gate)
    await _until(lambda: inner.entered == 1)

    second = await _connect(gate)
    refused = await second.receive_output(timeout=5)
    assert refused["type"] == "websocket.close"
    assert inner.entered == 1  # the refused one never reached the application

    inner.release[1].set()
    assert (await first.receive_output(timeout=5))["type"] == "websocket.accept"
    await first.send_input({"type": "websocket.disconnect", "code": 1000})
    await first.wait(timeout=5)


@override_settings(PORTAL_WEBSOCKET_HANDSHAKES=1, PORTAL_WEBSOCKET_HANDSHAKE_WAIT_SECONDS=5)
async def test_a_waiting_handshake_gets_the_slot_when_the_one_before_accepts():
    inner = HeldHandshake()
    gate = HandshakeGate(inner)
    first = await _connect(gate)
    await _until(lambda: inner.entered == 1)
    second = await _connect(gate)
    assert await second.receive_nothing(timeout=0.1)
    assert inner.entered == 1

    inner.release[1].set()
    assert (await first.receive_output(timeout=5))["type"] == "websocket.accept"
    # The first socket stays open: accepting gave its slot to the second handshake.
    await _until(lambda: inner.entered == 2)
    inner.release[2].set()
    assert (await second.receive_output(timeout=5))["type"] == "websocket.accept"
    for communicator in (first, second):
        await communicator.send_input({"type": "websocket.disconnect", "code": 1000})
        await communicator.wait(timeout=5)


@override_settings(PORTAL_WEBSOCKET_HANDSHAKES=1, PORTAL_WEBSOCKET_HANDSHAKE_WAIT_SECONDS=5)
async def test_a_handshake_whose_instance_ends_gives_its_slot_back():
    inner = HeldHandshake()
    gate = HandshakeGate(inner)
    first = await _connect(gate)
    await _until(lambda: inner.entered == 1)
    first.future.cancel()  # the client went away during the handshake: daphne ends the instance
    await asyncio.sleep(0)

    second = await _connect(gate)
    await _until(lambda: inner.entered == 2)
    inner.release[2].set()
    assert (await second.receive_output(timeout=5))["type"] == "websocket.accept"
    await second.send_input({"type": "websocket.disconnect", "code": 1000})
    await second.wait(timeout=5)
