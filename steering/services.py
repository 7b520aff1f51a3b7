"""The managers' writes: rebalancing caseloads and importing seekers from a CSV file."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from allauth.account.models import EmailAddress
from django import forms
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Role, User
from advisors.models import Advisor
from agencies.models import Agency
from seekers.models import (
    AccessibilityNeed,
    AgeBand,
    AssignmentReason,
    ContactChannel,
    Seeker,
    TimelineEvent,
    TimelineKind,
)
from seekers.services import seeker_reassign

# --- Rebalancing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Move:
    seeker_id: int
    seeker_name: str
    signs_lsf: bool
    advisor_id: int
    advisor_name: str


class RebalanceError(Exception):
    """The plan no longer holds (someone moved meanwhile); the message is for the manager."""


def rebalance_plan(*, source: Advisor, count: int) -> list[Move]:
    """Which of the source's seekers go to whom: least-loaded colleagues with room first, and
    signing seekers only to signing advisors. Seekers followed most recently move first (they
    have the least history with their advisor). Pure read: nothing is written."""
    targets = list(
        Advisor.objects.filter(agency_id=source.agency_id)
        .exclude(pk=source.pk)
        .available()
        .with_load()
        .select_related("user")
        .prefetch_related("skills")
    )
    room = {a.pk: a.capacity - a.load for a in targets}
    load = {a.pk: a.load for a in targets}
    seekers = (
        Seeker.objects.filter(referent=source)
        .select_related("user")
        .order_by("-enrolled_at", "-pk")[: max(count, 0)]
    )
    moves = []
    for seeker in seekers:
        eligible = [a for a in targets if room[a.pk] > 0 and (a.signs_lsf or not seeker.signs_lsf)]
        if not eligible:
            continue
        target = min(eligible, key=lambda a: (load[a.pk], a.pk))
        room[target.pk] -= 1
        load[target.pk] += 1
        moves.append(
            Move(seeker.pk, str(seeker.user), seeker.signs_lsf, target.pk, str(target.user))
        )
    return moves


@transaction.atomic
def rebalance_apply(*, source: Advisor, moves: list[tuple[int, int]], by) -> int:
    """Applies a previewed plan, all or nothing.

    Holds the agency row lock so that no assignment runs meanwhile; every move is checked again
    (still the source's seeker, same agency, room left, sign-language rule)."""
    Agency.objects.select_for_update().only("pk").get(pk=source.agency_id)
    advisors = {
        a.pk: a
        for a in Advisor.objects.filter(agency_id=source.agency_id)
        .available()
        .with_load()
        .prefetch_related("skills")
    }
    room = {pk: a.capacity - a.load for pk, a in advisors.items()}
    seekers = {
        s.pk: s
        for s in Seeker.objects.select_for_update().filter(pk__in=[seeker for seeker, _ in moves])
    }
    for seeker_id, advisor_id in moves:
        seeker = seekers.get(seeker_id)
        advisor = advisors.get(advisor_id)
        if seeker is None or seeker.referent_id != source.pk:
            raise RebalanceError(_("A seeker of the plan is no longer followed by this advisor."))
        if advisor is None or advisor.pk == source.pk:
            raise RebalanceError(_("An advisor of the plan is no longer available."))
        if seeker.signs_lsf and not advisor.signs_lsf:
            raise RebalanceError(_("A signing seeker can only go to an advisor who signs in LSF."))
        if room[advisor.pk] <= 0:
            raise RebalanceError(_("%(advisor)s has no room left.") % {"advisor": advisor.user})
        room[advisor.pk] -= 1
        seeker_reassign(seeker=seeker, advisor=advisor, by=by, reason=AssignmentReason.REBALANCING)
    return len(moves)


# --- Import -----------------------------------------------------------------------------------

IMPORT_COLUMNS = [
    "email",
    "first_name",
    "last_name",
    "age_band",
    "accessibility_need",
    "preferred_channel",
    "phone",
]
REQUIRED_COLUMNS = {"email", "first_name", "last_name"}
MAX_IMPORT_ROWS = 5000
MAX_IMPORT_BYTES = 2 * 1024 * 1024


class SeekerRowForm(forms.Form):
    email = forms.EmailField(max_length=254)
    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)
    age_band = forms.ChoiceField(choices=AgeBand.choices, required=False)
    accessibility_need = forms.ChoiceField(choices=AccessibilityNeed.choices, required=False)
    preferred_channel = forms.ChoiceField(choices=ContactChannel.choices, required=False)
    phone = forms.CharField(max_length=20, required=False)


