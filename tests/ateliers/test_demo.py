"""The demo data of the e-ateliers: the three workshops of the issue, question banks, sessions
with a waiting list, and progress of demo seekers; a second run writes nothing."""

import io
import time

import pytest

from ateliers import demo
from ateliers.models import (
    AnswerStatus,
    CvSubmission,
    InterviewQuestion,
    LessonProgress,
    LiveSession,
    QuestionBank,
    Registration,
    Simulation,
    Workshop,
)
from ateliers.tracks import recording_duration
from tests.accounts.factories import UserFactory
from tests.advisors.factories import AdvisorFactory
from tests.seekers.factories import SeekerFactory

pytestmark = pytest.mark.django_db


def test_seed_is_complete_fast_and_idempotent(agency, private_root):
    advisors = [AdvisorFactory(agency=agency) for _ in range(3)]
    for number in range(1, 41):
        SeekerFactory(
            agency=agency,
            followed=True,
            referent=advisors[number % 3],
            user=UserFactory(email=f"demandeur{number:04d}@demo.test"),
        )
    out = io.StringIO()
    started = time.monotonic()
    demo.seed(agency=agency, advisors=advisors, stdout=out)
    first_run = time.monotonic() - started
    counts = {
        model: model.objects.count()
        for model in (Workshop, LiveSession, Registration, LessonProgress, Simulation)
    }
    started = time.monotonic()
    demo.seed(agency=agency, advisors=advisors, stdout=out)
    second_run = time.monotonic() - started
    print(f"seed: first run {first_run:.2f} s, second run {second_run:.2f} s")
    assert {m: m.objects.count() for m in counts} == counts
    assert first_run < 10

    titles = set(Workshop.objects.values_list("title", flat=True))
    assert titles == {
        "Réaliser son CV",
        "Utiliser les réseaux sociaux pour sa recherche d'emploi",
        "Réussir son entretien d'embauche",
    }
    assert Workshop.objects.get(slug="reussir-son-entretien").has_simulation
    assert QuestionBank.objects.count() == 5
    assert InterviewQuestion.objects.filter(bank__job_family="general").count() >= 3
    assert Registration.objects.filter(status="waiting").exists()
    now_sessions = LiveSession.objects.all()
    assert any(s.starts_at < s.created_at for s in now_sessions)  # past ones
    assert LessonProgress.objects.filter(seeker__user__email="demandeur0001@demo.test").exists()
    cv = CvSubmission.objects.get()
    assert (private_root / cv.file.name).exists() and cv.comments.exists()
    simulation = Simulation.objects.get()
    assert simulation.shared_at is not None
    for answer in simulation.answers.all():
        assert answer.status == AnswerStatus.READY
        assert recording_duration(private_root / answer.recording) == pytest.approx(3.0, abs=0.2)
    assert simulation.answers.first().feedback.count() == 2
