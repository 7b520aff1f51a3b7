"""Health checks for the load balancer and the role-based entry point after login."""

import asyncio

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.models import Role


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
    channel = await layer.new_channel("readyz.")
    await layer.send(channel, {"type": "readyz.ping"})
    await layer.receive(channel)


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
