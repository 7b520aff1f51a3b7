"""The managers' figures, each computed by aggregation in SQL, scoped to the agencies a user
may steer. Each figure is a table (for screen readers and CSV) that a chart is drawn from."""

from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import connection, transaction
from django.db.models import (
    Aggregate,
    Case,
    Count,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDay
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from advisors.models import Advisor
from agencies.models import Agency
from seekers.models import (
    AccessibilityNeed,
    AgeBand,
    FollowUpStatus,
    ReturnReason,
    Seeker,
    TimelineEvent,
    TimelineKind,
)

CHART_WIDTH = 240


@dataclass
class Figure:
    key: str
    title: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)
    # Which column the chart draws, and the one it is compared with (capacity), if any.
    value_column: int = 1
    limit_column: int | None = None

    @property
    def chart(self) -> list[dict]:
        values = [row[self.value_column] or 0 for row in self.rows]
        limits = [row[self.limit_column] or 0 for row in self.rows] if self.limit_column else []
        top = max([1, *values, *limits])
        return [
            {
                "label": row[0],
                "value": row[self.value_column] or 0,
                "y": 12 * index,
                "width": round(CHART_WIDTH * (row[self.value_column] or 0) / top, 1),
                "limit_width": (
                    round(CHART_WIDTH * (row[self.limit_column] or 0) / top, 1)
                    if self.limit_column
                    else None
                ),
            }
            for index, row in enumerate(self.rows)
        ]

    @property
    def chart_height(self) -> int:
        return 12 * len(self.rows) + 4


@dataclass
class Period:
    start: date
    end: date

    @classmethod
    def default(cls) -> "Period":
        today = timezone.localdate()
        return cls(start=today - timedelta(days=90), end=today)

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        tz = timezone.get_current_timezone()
        return (
            datetime.combine(self.start, time.min, tzinfo=tz),
            datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=tz),
        )


def steerable_agencies(user):
    return Agency.objects.for_user(user)


def _labelled(counts: dict, choices) -> list[list]:
    return [[label, counts.get(value, 0)] for value, label in choices]


def followed_by_age_band(agencies) -> Figure:
    counts = dict(
        Seeker.objects.filter(agency__in=agencies, status=FollowUpStatus.FOLLOWED_ONLINE)
        .values_list("age_band")
        .annotate(n=Count("pk"))
        .order_by()
    )
    rows = _labelled(counts, AgeBand.choices)
    if counts.get(""):
        rows.append([_("Not stated"), counts[""]])
    return Figure(
        "age_band", _("Seekers followed online, by age band"), [_("Age"), _("Seekers")], rows
    )


