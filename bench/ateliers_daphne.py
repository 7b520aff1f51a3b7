"""daphne as the portal runs it: a room socket round trip, a take recorded over HTTP signalling,
then SIGTERM during a second take (how long daphne takes to exit, and whether the take is saved).

Needs a seeded database (dev settings), for instance:

    export VAR_DIR=/tmp/ateliers_sqlite DJANGO_SETTINGS_MODULE=portal.settings.dev
    export DJANGO_ALLOW_ASYNC_UNSAFE=true  # this script's own ORM calls beside its event loop
    .venv/bin/python manage.py migrate && DEBUG=1 .venv/bin/python manage.py seed_demo --seekers 60
    .venv/bin/python bench/ateliers_daphne.py
"""

# S310: every URL opened here is the local http:// server this script starts.
# ruff: noqa: S310

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.dev")
import django  # noqa: E402

django.setup()
import websockets  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from ateliers.models import LiveSession, Simulation, SimulationAnswer  # noqa: E402
from tests.ateliers.client import ClientPeer  # noqa: E402

PORT = 8765
BASE = f"http://127.0.0.1:{PORT}"


def cookie_for(email):
    user = User.objects.get(email=email)
    s = SessionStore()
    s[SESSION_KEY] = str(user.pk)
    s[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    s[HASH_SESSION_KEY] = user.get_session_auth_hash()
    s.save()
    return s.session_key


def http(method, path, cookie, data=None, csrf="x" * 32):
    req = urllib.request.Request(
        BASE + path, method=method, data=json.dumps(data).encode() if data is not None else None
    )
    req.add_header("Cookie", f"sessionid={cookie}; csrftoken={csrf}")
    req.add_header("X-CSRFToken", csrf)
    req.add_header("Content-Type", "application/json")
    req.add_header("Origin", BASE)
    req.add_header("Referer", BASE + "/")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, e.read()[:300]


async def main(proc):
    now = timezone.now()
    live = [s for s in LiveSession.objects.all() if s.starts_at < now < s.ends_at][0]
    reg = live.registrations.filter(status="registered").select_related("seeker__user").first()
    cookie = cookie_for(reg.seeker.user.email)
    t = time.monotonic()
    async with websockets.connect(
        f"ws://127.0.0.1:{PORT}/ws/ateliers/sessions/{live.pk}/",
        additional_headers={"Cookie": f"sessionid={cookie}", "Origin": BASE},
    ) as ws:
        welcome = json.loads(await ws.recv())
        await ws.send(
            json.dumps(
                {
                    "type": "message.send",
                    "client_id": "2b1f7c1e-0000-4000-8000-000000000001",
                    "body": "Bonjour depuis daphne",
                }
            )
        )
        ack = json.loads(await ws.recv())
    print(
        "room: welcome",
        welcome["type"],
        "ack seq",
        ack.get("message", {}).get("seq"),
        f"{(time.monotonic() - t) * 1000:.0f} ms",
    )
    sim = Simulation.objects.first()
    scookie = cookie_for(sim.seeker.user.email)

    async def take(position, seconds):
        async with ClientPeer(fps=20, width=640, height=480) as peer:
            offer = await peer.offer()
            t0 = time.monotonic()
            status, ans = await asyncio.to_thread(
                http,
                "POST",
                f"/ateliers/simulations/{sim.pk}/questions/{position}/offre/",
                scookie,
                {"sdp": offer},
            )
            print("offer", status, f"{(time.monotonic() - t0) * 1000:.0f} ms")
            await peer.accept(ans["sdp"])
            await asyncio.wait_for(peer.connected.wait(), 10)
            await asyncio.sleep(seconds)
            return peer, ans["token"]

    peer, token = await take(1, 3)
    status, res = await asyncio.to_thread(
        http, "POST", f"/ateliers/simulations/{sim.pk}/questions/1/fin/", scookie, {"token": token}
    )
    await peer.close()
    print("stop", status, res)
    # Second take: SIGTERM while recording.
    async with ClientPeer(fps=20, width=640, height=480) as peer:
        offer = await peer.offer()
        status, ans = await asyncio.to_thread(
            http,
            "POST",
            f"/ateliers/simulations/{sim.pk}/questions/2/offre/",
            scookie,
            {"sdp": offer},
        )
        await peer.accept(ans["sdp"])
        await asyncio.wait_for(peer.connected.wait(), 10)
        await asyncio.sleep(2)
        t = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        await asyncio.to_thread(proc.wait, 30)
        print("daphne exit after SIGTERM:", proc.poll(), f"{time.monotonic() - t:.1f} s")
    a2 = SimulationAnswer.objects.get(simulation=sim, position=2)
    print("answer 2 after shutdown:", a2.status, a2.duration_seconds)


env = dict(os.environ, PYTHONPATH=ROOT)
log_path = os.path.join(os.environ.get("VAR_DIR", "/tmp"), "daphne.log")  # noqa: S108
with open(log_path, "w") as log:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "daphne",
            "-b",
            "127.0.0.1",
            "-p",
            str(PORT),
            "portal.asgi:application",
        ],  # fmt: skip
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(BASE + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        asyncio.run(main(proc))
    finally:
        if proc.poll() is None:
            proc.kill()
            print("had to kill daphne")
