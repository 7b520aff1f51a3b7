"""The advisor's caseload dashboard: every seeker with their last contact on any channel, next
interview, unread messages, wait against the agency's response target, and alerts. One SQL query
for the whole caseload, whatever its size; alerts and sorting are then plain Python on the rows."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chat.models import Message, ReadMark
from equipment.models import EquipmentCheck, Verdict
from interviews.models import Appointment, Status
from seekers.models import Seeker

NO_CONTACT_DAYS = 30
RECENT_TROUBLE_DAYS = 30


class Alert:
    NO_CONTACT = "no_contact"
    OVER_TARGET = "over_target"
    FAILED_CHECK = "failed_check"
    ABSENCE = "recent_absence"
    TECHNICAL = "recent_technical_failure"

    LABELS = {
        NO_CONTACT: _("No contact for 30 days"),
        OVER_TARGET: _("Message over the response target"),
        FAILED_CHECK: _("Failed equipment check"),
        ABSENCE: _("Recent absence"),
        TECHNICAL: _("Recent technical failure"),
    }


SORTS = {
    "name": _("Name"),
    "waiting": _("Longest wait first"),
    "alerts": _("Most alerts first"),
    "unread": _("Most unread first"),
    "last_contact": _("Oldest contact first"),
    "next": _("Next interview first"),
}


@dataclass
class Row:
    seeker: Seeker
    unread: int
    awaiting_since: datetime | None
    waited_minutes: int | None
    target_minutes: int | None
    last_contact: datetime | None
    next_appointment_id: int | None
    next_appointment_at: datetime | None
    alerts: list[str] = field(default_factory=list)

    @property
    def alert_labels(self) -> list:
        return [Alert.LABELS[alert] for alert in self.alerts]


def _unread(user):
    read_up_to = Coalesce(
        Subquery(
            ReadMark.objects.filter(
                conversation__seeker=OuterRef(OuterRef("pk")), user=user
            ).values("last_read_seq")[:1]
        ),
        Value(0),
    )
    return Coalesce(
        Subquery(
            Message.objects.filter(conversation__seeker=OuterRef("pk"))
            .exclude(author=user)
            .filter(seq__gt=read_up_to)
            .order_by()
            .values("conversation")
            .annotate(n=Count("pk"))
            .values("n")[:1]
        ),
        Value(0),
        output_field=IntegerField(),
    )


def caseload_query(advisor, now: datetime, q: str = ""):
    upcoming = Appointment.objects.filter(
        seeker=OuterRef("pk"),
        advisor=advisor,
        ends_at__gt=now,
        status__in=(Status.PROPOSED, Status.CONFIRMED),
    ).order_by("starts_at")
    trouble_since = now - timedelta(days=RECENT_TROUBLE_DAYS)
    seekers = (
        Seeker.objects.for_advisor(advisor)
        .select_related("user", "agency")
        .annotate(
            unread=_unread(advisor.user),
            last_message_at=F("conversation__last_message_at"),
            awaiting_since=F("conversation__awaiting_since"),
            last_held_at=Subquery(
                Appointment.objects.filter(seeker=OuterRef("pk"), status=Status.HELD)
                .order_by("-ends_at")
                .values("ends_at")[:1]
            ),
            next_id=Subquery(upcoming.values("pk")[:1]),
            next_at=Subquery(upcoming.values("starts_at")[:1]),
            last_verdict=Subquery(
                EquipmentCheck.objects.filter(seeker=OuterRef("pk"))
                .exclude(verdict="")
                .order_by("-started_at")
                .values("verdict")[:1]
            ),
            recent_absence=Exists(
                Appointment.objects.filter(
                    seeker=OuterRef("pk"), status=Status.SEEKER_ABSENT, starts_at__gte=trouble_since
                )
            ),
            recent_failure=Exists(
                Appointment.objects.filter(
                    seeker=OuterRef("pk"),
                    status=Status.TECHNICAL_FAILURE,
                    starts_at__gte=trouble_since,
                )
            ),
        )
    )
    if q:
        seekers = seekers.filter(
            Q(user__first_name__icontains=q)
            | Q(user__last_name__icontains=q)
            | Q(user__email__icontains=q)
        )
    return seekers


def _row(seeker, now: datetime) -> Row:
    contacts = [d for d in (seeker.last_message_at, seeker.last_held_at) if d is not None]
    last_contact = max(contacts) if contacts else None
    target = seeker.agency.response_target_minutes if seeker.agency_id else None
    waited = None
    if seeker.awaiting_since is not None:
        waited = int((now - seeker.awaiting_since).total_seconds() // 60)
    alerts = []
    since = last_contact or seeker.enrolled_at
    if since is None or now - since > timedelta(days=NO_CONTACT_DAYS):
        alerts.append(Alert.NO_CONTACT)
    if waited is not None and target is not None and waited > target:
        alerts.append(Alert.OVER_TARGET)
    if seeker.last_verdict == Verdict.FAILED:
        alerts.append(Alert.FAILED_CHECK)
    if seeker.recent_absence:
        alerts.append(Alert.ABSENCE)
    if seeker.recent_failure:
        alerts.append(Alert.TECHNICAL)
    return Row(
        seeker=seeker,
        unread=seeker.unread,
        awaiting_since=seeker.awaiting_since,
        waited_minutes=waited,
        target_minutes=target,
        last_contact=last_contact,
        next_appointment_id=seeker.next_id,
        next_appointment_at=seeker.next_at,
        alerts=alerts,
    )


def _sort_key(sort: str):
    far_future = datetime.max.replace(tzinfo=UTC)
    far_past = datetime.min.replace(tzinfo=UTC)

    def name(row):
        return (
            row.seeker.user.last_name.lower(),
            row.seeker.user.first_name.lower(),
            row.seeker.pk,
        )

    return {
        "name": name,
        "waiting": lambda row: (row.awaiting_since or far_future, name(row)),
        "alerts": lambda row: (-len(row.alerts), name(row)),
        "unread": lambda row: (-row.unread, name(row)),
        "last_contact": lambda row: (row.last_contact or far_past, name(row)),
        "next": lambda row: (row.next_appointment_at or far_future, name(row)),
    }.get(sort, name)


def caseload_rows(advisor, *, now=None, q: str = "", alert: str = "", sort: str = "alerts"):
    now = now or timezone.now()
    rows = [_row(seeker, now) for seeker in caseload_query(advisor, now, q.strip())]
    if alert:
        rows = [row for row in rows if alert in row.alerts]
    rows.sort(key=_sort_key(sort))
    return rows
