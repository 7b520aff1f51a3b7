"""The managers' figures, each computed by aggregation in SQL, scoped to the agencies a user
may steer. Each figure is a table (for screen readers and CSV) that a chart is drawn from."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count
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
    advisors = (
        Advisor.objects.filter(agency__in=agencies)
        .with_load()
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


def all_figures(agencies, period: Period) -> list[Figure]:
    return [
        followed_by_age_band(agencies),
        followed_by_accessibility(agencies),
        load_per_advisor(agencies),
        returns_to_agency(agencies, period),
        enrolments(agencies, period),
    ]
