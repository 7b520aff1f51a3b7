"""portal.shutdown.FinishWhenCancelled: daphne's shutdown (asyncio.gather over every cancelled
application instance) waits for the slowest clean-up, not for the quickest instance."""

import asyncio
import time

from portal.asgi import application
from portal.shutdown import FinishWhenCancelled


async def _quick(scope, receive, send):
    await asyncio.Event().wait()  # a chat socket: nothing to clean up


def _slow(cleaned: list):
    async def app(scope, receive, send):
        try:
            await asyncio.Event().wait()
        finally:
            await asyncio.sleep(0.3)  # an RTCPeerConnection closing
            cleaned.append(time.monotonic())

    return app


async def _shutdown(wrap) -> tuple[float, list]:
    cleaned = []
    instances = [
        asyncio.ensure_future(wrap(app)({"type": "websocket"}, None, None))
        for app in (_quick, _slow(cleaned))
    ]
    await asyncio.sleep(0.05)
    started = time.monotonic()
    for instance in instances:
        instance.cancel()
    # What daphne's Server.kill_all_applications waits on before stopping the reactor.
    await asyncio.gather(*instances, return_exceptions=False)
    waited = time.monotonic() - started
    await asyncio.gather(*instances, return_exceptions=True)
    return waited, cleaned


async def test_gather_waits_for_the_slowest_clean_up():
    waited, cleaned = await _shutdown(FinishWhenCancelled)

    assert waited >= 0.3
    assert len(cleaned) == 1


async def test_without_it_gather_gives_up_at_the_first_cancelled_instance():
    def bare(app):
        return app

    try:
        await _shutdown(bare)
    except asyncio.CancelledError:
        pass
    else:
        raise AssertionError("gather waited; the wrapper would no longer be needed")


def test_the_portal_application_is_wrapped():
    assert isinstance(application, FinishWhenCancelled)
