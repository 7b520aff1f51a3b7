"""Every write of the e-ateliers: progress, quizzes, exercises, the CV exchange, registrations
and the waiting list, the session room (persisted, then published after commit), simulations and
their recorded takes, feedback, and the retention purge."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role
from portal.errors import Refusal

from .models import (
    AnswerStatus,
    CvComment,
    CvSubmission,
    ExerciseAnswer,
    Feedback,
    InterviewQuestion,
    JobFamily,
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
)

logger = logging.getLogger(__name__)


class AteliersError(Refusal):
    """A write the e-ateliers' rules refuse."""


def _delete_private_file(relative: str) -> None:
    if not relative:
        return
    root = Path(settings.PRIVATE_MEDIA_ROOT).resolve()
    path = (root / relative).resolve()
    if root in path.parents:
        path.unlink(missing_ok=True)


def _delete_after_commit(*relatives: str) -> None:
    """Files go only once the rows that named them are gone for good."""
    names = [name for name in relatives if name]
    if names:
        transaction.on_commit(lambda: [_delete_private_file(name) for name in names], robust=True)


# Progress, quizzes, exercises ----------------------------------------------------------------


def lesson_complete(*, seeker, lesson: Lesson) -> LessonProgress:
    """Marks a lesson done (idempotent: the first completion date is kept)."""
    progress, _created = LessonProgress.objects.get_or_create(seeker=seeker, lesson=lesson)
    return progress


@dataclass
class QuestionResult:
    question_id: int
    prompt: str
    correct: bool
    chosen: list = field(default_factory=list)  # [(choice, is_correct)]
    missed: list = field(default_factory=list)  # correct choices not chosen


@dataclass
class QuizResult:
    attempt: QuizAttempt
    questions: list[QuestionResult]

    @property
    def score(self) -> int:
        return self.attempt.score

    @property
    def max_score(self) -> int:
        return self.attempt.max_score


def quiz_score(questions, answers: dict[int, set[int]]) -> tuple[int, list[QuestionResult]]:
    """One point per question whose chosen answers are exactly its correct ones; every chosen
    answer brings back its own feedback. Choices that belong to another question are ignored."""
    score = 0
    results = []
    for question in questions:
        choices = list(question.choices.all())
        by_id = {choice.pk: choice for choice in choices}
        chosen_ids = {pk for pk in answers.get(question.pk, set()) if pk in by_id}
        correct_ids = {choice.pk for choice in choices if choice.is_correct}
        correct = bool(chosen_ids) and chosen_ids == correct_ids
        score += int(correct)
        results.append(
            QuestionResult(
                question_id=question.pk,
                prompt=question.prompt,
                correct=correct,
                chosen=[by_id[pk] for pk in sorted(chosen_ids, key=lambda pk: by_id[pk].position)],
                missed=[by_id[pk] for pk in correct_ids - chosen_ids],
            )
        )
    return score, results


@transaction.atomic
def quiz_submit(*, seeker, lesson: Lesson, answers: dict[int, set[int]]) -> QuizResult:
    """Scores a quiz, keeps the attempt and marks the quiz completed."""
    if lesson.kind != LessonKind.QUIZ:
        raise AteliersError("not_a_quiz", _("This lesson is not a quiz."))
    questions = list(lesson.questions.prefetch_related("choices"))
    score, results = quiz_score(questions, answers)
    attempt = QuizAttempt.objects.create(
        seeker=seeker,
        lesson=lesson,
        score=score,
        max_score=len(questions),
        answers={str(q): sorted(c) for q, c in answers.items()},
    )
    lesson_complete(seeker=seeker, lesson=lesson)
    return QuizResult(attempt=attempt, questions=results)


@transaction.atomic
def exercise_save(*, seeker, lesson: Lesson, body: str) -> ExerciseAnswer:
    if lesson.kind != LessonKind.EXERCISE:
        raise AteliersError("not_an_exercise", _("This lesson is not an exercise."))
    answer, _created = ExerciseAnswer.objects.update_or_create(
        seeker=seeker, lesson=lesson, defaults={"body": body, "updated_at": timezone.now()}
    )
    lesson_complete(seeker=seeker, lesson=lesson)
    return answer


# The CV exchange -----------------------------------------------------------------------------


