"""Benchmark: call set-up of a webcam interview (issue 5), over loopback.

Figure: time from the second participant joining (the later of the two pages' websocket welcome)
to media flowing both ways (the later of the two pages' first decoded remote video frame), p50
and p99, with two Chromium pages (fake webcams) meeting through a real daphne, the portal's
signalling consumer and its call page; the advisor admits the seeker as soon as the seeker is
announced, as a browser test would. Anchor, measured in the same run: two aiortc peers connected
in this process, from createOffer to a first video frame received on each side (no signalling
server, no browser). Target: p50 within 3x the anchor's p50 — the browser path adds the
websocket hops, the admit step and Chromium's own pipeline.

Run: .venv/bin/python -m bench.interview_setup [--quick]"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time

from bench.common import ROOT, Figure, Report, arguments, median, percentile, setup_django

BENCH_DB = "bench_interviews"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]


def prepare_database() -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as db:
        exists = db.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB]).fetchone()
        if not exists:
            db.execute(f'CREATE DATABASE "{BENCH_DB}"')
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{BENCH_DB}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings.test"
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        check=True,
        env=os.environ,
    )


def open_interview():
    """An advisor, a seeker and an interview whose waiting room is open (fresh each run)."""
    from datetime import timedelta

    from allauth.mfa.models import Authenticator
    from django.utils import timezone

    from accounts.models import Role, User
    from advisors.models import Advisor
    from agencies.models import Agency, Region
    from interviews.models import Appointment, Status
    from seekers.models import FollowUpStatus, Seeker

    Appointment.objects.filter(advisor__user__email="bench-advisor@bench.test").delete()
    region, _ = Region.objects.get_or_create(name="Bench")
    agency, _ = Agency.objects.get_or_create(code="bench", defaults={"name": "B", "region": region})
    user, _ = User.objects.get_or_create(
        email="bench-advisor@bench.test", defaults={"role": Role.ADVISOR}
    )
    advisor, _ = Advisor.objects.get_or_create(user=user, defaults={"agency": agency})
    # Advisors reach the portal only with an authenticator app (accounts.second_factor).
    Authenticator.objects.get_or_create(
        user=user, type=Authenticator.Type.TOTP, defaults={"data": {"secret": "bench"}}
    )
    seeker_user, _ = User.objects.get_or_create(email="bench-seeker@bench.test")
    seeker, _ = Seeker.objects.get_or_create(
        user=seeker_user,
        defaults={
            "agency": agency,
            "referent": advisor,
            "status": FollowUpStatus.FOLLOWED_ONLINE,
        },
    )
    now = timezone.now()
    return Appointment.objects.create(
        advisor=advisor,
        seeker=seeker,
        starts_at=now + timedelta(minutes=5),
        ends_at=now + timedelta(minutes=50),
        status=Status.CONFIRMED,
        confirmed_at=now,
    )


def cookie(user, base):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base}


def browser_runs(count: int) -> list[float]:
    from playwright.sync_api import sync_playwright

    from tests.interviews.live import daphne, until

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    appointment = open_interview()
    cookies = None
    samples, after_admit = [], []
    with daphne() as base, sync_playwright() as playwright:
        cookies = {
            "seeker": cookie(appointment.seeker.user, base),
            "advisor": cookie(appointment.advisor.user, base),
        }
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        url = f"{base}/entretiens/{appointment.pk}/appel/"
        for _ in range(count):
            pages = {}
            for role in ("seeker", "advisor"):
                context = browser.new_context(locale="fr-FR")
                context.add_cookies([cookies[role]])
                pages[role] = context.new_page()
                pages[role].goto(url)
                until(pages[role], "window.interviewCall && window.interviewCall.welcomeAt")
            admit = pages["advisor"].locator("#admit")
            admit.wait_for(state="visible")
            until(pages["advisor"], "!document.getElementById('admit').disabled")
            admit.click()
            marks = []
            for page in pages.values():
                until(page, "window.interviewCall.firstFrameAt", timeout=20)
                marks.append(
                    page.evaluate(
                        "[window.interviewCall.welcomeAt, window.interviewCall.firstFrameAt]"
                    )
                )
            second_join = max(mark[0] for mark in marks)
            both_flowing = max(mark[1] for mark in marks)
            admitted = pages["advisor"].evaluate("window.interviewCall.admitAt")
            samples.append((both_flowing - second_join) / 1000)
            after_admit.append((both_flowing - admitted) / 1000)
            for page in pages.values():
                page.get_by_role("button", name="Raccrocher").click()
                page.context.close()
        browser.close()
    from django.db import connections

    connections.close_all()
    return samples, after_admit


async def aiortc_once() -> float:
    from aiortc import RTCPeerConnection
    from aiortc.mediastreams import VideoStreamTrack

    first, second = RTCPeerConnection(), RTCPeerConnection()
    received = {"first": asyncio.Event(), "second": asyncio.Event()}

    def on_track(name):
        def handler(track):
            async def read():
                await track.recv()
                received[name].set()

            asyncio.ensure_future(read())

        return handler

    first.on("track", on_track("first"))
    second.on("track", on_track("second"))
    first.addTrack(VideoStreamTrack())
    second.addTrack(VideoStreamTrack())
    try:
        started = time.perf_counter()
        await first.setLocalDescription(await first.createOffer())
        await second.setRemoteDescription(first.localDescription)
        await second.setLocalDescription(await second.createAnswer())
        await first.setRemoteDescription(second.localDescription)
        await asyncio.wait_for(
            asyncio.gather(received["first"].wait(), received["second"].wait()), 20
        )
        return time.perf_counter() - started
    finally:
        await first.close()
        await second.close()


def aiortc_runs(count: int) -> list[float]:
    return [asyncio.run(aiortc_once()) for _ in range(count)]


def main() -> int:
    import logging

    logging.getLogger("aioice").setLevel(logging.WARNING)
    args = arguments(__doc__.splitlines()[0])
    runs = 3 if args.quick else 20
    prepare_database()
    setup_django()
    report = Report("interview_setup", quick=args.quick)
    anchor = aiortc_runs(runs)
    calls, after_admit = browser_runs(runs)
    anchor_p50, anchor_p99 = median(anchor), percentile(anchor, 99)
    report.add(
        Figure(
            "second join → media both ways, p50",
            median(calls),
            "s",
            anchor=anchor_p50,
            anchor_name="aiortc loopback connect p50",
            target=3,
        )
    )
    report.add(
        Figure(
            "second join → media both ways, p99",
            percentile(calls, 99),
            "s",
            anchor=anchor_p99,
            anchor_name="aiortc loopback connect p99",
        )
    )
    report.add(
        Figure(
            "admit click → media both ways, p50",
            median(after_admit),
            "s",
            anchor=anchor_p50,
            anchor_name="aiortc loopback connect p50",
            note="without the wait for the advisor's click, which the benchmark drives",
        )
    )
    report.check("runs", len(calls))
    print("calls (s):", " ".join(f"{value:.3f}" for value in sorted(calls)))
    print("anchor (s):", " ".join(f"{value:.3f}" for value in sorted(anchor)))
    report.write()
    return 0


if __name__ == "__main__":
    sys.exit(main())
