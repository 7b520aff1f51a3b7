"""An advisor and a seeker meet through the portal in two Chromium contexts with fake webcams,
on a real daphne; each receives the other's video (frames decoded, read from getStats). A second
test forces relay-only through a real coturn on loopback with the portal's ephemeral TURN
credentials, and shows that expired credentials gather no relay candidate at all."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time

import pytest
from django.db import connections

from interviews.models import Appointment, EventKind
from interviews.turn import turn_credentials
from tests.conftest import CHROMIUM, require_or_skip
from tests.interviews.factories import AppointmentFactory, followed_seeker
from tests.interviews.live import daphne, free_port, session_cookie, until, wait_for_port

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

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
    "--auto-select-desktop-capture-source=Entire screen",
]

INBOUND = """async (kind) => {
  const stats = await window.interviewCall.pc.getStats();
  let found = null;
  stats.forEach((s) => { if (s.type === "inbound-rtp" && s.kind === kind) found = s; });
  return found && {bytes: found.bytesReceived, width: found.frameWidth || 0};
}"""

FRAMES_DECODED = """async () => {
  const stats = await window.interviewCall.pc.getStats();
  let frames = 0;
  stats.forEach((s) => {
    if (s.type === "inbound-rtp" && s.kind === "video") frames += s.framesDecoded || 0;
  });
  return frames;
}"""

SELECTED_PAIR = """async () => {
  const stats = await window.interviewCall.pc.getStats();
  const byId = new Map(); stats.forEach((s) => byId.set(s.id, s));
  for (const s of byId.values()) {
    if (s.type === "candidate-pair" && s.nominated && s.state === "succeeded") {
      return {
        local: byId.get(s.localCandidateId).candidateType,
        remote: byId.get(s.remoteCandidateId).candidateType,
      };
    }
  }
  return null;
}"""


@pytest.fixture
def playwright(monkeypatch):
    require_or_skip(os.path.exists(CHROMIUM), "Chromium")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as instance:
        yield instance
        # With Playwright's loop running, the ORM's connections belong to its context: close
        # them here, or the test database cannot be flushed or dropped.
        connections.close_all()


@pytest.fixture
def browser(playwright):
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


def open_call(browser, base, user, appointment):
    context = browser.new_context(locale="fr-FR")
    context.add_cookies([session_cookie(user, base)])
    page = context.new_page()
    page.goto(f"{base}/entretiens/{appointment.pk}/appel/")
    return page


def meet(browser, base, appointment):
    """The seeker waits, the advisor admits, both see each other."""
    seeker = open_call(browser, base, appointment.seeker.user, appointment)
    seeker.get_by_text("Vous êtes dans la salle d'attente.").wait_for()
    # The short equipment re-check of the waiting room: the fake camera and its beeping tone.
    seeker.get_by_test_id("recheck-camera").get_by_text("fonctionne").wait_for()
    seeker.get_by_test_id("recheck-microphone").get_by_text("fonctionne").wait_for()
    advisor = open_call(browser, base, appointment.advisor.user, appointment)
    seeker.get_by_test_id("advisor-ready").get_by_text("Votre conseiller est prêt").wait_for()
    admit = advisor.get_by_role("button", name="Faire entrer le demandeur et démarrer l'appel")
    advisor.get_by_test_id("seeker-ready").get_by_text("Le demandeur est dans la salle").wait_for()
    started = time.monotonic()
    admit.click()
    for page in (seeker, advisor):
        until(page, "document.body.dataset.mediaFlowing === '1'", timeout=20)
    elapsed = time.monotonic() - started
    return seeker, advisor, elapsed


def test_advisor_and_seeker_see_each_other(browser):
    appointment = AppointmentFactory(now_open=True)
    with daphne() as base:
        seeker, advisor, elapsed = meet(browser, base, appointment)
        for page in (seeker, advisor):
            assert page.evaluate(FRAMES_DECODED) > 0
            assert page.get_by_test_id("call-status").inner_text() == "Connecté."
        print(f"admit to media both ways: {elapsed:.2f} s")
        # The controls work on the live call.
        mute = seeker.get_by_role("button", name="Couper le micro")
        mute.click()
        assert (
            seeker.get_by_role("button", name="Rétablir le micro").get_attribute("aria-pressed")
            == "true"
        )
        assert (
            seeker.evaluate("window.interviewCall.localStream.getAudioTracks()[0].enabled") is False
        )
        seeker.get_by_role("button", name="Couper la caméra").click()
        assert (
            seeker.evaluate("window.interviewCall.localStream.getVideoTracks()[0].enabled") is False
        )
        seeker.get_by_role("button", name="Raccrocher").click()
        advisor.get_by_text("L'autre participant a raccroché.").wait_for()
    appointment.refresh_from_db()
    assert appointment.media_started_at is not None
    assert appointment.call_ended_at is not None
    kinds = set(appointment.events.values_list("kind", flat=True))
    assert {
        EventKind.JOINED,
        EventKind.ADMITTED,
        EventKind.MEDIA_FLOWING,
        EventKind.HANG_UP,
    } <= kinds


def test_screen_sharing_replaces_the_camera_for_the_other_side(browser):
    appointment = AppointmentFactory(now_open=True)
    with daphne() as base:
        seeker, advisor, _ = meet(browser, base, appointment)
        until(advisor, f"({INBOUND})('video').then((s) => s && s.width === 640)")
        seeker.get_by_role("button", name="Partager mon écran").click()
        stop = seeker.get_by_role("button", name="Arrêter le partage")
        assert stop.get_attribute("aria-pressed") == "true"
        # The fake camera sends 640x480; the shared screen is wider.
        until(advisor, f"({INBOUND})('video').then((s) => s && s.width > 640)", timeout=20)
        stop.click()
        until(advisor, f"({INBOUND})('video').then((s) => s && s.width === 640)", timeout=20)


def test_a_signing_seeker_sees_the_advisor_enlarged_and_can_shrink_it(browser):
    advisor_appointment = AppointmentFactory(now_open=True)
    signing = followed_seeker(advisor_appointment.advisor, signing=True)
    Appointment.objects.filter(pk=advisor_appointment.pk).update(seeker=signing)
    appointment = Appointment.objects.get(pk=advisor_appointment.pk)
    with daphne() as base:
        page = open_call(browser, base, signing.user, appointment)
        enlarge = page.get_by_role("button", name="Agrandir mon conseiller")
        assert enlarge.get_attribute("aria-pressed") == "true"
        assert "interview-enlarged" in page.locator("#stage").get_attribute("class")
        enlarge.click()
        assert enlarge.get_attribute("aria-pressed") == "false"


def test_the_fallback_ladder_is_written_on_the_appointment(browser):
    appointment = AppointmentFactory(now_open=True)
    with daphne() as base:
        seeker, advisor, _ = meet(browser, base, appointment)
        seeker.get_by_role("button", name="Passer en audio seul").click()
        advisor.get_by_text("Audio seul : la vidéo est coupée.").wait_for()
        # The advisor re-offered without video: a new connection carries the sound alone.
        for page in (seeker, advisor):
            until(
                page,
                "window.interviewCall.pc && window.interviewCall.pc.getSenders()"
                ".every((s) => !s.track || s.track.kind === 'audio')",
            )
            until(page, f"({INBOUND})('audio').then((s) => s && s.bytes > 0)", timeout=20)
        seeker.get_by_role("button", name="Rappelez-moi par téléphone").click()
        advisor.get_by_text("Le demandeur demande à être rappelé au :").wait_for()
    appointment.refresh_from_db()
    assert appointment.fallback == "phone"
    levels = [e.detail["level"] for e in appointment.events.filter(kind=EventKind.FALLBACK)]
    assert levels == ["audio", "phone"]


# --- Through a real coturn, relay only ---------------------------------------------------------


@pytest.fixture
def coturn():
    binary = shutil.which("turnserver")
    require_or_skip(binary is not None, "coturn (turnserver)")
    port = free_port()
    low = 50000 + (os.getpid() % 500) * 20
    secret = "interviews-test-secret"
    with tempfile.TemporaryDirectory() as directory:
        process = subprocess.Popen(
            [
                binary,
                "-n",
                "--listening-ip=127.0.0.1",
                f"--listening-port={port}",
                "--relay-ip=127.0.0.1",
                "--use-auth-secret",
                f"--static-auth-secret={secret}",
                "--realm=interviews.test",
                "--no-tls",
                "--no-dtls",
                "--no-cli",
                "--allow-loopback-peers",
                f"--min-port={low}",
                f"--max-port={low + 19}",
                f"--userdb={directory}/turndb",
                "--log-file=stdout",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            # coturn listens on UDP and TCP; TCP readiness tells it is up.
            wait_for_port(port, process)
            yield {"url": f"turn:127.0.0.1:{port}?transport=udp", "secret": secret}
        finally:
            process.terminate()
            process.wait(timeout=10)


def test_relay_only_call_goes_through_coturn_with_ephemeral_credentials(browser, coturn):
    appointment = AppointmentFactory(now_open=True)
    env = {
        "INTERVIEWS_TURN_URLS": coturn["url"],
        "INTERVIEWS_TURN_SECRET": coturn["secret"],
        "INTERVIEWS_RELAY_ONLY": "1",
    }
    with daphne(env) as base:
        seeker, advisor, elapsed = meet(browser, base, appointment)
        for page in (seeker, advisor):
            assert page.evaluate("window.interviewCall.iceTransportPolicy") == "relay"
            assert page.evaluate(FRAMES_DECODED) > 0
            pair = page.evaluate(SELECTED_PAIR)
            assert pair == {"local": "relay", "remote": "relay"}, pair
            username = page.evaluate("window.interviewCall.iceServers[0].username")
            expiry, user = username.split(":")
            assert 0 < int(expiry) - time.time() <= 3600
        print(f"relay-only admit to media both ways: {elapsed:.2f} s")


GATHER = """async ({url, username, credential}) => {
  const pc = new RTCPeerConnection({
    iceServers: [{urls: url, username, credential}], iceTransportPolicy: "relay",
  });
  pc.createDataChannel("probe");
  const types = [];
  pc.onicecandidate = (e) => { if (e.candidate) types.push(e.candidate.type); };
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((resolve) => {
    if (pc.iceGatheringState === "complete") return resolve();
    pc.onicegatheringstatechange = () => pc.iceGatheringState === "complete" && resolve();
    setTimeout(resolve, 8000);
  });
  pc.close();
  return types;
}"""


def test_expired_credentials_are_refused_by_coturn(browser, coturn):
    with daphne() as base:
        context = browser.new_context()
        page = context.new_page()
        page.goto(f"{base}/healthz")
        fresh = turn_credentials(user_id=1, appointment_id=1, secret=coturn["secret"], ttl=600)
        expired = turn_credentials(
            user_id=1, appointment_id=1, secret=coturn["secret"], ttl=600, now=time.time() - 3600
        )
        wrong = turn_credentials(user_id=1, appointment_id=1, secret="not-the-secret", ttl=600)
        gathered = {
            name: page.evaluate(
                GATHER,
                {"url": coturn["url"], "username": c["username"], "credential": c["credential"]},
            )
            for name, c in (("fresh", fresh), ("expired", expired), ("wrong", wrong))
        }
    assert "relay" in gathered["fresh"]
    assert gathered["expired"] == []
    assert gathered["wrong"] == []


def test_a_seeker_whose_camera_is_refused_is_recorded_as_a_technical_problem(playwright):
    """Without the fake-UI flag Chromium denies the camera: the page says so, reports it, and the
    record can never turn into an absence."""
    appointment = AppointmentFactory(now_open=True)
    args = [a for a in CHROMIUM_ARGS if a != "--use-fake-ui-for-media-stream"]
    with daphne() as base:
        denying = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
        try:
            page = open_call(denying, base, appointment.seeker.user, appointment)
            page.get_by_text("La caméra ou le micro n'ont pas pu être utilisés.").wait_for()
            until(page, "document.body.dataset.report_media_denied === '1'")
        finally:
            denying.close()
    appointment.refresh_from_db()
    assert appointment.failure_reported_at is not None
    assert appointment.seeker_joined_at is not None
    assert appointment.events.filter(kind=EventKind.MEDIA_DENIED).exists()
