"""ASGI entry point: HTTP through Django, websockets through Channels with session auth and an
Origin check against ALLOWED_HOSTS.

The websocket stack is channels' AllowedHostsOriginValidator(AuthMiddlewareStack(...)) with two
changes from accounts/sockets.py, for the moment a restarted process takes back every client:
a bounded number of handshakes at a time (HandshakeGate), and the session and user loaded in the
thread pool rather than on channels' one thread (SocketAuthMiddlewareStack)."""

import gc
import os
import pprint

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.dev")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from accounts.second_factor import SecondFactorSocketMiddleware  # noqa: E402
from accounts.sockets import (  # noqa: E402
    HandshakeGate,
    SocketAuthMiddlewareStack,
    SocketGuardMiddleware,
)
from portal.routing import websocket_urlpatterns  # noqa: E402
from portal.shutdown import FinishWhenCancelled  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            HandshakeGate(
                SocketAuthMiddlewareStack(
                    SecondFactorSocketMiddleware(
                        SocketGuardMiddleware(URLRouter(websocket_urlpatterns))
                    )
                )
            )
        ),
    }
)

# Applied last, outside everything: see portal/shutdown.py.
application = FinishWhenCancelled(application)


class _PformatWhenPrinted:
    """pprint.pformat(value), computed only if something prints it."""

    __slots__ = ("value",)

    def __init__(self, value, *args, **kwargs):
        self.value = value

    def __str__(self):
        return pprint.pformat(self.value)


def _lazy_autobahn_debug() -> None:
    """autobahn (daphne's websocket layer) pretty-prints its 40 options for a debug line on every
    new websocket, whether debug logging is on or not: 14% of daphne's CPU while 2,000 clients
    reconnected after a restart (bench/connections.py, py-spy). The debug line, when enabled,
    still prints them."""
    from autobahn.websocket import protocol

    if getattr(protocol, "pformat", None) is pprint.pformat and hasattr(protocol, "Timings"):
        protocol.pformat = _PformatWhenPrinted
        # Timings.__str__ must return a str: it keeps the real pformat.
        protocol.Timings.__str__ = lambda self: pprint.pformat(self._timings)


_lazy_autobahn_debug()

# What is built by now (Django, the apps, their modules) lives as long as the process: out of
# the collector's sight, full collections stop walking it. Their pauses made the dashboard's
# p99: 300-430 ms each under load, 148 ms at most once frozen (measured in bench/dashboard.py).
gc.freeze()