@transaction.atomic
def cv_submit(*, seeker, upload, content_type: str, extension: str, note: str = "", lesson=None):
    """Stores a checked CV under a random name and completes the CV lesson when there is one."""
    original = Path(upload.name).name[:200] or f"cv.{extension}"
    upload.name = f"cv.{extension}"
    submission = CvSubmission.objects.create(
        seeker=seeker,
        lesson=lesson,
        file=upload,
        original_name=original,
        content_type=content_type,
        size=upload.size,
        note=note,
    )
    if lesson is not None:
        lesson_complete(seeker=seeker, lesson=lesson)
    if seeker.referent_id:
        submission_id = submission.pk
        transaction.on_commit(lambda: _enqueue("email_cv_received", submission_id), robust=True)
    return submission


def cv_comment(*, submission: CvSubmission, author, body: str) -> CvComment:
    body = (body or "").strip()
    if not body:
        raise AteliersError("empty", _("A comment cannot be empty."))
    comment = CvComment.objects.create(
        submission=submission, author=author, author_role=author.role, body=body
    )
    if author.role != Role.SEEKER:
        comment_id = comment.pk
        transaction.on_commit(lambda: _enqueue("email_cv_commented", comment_id), robust=True)
    return comment


def _enqueue(name: str, *args, run_after=None) -> None:
    from . import tasks

    task = getattr(tasks, name)
    if run_after is not None and task.get_backend().supports_defer:
        task = task.using(run_after=run_after)
    task.enqueue(*args)


# Live sessions: registration and the waiting list -------------------------------------------


@transaction.atomic
def session_register(*, session_id: int, seeker) -> Registration:
    """Registers a seeker, or puts them on the waiting list when the session is full.

    Holds the session row lock (select_for_update) from counting the registered seekers to
    writing the registration, so concurrent registrations never overbook. A seeker already
    registered or waiting gets their registration back unchanged."""
    session = LiveSession.objects.select_for_update().get(pk=session_id)
    if session.cancelled_at is not None:
        raise AteliersError("cancelled", _("This session was cancelled."))
    if session.starts_at <= timezone.now():
        raise AteliersError("started", _("This session has already started."))
    existing = (
        Registration.objects.filter(session=session, seeker=seeker)
        .exclude(status=RegistrationStatus.CANCELLED)
        .first()
    )
    if existing is not None:
        return existing
    taken = Registration.objects.filter(
        session=session, status=RegistrationStatus.REGISTERED
    ).count()
    status = (
        RegistrationStatus.REGISTERED if taken < session.capacity else RegistrationStatus.WAITING
    )
    registration = Registration.objects.create(session=session, seeker=seeker, status=status)
    registration_id = registration.pk
    kind = "registered" if status == RegistrationStatus.REGISTERED else "waiting"
    transaction.on_commit(
        lambda: _enqueue("email_registration", registration_id, kind), robust=True
    )
    if status == RegistrationStatus.REGISTERED:
        _schedule_reminder(registration)
    return registration


def _schedule_reminder(registration: Registration) -> None:
    registration_id = registration.pk
    due = registration.session.starts_at - timedelta(hours=settings.ATELIERS_REMINDER_HOURS_BEFORE)
    transaction.on_commit(
        lambda: _enqueue("remind_registration", registration_id, run_after=due), robust=True
    )


def _promote_waiting(session: LiveSession) -> list[Registration]:
    """Fills free places from the waiting list, first come first served. The caller holds the
    session row lock."""
    taken = Registration.objects.filter(
        session=session, status=RegistrationStatus.REGISTERED
    ).count()
    free = max(session.capacity - taken, 0)
    if not free:
        return []
    promoted = list(
        Registration.objects.filter(session=session, status=RegistrationStatus.WAITING).order_by(
            "created_at", "pk"
        )[:free]
    )
    now = timezone.now()
    for registration in promoted:
        registration.status = RegistrationStatus.REGISTERED
        registration.promoted_at = now
        registration.save(update_fields=["status", "promoted_at"])
        registration_id = registration.pk
        transaction.on_commit(
            lambda pk=registration_id: _enqueue("email_registration", pk, "promoted"), robust=True
        )
        _schedule_reminder(registration)
    return promoted


