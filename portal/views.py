"""Health checks for the load balancer and the role-based entry point after login."""

import asyncio
import contextlib
import sys

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.contrib.auth.decorators import login_required
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.models import Role

# An error of one of these kinds means a server the portal needs (PostgreSQL, Redis) is away
# or overloaded, not a bug: the person is asked to try again. redis-py's errors derive from
# neither, hence their names in the check below.
UNAVAILABLE = (OperationalError, InterfaceError, ConnectionError, TimeoutError)
REDIS_UNAVAILABLE = {"ConnectionError", "TimeoutError", "BusyLoadingError"}
RETRY_AFTER_SECONDS = 10


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process answers; says nothing of its dependencies."""
    return JsonResponse({"status": "ok"})


def _check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
        return f"error: {exc.__class__.__name__}"
    return "ok"


async def _round_trip_channel_layer() -> None:
    layer = get_channel_layer()
    # The default prefix: channels_redis serves every process-local channel from one receive
    # loop, which listens on the "specific." channel only once a consumer is connected.
    channel = await layer.new_channel()
    await layer.send(channel, {"type": "readyz.ping"})
    await layer.receive(channel)
    # Under daphne this runs on the server's loop, whose layer lives with the process: the
    # pub/sub layer gives a channel (its queue and its Redis subscription) back only when a
    # receive on it is cancelled, and each check would otherwise leave one.
    waiting = asyncio.ensure_future(layer.receive(channel))
    await asyncio.sleep(0)  # the receive starts waiting
    waiting.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await waiting


def _check_channel_layer() -> str:
    try:
        async_to_sync(asyncio.wait_for)(_round_trip_channel_layer(), timeout=2)
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
        return f"error: {exc.__class__.__name__}"
    return "ok"


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Database and channel layer answer; 503 naming the one that does not."""
    checks = {"database": _check_database(), "channel_layer": _check_channel_layer()}
    ready = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks},
        status=200 if ready else 503,
    )


@login_required
def dispatch(request: HttpRequest):
    """Sends each person to their own space after login."""
    user = request.user
    if user.is_superuser or user.role == Role.MANAGER:
        return redirect("admin:index")
    if user.role == Role.ADVISOR:
        return redirect("advisors:home")
    return redirect("seekers:home")


@require_GET
def accessibility(request: HttpRequest):
    """The RGAA accessibility statement, public and linked from every page's footer."""
    return render(request, "portal/accessibility.html")


def _dependency_unavailable(error: BaseException | None) -> bool:
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, UNAVAILABLE) or (
            type(error).__module__.startswith("redis") and type(error).__name__ in REDIS_UNAVAILABLE
        ):
            return True
        error = error.__cause__ or error.__context__
    return False


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: when the error comes from an unreachable database or channel layer, a 503
    that says to try again in a moment (nothing was saved half-way: each write is one
    transaction); any other error keeps Django's 500 page. Django (and asgiref, for the async
    handler) call this inside the except block, so sys.exc_info() holds the error."""
    if not _dependency_unavailable(sys.exc_info()[1]):
        return defaults.server_error(request)
    # Rendered without the request: its context processors would ask the database again.
    response = HttpResponse(render_to_string("portal/unavailable.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
