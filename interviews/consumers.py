"""Signalling for the webcam interviews, on /ws/interviews/<appointment id>/.

Only the appointment's two participants connect, only inside its window (from 15 minutes before
the start to 30 minutes after the end), and only from an allowed Origin (checked by
AllowedHostsOriginValidator in portal/asgi.py); everyone else is refused at the handshake.
Offers and answers are parsed with aiortc's SDP parser and ICE candidates with its candidate
parser before they are relayed to the other participant; anything malformed or oversized goes
back to its sender as an error and is never relayed. Joins, leaves, hang-ups, the pages'
reports and fallback switches are written on the appointment before they are published.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils import timezone

from . import services
from .conf import app_settings
from .models import Appointment
from .permissions import ADVISOR, SEEKER, role_in
from .sdp import SignalError, check_candidate, check_sdp
from .turn import ice_servers, ice_transport_policy

logger = logging.getLogger(__name__)

# Room for an SDP of the largest accepted size inside its JSON envelope.
ENVELOPE_BYTES = 4096


@database_sync_to_async
def _open_call(user, appointment_id: int) -> dict | None:
    """The caller's part in an open appointment, or None when they may not signal now."""
    if not user.is_authenticated:
        return None
    appointment = Appointment.objects.for_user(user).with_people().filter(pk=appointment_id).first()
    if appointment is None:
        return None
    role = role_in(user, appointment)
    if role is None or not appointment.is_open():
        return None
    services.call_record_join(appointment_id=appointment.pk, user=user)
    return {
        "role": role,
        "closes_at": appointment.window()[1],
        "ice_servers": ice_servers(user_id=user.pk, appointment_id=appointment.pk),
    }


call_record_leave = database_sync_to_async(services.call_record_leave)
call_record_admit = database_sync_to_async(services.call_record_admit)
call_record_report = database_sync_to_async(services.call_record_report)
call_record_hang_up = database_sync_to_async(services.call_record_hang_up)
call_switch_fallback = database_sync_to_async(services.call_switch_fallback)