@transaction.atomic
def registration_cancel(*, registration_id: int, seeker) -> Registration | None:
    """Cancels the seeker's registration (or their place on the waiting list) and, when a place
    frees, promotes the next person waiting and emails them.

    Holds the session row lock, the same lock registration takes, so a freed place goes to
    exactly one waiting person. Returns the promoted registration, if any."""
    registration = Registration.objects.select_related("session").get(
        pk=registration_id, seeker=seeker
    )
    session = LiveSession.objects.select_for_update().get(pk=registration.session_id)
    registration = Registration.objects.get(pk=registration.pk)
    if registration.status == RegistrationStatus.CANCELLED:
        return None
    was_registered = registration.status == RegistrationStatus.REGISTERED
    registration.status = RegistrationStatus.CANCELLED
    registration.cancelled_at = timezone.now()
    registration.save(update_fields=["status", "cancelled_at"])
    if was_registered:
        transaction.on_commit(
            lambda: _enqueue("email_registration", registration_id, "cancelled"), robust=True
        )
    if not was_registered or session.starts_at <= timezone.now():
        return None
    promoted = _promote_waiting(session)
    return promoted[0] if promoted else None


@transaction.atomic
def session_fill(*, session_id: int) -> list[Registration]:
    """After a manager raised the capacity: promotes as many waiting seekers as now fit.
    Holds the session row lock."""
    session = LiveSession.objects.select_for_update().get(pk=session_id)
    if session.cancelled_at is not None or session.starts_at <= timezone.now():
        return []
    return _promote_waiting(session)


@transaction.atomic
def session_cancel(*, session_id: int) -> int:
    """Cancels a session and tells everyone registered or waiting (with METHOD:CANCEL for the
    registered). Holds the session row lock. Returns how many people are told."""
    session = LiveSession.objects.select_for_update().get(pk=session_id)
    if session.cancelled_at is None:
        session.cancelled_at = timezone.now()
        session.save(update_fields=["cancelled_at"])
    told = 0
    for registration in Registration.objects.filter(session=session).exclude(
        status=RegistrationStatus.CANCELLED
    ):
        registration_id = registration.pk
        transaction.on_commit(
            lambda pk=registration_id: _enqueue("email_registration", pk, "session_cancelled"),
            robust=True,
        )
        told += 1
    return told


def registration_mark_reminded(*, registration_id: int) -> bool:
    """Claims the reminder of one registration: True once, False after (no double email)."""
    return bool(
        Registration.objects.filter(
            pk=registration_id, status=RegistrationStatus.REGISTERED, reminded_at__isnull=True
        ).update(reminded_at=timezone.now())
    )


# The session room ------------------------------------------------------------------------------


# A participant sends at most this many room messages in this many seconds (retries excepted).
ROOM_RATE_MESSAGES = 10
ROOM_RATE_SECONDS = 10


def room_group(session_id: int) -> str:
    return f"ateliers.room.{session_id}"


