"""Interview simulations: question banks, who may see and replay a recording (the seeker, and
their advisor only once shared), feedback with the rubric, deletion by the seeker, and the
retention purge."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ateliers import services, tasks
from ateliers.models import AnswerStatus, Feedback, JobFamily, Simulation, SimulationAnswer
from tests.ateliers.factories import (
    InterviewQuestionFactory,
    QuestionBankFactory,
    SimulationAnswerFactory,
    SimulationFactory,
)

pytestmark = pytest.mark.django_db

WEBM = b"\x1a\x45\xdf\xa3 fake webm bytes"


def recorded_answer(simulation, private_root, position=1, *, days_ago=0):
    relative = f"ateliers/simulations/{simulation.pk}/{position}-test.webm"
    path = private_root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(WEBM)
    return SimulationAnswerFactory(
        simulation=simulation,
        position=position,
        status=AnswerStatus.READY,
        recording=relative,
        duration_seconds=4.0,
        recorded_at=timezone.now() - timedelta(days=days_ago),
    )


def status_of(client, url) -> int:
    """GETs a URL and closes the response (a served file holds an open handle)."""
    response = client.get(url)
    # Reading a served file to its end closes it (the test client's closing wrapper).
    if response.streaming:
        b"".join(response.streaming_content)
    return response.status_code


def media_url(answer):
    return reverse("ateliers:answer_media", args=[answer.simulation_id, answer.position])


def test_start_copies_general_then_family_questions(followed, make_client):
    general = QuestionBankFactory(job_family=JobFamily.GENERAL)
    retail = QuestionBankFactory(job_family=JobFamily.RETAIL)
    hospitality = QuestionBankFactory(job_family=JobFamily.HOSPITALITY)
    g1 = InterviewQuestionFactory(bank=general, text="Présentez-vous.")
    InterviewQuestionFactory(bank=general, text="Pourquoi nous ?")
    InterviewQuestionFactory(bank=general, text="Inactive", is_active=False)
    r1 = InterviewQuestionFactory(bank=retail, text="Un client mécontent ?")
    InterviewQuestionFactory(bank=hospitality, text="Le service du soir ?")
    response = make_client(followed.user).post(
        reverse("ateliers:simulations"), {"job_family": "retail"}
    )
    simulation = Simulation.objects.get(seeker=followed)
    assert response.status_code == 302
    assert response.url == reverse("ateliers:simulation_question", args=[simulation.pk, 1])
    texts = list(simulation.answers.values_list("question_text", flat=True))
    assert texts == ["Présentez-vous.", "Pourquoi nous ?", "Un client mécontent ?"]
    assert simulation.shared_at is None  # nothing is shared by default
    g1.text = "Changed later"
    g1.save()
    r1.delete()
    assert simulation.answers.get(position=1).question_text == "Présentez-vous."
    assert simulation.answers.count() == 3


def test_owner_replays_as_private_attachment(followed, make_client, private_root):
    answer = recorded_answer(SimulationFactory(seeker=followed), private_root)
    response = make_client(followed.user).get(media_url(answer))
    assert response.status_code == 200
    assert response["Content-Type"] == "video/webm"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content) == WEBM


def test_nobody_else_sees_an_unshared_simulation(
    followed, advisor, other_seeker, other_advisor, manager, make_client, private_root
):
    simulation = SimulationFactory(seeker=followed)
    answer = recorded_answer(simulation, private_root)
    for user in (advisor.user, other_seeker.user, other_advisor.user, manager):
        client = make_client(user)
        assert client.get(simulation.get_absolute_url()).status_code == 404
        assert status_of(client, media_url(answer)) == 404


def test_advisor_replays_only_once_shared_and_until_unshared(
    followed, advisor, other_advisor, other_seeker, make_client, private_root
):
    simulation = SimulationFactory(seeker=followed)
    answer = recorded_answer(simulation, private_root)
    seeker_client = make_client(followed.user)
    advisor_client = make_client(advisor.user)
    assert status_of(advisor_client, media_url(answer)) == 404

    seeker_client.post(reverse("ateliers:simulation_share", args=[simulation.pk]), {"share": "1"})
    assert Simulation.objects.get(pk=simulation.pk).shared_at is not None
    assert advisor_client.get(simulation.get_absolute_url()).status_code == 200
    assert status_of(advisor_client, media_url(answer)) == 200
    for user in (other_advisor.user, other_seeker.user):
        assert status_of(make_client(user), media_url(answer)) == 404

    seeker_client.post(reverse("ateliers:simulation_share", args=[simulation.pk]), {"share": "0"})
    assert status_of(advisor_client, media_url(answer)) == 404


def test_only_the_owner_shares_deletes_or_records(followed, advisor, other_seeker, make_client):
    simulation = SimulationFactory(seeker=followed, shared=True)
    SimulationAnswerFactory(simulation=simulation, position=1)
    for user in (advisor.user, other_seeker.user):
        client = make_client(user)
        share = reverse("ateliers:simulation_share", args=[simulation.pk])
        assert client.post(share, {"share": "0"}).status_code == 404
        delete = reverse("ateliers:simulation_delete", args=[simulation.pk])
        assert client.post(delete).status_code == 404
        offer = reverse("ateliers:take_offer", args=[simulation.pk, 1])
        assert client.post(offer, {}, content_type="application/json").status_code == 404
    assert Simulation.objects.get(pk=simulation.pk).shared_at is not None


def test_feedback_with_rubric_after_sharing(
    followed, advisor, other_advisor, make_client, private_root
):
    simulation = SimulationFactory(seeker=followed)
    answer = recorded_answer(simulation, private_root)
    url = reverse("ateliers:feedback_add", args=[simulation.pk, 1])
    data = {"at_seconds": "2.5", "criterion": "posture", "rating": "3", "comment": "Dos droit."}
    assert make_client(advisor.user).post(url, data).status_code == 404
    simulation.shared_at = timezone.now()
    simulation.save()
    assert make_client(other_advisor.user).post(url, data).status_code == 404
    assert make_client(followed.user).post(url, data).status_code == 404
    assert make_client(advisor.user).post(url, data).status_code == 302
    feedback = Feedback.objects.get()
    assert (feedback.answer, feedback.at_seconds, feedback.criterion, feedback.rating) == (
        answer,
        2.5,
        "posture",
        3,
    )
    page = make_client(followed.user).get(simulation.get_absolute_url()).content.decode()
    assert "Dos droit." in page and 'data-seek="2.5"' in page
    # A moment after the end of the answer is refused.
    make_client(advisor.user).post(url, {**data, "at_seconds": "60"})
    assert Feedback.objects.count() == 1


def test_seeker_deletes_a_simulation_and_its_files(
    followed, make_client, private_root, django_capture_on_commit_callbacks
):
    simulation = SimulationFactory(seeker=followed, shared=True)
    answer = recorded_answer(simulation, private_root)
    path = private_root / answer.recording
    with django_capture_on_commit_callbacks(execute=True):
        response = make_client(followed.user).post(
            reverse("ateliers:simulation_delete", args=[simulation.pk])
        )
    assert response.status_code == 302
    assert not Simulation.objects.exists() and not SimulationAnswer.objects.exists()
    assert not path.exists()


def test_retention_purge(followed, private_root, settings, django_capture_on_commit_callbacks):
    settings.ATELIERS_RECORDING_RETENTION_DAYS = 90
    simulation = SimulationFactory(seeker=followed, shared=True)
    old = recorded_answer(simulation, private_root, 1, days_ago=91)
    recent = recorded_answer(simulation, private_root, 2, days_ago=89)
    old_path, recent_path = private_root / old.recording, private_root / recent.recording
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.purge_expired_recordings.call() == 1
    old.refresh_from_db()
    assert old.status == AnswerStatus.PURGED and old.recording == ""
    assert not old_path.exists() and recent_path.exists()
    assert SimulationAnswer.objects.get(pk=recent.pk).status == AnswerStatus.READY
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.purge_expired_recordings.call() == 0

    settings.ATELIERS_RECORDING_RETENTION_DAYS = 30
    with django_capture_on_commit_callbacks(execute=True):
        assert services.recordings_purge() == 1
    assert not recent_path.exists()


def test_purged_answers_cannot_be_replayed(followed, make_client, private_root):
    simulation = SimulationFactory(seeker=followed)
    answer = recorded_answer(simulation, private_root, days_ago=100)
    services.recordings_purge()
    assert status_of(make_client(followed.user), media_url(answer)) == 404


def test_take_finish_keeps_only_the_current_take(
    followed, private_root, django_capture_on_commit_callbacks
):
    simulation = SimulationFactory(seeker=followed)
    answer = recorded_answer(simulation, private_root)
    first_path = private_root / answer.recording
    stale_token, stale = services.answer_take_begin(answer_id=answer.pk)
    token, relative = services.answer_take_begin(answer_id=answer.pk)
    for name in (stale, relative):
        (private_root / name).write_bytes(WEBM)
    with django_capture_on_commit_callbacks(execute=True):
        services.answer_take_finish(
            answer_id=answer.pk, token=stale_token, relative=stale, duration=3, ok=True
        )
    assert not (private_root / stale).exists()  # an abandoned take is dropped
    with django_capture_on_commit_callbacks(execute=True):
        services.answer_take_finish(
            answer_id=answer.pk, token=token, relative=relative, duration=3, ok=True
        )
    answer.refresh_from_db()
    assert answer.recording == relative and answer.status == AnswerStatus.READY
    assert not first_path.exists()  # the redo replaced the former recording


def test_bad_offers_are_refused(followed, make_client):
    simulation = SimulationFactory(seeker=followed)
    SimulationAnswerFactory(simulation=simulation, position=1)
    url = reverse("ateliers:take_offer", args=[simulation.pk, 1])
    client = make_client(followed.user)
    for body in ({}, {"sdp": "hello"}, {"sdp": "v=0\r\n" + "a=x\r\n" * 700}):
        response = client.post(url, body, content_type="application/json")
        assert response.status_code == 400
        assert response.json()["type"] == "error"
    assert SimulationAnswer.objects.get().status == AnswerStatus.EMPTY


def test_purge_command_enqueues_the_task(
    followed, private_root, django_capture_on_commit_callbacks
):
    from io import StringIO

    from django.core.management import call_command

    answer = recorded_answer(SimulationFactory(seeker=followed), private_root, days_ago=120)
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("ateliers_tasks", "purge", stdout=out)
    assert "purge: task" in out.getvalue()
    answer.refresh_from_db()
    assert answer.status == AnswerStatus.PURGED


def test_stop_of_a_take_running_elsewhere_asks_to_retry(followed, make_client):
    simulation = SimulationFactory(seeker=followed)
    answer = SimulationAnswerFactory(simulation=simulation, position=1)
    token, _relative = services.answer_take_begin(answer_id=answer.pk)
    url = reverse("ateliers:take_stop", args=[simulation.pk, 1])
    response = make_client(followed.user).post(
        url, {"token": str(token)}, content_type="application/json"
    )
    assert response.status_code == 202 and response.json()["status"] == "recording"
