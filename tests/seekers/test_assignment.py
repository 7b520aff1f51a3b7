"""Automatic assignment: balance, capacity, presence, the LSF rule and the visible queue."""

import pytest
from django.core import mail

from seekers import services
from seekers.models import (
    AssignmentReason,
    EnrolmentStep,
    FollowUpStatus,
    SeekerQueueEntry,
    TimelineKind,
)
from tests.advisors.factories import AdvisorFactory
from tests.seekers.factories import SeekerFactory

pytestmark = pytest.mark.django_db


def test_completing_enrolment_gives_the_least_loaded_advisor(agency):
    busy = AdvisorFactory(agency=agency)
    idle = AdvisorFactory(agency=agency)
    SeekerFactory.create_batch(3, agency=agency, followed=True, referent=busy)
    seeker = SeekerFactory(agency=agency, awaiting_check=True)

    advisor = services.seeker_complete_enrolment(seeker=seeker)

    seeker.refresh_from_db()
    assert advisor == idle
    assert seeker.referent == idle
    assert seeker.status == FollowUpStatus.FOLLOWED_ONLINE
    assert seeker.enrolment_step == EnrolmentStep.DONE
    assert seeker.enrolled_at is not None
    assignment = seeker.assignments.get()
    assert (assignment.advisor, assignment.reason, assignment.ended_at) == (
        idle,
        AssignmentReason.AUTOMATIC,
        None,
    )
    assert seeker.timeline.filter(kind=TimelineKind.REFERENT_ASSIGNED, advisor=idle).exists()


def test_assignments_spread_evenly(agency):
    advisors = AdvisorFactory.create_batch(3, agency=agency)
    for _ in range(9):
        services.seeker_complete_enrolment(seeker=SeekerFactory(agency=agency, awaiting_check=True))

    assert sorted(a.caseload.count() for a in advisors) == [3, 3, 3]


def test_absent_full_and_other_agency_advisors_are_never_chosen(agency, other_agency):
    AdvisorFactory(agency=agency, absent=True)
    full = AdvisorFactory(agency=agency, capacity=1)
    SeekerFactory(agency=agency, followed=True, referent=full)
    AdvisorFactory(agency=other_agency)
    deactivated = AdvisorFactory(agency=agency)
    deactivated.user.is_active = False
    deactivated.user.save()
    seeker = SeekerFactory(agency=agency, awaiting_check=True)

    assert services.seeker_complete_enrolment(seeker=seeker) is None

    seeker.refresh_from_db()
    assert seeker.referent is None
    assert seeker.enrolment_step == EnrolmentStep.AWAITING_ADVISOR


def test_a_signing_seeker_goes_only_to_a_signing_advisor(agency):
    AdvisorFactory.create_batch(3, agency=agency)
    signing = AdvisorFactory(agency=agency, signs_lsf=True)
    SeekerFactory.create_batch(5, agency=agency, followed=True, referent=signing)
    seeker = SeekerFactory(agency=agency, awaiting_check=True, signing=True)

    assert services.seeker_complete_enrolment(seeker=seeker) == signing


def test_a_signing_seeker_waits_visibly_rather_than_get_a_speaking_advisor(
    agency, manager, django_capture_on_commit_callbacks
):
    AdvisorFactory.create_batch(2, agency=agency)
    signing = AdvisorFactory(agency=agency, signs_lsf=True, capacity=1)
    SeekerFactory(agency=agency, followed=True, referent=signing)
    seeker = SeekerFactory(agency=agency, awaiting_check=True, signing=True)

    with django_capture_on_commit_callbacks(execute=True):
        result = services.seeker_complete_enrolment(seeker=seeker)

    seeker.refresh_from_db()
    assert result is None
    assert seeker.referent is None
    assert seeker.status == FollowUpStatus.ENROLLING
    assert seeker.enrolment_step == EnrolmentStep.AWAITING_ADVISOR
    assert seeker.queued_since is not None
    assert list(SeekerQueueEntry.objects.awaiting_advisor()) == [seeker]
    assert seeker.timeline.filter(kind=TimelineKind.QUEUED).count() == 1
    # The managers are told, once.
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [manager.email]
    assert "LSF" in mail.outbox[0].body


def test_a_freed_place_goes_to_the_queued_seeker(agency, django_capture_on_commit_callbacks):
    signing = AdvisorFactory(agency=agency, signs_lsf=True, capacity=1)
    leaving = SeekerFactory(agency=agency, followed=True, referent=signing, signing=True)
    waiting = SeekerFactory(agency=agency, awaiting_check=True, signing=True)
    services.seeker_complete_enrolment(seeker=waiting)

    with django_capture_on_commit_callbacks(execute=True):
        services.seeker_return_to_agency(seeker=leaving)

    waiting.refresh_from_db()
    assert waiting.referent == signing
    assert waiting.status == FollowUpStatus.FOLLOWED_ONLINE
    assert waiting.queued_since is None


def test_enrolment_cannot_complete_before_the_equipment_step(agency, advisor):
    seeker = SeekerFactory(agency=agency, declared=True)

    with pytest.raises(services.EnrolmentError):
        services.seeker_complete_enrolment(seeker=seeker)

    seeker.refresh_from_db()
    assert seeker.referent is None