def publish(session_id: int, event: dict) -> None:
    """Rings the doorbell of every socket of the room. Called after commit only; a lost event
    costs latency, never a message: clients sync by seq."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(room_group(session_id), event)
    except Exception:
        logger.exception("ateliers: could not publish %s to room %s", event.get("type"), session_id)


def check_body(body) -> str:
    if not isinstance(body, str) or not body.strip():
        raise AteliersError("empty_body", _("A message cannot be empty."))
    if len(body) > settings.ATELIERS_ROOM_MAX_BODY_CHARS:
        raise AteliersError(
            "body_too_long",
            _("A message has at most %(max)s characters.")
            % {"max": settings.ATELIERS_ROOM_MAX_BODY_CHARS},
        )
    return body


def room_payload(message: RoomMessage) -> dict:
    return {
        "seq": message.seq,
        "client_id": str(message.client_id),
        "author": {
            "id": message.author_id,
            "name": str(message.author),
            "role": message.author_role,
        },
        "body": message.body,
        "sent_at": message.sent_at.isoformat(),
    }


@transaction.atomic
def room_message_send(
    *, session_id: int, author, client_id: uuid.UUID, body: str, sender_channel: str | None = None
) -> tuple[RoomMessage, bool]:
    """Stores a room message with the session's next seq, then publishes it after commit.

    Holds the session row lock from reading last_seq to writing it: seqs are gap-free and never
    repeat. A client_id already stored returns that message and writes nothing (the retry of an
    unacknowledged send). A muted participant, or one over the rate limit, is refused.
    Returns (message, created)."""
    check_body(body)
    existing = RoomMessage.objects.filter(session_id=session_id, client_id=client_id).first()
    if existing is None:
        session = LiveSession.objects.select_for_update().get(pk=session_id)
        existing = RoomMessage.objects.filter(session_id=session_id, client_id=client_id).first()
    if existing is not None:
        if existing.author_id != author.pk:
            raise AteliersError("client_id_conflict", "This client_id belongs to another message.")
        return existing, False
    since = timezone.now() - timedelta(seconds=ROOM_RATE_SECONDS)
    recent = RoomMessage.objects.filter(session_id=session_id, author=author, sent_at__gte=since)
    if recent.count() >= ROOM_RATE_MESSAGES:
        raise AteliersError(
            "rate_limited",
            _("Too many messages: at most %(count)s in %(seconds)s seconds. Wait a moment.")
            % {"count": ROOM_RATE_MESSAGES, "seconds": ROOM_RATE_SECONDS},
        )
    if (
        session.facilitator.user_id != author.pk
        and Registration.objects.filter(session_id=session_id, seeker__user=author, muted=True)
        .exclude(status=RegistrationStatus.CANCELLED)
        .exists()
    ):
        raise AteliersError("muted", _("The facilitator has muted you in this room."))
    seq = session.last_seq + 1
    message = RoomMessage.objects.create(
        session=session,
        seq=seq,
        client_id=client_id,
        author=author,
        author_role=author.role,
        body=body,
    )
    session.last_seq = seq
    session.save(update_fields=["last_seq"])
    event = {
        "type": "room.message",
        "message": room_payload(message),
        "sender_channel": sender_channel,
    }
    transaction.on_commit(lambda: publish(session_id, event), robust=True)
    return message, True


@transaction.atomic
def room_pin(*, session_id: int, seq: int | None) -> RoomMessage | None:
    """Pins one room message (or unpins with seq=None). Holds the session row lock."""
    session = LiveSession.objects.select_for_update().get(pk=session_id)
    message = None
    if seq is not None:
        message = RoomMessage.objects.filter(session=session, seq=seq).first()
        if message is None:
            raise AteliersError("no_such_message", _("There is no such message in this room."))
    session.pinned_message = message
    session.save(update_fields=["pinned_message"])
    event = {"type": "room.pin", "message": room_payload(message) if message else None}
    transaction.on_commit(lambda: publish(session_id, event), robust=True)
    return message


@transaction.atomic
def participant_mute(*, session_id: int, seeker_user_id: int, muted: bool) -> Registration:
    registration = (
        Registration.objects.select_for_update()
        .filter(session_id=session_id, seeker__user_id=seeker_user_id)
        .exclude(status=RegistrationStatus.CANCELLED)
        .first()
    )
    if registration is None:
        raise AteliersError("no_such_participant", _("This person is not registered."))
    registration.muted = muted
    registration.save(update_fields=["muted"])
    event = {"type": "room.mute", "user_id": seeker_user_id, "muted": muted}
    transaction.on_commit(lambda: publish(session_id, event), robust=True)
    return registration


def attendance_mark_joined(*, session_id: int, user) -> bool:
    """Records the first time a registered seeker joins the room; True the first time."""
    return bool(
        Registration.objects.filter(
            session_id=session_id,
            seeker__user=user,
            status=RegistrationStatus.REGISTERED,
            joined_at__isnull=True,
        ).update(joined_at=timezone.now())
    )


def attendance_correct(*, session: LiveSession, registration_id: int, attended: bool | None):
    """The facilitator's correction of who attended (None goes back to who joined)."""
    updated = Registration.objects.filter(
        pk=registration_id, session=session, status=RegistrationStatus.REGISTERED
    ).update(attended_override=attended)
    if not updated:
        raise AteliersError("no_such_participant", _("This person is not registered."))


# Interview simulations ------------------------------------------------------------------------

GENERAL_QUESTIONS = 2
FAMILY_QUESTIONS = 3


@transaction.atomic
def simulation_start(*, seeker, job_family: str) -> Simulation:
    """A simulation with the bank's general questions first, then the job family's, copied so
    that later edits of the bank never rewrite it."""
    if job_family not in JobFamily.values or job_family == JobFamily.GENERAL:
        raise AteliersError("bad_family", _("Choose a job family."))
    active = InterviewQuestion.objects.filter(is_active=True).order_by("position", "pk")
    questions = list(active.filter(bank__job_family=JobFamily.GENERAL)[:GENERAL_QUESTIONS]) + list(
        active.filter(bank__job_family=job_family)[:FAMILY_QUESTIONS]
    )
    if not questions:
        raise AteliersError("no_questions", _("There is no question for this job family yet."))
    simulation = Simulation.objects.create(seeker=seeker, job_family=job_family)
    SimulationAnswer.objects.bulk_create(
        SimulationAnswer(
            simulation=simulation,
            position=index,
            question=question,
            question_text=question.text,
            advice=question.advice,
            prep_seconds=question.prep_seconds,
            answer_seconds=question.answer_seconds,
        )
        for index, question in enumerate(questions, start=1)
    )
    return simulation


