"""50 enrolments completing at once, in real concurrent PostgreSQL transactions."""

import threading

import pytest
from django.db import connection, connections

from seekers import services
from seekers.models import FollowUpStatus, Seeker
from tests.advisors.factories import AdvisorFactory
from tests.seekers.factories import SeekerFactory


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_enrolments_never_overfill_an_advisor(agency):
    assert connection.vendor == "postgresql"
    advisors = [AdvisorFactory(agency=agency, capacity=capacity) for capacity in (10, 15, 5)]
    seekers = SeekerFactory.create_batch(50, agency=agency, awaiting_check=True)
    barrier = threading.Barrier(len(seekers))
    errors = []

    def complete(seeker_id):
        try:
            barrier.wait(timeout=30)
            services.seeker_complete_enrolment(seeker=Seeker.objects.get(pk=seeker_id))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=complete, args=(s.pk,)) for s in seekers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    for advisor in advisors:
        assert advisor.caseload.count() == advisor.capacity
    assert Seeker.objects.filter(status=FollowUpStatus.FOLLOWED_ONLINE).count() == 30
    assert Seeker.objects.awaiting_advisor().count() == 20