class InterviewSignallingConsumer(AsyncJsonWebsocketConsumer):
    appointment_id: int
    role: str | None = None
    closes_at: datetime
    group: str

    async def connect(self):
        self.appointment_id = int(self.scope["url_route"]["kwargs"]["appointment_id"])
        call = await _open_call(self.scope["user"], self.appointment_id)
        if call is None:
            await self.close()  # before accept: the handshake is refused (HTTP 403)
            return
        self.role = call["role"]
        self.closes_at = call["closes_at"]
        self.group = f"interview.{self.appointment_id}"
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json(
            {
                "type": "welcome",
                "role": self.role,
                "iceServers": call["ice_servers"],
                "iceTransportPolicy": ice_transport_policy(),
                "closesAt": self.closes_at.isoformat(),
            }
        )
        # A second page of the same participant takes over: the first one is closed, so that
        # offers and answers never go to two pages at once.
        await self.channel_layer.group_send(
            self.group,
            {"type": "signal.takeover", "sender": self.channel_name, "role": self.role},
        )
        await self._publish({"type": "presence", "role": self.role, "state": "here"}, reply=True)

    async def signal_takeover(self, event):
        if event["sender"] != self.channel_name and event["role"] == self.role:
            await self._error("replaced", "This call was opened in another page.")
            self.replaced = True
            await self.close(code=4409)

    async def layer_gap(self, event):
        # The channel layer may have lost events (portal.layers). The socket stays open: the call
        # page does not reconnect its signalling, so closing would end signalling for a call
        # whose media may well be up. What was lost stays lost.
        pass

    async def disconnect(self, code):
        if self.role is None:
            return
        if getattr(self, "replaced", False):
            await self.channel_layer.group_discard(self.group, self.channel_name)
            await call_record_leave(
                appointment_id=self.appointment_id, user=self.scope["user"], code=code
            )
            return
        await call_record_leave(
            appointment_id=self.appointment_id, user=self.scope["user"], code=code
        )
        await self._publish({"type": "presence", "role": self.role, "state": "left"})
        await self.channel_layer.group_discard(self.group, self.channel_name)

    # --- Input ----------------------------------------------------------------------------

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        if text_data is None:
            await self._error("binary", "Only JSON text frames are accepted.")
            return
        if len(text_data) > app_settings.INTERVIEWS_SDP_MAX_BYTES + ENVELOPE_BYTES:
            await self._error("too_large", "The message is too large.")
            return
        try:
            content = json.loads(text_data)
        except ValueError:
            await self._error("malformed", "The message is not JSON.")
            return
        if not isinstance(content, dict) or not isinstance(content.get("type"), str):
            await self._error("malformed", "The message must be an object with a type.")
            return
        await self.receive_json(content)

    async def receive_json(self, content, **kwargs):
        if timezone.now() > self.closes_at:
            await self._error("window_closed", "The interview's call window has closed.")
            await self.close(code=4403)
            return
        handler = self.HANDLERS.get(content["type"])
        if handler is None:
            await self._error("unknown_type", "Unknown message type.")
            return
        try:
            await handler(self, content)
        except SignalError as error:
            await self._error(error.code, error.detail)
        except services.BookingError as error:
            await self._error(error.code, error.code)
        except Exception:
            # Never die on input: log it, tell the sender, keep the call up.
            logger.exception("interview signalling: unexpected error on %s", content["type"])
            await self._error("internal", "The server could not handle this message.")

    async def _description(self, content):
        check_sdp(content.get("sdp"))
        await self._publish({"type": content["type"], "sdp": content["sdp"]})

    async def _candidate(self, content):
        candidate = check_candidate(
            content.get("candidate"), relay_only=app_settings.INTERVIEWS_RELAY_ONLY
        )
        await self._publish({"type": "ice", "candidate": candidate})

    async def _hang_up(self, content):
        await call_record_hang_up(appointment_id=self.appointment_id, user=self.scope["user"])
        await self._publish({"type": "hangup", "role": self.role})

    async def _admit(self, content):
        if self.role != ADVISOR:
            raise SignalError("forbidden", "Only the advisor admits the seeker.")
        await call_record_admit(appointment_id=self.appointment_id, user=self.scope["user"])
        await self._publish({"type": "admit"})

    async def _join(self, content):
        if self.role != SEEKER:
            raise SignalError("forbidden", "Only the seeker joins after being admitted.")
        await self._publish({"type": "join"})

    async def _report(self, content):
        report = content.get("report")
        if report not in services.CLIENT_REPORTS:
            raise SignalError("unknown_report", "Unknown report.")
        await call_record_report(
            appointment_id=self.appointment_id, user=self.scope["user"], report=report
        )
        await self._publish({"type": "peer-report", "role": self.role, "report": report})

    async def _fallback(self, content):
        level = content.get("level")
        if not isinstance(level, str):
            raise SignalError("unknown_fallback", "Unknown fallback.")
        reached = await call_switch_fallback(
            appointment_id=self.appointment_id, user=self.scope["user"], level=level
        )
        await self._publish({"type": "fallback", "level": level, "reached": reached}, echo=True)

    async def _ping(self, content):
        await self.send_json({"type": "pong"})

    HANDLERS = {
        "offer": _description,
        "answer": _description,
        "ice": _candidate,
        "hangup": _hang_up,
        "admit": _admit,
        "join": _join,
        "report": _report,
        "fallback": _fallback,
        "ping": _ping,
    }

    # --- Output ---------------------------------------------------------------------------

    async def _error(self, code: str, detail: str):
        await self.send_json({"type": "error", "code": code, "detail": detail})

    async def _publish(self, message: dict, *, reply: bool = False, echo: bool = False):
        await self.channel_layer.group_send(
            self.group,
            {
                "type": "signal.relay",
                "sender": self.channel_name,
                "message": message,
                "reply": reply,
                "echo": echo,
            },
        )

    async def signal_relay(self, event):
        """Delivers a message to the other participant only (or to both, for `echo`)."""
        if event["sender"] == self.channel_name and not event.get("echo"):
            return
        await self.send_json(event["message"])
        if event.get("reply") and event["message"]["role"] != self.role:
            # A newcomer announced itself: tell it who is already here.
            await self._publish({"type": "presence", "role": self.role, "state": "here"})
