"""Reads of the e-ateliers that are more than one queryset call. Each returns plain data or a
QuerySet in a fixed number of queries, whatever the number of rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, IntegerField, Max, OuterRef, Prefetch, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from seekers.models import Seeker

from .models import (
    AnswerStatus,
    CvSubmission,
    Lesson,
    LessonKind,
    LessonProgress,
    LiveSession,
    QuizAttempt,
    Registration,
    RegistrationStatus,
    RoomMessage,
    Simulation,
    SimulationAnswer,
    Workshop,
)
from .permissions import followed_by_q


def catalogue(seeker=None):
    """Published workshops, each with its lesson count and, for a seeker, how many they did."""
    workshops = Workshop.objects.published().annotate(lesson_count=Count("lessons", distinct=True))
    if seeker is not None:
        workshops = workshops.annotate(
            done_count=Count(
                "lessons__progress",
                filter=Q(lessons__progress__seeker=seeker),
                distinct=True,
            )
        )
    return workshops


@dataclass
class LessonRow:
    lesson: Lesson
    completed_at: object
    best_score: int | None
    max_score: int | None


def workshop_lessons(workshop: Workshop, seeker=None) -> list[LessonRow]:
    """The workshop's lessons in order, with the seeker's completion and best quiz score."""
    lessons = list(workshop.lessons.order_by("position"))
    done = {}
    best = {}
    if seeker is not None:
        done = dict(
            LessonProgress.objects.filter(seeker=seeker, lesson__workshop=workshop).values_list(
                "lesson_id", "completed_at"
            )
        )
        for row in (
            QuizAttempt.objects.filter(seeker=seeker, lesson__workshop=workshop)
            .values("lesson_id", "max_score")
            .annotate(best=Max("score"))
        ):
            best[row["lesson_id"]] = (row["best"], row["max_score"])
    return [
        LessonRow(
            lesson=lesson,
            completed_at=done.get(lesson.pk),
            best_score=best.get(lesson.pk, (None, None))[0],
            max_score=best.get(lesson.pk, (None, None))[1],
        )
        for lesson in lessons
    ]


@dataclass
class WorkshopProgress:
    workshop: Workshop
    lesson_count: int
    done_count: int
    last_activity: object
    quizzes: list  # [(lesson title, best score, max score, attempts)]

    @property
    def percent(self) -> int:
        return round(self.done_count * 100 / self.lesson_count) if self.lesson_count else 0


def seeker_progress(seeker: Seeker) -> dict:
    """What a seeker did in the e-ateliers, for them and their advisor: per workshop started,
    lessons done and quiz results; their CVs; their simulations (shared or not is the caller's
    concern). Five queries, whatever the amount of work."""
    workshops = {
        w.pk: w
        for w in Workshop.objects.annotate(lesson_count=Count("lessons", distinct=True)).filter(
            lessons__progress__seeker=seeker
        )
    }
    done_rows = (
        LessonProgress.objects.filter(seeker=seeker)
        .values("lesson__workshop_id")
        .annotate(done=Count("pk"), last=Max("completed_at"))
    )
    quiz_rows = (
        QuizAttempt.objects.filter(seeker=seeker)
        .values("lesson__workshop_id", "lesson__title", "lesson__position", "max_score")
        .annotate(best=Max("score"), attempts=Count("pk"))
        .order_by("lesson__workshop_id", "lesson__position")
    )
    quizzes: dict[int, list] = {}
    for row in quiz_rows:
        quizzes.setdefault(row["lesson__workshop_id"], []).append(
            (row["lesson__title"], row["best"], row["max_score"], row["attempts"])
        )
    progress = []
    for row in done_rows:
        workshop = workshops.get(row["lesson__workshop_id"])
        if workshop is None:
            continue
        progress.append(
            WorkshopProgress(
                workshop=workshop,
                lesson_count=workshop.lesson_count,
                done_count=row["done"],
                last_activity=row["last"],
                quizzes=quizzes.get(workshop.pk, []),
            )
        )
    progress.sort(key=lambda p: (p.workshop.position, p.workshop.title))
    cvs = list(
        CvSubmission.objects.filter(seeker=seeker).annotate(comment_count=Count("comments"))[:20]
    )
    return {"workshops": progress, "cvs": cvs}


def _count_per_seeker(queryset):
    """How many rows of `queryset` belong to the outer seeker, as a correlated subquery."""
    rows = (
        queryset.filter(seeker=OuterRef("pk"))
        .order_by()
        .values("seeker")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


def caseload_activity(advisor):
    """The advisor's followed seekers with their e-atelier activity counts, in one query.
    Each count is its own subquery: three joins counted DISTINCT would group the product of
    every seeker's lessons, CVs and simulations."""
    return (
        Seeker.objects.filter(followed_by_q(advisor))
        .select_related("user")
        .only("user__first_name", "user__last_name")
        .annotate(
            lessons_done=_count_per_seeker(LessonProgress.objects.all()),
            cvs=_count_per_seeker(CvSubmission.objects.all()),
            shared_simulations=_count_per_seeker(
                Simulation.objects.filter(shared_at__isnull=False)
            ),
        )
        .order_by("user__last_name", "user__first_name")
    )


