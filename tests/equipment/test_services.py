"""Starting and finishing checks: the verdict stored, the enrolment completed or not."""

from datetime import timedelta

import pytest
from django.utils import timezone

from equipment import services
from equipment.models import CheckState, EquipmentCheck, Profile, Verdict
from seekers.models import EnrolmentStep, FollowUpStatus, TimelineKind
from tests.advisors.factories import AdvisorFactory
from tests.equipment.factories import GOOD_MEASUREMENTS, EquipmentCheckFactory
from tests.seekers.factories import SeekerFactory

pytestmark = pytest.mark.django_db

SILENT = {**GOOD_MEASUREMENTS, "audio": {"track": True, "frames": 100, "level_dbfs": None}}
NO_CAMERA = {**GOOD_MEASUREMENTS, "video": {"track": False}}


def run(user, measurements):
    check = services.check_start(user=user, user_agent="Firefox/128")
    return services.check_finish(check_id=check.pk, measurements=measurements)


def test_a_passed_check_completes_the_enrolment_with_a_referent(advisor):
    seeker = SeekerFactory(agency=advisor.agency, awaiting_check=True)

    finished = run(seeker.user, GOOD_MEASUREMENTS)

    assert finished.enrolment == "assigned"
    assert finished.check.verdict == Verdict.PASSED
    assert finished.check.seeker == seeker
    assert finished.check.user_agent == "Firefox/128"
    seeker.refresh_from_db()
    assert seeker.status == FollowUpStatus.FOLLOWED_ONLINE
    assert seeker.referent == advisor
    event = seeker.timeline.get(kind=TimelineKind.EQUIPMENT_CHECK)
    assert event.detail == {"check": finished.check.pk, "verdict": "passed", "reasons": []}


def test_passed_with_warnings_also_completes_it(advisor):
    seeker = SeekerFactory(agency=advisor.agency, awaiting_check=True)

    finished = run(seeker.user, SILENT)

    assert finished.check.verdict == Verdict.WARNINGS
    assert finished.enrolment == "assigned"


def test_a_passed_check_queues_the_seeker_when_no_advisor_has_room(agency):
    AdvisorFactory(agency=agency, capacity=0)
    seeker = SeekerFactory(agency=agency, awaiting_check=True)

    finished = run(seeker.user, GOOD_MEASUREMENTS)

    assert finished.enrolment == "queued"
    seeker.refresh_from_db()
    assert seeker.enrolment_step == EnrolmentStep.AWAITING_ADVISOR


def test_a_failed_check_leaves_the_seeker_at_the_check(advisor):
    seeker = SeekerFactory(agency=advisor.agency, awaiting_check=True)

    finished = run(seeker.user, NO_CAMERA)

    assert finished.check.verdict == Verdict.FAILED
    assert finished.check.reasons == [{"code": "camera_missing", "severity": "error", "params": {}}]
    assert finished.enrolment == ""
    seeker.refresh_from_db()
    assert seeker.enrolment_step == EnrolmentStep.EQUIPMENT_CHECK
    assert seeker.referent is None
    assert seeker.timeline.get(kind=TimelineKind.EQUIPMENT_CHECK).detail["reasons"] == [
        "camera_missing"
    ]


def test_a_check_before_the_check_step_does_not_skip_steps(advisor):
    seeker = SeekerFactory(agency=advisor.agency, declared=True)

    finished = run(seeker.user, GOOD_MEASUREMENTS)

    assert finished.enrolment == ""
    seeker.refresh_from_db()
    assert seeker.enrolment_step == EnrolmentStep.ACCESSIBILITY


def test_a_followed_seeker_testing_again_keeps_their_referent(advisor, other_agency):
    seeker = SeekerFactory(agency=advisor.agency, followed=True, referent=advisor)

    finished = run(seeker.user, GOOD_MEASUREMENTS)

    assert finished.enrolment == ""
    seeker.refresh_from_db()
    assert seeker.referent == advisor


def test_an_advisor_may_check_too_with_the_signing_thresholds_when_they_sign(signing_advisor):
    finished = run(signing_advisor.user, GOOD_MEASUREMENTS)

    assert finished.check.seeker is None
    assert finished.check.profile == Profile.LSF


def test_a_signing_seeker_gets_the_lsf_profile(agency):
    seeker = SeekerFactory(agency=agency, awaiting_check=True, signing=True)

    check = services.check_start(user=seeker.user)

    assert check.profile == Profile.LSF


def test_a_running_check_left_by_a_dead_process_stops_blocking(seeker, settings):
    long_ago = timezone.now() - timedelta(seconds=settings.EQUIPMENT_CHECK_TIMEOUT_SECONDS + 60)
    stale = EquipmentCheckFactory(user=seeker.user, running=True, started_at=long_ago)

    check = services.check_start(user=seeker.user)

    assert check.state == CheckState.RUNNING
    stale.refresh_from_db()
    assert stale.state == CheckState.ABORTED


def test_a_recent_running_check_blocks_a_second_one(seeker):
    EquipmentCheckFactory(user=seeker.user, running=True)

    with pytest.raises(services.CheckRefused) as refused:
        services.check_start(user=seeker.user)

    assert refused.value.code == "already_running"


def test_finishing_an_interrupted_check_changes_nothing(seeker):
    check = EquipmentCheckFactory(user=seeker.user, aborted=True)

    finished = services.check_finish(check_id=check.pk, measurements=GOOD_MEASUREMENTS)

    assert finished.check.state == CheckState.ABORTED
    assert finished.check.verdict == ""


def test_a_browser_error_is_stored_as_a_failed_check(seeker):
    finished = services.check_record_browser_error(user=seeker.user, error="no_camera")

    assert finished.check.verdict == Verdict.FAILED
    assert finished.check.measurements == {"browser_error": "no_camera"}
    assert EquipmentCheck.objects.get().reasons[0]["code"] == "no_camera"
