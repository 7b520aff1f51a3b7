"""The signalling websocket of an equipment check.

The browser sends its offer; the server answers, measures with its own aiortc peer, and sends
the verdict. The peer is closed whatever ends the check: its end, the timeout, the websocket
closing, or the server shutting down (daphne cancels the consumer, see `__call__`)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from . import services
from .peer import CheckSession, OfferError, slots, validate_offer
from .permissions import can_run_check
from .verdict import describe, headline

logger = logging.getLogger(__name__)

ERROR_DETAILS = {
    "binary_not_supported": lambda: _("Messages must be JSON text."),
    "message_too_large": lambda: _("This message is too large."),
    "invalid_json": lambda: _("This message is not valid JSON."),
    "invalid_message": lambda: _("This message is not a JSON object with a type."),
    "unknown_type": lambda: _("This message type is not known."),
    "invalid_sdp": lambda: _("The connection offer could not be read: reload the page."),
    "sdp_too_large": lambda: _("The connection offer is too large."),
    "no_data_channel": lambda: _("The connection offer lacks the measurement channel."),
    "already_running": lambda: _("A test is already running for you: wait for its result."),
    "not_running": lambda: _("No test is running."),
    "internal": lambda: _("The test failed on our side: start it again in a moment."),
}


def _retry_detail(code: str, seconds: int) -> str:
    if code == "busy":
        return _("Many tests are running right now: retry in %(seconds)s seconds.") % {
            "seconds": seconds
        }
    if code == "rate_limited":
        minutes = max((seconds + 59) // 60, 1)
        return _("You ran many tests recently: retry in %(minutes)s minutes.") % {
            "minutes": minutes
        }
    return _("A test is already running for you: wait for its result.")


def _language(scope) -> str:
    cookie = (scope.get("cookies") or {}).get(settings.LANGUAGE_COOKIE_NAME, "")
    known = {code for code, _name in settings.LANGUAGES}
    return cookie if cookie in known else settings.LANGUAGE_CODE


def _verdict_message(finished: services.Finished, language: str) -> dict:
    check = finished.check
    with translation.override(language):
        message = {
            "type": "verdict",
            "check": check.pk,
            "verdict": check.verdict,
            "headline": headline(check.verdict),
            "reasons": [describe(reason) for reason in check.reasons],
            "measurements": check.measurements,
            "enrolment": finished.enrolment,
            "next_url": reverse("seekers:home") if finished.enrolment else "",
        }
        if finished.enrolment == "assigned":
            message["enrolment_text"] = _(
                "Your enrolment is complete: a referent advisor now follows you."
            )
        elif finished.enrolment == "queued":
            message["enrolment_text"] = _(
                "Your enrolment is complete: you will be assigned a referent advisor as soon as "
                "a place frees."
            )
    return message


class EquipmentCheckConsumer(AsyncJsonWebsocketConsumer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = None
        self.session: CheckSession | None = None
        self.slot: int | None = None
        self.check_id: int | None = None
        self.run_task: asyncio.Task | None = None

    async def __call__(self, scope, receive, send):
        # On shutdown daphne cancels the application instance without a disconnect event:
        # the peer must be closed here too, or its decoder threads keep the process alive.
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self._teardown()

    async def connect(self):
        user = self.scope.get("user")
        if not can_run_check(user):
            await self.close(code=4401)
            return
        self.user = user
        await self.accept()

    async def disconnect(self, code):
        await self._teardown()

    async def send_error(self, code: str, *, retry_after: int | None = None):
        with translation.override(_language(self.scope)):
            if retry_after is not None:
                detail = _retry_detail(code, retry_after)
            else:
                detail = ERROR_DETAILS.get(code, ERROR_DETAILS["internal"])()
        message = {"type": "error", "code": code, "detail": str(detail)}
        if retry_after is not None:
            message["retry_after"] = retry_after
        await self.send_json(message)

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        if text_data is None:
            await self.send_error("binary_not_supported")
            return
        if len(text_data) > settings.EQUIPMENT_CHECK_MAX_MESSAGE_BYTES:
            await self.send_error("message_too_large")
            return
        try:
            content = json.loads(text_data)
        except ValueError:
            await self.send_error("invalid_json")
            return
        if not isinstance(content, dict) or not isinstance(content.get("type"), str):
            await self.send_error("invalid_message")
            return
        await self.receive_json(content)

    async def receive_json(self, content, **kwargs):
        kind = content["type"]
        if kind == "offer":
            await self.start_check(
                content.get("sdp"), microphone_absent=content.get("no_microphone") is True
            )
        elif kind == "browser_error":
            await self.record_browser_error(content.get("error"))
        elif kind == "stop":
            await self._teardown()
        else:
            await self.send_error("unknown_type")

    def _user_agent(self) -> str:
        headers = dict(self.scope.get("headers") or [])
        return headers.get(b"user-agent", b"").decode("latin-1")[:512]

    def _busy(self) -> bool:
        return self.run_task is not None and not self.run_task.done()

    async def record_browser_error(self, error):
        if self._busy():
            await self.send_error("already_running")
            return
        try:
            finished = await database_sync_to_async(services.check_record_browser_error)(
                user=self.user, error=str(error)[:64], user_agent=self._user_agent()
            )
        except services.CheckRefused as refused:
            await self.send_error(refused.code, retry_after=refused.retry_after)
            return
        await self.send_json(_verdict_message(finished, _language(self.scope)))

    async def start_check(self, sdp, *, microphone_absent: bool = False):
        if self._busy() or self.session is not None:
            await self.send_error("already_running")
            return
        try:
            sdp = validate_offer(sdp, max_bytes=settings.EQUIPMENT_CHECK_MAX_SDP_BYTES)
        except OfferError as refused:
            await self.send_error(str(refused))
            return
        self.slot = slots.acquire(
            limit=settings.EQUIPMENT_CHECK_MAX_CONCURRENT,
            duration=settings.EQUIPMENT_CHECK_TIMEOUT_SECONDS,
        )
        if self.slot is None:
            await self.send_error("busy", retry_after=slots.retry_after())
            return
        # The database's decision (one check per user, rate limit) and aiortc's answer run side
        # by side: the answer waits on the event loop, the queries in the thread pool, and
        # neither needs the other. The answer is sent only once the check is accepted; a refusal
        # closes the peer, which the slot already bounded.
        starting = asyncio.ensure_future(
            database_sync_to_async(services.check_start)(
                user=self.user, user_agent=self._user_agent()
            )
        )
        self.session = CheckSession(
            ice_server_urls=settings.EQUIPMENT_CHECK_ICE_SERVERS,
            turn_username=settings.EQUIPMENT_CHECK_TURN_USERNAME or "",
            turn_password=settings.EQUIPMENT_CHECK_TURN_PASSWORD or "",
            timeout=settings.EQUIPMENT_CHECK_TIMEOUT_SECONDS,
            sample_seconds=settings.EQUIPMENT_CHECK_SAMPLE_SECONDS,
            first_frame_seconds=settings.EQUIPMENT_CHECK_FIRST_FRAME_SECONDS,
            probe_bytes=settings.EQUIPMENT_CHECK_PROBE_BYTES,
            gather_seconds=settings.EQUIPMENT_CHECK_GATHER_SECONDS,
        )
        self.session.microphone_absent = microphone_absent
        answering = asyncio.ensure_future(self.session.answer(sdp))
        try:
            check = await starting
        except services.CheckRefused as refused:
            with contextlib.suppress(Exception):
                await answering
            await self._teardown()
            await self.send_error(refused.code, retry_after=refused.retry_after)
            return
        except BaseException:
            answering.cancel()
            raise
        self.check_id = check.pk
        try:
            answer = await answering
        except OfferError as refused:
            await self._teardown()
            await self.send_error(str(refused))
            return
        await self.send_json({"type": "answer", "sdp": answer})
        self.run_task = asyncio.create_task(self._run())

    async def _run(self):
        session = self.session
        try:
            announce = asyncio.create_task(self._announce_connected(session))
            try:
                measurements = await session.measure()
            finally:
                announce.cancel()
                await session.close()
                slots.release(self.slot)
                self.slot = None
            finished = await database_sync_to_async(services.check_finish)(
                check_id=self.check_id, measurements=measurements
            )
            self.check_id = None
            self.session = None
            await self.send_json(_verdict_message(finished, _language(self.scope)))
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("equipment check failed")
            # The socket may start another check; this one ends without verdict.
            self.session = None
            check_id, self.check_id = self.check_id, None
            with contextlib.suppress(Exception):
                await database_sync_to_async(services.check_abort)(check_id=check_id)
            await self.send_error("internal")

    async def _announce_connected(self, session: CheckSession):
        await session.connected.wait()
        await self.send_json({"type": "progress", "stage": "measuring"})

    async def _teardown(self):
        """Closes the peer and frees the slot; a check left without verdict is marked
        interrupted. Idempotent, and bounded in time so that shutdown stays prompt."""
        task, self.run_task = self.run_task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(asyncio.shield(task), timeout=5)
        session, self.session = self.session, None
        if session is not None:
            await session.close()
        slots.release(self.slot)
        self.slot = None
        check_id, self.check_id = self.check_id, None
        if check_id is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(
                    database_sync_to_async(services.check_abort)(check_id=check_id), timeout=3
                )
