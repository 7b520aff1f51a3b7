"""Every write of the equipment app: starting, finishing and interrupting a check."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from advisors.models import Advisor
from seekers.models import (
    AccessibilityNeed,
    EnrolmentStep,
    FollowUpStatus,
    Seeker,
    TimelineEvent,
    TimelineKind,
)
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


@transaction.atomic
def check_start(*, user, user_agent: str = "") -> EquipmentCheck:
    """Opens a running check for `user`, or raises CheckRefused.

    Holds the user's row lock, so that two processes never both pass the rate limit or both
    open a check for the same person. Everything else the decision needs comes in one query
    after the lock (a statement of its own: it must see what the previous holder committed),
    since the answer to the browser's offer waits for this transaction."""
    User = get_user_model()
    User.objects.select_for_update().only("pk").get(pk=user.pk)
    now = timezone.now()
    stale_before = now - timedelta(seconds=settings.EQUIPMENT_CHECK_TIMEOUT_SECONDS) - STALE_MARGIN
    window_start = now - timedelta(seconds=settings.EQUIPMENT_CHECK_RATE_WINDOW_SECONDS)
    mine = EquipmentCheck.objects.filter(user=OuterRef("pk"))
    recent = mine.filter(started_at__gte=window_start)
    seeker = Seeker.objects.filter(user=OuterRef("pk")).order_by("pk")
    state = (
        User.objects.filter(pk=user.pk)
        .annotate(
            running=Exists(mine.running().filter(started_at__gte=stale_before)),
            stale=Exists(mine.running().filter(started_at__lt=stale_before)),
            recent_count=Coalesce(
                Subquery(recent.values("user").annotate(n=Count("pk")).values("n")), 0
            ),
            oldest_recent=Subquery(recent.order_by("started_at").values("started_at")[:1]),
            seeker_id=Subquery(seeker.values("pk")[:1]),
            seeker_need=Subquery(seeker.values("accessibility_need")[:1]),
            advisor_signs=Exists(Advisor.objects.signing().filter(user=OuterRef("pk"))),
        )
        .values(
            "running",
            "stale",
            "recent_count",
            "oldest_recent",
            "seeker_id",
            "seeker_need",
            "advisor_signs",
        )
        .get()
    )
    if state["stale"]:
        EquipmentCheck.objects.of_user(user).running().filter(started_at__lt=stale_before).update(
            state=CheckState.ABORTED, finished_at=now
        )
    if state["running"]:
        raise CheckRefused("already_running", retry_after=settings.EQUIPMENT_CHECK_TIMEOUT_SECONDS)
    if state["recent_count"] >= settings.EQUIPMENT_CHECK_RATE_LIMIT:
        oldest = state["oldest_recent"]
        window = timedelta(seconds=settings.EQUIPMENT_CHECK_RATE_WINDOW_SECONDS)
        wait = math.ceil((oldest + window - now).total_seconds()) if oldest else 1
        raise CheckRefused("rate_limited", retry_after=max(wait, 1))
    # Signing in LSF, as a seeker or as an advisor, calls for the stricter video thresholds.
    signs = state["seeker_need"] == AccessibilityNeed.DEAF_SIGNING or state["advisor_signs"]
    try:
        # The lock makes a second running check impossible; the partial unique constraint is
        # the last guard, and its error ends the whole transaction (no savepoint needed).
        return EquipmentCheck.objects.create(
            user=user,
            seeker_id=state["seeker_id"],
            profile=Profile.LSF if signs else Profile.STANDARD,
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