def followed_by_accessibility(agencies) -> Figure:
    counts = dict(
        Seeker.objects.filter(agency__in=agencies, status=FollowUpStatus.FOLLOWED_ONLINE)
        .values_list("accessibility_need")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return Figure(
        "accessibility",
        _("Seekers followed online, by accessibility need"),
        [_("Need"), _("Seekers")],
        _labelled(counts, AccessibilityNeed.choices),
    )


def load_per_advisor(agencies) -> Figure:
    # The load as a count per advisor, read from the referent index alone (counting the referent,
    # not the pk, needs no row): Advisor.with_load()'s DISTINCT count over the join sorted the
    # whole agency's seekers on disk (0.75 s at 100,000 seekers, 20 ms this way).
    load = Subquery(
        Seeker.objects.filter(referent=OuterRef("pk"))
        .order_by()
        .values("referent")
        .annotate(n=Count("referent"))
        .values("n"),
        output_field=IntegerField(),
    )
    advisors = (
        Advisor.objects.filter(agency__in=agencies)
        .annotate(load=Coalesce(load, Value(0)))
        .values_list("user__first_name", "user__last_name", "load", "capacity", "state")
        .order_by("user__last_name", "user__first_name")
    )
    rows = [
        [f"{first} {last}", load, capacity, round(100 * load / capacity) if capacity else None]
        for first, last, load, capacity, _state in advisors
    ]
    return Figure(
        "load",
        _("Load per advisor against capacity"),
        [_("Advisor"), _("Seekers"), _("Capacity"), _("Load (%)")],
        rows,
        limit_column=2,
    )


def returns_to_agency(agencies, period: Period) -> Figure:
    start, end = period.bounds
    counts = dict(
        TimelineEvent.objects.filter(
            seeker__agency__in=agencies,
            kind=TimelineKind.RETURNED_TO_AGENCY,
            occurred_at__gte=start,
            occurred_at__lt=end,
        )
        .values_list("detail__reason")
        .annotate(n=Count("pk"))
        .order_by()
    )
    rows = _labelled(counts, ReturnReason.choices)
    rows.append([_("Not stated"), sum(n for reason, n in counts.items() if not reason)])
    return Figure(
        "returns",
        _("Returns to in-agency follow-up, by reason"),
        [_("Reason"), _("Returns")],
        rows,
    )


def enrolments(agencies, period: Period) -> Figure:
    start, end = period.bounds
    counts = dict(
        TimelineEvent.objects.filter(
            seeker__agency__in=agencies, occurred_at__gte=start, occurred_at__lt=end
        )
        .filter(
            kind__in=[
                TimelineKind.REFERENT_ASSIGNED,
                TimelineKind.RETURNED_TO_AGENCY,
                TimelineKind.REJOINED,
                TimelineKind.QUEUED,
            ]
        )
        .values_list("kind")
        .annotate(n=Count("pk"))
        .order_by()
    )
    kinds = [
        TimelineKind.REFERENT_ASSIGNED,
        TimelineKind.QUEUED,
        TimelineKind.RETURNED_TO_AGENCY,
        TimelineKind.REJOINED,
    ]
    return Figure(
        "movements",
        _("Movements of the period"),
        [_("Event"), _("Count")],
        [[TimelineKind(kind).label, counts.get(kind, 0)] for kind in kinds],
    )


@contextmanager
def _aggregates_session():
    """One read-only transaction for the figures, in which PostgreSQL neither JIT-compiles
    (its compilation took 1.4 s of a 4.6 s aggregate at 100,000 seekers, to save less) nor
    spills the sorts of window functions to disk."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
                cursor.execute("SET LOCAL work_mem = '32MB'")
        yield


def all_figures(agencies, period: Period) -> list[Figure]:
    with _aggregates_session():
        return [
            followed_by_age_band(agencies),
            followed_by_accessibility(agencies),
            load_per_advisor(agencies),
            interviews_per_half_day(agencies, period),
            interview_outcomes(agencies, period),
            chat_first_response(agencies, period),
            returns_to_agency(agencies, period),
            workshop_fill_rates(agencies, period),
            enrolments(agencies, period),
        ]


# --- Figures fed by the interviews, chat and workshops -----------------------------------------


class Percentile(Aggregate):
    """PostgreSQL's percentile_cont(p) WITHIN GROUP (ORDER BY expr)."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(percentile)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, percentile: float, **extra):
        super().__init__(expression, percentile=percentile, **extra)


def interview_outcomes(agencies, period: Period) -> Figure:
    from interviews.models import Appointment, Status

    start, end = period.bounds
    counts = dict(
        Appointment.objects.filter(
            seeker__agency__in=agencies, starts_at__gte=start, starts_at__lt=end
        )
        .values_list("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    shown = [
        Status.HELD,
        Status.SEEKER_ABSENT,
        Status.TECHNICAL_FAILURE,
        Status.ADVISOR_ABSENT,
        Status.CANCELLED,
    ]
    return Figure(
        "outcomes",
        _("Interview outcomes"),
        [_("Outcome"), _("Interviews")],
        [[Status(status).label, counts.get(status, 0)] for status in shown],
    )


def interviews_per_half_day(agencies, period: Period) -> Figure:
    """Interviews held per advisor, divided by the half-days on which they held any."""
    from interviews.models import Appointment, Status

    start, end = period.bounds
    tz = timezone.get_current_timezone()
    # A half-day is named by its local midnight, plus 12 hours for the afternoon (from 13:00).
    half_day = ExpressionWrapper(
        TruncDay("starts_at", tzinfo=tz)
        + Case(
            When(starts_at__hour__gte=13, then=Value(timedelta(hours=12))),
            default=Value(timedelta(0)),
        ),
        output_field=DateTimeField(),
    )
    # One row per advisor, counted in SQL (not one per advisor and half-day to add up here).
    per_advisor = (
        Appointment.objects.filter(
            advisor__agency__in=agencies,
            status=Status.HELD,
            starts_at__gte=start,
            starts_at__lt=end,
        )
        .values("advisor")
        .annotate(held=Count("pk"), half_days=Count(half_day, distinct=True))
        .values_list("advisor__user__first_name", "advisor__user__last_name", "held", "half_days")
        .order_by("advisor__user__first_name", "advisor__user__last_name", "advisor")
    )
    rows = [
        [f"{first} {last}", round(held / half_days, 1), held, half_days]
        for first, last, held, half_days in per_advisor
    ]
    return Figure(
        "half_days",
        _("Interviews per advisor per half-day"),
        [_("Advisor"), _("Per half-day"), _("Interviews held"), _("Half-days")],
        rows,
    )


def chat_first_response(agencies, period: Period) -> Figure:
    """Time from a seeker's first unanswered message to the first advisor answer, over the waits
    that started in the period and have been answered. Each wait is recorded when the advisor's
    answer is stored (chat.models.ResponseWait): this reads the agency's waits of the period from
    one index (ordering the period's messages into turns took 0.7 s at 100,000 seekers)."""
    from chat.models import ResponseWait

    start, end = period.bounds
    waits = ResponseWait.objects.filter(
        agency__in=agencies, started_at__gte=start, started_at__lt=end
    )
    wait = ExpressionWrapper(F("answered_at") - F("started_at"), output_field=DurationField())
    if connection.vendor == "postgresql":
        stats = waits.aggregate(
            answered=Count("pk"),
            median=Percentile(wait, 0.5, output_field=DurationField()),
            p90=Percentile(wait, 0.9, output_field=DurationField()),
        )
    else:  # the embedded SQLite default has no percentile_cont: the same figures, computed here
        values = sorted(waits.annotate(wait=wait).values_list("wait", flat=True))
        stats = {
            "answered": len(values),
            "median": _percentile(values, 0.5),
            "p90": _percentile(values, 0.9),
        }

    def minutes(value):
        return round(value.total_seconds() / 60, 1) if value is not None else None

    return Figure(
        "first_response",
        _("Chat first-response time (minutes)"),
        [_("Figure"), _("Minutes")],
        [
            [_("Median"), minutes(stats["median"])],
            [_("90th percentile"), minutes(stats["p90"])],
            [_("Answered conversations starts"), stats["answered"]],
        ],
    )


def _percentile(values: list, fraction: float):
    """percentile_cont over sorted values: linear interpolation between the closest ranks."""
    if not values:
        return None
    position = fraction * (len(values) - 1)
    lower = int(position)
    upper = min(lower + 1, len(values) - 1)
    return values[lower] + (values[upper] - values[lower]) * (position - lower)


def workshop_fill_rates(agencies, period: Period) -> Figure:
    from ateliers.models import LiveSession, Registration, RegistrationStatus

    start, end = period.bounds
    sessions = LiveSession.objects.filter(
        agency__in=agencies, starts_at__gte=start, starts_at__lt=end, cancelled_at__isnull=True
    )
    # Two grouped queries: joining registrations to sessions would count places once per row.
    places = {
        title: (total, count)
        for title, total, count in sessions.values_list("workshop__title")
        .annotate(total=Sum("capacity"), count=Count("pk"))
        .order_by()
    }
    taken = dict(
        Registration.objects.filter(session__in=sessions, status=RegistrationStatus.REGISTERED)
        .values_list("session__workshop__title")
        .annotate(n=Count("pk"))
        .order_by()
    )
    rows = [
        [
            title,
            round(100 * taken.get(title, 0) / total) if total else 0,
            taken.get(title, 0),
            total,
            count,
        ]
        for title, (total, count) in sorted(places.items())
    ]
    return Figure(
        "fill_rates",
        _("Workshop fill rates (live sessions)"),
        [_("Workshop"), _("Fill rate (%)"), _("Places taken"), _("Places"), _("Sessions")],
        rows,
    )
