"""The journey of a seeker who practises a job interview: with a fake webcam, they start a
simulation from the portal, record two answers, and replay them. The files exist on the server
and hold decodable video of the expected length (PyAV)."""

import pytest
from django.db import connections
from django.test import Client

from ateliers.models import AnswerStatus, JobFamily, Simulation
from tests.ateliers.factories import InterviewQuestionFactory, QuestionBankFactory
from tests.ateliers.test_recording import decoded_video

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ANSWER_SECONDS = 5


@pytest.fixture
def banks():
    general = QuestionBankFactory(job_family=JobFamily.GENERAL)
    retail = QuestionBankFactory(job_family=JobFamily.RETAIL)
    InterviewQuestionFactory(
        bank=general, text="Présentez-vous.", prep_seconds=1, answer_seconds=ANSWER_SECONDS
    )
    InterviewQuestionFactory(
        bank=retail,
        text="Comment accueillez-vous un client pressé ?",
        prep_seconds=1,
        answer_seconds=ANSWER_SECONDS,
    )


def signed_in_page(browser, live_server, user):
    client = Client()
    client.force_login(user)
    context = browser.new_context(locale="fr-FR")
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page = context.new_page()
    page.set_default_timeout(20000)
    page.on("console", lambda message: print("console:", message.text))
    return context, page


def saved(page):
    """Waits for the page to say the take is saved (or failed, to fail fast with its words)."""
    # Generous: the machine running the tests may be loaded, and saving waits for the encoder.
    page.locator("#simulation[data-state=saved], #simulation[data-state=failed]").wait_for(
        timeout=60000
    )
    assert page.locator("#simulation").get_attribute("data-state") == "saved", page.locator(
        "#sim-status"
    ).inner_text()


def test_seeker_records_two_answers_and_replays_them(
    browser, live_server, followed, banks, private_root
):
    context, page = signed_in_page(browser, live_server, followed.user)
    try:
        page.goto(f"{live_server.url}/ateliers/simulations/")
        # DSFR draws the radio on its label, which takes the click.
        page.get_by_label("Commerce", exact=True).check(force=True)
        page.get_by_role("button", name="Commencer une simulation").click()
        page.get_by_role("heading", level=1, name="Présentez-vous.").wait_for()

        page.get_by_role("button", name="Commencer").click()
        saved(page)
        page.get_by_role("link", name="Question suivante").click()
        page.get_by_role("heading", level=1, name="Comment accueillez-vous").wait_for()
        page.get_by_role("button", name="Commencer").click()
        saved(page)

        simulation = Simulation.objects.get(seeker=followed)
        answers = list(simulation.answers.order_by("position"))
        assert [a.status for a in answers] == [AnswerStatus.READY, AnswerStatus.READY]
        for answer in answers:
            path = private_root / answer.recording
            assert path.exists()
            frames, seconds, size = decoded_video(path)
            print(f"answer {answer.position}: {frames} frames, {seconds:.2f} s, {size}")
            assert ANSWER_SECONDS - 1 <= seconds <= ANSWER_SECONDS + 1
            assert frames >= (ANSWER_SECONDS - 1) * 10
            assert size == (640, 480)

        page.get_by_role("link", name="Toutes mes réponses").click()
        videos = page.get_by_test_id("replay")
        assert videos.count() == 2
        for index in range(2):
            played = videos.nth(index).evaluate(
                """async (video) => {
                    video.muted = true;
                    await video.play();
                    await new Promise((resolve) => {
                        const check = () =>
                            video.currentTime > 1 ? resolve() : setTimeout(check, 100);
                        check();
                    });
                    video.pause();
                    return {duration: video.duration, time: video.currentTime,
                            width: video.videoWidth, error: video.error && video.error.code};
                }"""
            )
            print("replayed", played)
            assert played["error"] is None and played["width"] == 640
            assert played["time"] > 1
    finally:
        context.close()
        connections.close_all()


def test_a_refused_camera_is_explained_and_nothing_is_recorded(
    playwright_instance, live_server, followed, banks
):
    from ateliers import services
    from tests.ateliers.conftest import BASE_ARGS
    from tests.conftest import CHROMIUM

    simulation = services.simulation_start(seeker=followed, job_family="retail")
    # Without --use-fake-ui-for-media-stream, Chromium denies the camera.
    browser = playwright_instance.chromium.launch(
        executable_path=CHROMIUM, args=[*BASE_ARGS, "--use-fake-device-for-media-stream"]
    )
    try:
        context, page = signed_in_page(browser, live_server, followed.user)
        page.goto(f"{live_server.url}/ateliers/simulations/{simulation.pk}/questions/1/")
        page.get_by_role("button", name="Commencer").click()
        page.get_by_text("Votre caméra n'a pas pu être ouverte").wait_for()
        assert page.get_by_role("button", name="Commencer").is_enabled()
        assert simulation.answers.get(position=1).status == AnswerStatus.EMPTY
        context.close()
    finally:
        browser.close()
        connections.close_all()
