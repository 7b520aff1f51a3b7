"""Chromium's fake webcam against the real server peer, through a real daphne."""

import functools
import os
import re
import time

import pytest
from django.db import connections

from equipment.models import EquipmentCheck, Verdict
from seekers.models import EnrolmentStep, FollowUpStatus, Seeker
from tests.conftest import CHROMIUM, require_or_skip
from tests.equipment.live import daphne
from tests.seekers.factories import SeekerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
FAKE_DEVICES = ["--use-fake-device-for-media-stream"]
ALLOW_MEDIA = ["--use-fake-ui-for-media-stream"]
PASSWORD = "un-mot-de-passe-solide"


@pytest.fixture
def chromium(monkeypatch):
    require_or_skip(os.path.exists(CHROMIUM), "Chromium")
    from playwright.sync_api import sync_playwright

    # The sync API runs an event loop in this thread; the ORM must be allowed beside it.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:

        def launch(*, allow_media: bool, devices: bool = True):
            args = ARGS + (FAKE_DEVICES if devices else []) + (ALLOW_MEDIA if allow_media else [])
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
            page = browser.new_context(locale="fr-FR").new_page()
            page.set_default_timeout(20000)
            return page

        yield launch


def own_connections(test):
    """The ORM calls of a test running beside Playwright's greenlets hold a pooled connection
    that fixture teardown does not see: the test returns it itself, or the test database
    cannot be dropped at the end of the run."""

    @functools.wraps(test)
    def wrapper(*args, **kwargs):
        try:
            return test(*args, **kwargs)
        finally:
            connections.close_all()

    return wrapper


def log_in(page, base_url, email):
    page.goto(base_url + "/accounts/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    page.wait_for_url(re.compile(r"/espace/"))


@own_connections
def test_fake_webcam_runs_the_whole_enrolment_to_a_referent(chromium, advisor):
    seeker = SeekerFactory(agency=advisor.agency, awaiting_check=True)
    with daphne() as server:
        page = chromium(allow_media=True)
        log_in(page, server.url, seeker.user.email)
        page.goto(server.url + "/inscription/equipement/")

        page.get_by_role("button", name="Tester mon équipement").click()

        page.get_by_text("Votre inscription est terminée").wait_for(timeout=30000)
        headline = page.locator(".fr-alert__title").inner_text()
        assert headline.startswith("Votre équipement"), server.log_text()
        page.get_by_role("link", name="Aller à mon espace").click()
        page.wait_for_url(re.compile(r"/espace/demandeur/"))
        assert page.get_by_test_id("referent").inner_text().startswith(advisor.user.get_full_name())
        assert "Dernier test le" in page.get_by_test_id("equipment-last").inner_text()

    seeker = Seeker.objects.get(pk=seeker.pk)
    assert seeker.status == FollowUpStatus.FOLLOWED_ONLINE
    assert seeker.referent_id == advisor.pk
    check = EquipmentCheck.objects.get(user=seeker.user)
    assert check.verdict in (Verdict.PASSED, Verdict.WARNINGS)
    assert "Chrome" in check.user_agent
    assert check.measurements["video"]["frames"] > 10
    assert check.measurements["audio"]["level_dbfs"] is not None
    print("chromium check:", check.verdict, check.reasons, check.measurements)


@own_connections
def test_refused_camera_permission_gets_its_message_and_stays_unenrolled(chromium, advisor):
    seeker = SeekerFactory(agency=advisor.agency, awaiting_check=True)
    with daphne() as server:
        page = chromium(allow_media=False)
        log_in(page, server.url, seeker.user.email)
        page.goto(server.url + "/inscription/equipement/")

        page.get_by_role("button", name="Tester mon équipement").click()

        page.get_by_text(
            "Vous avez refusé l'accès à la caméra ou au micro : autorisez-le dans la barre "
            "d'adresse de votre navigateur, puis relancez le test."
        ).wait_for()
        assert page.get_by_role("button", name="Relancer le test").is_enabled()
        # The refusal is stored too, so that the history says why.
        deadline = time.monotonic() + 10
        while not EquipmentCheck.objects.filter(user=seeker.user).exists():
            assert time.monotonic() < deadline, server.log_text()
            time.sleep(0.1)

    check = EquipmentCheck.objects.get(user=seeker.user)
    assert check.verdict == Verdict.FAILED
    assert [reason["code"] for reason in check.reasons] == ["permission_denied"]
    seeker = Seeker.objects.get(pk=seeker.pk)
    assert seeker.enrolment_step == EnrolmentStep.EQUIPMENT_CHECK
    assert seeker.referent_id is None


@own_connections
def test_a_machine_without_camera_is_told_so(chromium, advisor):
    seeker = SeekerFactory(agency=advisor.agency, awaiting_check=True)
    with daphne() as server:
        # Headless Chromium without the fake devices has no camera and no microphone at all.
        page = chromium(allow_media=True, devices=False)
        log_in(page, server.url, seeker.user.email)
        page.goto(server.url + "/inscription/equipement/")

        page.get_by_role("button", name="Tester mon équipement").click()

        page.get_by_text("Aucune caméra n'a été trouvée sur cet appareil").wait_for()


@own_connections
def test_a_browser_without_webrtc_is_told_so(chromium, advisor):
    seeker = SeekerFactory(agency=advisor.agency, awaiting_check=True)
    with daphne() as server:
        page = chromium(allow_media=True)
        page.add_init_script("delete window.RTCPeerConnection;")
        log_in(page, server.url, seeker.user.email)
        page.goto(server.url + "/inscription/equipement/")

        page.get_by_role("button", name="Tester mon équipement").click()

        page.get_by_text("Votre navigateur ne permet pas la visio").wait_for()
        deadline = time.monotonic() + 10
        while not EquipmentCheck.objects.filter(user=seeker.user).exists():
            assert time.monotonic() < deadline, server.log_text()
            time.sleep(0.1)
    reasons = EquipmentCheck.objects.get(user=seeker.user).reasons
    assert [reason["code"] for reason in reasons] == ["unsupported_browser"]


@own_connections
def test_the_waiting_room_of_an_interview_measures_again(chromium, advisor):
    from tests.interviews.factories import AppointmentFactory

    appointment = AppointmentFactory(advisor=advisor, now_open=True)
    seeker = appointment.seeker
    with daphne() as server:
        page = chromium(allow_media=True)
        log_in(page, server.url, seeker.user.email)
        page.goto(server.url + f"/entretiens/{appointment.pk}/appel/")

        page.get_by_text("Mesurer ma webcam et ma connexion sur notre serveur").click()
        page.get_by_role("button", name="Tester mon équipement").click()

        # Passed, with or without a warning (a loaded machine may measure 11 images/s).
        page.get_by_text(re.compile(r"Votre équipement (est prêt|fonctionne)")).wait_for(
            timeout=30000
        )

    check = EquipmentCheck.objects.get(user=seeker.user)
    assert check.verdict in (Verdict.PASSED, Verdict.WARNINGS)
    seeker = Seeker.objects.get(pk=seeker.pk)
    assert seeker.referent_id == advisor.pk