def simulation_share(*, simulation: Simulation, shared: bool) -> Simulation:
    if shared and simulation.seeker.referent_id is None:
        raise AteliersError("no_advisor", _("You have no referent advisor to share with yet."))
    simulation.shared_at = timezone.now() if shared else None
    simulation.save(update_fields=["shared_at"])
    return simulation


@transaction.atomic
def simulation_delete(*, simulation: Simulation) -> None:
    """Deletes a simulation, its feedback and, once committed, every recording of it."""
    files = list(simulation.answers.values_list("recording", flat=True))
    simulation.delete()
    _delete_after_commit(*files)


def recording_relative_path(answer: SimulationAnswer, token: uuid.UUID) -> str:
    return f"ateliers/simulations/{answer.simulation_id}/{answer.position}-{token.hex}.webm"


@transaction.atomic
def answer_take_begin(*, answer_id: int) -> tuple[uuid.UUID, str]:
    """Opens a new take of an answer. Holds the answer row lock so that two takes never share a
    token. The previous recording stays until the new take succeeds."""
    answer = SimulationAnswer.objects.select_for_update().get(pk=answer_id)
    if answer.status == AnswerStatus.PURGED:
        raise AteliersError("purged", _("This simulation's recordings were deleted."))
    token = uuid.uuid4()
    answer.take_token = token
    answer.status = AnswerStatus.RECORDING
    answer.save(update_fields=["take_token", "status"])
    return token, recording_relative_path(answer, token)


@transaction.atomic
def answer_take_finish(
    *, answer_id: int, token: uuid.UUID, relative: str, duration: float | None, ok: bool
) -> SimulationAnswer | None:
    """Keeps a finished take if it is still the current one; otherwise its file goes.

    Holds the answer row lock. On success the former recording is deleted after commit (redo)."""
    answer = SimulationAnswer.objects.select_for_update().filter(pk=answer_id).first()
    if answer is None or answer.take_token != token:
        _delete_after_commit(relative)
        return answer
    answer.take_token = None
    if ok:
        _delete_after_commit(answer.recording)
        answer.recording = relative
        answer.duration_seconds = duration
        answer.recorded_at = timezone.now()
        answer.takes += 1
        answer.status = AnswerStatus.READY
    else:
        _delete_after_commit(relative)
        answer.status = AnswerStatus.READY if answer.recording else AnswerStatus.FAILED
    answer.save()
    return answer


def feedback_add(
    *,
    answer: SimulationAnswer,
    author,
    at_seconds: float,
    criterion: str,
    rating: int,
    comment: str,
) -> Feedback:
    if answer.status != AnswerStatus.READY:
        raise AteliersError("no_recording", _("This answer has no recording."))
    if answer.duration_seconds is not None and at_seconds > answer.duration_seconds + 1:
        raise AteliersError("bad_time", _("This moment is after the end of the recording."))
    return Feedback.objects.create(
        answer=answer,
        author=author,
        at_seconds=at_seconds,
        criterion=criterion,
        rating=rating,
        comment=comment,
    )


def recordings_purge(*, now=None) -> int:
    """Deletes every recording older than the retention period (ATELIERS_RECORDING_RETENTION_DAYS);
    the answers stay, marked purged, with their feedback. Returns how many were purged.

    Each answer is purged in its own short transaction under its row lock, so a take being
    recorded is never caught in a long one."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.ATELIERS_RECORDING_RETENTION_DAYS)
    purged = 0
    ids = list(
        SimulationAnswer.objects.filter(
            recorded_at__lt=cutoff, status__in=[AnswerStatus.READY, AnswerStatus.FAILED]
        ).values_list("pk", flat=True)
    )
    for answer_id in ids:
        with transaction.atomic():
            answer = (
                SimulationAnswer.objects.select_for_update()
                .filter(pk=answer_id, recorded_at__lt=cutoff)
                .first()
            )
            if answer is None:
                continue
            _delete_after_commit(answer.recording)
            answer.recording = ""
            answer.status = AnswerStatus.PURGED
            answer.take_token = None
            answer.save(update_fields=["recording", "status", "take_token"])
            purged += 1
    return purged