@dataclass
class ImportReport:
    created: int = 0
    errors: list[tuple[int, str, str]] = field(default_factory=list)  # (line, column, message)

    @property
    def ok(self) -> bool:
        return not self.errors


FILE_ERRORS = {
    "too_big": gettext_lazy("The file is larger than 2 MB."),
    "encoding": gettext_lazy("The file must be a CSV text file encoded in UTF-8."),
    "columns": gettext_lazy("Missing column(s): %(columns)s."),
    "empty": gettext_lazy("The file holds no seeker."),
    "too_many": gettext_lazy("The file holds more than 5,000 seekers."),
    "duplicate": gettext_lazy("This email appears twice in the file (line %(line)s)."),
    "exists": gettext_lazy("An account already uses this email address."),
}


def _read_rows(raw: bytes, report: ImportReport) -> list[dict] | None:
    if len(raw) > MAX_IMPORT_BYTES:
        report.errors.append((0, "", str(FILE_ERRORS["too_big"])))
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        report.errors.append((0, "", str(FILE_ERRORS["encoding"])))
        return None
    if "\x00" in text:
        report.errors.append((0, "", str(FILE_ERRORS["encoding"])))
        return None
    delimiter = (
        ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
    )
    # newline="": line ends (including a lone CR, as old spreadsheets write) are csv's business.
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        headers = {(name or "").strip() for name in reader.fieldnames or []}
        missing = REQUIRED_COLUMNS - headers
        if missing:
            report.errors.append(
                (1, "", str(FILE_ERRORS["columns"]) % {"columns": ", ".join(sorted(missing))})
            )
            return None
        rows = []
        for row in reader:
            rows.append({(k or "").strip(): (v or "").strip() for k, v in row.items() if k})
            if len(rows) > MAX_IMPORT_ROWS:
                report.errors.append((0, "", str(FILE_ERRORS["too_many"])))
                return None
    except csv.Error:  # a field over csv's size limit, a stray quote...: not a CSV we can read
        report.errors.append((0, "", str(FILE_ERRORS["encoding"])))
        return None
    if not rows:
        report.errors.append((0, "", str(FILE_ERRORS["empty"])))
    return rows


def seekers_import_csv(*, agency: Agency, raw: bytes, by) -> ImportReport:
    """Validates every row first; a file with any error imports nothing."""
    report = ImportReport()
    rows = _read_rows(raw, report)
    if not rows:
        return report
    cleaned, seen = [], {}
    for line, row in enumerate(rows, start=2):
        form = SeekerRowForm(row)
        if not form.is_valid():
            for column, errors in form.errors.items():
                report.errors.extend((line, column, str(error)) for error in errors)
            continue
        email = form.cleaned_data["email"].lower()
        if email in seen:
            report.errors.append(
                (line, "email", str(FILE_ERRORS["duplicate"]) % {"line": seen[email]})
            )
            continue
        seen[email] = line
        cleaned.append((line, {**form.cleaned_data, "email": email}))
    existing = set(
        User.objects.filter(email__in=[data["email"] for _, data in cleaned]).values_list(
            "email", flat=True
        )
    )
    for line, data in cleaned:
        if data["email"] in existing:
            report.errors.append((line, "email", str(FILE_ERRORS["exists"])))
    if report.errors:
        report.errors.sort()
        return report
    report.created = _create_imported(agency=agency, rows=[data for _, data in cleaned], by=by)
    return report


@transaction.atomic
def _create_imported(*, agency: Agency, rows: list[dict], by) -> int:
    users = User.objects.bulk_create(
        User(
            email=data["email"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            role=Role.SEEKER,
            password=make_password(None),  # unusable until they choose one from the invitation
        )
        for data in rows
    )
    EmailAddress.objects.bulk_create(
        EmailAddress(user=user, email=user.email, verified=False, primary=True) for user in users
    )
    seekers = Seeker.objects.bulk_create(
        Seeker(
            user=user,
            agency=agency,
            age_band=data["age_band"],
            accessibility_need=data["accessibility_need"] or AccessibilityNeed.NONE,
            preferred_channel=data["preferred_channel"] or ContactChannel.CHAT,
            phone=data["phone"],
        )
        for user, data in zip(users, rows, strict=True)
    )
    TimelineEvent.objects.bulk_create(
        TimelineEvent(seeker=seeker, kind=TimelineKind.IMPORTED, actor=by) for seeker in seekers
    )
    from .tasks import send_import_invitations

    user_ids = [user.pk for user in users]
    transaction.on_commit(lambda: send_import_invitations.enqueue(user_ids))
    return len(seekers)
