"""The interviews demo data: every outcome shown, idempotent, in a few bulk writes."""

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from interviews import demo
from interviews.models import Appointment, AvailabilityException, Status, WeeklyAvailability
from tests.advisors.factories import AdvisorFactory
from tests.interviews.factories import followed_seeker

pytestmark = pytest.mark.django_db


def test_seed_shows_weeks_and_every_outcome_and_runs_once(agency):
    advisors = [AdvisorFactory(agency=agency) for _ in range(2)]
    for advisor in advisors:
        for _ in range(5):
            followed_seeker(advisor)
    out = io.StringIO()
    with CaptureQueriesContext(connection) as queries:
        demo.seed(agency=agency, advisors=advisors, stdout=out)
    assert len(queries) < 30
    assert WeeklyAvailability.objects.count() == 2 * 5 * 2
    assert AvailabilityException.objects.count() == 2
    statuses = set(Appointment.objects.values_list("status", flat=True))
    assert {
        Status.HELD,
        Status.SEEKER_ABSENT,
        Status.TECHNICAL_FAILURE,
        Status.CANCELLED,
        Status.CONFIRMED,
        Status.PROPOSED,
    } <= statuses
    # The outcomes are consistent with the record: no absence for a seeker who came.
    assert not Appointment.objects.filter(
        status=Status.SEEKER_ABSENT, seeker_joined_at__isnull=False
    ).exists()
    assert not Appointment.objects.filter(
        status=Status.TECHNICAL_FAILURE, seeker_joined_at__isnull=True
    ).exists()
    assert any(a.is_open() for a in Appointment.objects.all())
    count = Appointment.objects.count()
    demo.seed(agency=agency, advisors=advisors, stdout=out)
    assert Appointment.objects.count() == count
    assert "already seeded" in out.getvalue()