def sessions_for_seeker(seeker, now=None):
    """Upcoming live sessions of the seeker's agency with their counts and the seeker's own
    registration (prefetched), in two queries."""
    now = now or timezone.now()
    return (
        LiveSession.objects.filter(
            Q(agency_id=seeker.agency_id)
            | Q(pk__in=Registration.objects.filter(seeker=seeker).values("session_id")),
            cancelled_at__isnull=True,
            starts_at__gte=now - timedelta(hours=3),
        )
        .select_related("workshop", "facilitator__user")
        .with_counts()
        .prefetch_related(
            Prefetch(
                "registrations",
                queryset=Registration.objects.filter(seeker=seeker).exclude(
                    status=RegistrationStatus.CANCELLED
                ),
                to_attr="mine",
            )
        )
        .order_by("starts_at")
    )


def sessions_for_facilitator(advisor, now=None):
    now = now or timezone.now()
    return (
        LiveSession.objects.filter(facilitator=advisor, starts_at__gte=now - timedelta(days=30))
        .select_related("workshop")
        .with_counts()
        .order_by("starts_at")
    )


def waiting_position(registration: Registration) -> int | None:
    if registration.status != RegistrationStatus.WAITING:
        return None
    return (
        Registration.objects.filter(
            session_id=registration.session_id, status=RegistrationStatus.WAITING
        )
        .filter(
            Q(created_at__lt=registration.created_at)
            | Q(created_at=registration.created_at, pk__lt=registration.pk)
        )
        .count()
        + 1
    )


def attendance(session: LiveSession):
    return (
        Registration.objects.filter(session=session)
        .exclude(status=RegistrationStatus.CANCELLED)
        .select_related("seeker__user")
        .order_by("status", "created_at", "pk")
    )


def room_messages_after(session_id: int, after_seq: int, limit: int) -> list[RoomMessage]:
    return list(
        RoomMessage.objects.filter(session_id=session_id, seq__gt=after_seq)
        .select_related("author")
        .order_by("seq")[:limit]
    )


def simulation_answers(simulation: Simulation):
    return list(
        SimulationAnswer.objects.filter(simulation=simulation)
        .prefetch_related("feedback__author")
        .order_by("position")
    )


def simulations_of_seeker(seeker):
    return Simulation.objects.filter(seeker=seeker).annotate(
        recorded=Count("answers", filter=Q(answers__status=AnswerStatus.READY)),
        total=Count("answers"),
    )


def cv_lesson(workshop_slug: str | None = None):
    lessons = Lesson.objects.filter(kind=LessonKind.CV, workshop__is_published=True)
    if workshop_slug:
        lessons = lessons.filter(workshop__slug=workshop_slug)
    return lessons.order_by("workshop__position", "position").first()
