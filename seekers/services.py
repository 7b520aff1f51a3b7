"""Every write on a seeker's follow-up: enrolment, assignment, the way back and the way in again."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from advisors.models import Advisor
from agencies.models import Agency

from .models import (
    AssignmentReason,
    EnrolmentStep,
    FollowUpStatus,
    ReferentAssignment,
    Seeker,
    TimelineEvent,
    TimelineKind,
)

CONSENT_VERSION = "2015-03"


class EnrolmentError(Exception):
    """A write that the seeker's current state does not allow; the message is for the person."""


def _event(seeker: Seeker, kind: str, *, actor=None, advisor=None, **detail) -> TimelineEvent:
    return TimelineEvent.objects.create(
        seeker=seeker, kind=kind, actor=actor, advisor=advisor, detail=detail
    )


def seeker_start_enrolment(*, user) -> Seeker:
    """Returns the user's seeker file, creating it on their first visit to enrolment."""
    seeker, created = Seeker.objects.get_or_create(user=user)
    if created:
        _event(seeker, TimelineKind.ENROLMENT_STARTED, actor=user)
    return seeker


def _advance(seeker: Seeker, step: str) -> None:
    if not seeker.step_reached(step):
        seeker.enrolment_step = step


@transaction.atomic
def seeker_save_declarations(
    *,
    seeker: Seeker,
    agency: Agency,
    age_band: str,
    preferred_channel: str,
    phone: str = "",
) -> Seeker:
    if seeker.status != FollowUpStatus.ENROLLING:
        raise EnrolmentError("enrolment_finished")
    seeker.agency = agency
    seeker.age_band = age_band
    seeker.preferred_channel = preferred_channel
    seeker.phone = phone
    seeker.declared_device_with_webcam = True
    seeker.declared_good_connection = True
    seeker.consent_given_at = timezone.now()
    seeker.consent_version = CONSENT_VERSION
    _advance(seeker, EnrolmentStep.ACCESSIBILITY)
    seeker.save()
    _event(
        seeker,
        TimelineKind.DECLARATIONS_SAVED,
        actor=seeker.user,
        consent_version=CONSENT_VERSION,
    )
    return seeker


@transaction.atomic
def seeker_save_accessibility(*, seeker: Seeker, need: str, details: str = "") -> Seeker:
    if seeker.status != FollowUpStatus.ENROLLING:
        raise EnrolmentError("enrolment_finished")
    if not seeker.step_reached(EnrolmentStep.ACCESSIBILITY):
        raise EnrolmentError("step_not_reached")
    seeker.accessibility_need = need
    seeker.accessibility_details = details
    _advance(seeker, EnrolmentStep.EQUIPMENT_CHECK)
    seeker.save()
    _event(seeker, TimelineKind.ACCESSIBILITY_SAVED, actor=seeker.user, need=need)
    return seeker


def _lock_agency(agency_id: int) -> None:
    Agency.objects.select_for_update().only("pk").get(pk=agency_id)


def _pick_advisor(seeker: Seeker, preferred: Advisor | None) -> Advisor | None:
    candidates = Advisor.objects.filter(agency_id=seeker.agency_id).available().with_room()
    if seeker.signs_lsf:
        # A signing seeker is only ever followed by a signing advisor, or waits.
        candidates = candidates.signing()
    if preferred is not None:
        kept = candidates.filter(pk=preferred.pk).first()
        if kept is not None:
            return kept
    return candidates.order_by("load", "pk").first()


def _open_assignment(seeker, advisor, *, reason, by, kind) -> None:
    now = timezone.now()
    ReferentAssignment.objects.filter(seeker=seeker, ended_at__isnull=True).update(ended_at=now)
    ReferentAssignment.objects.create(
        seeker=seeker, advisor=advisor, reason=reason, assigned_by=by, started_at=now
    )
    _event(seeker, kind, actor=by, advisor=advisor, reason=reason)


@transaction.atomic
def seeker_assign_referent(
    *, seeker: Seeker, preferred: Advisor | None = None, by=None
) -> Advisor | None:
    """Gives the seeker the least-loaded active advisor with room in their agency, or queues them.

    Holds the agency row lock, then the seeker row lock, so that concurrent assignments in one
    agency are serialized and no advisor is ever pushed past capacity.
    """
    _lock_agency(seeker.agency_id)
    seeker = Seeker.objects.select_for_update().get(pk=seeker.pk)
    if seeker.referent_id is not None:
        return seeker.referent
    advisor = _pick_advisor(seeker, preferred)
    if advisor is None:
        first_time_queued = seeker.queued_since is None
        seeker.status = FollowUpStatus.ENROLLING
        seeker.enrolment_step = EnrolmentStep.AWAITING_ADVISOR
        seeker.queued_since = seeker.queued_since or timezone.now()
        seeker.save(update_fields=["status", "enrolment_step", "queued_since"])
        if first_time_queued:
            _event(seeker, TimelineKind.QUEUED, signs_lsf=seeker.signs_lsf)
            from .tasks import notify_managers_of_queued_seeker

            seeker_id = seeker.pk
            transaction.on_commit(lambda: notify_managers_of_queued_seeker.enqueue(seeker_id))
        return None
    reason = (
        AssignmentReason.FORMER_ADVISOR
        if preferred is not None and advisor.pk == preferred.pk
        else AssignmentReason.AUTOMATIC
    )
    seeker.referent = advisor
    seeker.status = FollowUpStatus.FOLLOWED_ONLINE
    seeker.enrolment_step = EnrolmentStep.DONE
    seeker.enrolled_at = seeker.enrolled_at or timezone.now()
    seeker.queued_since = None
    seeker.save(
        update_fields=["referent", "status", "enrolment_step", "enrolled_at", "queued_since"]
    )
    _open_assignment(seeker, advisor, reason=reason, by=by, kind=TimelineKind.REFERENT_ASSIGNED)
    return advisor


