"""ASGI entry point: HTTP through Django, websockets through Channels with session auth and an
Origin check against ALLOWED_HOSTS.

The websocket stack is channels' AllowedHostsOriginValidator(AuthMiddlewareStack(...)) with two
changes from accounts/sockets.py, for the moment a restarted process takes back every client:
a bounded number of handshakes at a time (HandshakeGate), and the session and user loaded in the
thread pool rather than on channels' one thread (SocketAuthMiddlewareStack)."""

import os

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
