"""What the portal's JSON websockets (the chat, the workshop room) share: frames are JSON objects
with a `type`, each handled by the consumer's `client_<type>` method (dots become underscores);
a frame the rules refuse gets an error frame, and the socket stays open whatever a frame holds."""

import json
import logging
import uuid

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils.translation import gettext as _

from portal.errors import Refusal

logger = logging.getLogger(__name__)


class FrameError(Refusal):
    """A frame refused at the edge, before any service is called."""


def int_field(content: dict, name: str, *, allow_none: bool = False) -> int | None:
    value = content.get(name)
    if allow_none and value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise FrameError(
            "bad_request", _("%(name)s must be a whole number, 0 or more.") % {"name": name}
        )
    return value


def client_id_field(content: dict) -> uuid.UUID:
    try:
        return uuid.UUID(str(content.get("client_id")))
    except ValueError:
        raise FrameError(
            "bad_client_id", _("client_id must be a UUID made by the client.")
        ) from None


class JsonFrameConsumer(AsyncJsonWebsocketConsumer):
    # The frame types a client may send; each is handled by client_<type>.
    frame_types: frozenset[str] = frozenset()

    async def still_allowed(self) -> bool:
        """Whether the user may still use this socket; a consumer that says no closes it."""
        return True

    async def send_error(self, code: str, detail) -> None:
        await self.send_json({"type": "error", "code": code, "detail": str(detail)})

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        if text_data is None:
            await self.send_error("bad_json", _("Send JSON text frames."))
            return
        try:
            content = json.loads(text_data)
        except ValueError:
            await self.send_error("bad_json", _("This frame is not valid JSON."))
            return
        if not isinstance(content, dict) or not isinstance(content.get("type"), str):
            await self.send_error("bad_request", _("A frame is a JSON object with a type."))
            return
        if content["type"] not in self.frame_types:
            await self.send_error("unknown_type", _("Unknown frame type."))
            return
        if not await self.still_allowed():
            return
        handler = getattr(self, "client_" + content["type"].replace(".", "_"))
        try:
            await handler(content)
        except Refusal as error:  # the edge's and the services' own, answered as error frames
            await self.send_error(error.code, error.detail)
        except Exception:  # a consumer never dies on one bad frame
            logger.exception("%s: frame %s failed", type(self).__name__, content["type"])
            await self.send_error("server_error", _("The server could not handle this frame."))
