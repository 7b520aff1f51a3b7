"""E-ateliers: the workshop catalogue and its self-paced lessons, quizzes and exercises, the CV
exchange, live sessions with their registrations and room chat, and interview simulations
recorded answer by answer for the advisor's feedback."""

import os
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role


class PrivateStorage(FileSystemStorage):
    """Files under settings.PRIVATE_MEDIA_ROOT, read at each use (not at import), never served
    as static or media: only views that check the reader serve them."""

    @property
    def base_location(self):
        return str(settings.PRIVATE_MEDIA_ROOT)

    @property
    def location(self):
        return os.path.abspath(self.base_location)


def private_storage():
    return PrivateStorage()


def _extension(filename: str, default: str = "bin") -> str:
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else default
    return extension if extension.isalnum() and len(extension) <= 8 else default


def template_path(lesson, filename: str) -> str:
    # The name a person chose never reaches the file system.
    return f"ateliers/templates/{uuid.uuid4().hex}.{_extension(filename)}"


def cv_path(submission, filename: str) -> str:
    return f"ateliers/cv/{submission.seeker_id}/{uuid.uuid4().hex}.{_extension(filename)}"


def _is_admin(user) -> bool:
    from accounts.permissions import can_enter_admin

    return can_enter_admin(user)


# Catalogue ---------------------------------------------------------------------------------


class WorkshopFormat(models.TextChoices):
    SELF_PACED = "self_paced", _("Self-paced online")
    LIVE = "live", _("Live online session")
    BLENDED = "blended", _("Self-paced and live")


class WorkshopQuerySet(models.QuerySet):
    def published(self):
        return self.filter(is_published=True)

    def for_user(self, user):
        """Workshops are shared content: managers edit all of them in the admin."""
        return self if _is_admin(user) else self.published()


