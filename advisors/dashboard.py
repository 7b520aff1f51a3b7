"""The advisor's caseload dashboard: every seeker with their last contact on any channel, next
interview, unread messages, wait against the agency's response target, and alerts. One SQL query
for the whole caseload, whatever its size; alerts and sorting are then plain Python on the rows.

The rows also carry their display values (name, links, dates, labels), computed once per page
rather than by a `{% url %}`, date filter or `{% blocktranslate %}` per row and cell: those were
most of the page's time at 250 seekers."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.formats import get_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from chat.models import Message, ReadMark
from equipment.models import EquipmentCheck, Verdict
from interviews.models import Appointment, Status
from seekers.models import FollowUpStatus, Seeker

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
    # Display values, filled by _Display.present.
    name: str = ""
    status_label: str = ""
    signs_lsf: bool = False
    file_url: str = ""
    chat_url: str = ""
    next_url: str = ""
    last_contact_iso: str = ""
    last_contact_text: str = ""
    next_appointment_text: str = ""
    wait_text: str = ""
    alert_labels: list[str] = field(default_factory=list)


class _Display:
    """What a page of rows shows, prepared once: formats, labels and URL shapes are looked up
    per page, then each row is filled by plain string operations."""

    SENTINEL = 2_147_483_647  # a pk no URL of the page holds otherwise

    def __init__(self):
        self.date_format = get_format("SHORT_DATE_FORMAT")
        self.days = {}
        self.datetime_format = get_format("SHORT_DATETIME_FORMAT")
        self.statuses = {value: str(label) for value, label in FollowUpStatus.choices}
        self.alerts = {key: str(label) for key, label in Alert.LABELS.items()}
        self.wait = gettext("%(waited)s min (target %(target)s)")
        self.file_url = self._url("casefile:file")
        self.chat_url = self._url("chat:open_for_seeker")
        self.next_url = self._url("interviews:detail")

    def _date(self, day) -> str:
        # Many rows share a day: each is formatted once.
        if day not in self.days:
            self.days[day] = dateformat.format(day, self.date_format)
        return self.days[day]

    @classmethod
    def _url(cls, name: str):
        head, _sentinel, tail = reverse(name, args=[cls.SENTINEL]).partition(str(cls.SENTINEL))
        return lambda pk: f"{head}{pk}{tail}"

    def present(self, row: Row) -> Row:
        seeker = row.seeker
        row.name = seeker.user.get_full_name()
        row.status_label = self.statuses.get(seeker.status, seeker.status)
        row.signs_lsf = seeker.signs_lsf
        row.file_url = self.file_url(seeker.pk)
        row.chat_url = self.chat_url(seeker.pk)
        if row.last_contact is not None:
            local = timezone.localtime(row.last_contact)
            row.last_contact_iso = local.isoformat()
            row.last_contact_text = self._date(local.date())
        if row.next_appointment_id is not None:
            row.next_url = self.next_url(row.next_appointment_id)
            row.next_appointment_text = dateformat.format(
                timezone.localtime(row.next_appointment_at), self.datetime_format
            )
        if row.waited_minutes is not None:
            row.wait_text = self.wait % {"waited": row.waited_minutes, "target": row.target_minutes}
        row.alert_labels = [self.alerts[alert] for alert in row.alerts]
        return row


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


CASELOAD_FIELDS = (
    "status",
    "accessibility_need",
    "enrolled_at",
    "user__first_name",
    "user__last_name",
    "agency__response_target_minutes",
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
        # The columns the rows use: loading whole users and files was a quarter of the time.
        .only(*CASELOAD_FIELDS)
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
    display = _Display()
    return [display.present(row) for row in rows]
