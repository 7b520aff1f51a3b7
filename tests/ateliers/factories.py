from datetime import timedelta

import factory
from django.utils import timezone

from ateliers.models import (
    InterviewQuestion,
    JobFamily,
    Lesson,
    LessonKind,
    LiveSession,
    QuestionBank,
    QuizChoice,
    QuizQuestion,
    Registration,
    RegistrationStatus,
    Simulation,
    SimulationAnswer,
    Workshop,
)
from tests.advisors.factories import AdvisorFactory


class WorkshopFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Workshop

    title = factory.Sequence(lambda n: f"Atelier {n}")
    slug = factory.Sequence(lambda n: f"atelier-{n}")
    summary = "Un atelier en ligne."
    objectives = "Savoir faire\nSavoir dire"
    duration_minutes = 60

    class Params:
        unpublished = factory.Trait(is_published=False)


class LessonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lesson

    workshop = factory.SubFactory(WorkshopFactory)
    position = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Leçon {n}")
    body = "Du **texte**."

    class Params:
        quiz = factory.Trait(kind=LessonKind.QUIZ)
        exercise = factory.Trait(kind=LessonKind.EXERCISE)
        cv = factory.Trait(kind=LessonKind.CV)


class QuizQuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QuizQuestion

    lesson = factory.SubFactory(LessonFactory, quiz=True)
    position = factory.Sequence(lambda n: n + 1)
    prompt = factory.Sequence(lambda n: f"Question {n} ?")


class QuizChoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QuizChoice

    question = factory.SubFactory(QuizQuestionFactory)
    position = factory.Sequence(lambda n: n)
    text = factory.Sequence(lambda n: f"Réponse {n}")
    feedback = factory.LazyAttribute(lambda o: "Bien vu." if o.is_correct else "Pas tout à fait.")
    is_correct = False


class LiveSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LiveSession

    workshop = factory.SubFactory(WorkshopFactory)
    facilitator = factory.SubFactory(AdvisorFactory)
    agency = factory.SelfAttribute("facilitator.agency")
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=3))
    duration_minutes = 60
    capacity = 3

    class Params:
        open_now = factory.Trait(
            starts_at=factory.LazyFunction(lambda: timezone.now() - timedelta(minutes=5))
        )


class RegistrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Registration

    session = factory.SubFactory(LiveSessionFactory)
    seeker = None
    status = RegistrationStatus.REGISTERED


class QuestionBankFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QuestionBank
        django_get_or_create = ["job_family"]

    job_family = JobFamily.RETAIL
    title = factory.LazyAttribute(lambda o: f"Banque {o.job_family}")


class InterviewQuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InterviewQuestion

    bank = factory.SubFactory(QuestionBankFactory)
    position = factory.Sequence(lambda n: n)
    text = factory.Sequence(lambda n: f"Parlez-moi de vous ({n}).")
    prep_seconds = 1
    answer_seconds = 5


class SimulationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Simulation

    seeker = None
    job_family = JobFamily.RETAIL

    class Params:
        shared = factory.Trait(shared_at=factory.LazyFunction(timezone.now))


class SimulationAnswerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SimulationAnswer

    simulation = factory.SubFactory(SimulationFactory)
    position = factory.Sequence(lambda n: n + 1)
    question_text = "Pourquoi ce poste ?"
    prep_seconds = 1
    answer_seconds = 5