class Workshop(models.Model):
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("short name"), max_length=80, unique=True)
    summary = models.TextField(_("summary"), blank=True)
    objectives = models.TextField(_("objectives"), help_text=_("One objective per line."))
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"))
    format = models.CharField(
        _("format"),
        max_length=16,
        choices=WorkshopFormat.choices,
        default=WorkshopFormat.SELF_PACED,
    )
    has_simulation = models.BooleanField(_("offers interview simulations"), default=False)
    is_published = models.BooleanField(_("published"), default=True)
    position = models.PositiveIntegerField(_("position in the catalogue"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = WorkshopQuerySet.as_manager()

    class Meta:
        verbose_name = _("workshop")
        verbose_name_plural = _("workshops")
        ordering = ["position", "title"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("ateliers:workshop", args=[self.slug])

    def objective_list(self) -> list[str]:
        return [line.strip() for line in self.objectives.splitlines() if line.strip()]


class LessonKind(models.TextChoices):
    READING = "reading", _("Lesson")
    QUIZ = "quiz", _("Quiz")
    EXERCISE = "exercise", _("Written exercise")
    CV = "cv", _("CV sent to the advisor")


class LessonQuerySet(models.QuerySet):
    def for_user(self, user):
        return self if _is_admin(user) else self.filter(workshop__is_published=True)


class Lesson(models.Model):
    workshop = models.ForeignKey(
        Workshop, verbose_name=_("workshop"), on_delete=models.CASCADE, related_name="lessons"
    )
    position = models.PositiveIntegerField(_("position"))
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(
        _("kind"), max_length=16, choices=LessonKind.choices, default=LessonKind.READING
    )
    body = models.TextField(_("text (Markdown)"), blank=True)
    template = models.FileField(
        _("downloadable template"), upload_to=template_path, storage=private_storage, blank=True
    )
    template_name = models.CharField(_("template file name"), max_length=200, blank=True)

    objects = LessonQuerySet.as_manager()

    class Meta:
        verbose_name = _("lesson")
        verbose_name_plural = _("lessons")
        ordering = ["workshop", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["workshop", "position"], name="ateliers_lesson_position_unique"
            )
        ]

    def __str__(self):
        return f"{self.workshop} — {self.position}. {self.title}"

    def get_absolute_url(self):
        return reverse("ateliers:lesson", args=[self.workshop.slug, self.position])


class QuizQuestion(models.Model):
    lesson = models.ForeignKey(
        Lesson, verbose_name=_("quiz"), on_delete=models.CASCADE, related_name="questions"
    )
    position = models.PositiveIntegerField(_("position"))
    prompt = models.TextField(_("question"))

    class Meta:
        verbose_name = _("quiz question")
        verbose_name_plural = _("quiz questions")
        ordering = ["lesson", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["lesson", "position"], name="ateliers_quizquestion_position_unique"
            )
        ]

    def __str__(self):
        return self.prompt[:80]


class QuizChoice(models.Model):
    question = models.ForeignKey(
        QuizQuestion, verbose_name=_("question"), on_delete=models.CASCADE, related_name="choices"
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    text = models.CharField(_("answer"), max_length=300)
    is_correct = models.BooleanField(_("correct"), default=False)
    feedback = models.TextField(_("feedback shown for this answer"), blank=True)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        ordering = ["question", "position", "pk"]

    def __str__(self):
        return self.text


# Progress ----------------------------------------------------------------------------------


class LessonProgress(models.Model):
    """A lesson the seeker completed (read, quiz submitted, exercise or CV sent)."""

    seeker = models.ForeignKey(
        "seekers.Seeker",
        verbose_name=_("job seeker"),
        on_delete=models.CASCADE,
        related_name="atelier_progress",
    )
    lesson = models.ForeignKey(
        Lesson, verbose_name=_("lesson"), on_delete=models.CASCADE, related_name="progress"
    )
    completed_at = models.DateTimeField(_("completed at"), default=timezone.now)

    class Meta:
        verbose_name = _("completed lesson")
        verbose_name_plural = _("completed lessons")
        constraints = [
            models.UniqueConstraint(fields=["seeker", "lesson"], name="ateliers_progress_unique")
        ]

    def __str__(self):
        return f"{self.seeker_id}: {self.lesson_id}"


class QuizAttempt(models.Model):
    seeker = models.ForeignKey(
        "seekers.Seeker",
        verbose_name=_("job seeker"),
        on_delete=models.CASCADE,
        related_name="quiz_attempts",
    )
    lesson = models.ForeignKey(
        Lesson, verbose_name=_("quiz"), on_delete=models.CASCADE, related_name="attempts"
    )
    score = models.PositiveIntegerField(_("score"))
    max_score = models.PositiveIntegerField(_("out of"))
    # {question_id: [choice_id, ...]} as submitted.
    answers = models.JSONField(_("answers"), default=dict)
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)

    class Meta:
        verbose_name = _("quiz attempt")
        verbose_name_plural = _("quiz attempts")
        ordering = ["-submitted_at", "-pk"]
        indexes = [models.Index(fields=["seeker", "lesson"])]

    def __str__(self):
        return f"{self.score}/{self.max_score}"


class ExerciseAnswer(models.Model):
    seeker = models.ForeignKey(
        "seekers.Seeker",
        verbose_name=_("job seeker"),
        on_delete=models.CASCADE,
        related_name="exercise_answers",
    )
    lesson = models.ForeignKey(
        Lesson, verbose_name=_("exercise"), on_delete=models.CASCADE, related_name="answers"
    )
    body = models.TextField(_("answer"))
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("exercise answer")
        verbose_name_plural = _("exercise answers")
        constraints = [
            models.UniqueConstraint(fields=["seeker", "lesson"], name="ateliers_exercise_unique")
        ]

    def __str__(self):
        return f"{self.seeker_id}: {self.lesson_id}"


# The CV exchange ---------------------------------------------------------------------------


class CvSubmission(models.Model):
    seeker = models.ForeignKey(
        "seekers.Seeker",
        verbose_name=_("job seeker"),
        on_delete=models.CASCADE,
        related_name="cv_submissions",
    )
    lesson = models.ForeignKey(
        Lesson, verbose_name=_("lesson"), on_delete=models.SET_NULL, null=True, blank=True
    )
    file = models.FileField(_("CV"), upload_to=cv_path, storage=private_storage)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("file type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    note = models.TextField(_("note for the advisor"), blank=True)
    uploaded_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        verbose_name = _("CV sent")
        verbose_name_plural = _("CVs sent")
        ordering = ["-uploaded_at", "-pk"]

    def __str__(self):
        return self.original_name

    def get_absolute_url(self):
        return reverse("ateliers:cv_detail", args=[self.pk])


class CvComment(models.Model):
    submission = models.ForeignKey(
        CvSubmission, verbose_name=_("CV"), on_delete=models.CASCADE, related_name="comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    author_role = models.CharField(_("author role"), max_length=16, choices=Role.choices)
    body = models.TextField(_("comment"))
    created_at = models.DateTimeField(_("written at"), default=timezone.now)

    class Meta:
        verbose_name = _("comment on a CV")
        verbose_name_plural = _("comments on CVs")
        ordering = ["submission", "created_at", "pk"]

    def __str__(self):
        return self.body[:60]


# Live sessions -----------------------------------------------------------------------------


class LiveSessionQuerySet(models.QuerySet):
    def for_user(self, user):
        if user.is_superuser:
            return self
        if user.agency_id:
            return self.filter(agency_id=user.agency_id)
        return self.none()

    def upcoming(self, now=None):
        return self.filter(starts_at__gte=now or timezone.now(), cancelled_at__isnull=True)

    def with_counts(self):
        """Registered and waiting counts as subqueries, so they stay right whatever joins the
        queryset's filters made."""
        from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
        from django.db.models.functions import Coalesce

        def count(status):
            rows = (
                Registration.objects.filter(session=OuterRef("pk"), status=status)
                .values("session")
                .annotate(n=Count("pk"))
                .values("n")
            )
            return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))

        return self.annotate(
            registered_count=count(RegistrationStatus.REGISTERED),
            waiting_count=count(RegistrationStatus.WAITING),
        )


class LiveSession(models.Model):
    workshop = models.ForeignKey(
        Workshop, verbose_name=_("workshop"), on_delete=models.PROTECT, related_name="sessions"
    )
    agency = models.ForeignKey(
        "agencies.Agency", verbose_name=_("agency"), on_delete=models.PROTECT, related_name="+"
    )
    facilitator = models.ForeignKey(
        "advisors.Advisor",
        verbose_name=_("facilitator"),
        on_delete=models.PROTECT,
        related_name="facilitated_sessions",
    )
    starts_at = models.DateTimeField(_("starts at"))
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"), default=90)
    capacity = models.PositiveIntegerField(_("capacity"), default=12)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    # The last room message number handed out; bumped under this row's lock.
    last_seq = models.PositiveIntegerField(_("last message number"), default=0)
    pinned_message = models.ForeignKey(
        "RoomMessage",
        verbose_name=_("pinned message"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = LiveSessionQuerySet.as_manager()

    class Meta:
        verbose_name = _("live session")
        verbose_name_plural = _("live sessions")
        ordering = ["starts_at", "pk"]
        indexes = [models.Index(fields=["agency", "starts_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(capacity__gte=1), name="ateliers_session_capacity")
        ]

    def __str__(self):
        return f"{self.workshop} — {timezone.localtime(self.starts_at):%d/%m/%Y %H:%M}"

    def get_absolute_url(self):
        return reverse("ateliers:session", args=[self.pk])

    @property
    def ends_at(self):
        return self.starts_at + timedelta(minutes=self.duration_minutes)


class RegistrationStatus(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    WAITING = "waiting", _("On the waiting list")
    CANCELLED = "cancelled", _("Cancelled")


class Registration(models.Model):
    session = models.ForeignKey(
        LiveSession,
        verbose_name=_("session"),
        on_delete=models.CASCADE,
        related_name="registrations",
    )
    seeker = models.ForeignKey(
        "seekers.Seeker",
        verbose_name=_("job seeker"),
        on_delete=models.CASCADE,
        related_name="atelier_registrations",
    )
    status = models.CharField(_("status"), max_length=16, choices=RegistrationStatus.choices)
    # The waiting list is served in this order.
    created_at = models.DateTimeField(_("asked at"), default=timezone.now)
    promoted_at = models.DateTimeField(
        _("promoted from the waiting list at"), null=True, blank=True
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    joined_at = models.DateTimeField(_("first joined the room at"), null=True, blank=True)
    # None: attendance is who joined; True/False: the facilitator's correction.
    attended_override = models.BooleanField(_("attendance corrected to"), null=True, blank=True)
    muted = models.BooleanField(_("muted in the room"), default=False)

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        ordering = ["session", "created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "seeker"],
                condition=~Q(status="cancelled"),
                name="ateliers_one_live_registration",
            )
        ]
        indexes = [models.Index(fields=["session", "status", "created_at"])]

    def __str__(self):
        return f"{self.seeker} — {self.session}"

    @property
    def attended(self) -> bool:
        if self.attended_override is not None:
            return self.attended_override
        return self.joined_at is not None


class RoomMessage(models.Model):
    session = models.ForeignKey(
        LiveSession, verbose_name=_("session"), on_delete=models.CASCADE, related_name="messages"
    )
    seq = models.PositiveIntegerField(_("number"))
    client_id = models.UUIDField(_("client identifier"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    author_role = models.CharField(_("author role"), max_length=16, choices=Role.choices)
    body = models.TextField(_("message"))
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        verbose_name = _("room message")
        verbose_name_plural = _("room messages")
        ordering = ["session", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["session", "seq"], name="ateliers_room_seq_unique"),
            models.UniqueConstraint(
                fields=["session", "client_id"], name="ateliers_room_client_id_unique"
            ),
        ]

    def __str__(self):
        return f"{self.session_id}#{self.seq}"


# Interview simulations ---------------------------------------------------------------------


class JobFamily(models.TextChoices):
    GENERAL = "general", _("General questions (motivation, manner)")
    RETAIL = "retail", _("Retail")
    HOSPITALITY = "hospitality", _("Hospitality and catering")
    TRANSPORT_LOGISTICS = "transport_logistics", _("Transport and logistics")
    ECOMMERCE_SERVICES = "ecommerce_services", _("E-commerce and services")


class QuestionBankQuerySet(models.QuerySet):
    def for_user(self, user):
        return self if _is_admin(user) else self.none()


class QuestionBank(models.Model):
    job_family = models.CharField(
        _("job family"), max_length=32, choices=JobFamily.choices, unique=True
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)

    objects = QuestionBankQuerySet.as_manager()

    class Meta:
        verbose_name = _("question bank")
        verbose_name_plural = _("question banks")
        ordering = ["job_family"]

    def __str__(self):
        return self.title


class InterviewQuestion(models.Model):
    bank = models.ForeignKey(
        QuestionBank,
        verbose_name=_("question bank"),
        on_delete=models.CASCADE,
        related_name="questions",
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    text = models.TextField(_("question"))
    advice = models.TextField(_("advice shown after answering"), blank=True)
    prep_seconds = models.PositiveIntegerField(_("preparation time (seconds)"), default=30)
    answer_seconds = models.PositiveIntegerField(_("answer time (seconds)"), default=90)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("interview question")
        verbose_name_plural = _("interview questions")
        ordering = ["bank", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(answer_seconds__gte=5) & Q(answer_seconds__lte=300),
                name="ateliers_question_answer_seconds",
            )
        ]

    def __str__(self):
        return self.text[:80]


class SimulationQuerySet(models.QuerySet):
    def shared(self):
        return self.filter(shared_at__isnull=False)


class Simulation(models.Model):
    seeker = models.ForeignKey(
        "seekers.Seeker",
        verbose_name=_("job seeker"),
        on_delete=models.CASCADE,
        related_name="simulations",
    )
    job_family = models.CharField(_("job family"), max_length=32, choices=JobFamily.choices)
    created_at = models.DateTimeField(_("started at"), default=timezone.now)
    # Nothing is shared until the seeker says so; unsharing sets it back to None.
    shared_at = models.DateTimeField(_("shared with the advisor at"), null=True, blank=True)

    objects = SimulationQuerySet.as_manager()

    class Meta:
        verbose_name = _("interview simulation")
        verbose_name_plural = _("interview simulations")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.seeker} — {self.get_job_family_display()}"

    def get_absolute_url(self):
        return reverse("ateliers:simulation", args=[self.pk])


class AnswerStatus(models.TextChoices):
    EMPTY = "empty", _("Not recorded yet")
    RECORDING = "recording", _("Recording")
    READY = "ready", _("Recorded")
    FAILED = "failed", _("Recording failed")
    PURGED = "purged", _("Deleted at the end of the retention period")


class SimulationAnswer(models.Model):
    simulation = models.ForeignKey(
        Simulation, verbose_name=_("simulation"), on_delete=models.CASCADE, related_name="answers"
    )
    position = models.PositiveIntegerField(_("position"))
    question = models.ForeignKey(
        InterviewQuestion,
        verbose_name=_("question"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    # Copied when the simulation starts, so editing the bank never rewrites a past simulation.
    question_text = models.TextField(_("question"))
    advice = models.TextField(_("advice"), blank=True)
    prep_seconds = models.PositiveIntegerField(_("preparation time (seconds)"))
    answer_seconds = models.PositiveIntegerField(_("answer time (seconds)"))
    status = models.CharField(
        _("status"), max_length=16, choices=AnswerStatus.choices, default=AnswerStatus.EMPTY
    )
    # Identifies the take being recorded: a late result of an abandoned take is ignored.
    take_token = models.UUIDField(_("current take"), null=True, blank=True)
    takes = models.PositiveIntegerField(_("takes"), default=0)
    # Relative to PRIVATE_MEDIA_ROOT.
    recording = models.CharField(_("recording file"), max_length=300, blank=True)
    duration_seconds = models.FloatField(_("duration (seconds)"), null=True, blank=True)
    recorded_at = models.DateTimeField(_("recorded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("recorded answer")
        verbose_name_plural = _("recorded answers")
        ordering = ["simulation", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["simulation", "position"], name="ateliers_answer_position_unique"
            )
        ]
        indexes = [models.Index(fields=["status", "recorded_at"])]

    def __str__(self):
        return f"{self.simulation_id}/{self.position}"

    def get_absolute_url(self):
        return reverse("ateliers:simulation_question", args=[self.simulation_id, self.position])


class Criterion(models.TextChoices):
    POSTURE = "posture", _("Posture")
    CLARITY = "clarity", _("Clarity")
    CONTENT = "content", _("Content")


class Feedback(models.Model):
    """The advisor's remark at a moment of one recorded answer, on one rubric criterion."""

    answer = models.ForeignKey(
        SimulationAnswer,
        verbose_name=_("recorded answer"),
        on_delete=models.CASCADE,
        related_name="feedback",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    at_seconds = models.FloatField(_("moment in the answer (seconds)"))
    criterion = models.CharField(_("criterion"), max_length=16, choices=Criterion.choices)
    rating = models.PositiveSmallIntegerField(
        _("rating (1 to 4)"), choices=[(n, str(n)) for n in range(1, 5)]
    )
    comment = models.TextField(_("comment"))
    created_at = models.DateTimeField(_("written at"), default=timezone.now)

    class Meta:
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        ordering = ["answer", "at_seconds", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=1) & Q(rating__lte=4), name="ateliers_feedback_rating"
            ),
            models.CheckConstraint(condition=Q(at_seconds__gte=0), name="ateliers_feedback_at"),
        ]

    def __str__(self):
        return f"{self.get_criterion_display()} @ {self.at_seconds:.0f}s"