@transaction.atomic
def seeker_complete_enrolment(*, seeker: Seeker) -> Advisor | None:
    """Called once the seeker passed the measured equipment check: assigns a referent."""
    seeker = Seeker.objects.select_for_update().get(pk=seeker.pk)
    if seeker.status != FollowUpStatus.ENROLLING:
        raise EnrolmentError("enrolment_finished")
    if not seeker.step_reached(EnrolmentStep.EQUIPMENT_CHECK):
        raise EnrolmentError("step_not_reached")
    return seeker_assign_referent(seeker=seeker)


def _former_advisor(seeker: Seeker) -> Advisor | None:
    last = seeker.assignments.select_related("advisor").order_by("-started_at", "-pk").first()
    return last.advisor if last else None


@transaction.atomic
def seeker_return_to_agency(
    *, seeker: Seeker, reason: str = "", comment: str = "", by=None
) -> Seeker:
    """Ends the online follow-up; the data and history stay, the advisor's caseload frees."""
    agency_id = seeker.agency_id
    _lock_agency(agency_id)
    seeker = Seeker.objects.select_for_update().get(pk=seeker.pk)
    if seeker.status == FollowUpStatus.RETURNED_TO_AGENCY:
        raise EnrolmentError("already_returned")
    if seeker.status == FollowUpStatus.CLOSED:
        raise EnrolmentError("closed")
    former = seeker.referent
    now = timezone.now()
    ReferentAssignment.objects.filter(seeker=seeker, ended_at__isnull=True).update(ended_at=now)
    seeker.referent = None
    seeker.status = FollowUpStatus.RETURNED_TO_AGENCY
    seeker.returned_at = now
    seeker.return_reason = reason
    seeker.return_comment = comment
    seeker.queued_since = None
    seeker.save(
        update_fields=[
            "referent",
            "status",
            "returned_at",
            "return_reason",
            "return_comment",
            "queued_since",
        ]
    )
    _event(
        seeker,
        TimelineKind.RETURNED_TO_AGENCY,
        actor=by or seeker.user,
        advisor=former,
        reason=reason,
    )
    if former is not None:
        # A place just freed: the longest-waiting seeker of the queue may take it.
        transaction.on_commit(lambda: assign_queued_seekers(agency_id=agency_id))
    return seeker


@transaction.atomic
def seeker_rejoin(*, seeker: Seeker) -> Advisor | None:
    """Back to the online follow-up, with the former advisor when they have room.

    A seeker who never completed enrolment goes back to the step they had reached."""
    seeker = Seeker.objects.select_for_update().get(pk=seeker.pk)
    if seeker.status != FollowUpStatus.RETURNED_TO_AGENCY:
        raise EnrolmentError("not_returned")
    seeker.status = FollowUpStatus.ENROLLING
    seeker.returned_at = None
    seeker.return_reason = ""
    seeker.return_comment = ""
    seeker.save(update_fields=["status", "returned_at", "return_reason", "return_comment"])
    _event(seeker, TimelineKind.REJOINED, actor=seeker.user)
    if seeker.enrolled_at is None:
        return None
    return seeker_assign_referent(seeker=seeker, preferred=_former_advisor(seeker))


@transaction.atomic
def seeker_reassign(
    *, seeker: Seeker, advisor: Advisor, by, reason: str = AssignmentReason.MANAGER
) -> Seeker:
    """A manager gives the seeker another referent; the timeline keeps who followed them."""
    _lock_agency(seeker.agency_id)
    seeker = Seeker.objects.select_for_update().get(pk=seeker.pk)
    if advisor.agency_id != seeker.agency_id:
        raise EnrolmentError("other_agency")
    if seeker.signs_lsf and not advisor.signs_lsf:
        raise EnrolmentError("needs_signing_advisor")
    if seeker.referent_id == advisor.pk:
        return seeker
    previous = seeker.referent
    seeker.referent = advisor
    seeker.status = FollowUpStatus.FOLLOWED_ONLINE
    seeker.enrolment_step = EnrolmentStep.DONE
    seeker.enrolled_at = seeker.enrolled_at or timezone.now()
    seeker.queued_since = None
    seeker.returned_at = None
    seeker.save()
    _open_assignment(
        seeker,
        advisor,
        reason=reason,
        by=by,
        kind=TimelineKind.REFERENT_CHANGED if previous else TimelineKind.REFERENT_ASSIGNED,
    )
    return seeker


def assign_queued_seekers(*, agency_id: int) -> int:
    """Offers freed places to queued seekers, longest wait first; returns how many got one."""
    assigned = 0
    queued = Seeker.objects.awaiting_advisor().filter(agency_id=agency_id).order_by("queued_since")
    for seeker in queued:
        if seeker_assign_referent(seeker=seeker) is not None:
            assigned += 1
    return assigned
