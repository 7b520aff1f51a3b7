"""Every write of the equipment app: starting, finishing and interrupting a check."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from advisors.models import Advisor
from seekers.models import EnrolmentStep, FollowUpStatus, Seeker, TimelineEvent, TimelineKind
from seekers.services import seeker_complete_enrolment

from .models import CheckState, EquipmentCheck, Profile
from .verdict import BROWSER_ERRORS, evaluate

# A running check older than this was left by a process that died: it no longer blocks anyone.
STALE_MARGIN = timedelta(seconds=30)


class CheckRefused(Exception):
    """The user may not start a check now; `code` is stable, `retry_after` in seconds."""

    def __init__(self, code: str, retry_after: int | None = None):
        super().__init__(code)
        self.code = code
        self.retry_after = retry_after


@dataclass
class Finished:
    check: EquipmentCheck
    # "assigned" (a referent now follows the seeker), "queued" (waiting for one) or "".
    enrolment: str = ""


def _profile(user, seeker: Seeker | None) -> str:
    """Signing in LSF, as a seeker or as an advisor, calls for the stricter video thresholds."""
    if seeker is not None and seeker.signs_lsf:
        return Profile.LSF
    if Advisor.objects.filter(user=user).signing().exists():
        return Profile.LSF
    return Profile.STANDARD


def _seeker_of(user) -> Seeker | None:
    return Seeker.objects.filter(user=user).first()


@transaction.atomic
def check_start(*, user, user_agent: str = "") -> EquipmentCheck:
    """Opens a running check for `user`, or raises CheckRefused.

    Holds the user's row lock, so that two processes never both pass the rate limit or both
    open a check for the same person."""
    get_user_model().objects.select_for_update().only("pk").get(pk=user.pk)
    now = timezone.now()
    timeout = timedelta(seconds=settings.EQUIPMENT_CHECK_TIMEOUT_SECONDS)
    mine = EquipmentCheck.objects.of_user(user)
    mine.running().filter(started_at__lt=now - timeout - STALE_MARGIN).update(
        state=CheckState.ABORTED, finished_at=now
    )
    if mine.running().exists():
        raise CheckRefused("already_running", retry_after=settings.EQUIPMENT_CHECK_TIMEOUT_SECONDS)
    window = timedelta(seconds=settings.EQUIPMENT_CHECK_RATE_WINDOW_SECONDS)
    recent = mine.filter(started_at__gte=now - window)
    if recent.count() >= settings.EQUIPMENT_CHECK_RATE_LIMIT:
        oldest = recent.order_by("started_at").values_list("started_at", flat=True).first()
        wait = math.ceil((oldest + window - now).total_seconds()) if oldest else 1
        raise CheckRefused("rate_limited", retry_after=max(wait, 1))
    seeker = _seeker_of(user)
    try:
        with transaction.atomic():
            return EquipmentCheck.objects.create(
                user=user,
                seeker=seeker,
                profile=_profile(user, seeker),
                user_agent=(user_agent or "")[:512],
                started_at=now,
            )
    except IntegrityError:
        raise CheckRefused(
            "already_running", retry_after=settings.EQUIPMENT_CHECK_TIMEOUT_SECONDS
        ) from None


def _completes_enrolment(seeker: Seeker | None) -> bool:
    return (
        seeker is not None
        and seeker.status == FollowUpStatus.ENROLLING
        and seeker.enrolment_step == EnrolmentStep.EQUIPMENT_CHECK
    )


@transaction.atomic
def check_finish(*, check_id: int, measurements: dict) -> Finished:
    """Draws the verdict from the measurements, stores it, and completes the enrolment of a
    seeker who was waiting for a passed check. Holds the check's row lock."""
    check = EquipmentCheck.objects.select_for_update().get(pk=check_id)
    if check.state != CheckState.RUNNING:
        return Finished(check)
    limits = settings.EQUIPMENT_CHECK_THRESHOLDS[check.profile]
    outcome = evaluate(measurements, limits, lsf=check.profile == Profile.LSF)
    check.state = CheckState.COMPLETED
    check.verdict = outcome.verdict
    check.reasons = outcome.reasons
    check.measurements = measurements
    check.finished_at = timezone.now()
    check.save(update_fields=["state", "verdict", "reasons", "measurements", "finished_at"])
    finished = Finished(check)
    seeker = Seeker.objects.filter(pk=check.seeker_id).first() if check.seeker_id else None
    if seeker is not None:
        TimelineEvent.objects.create(
            seeker=seeker,
            kind=TimelineKind.EQUIPMENT_CHECK,
            actor=check.user,
            detail={
                "check": check.pk,
                "verdict": check.verdict,
                "reasons": [reason["code"] for reason in check.reasons],
            },
        )
    if check.passed and _completes_enrolment(seeker):
        advisor = seeker_complete_enrolment(seeker=seeker)
        finished.enrolment = "assigned" if advisor is not None else "queued"
    return finished


def check_abort(*, check_id: int) -> None:
    """Marks a check that ended without a verdict (disconnect, shutdown, refused offer)."""
    EquipmentCheck.objects.filter(pk=check_id, state=CheckState.RUNNING).update(
        state=CheckState.ABORTED, finished_at=timezone.now()
    )


@transaction.atomic
def check_record_browser_error(*, user, error: str, user_agent: str = "") -> Finished:
    """Stores a check that failed in the browser before any media flowed (refused
    permission, no camera...), so that the history says why."""
    if error not in BROWSER_ERRORS:
        error = "unsupported_browser"
    check = check_start(user=user, user_agent=user_agent)
    return check_finish(check_id=check.pk, measurements={"browser_error": error})
