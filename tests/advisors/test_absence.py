"""An advisor's absence: their seekers go to the backup for that time, and come back."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from advisors.models import AdvisorState
from tests.advisors.factories import AdvisorFactory
from tests.conftest import login
from tests.seekers.factories import SeekerFactory

pytestmark = pytest.mark.django_db


def test_marking_an_absence_routes_the_caseload_to_the_backup(agency, advisor):
    backup = AdvisorFactory(agency=agency)
    advisor.backup = backup
    advisor.save()
    seeker = SeekerFactory(agency=agency, followed=True, referent=advisor)
    until = timezone.localdate() + timedelta(days=3)

    response = login(advisor.user).post(reverse("advisors:absence"), {"until": until.isoformat()})

    assert response.status_code == 302
    advisor.refresh_from_db()
    assert (advisor.state, advisor.absent_until) == (AdvisorState.ABSENT, until)
    backup_home = login(backup.user).get(reverse("advisors:home")).content.decode()
    assert seeker.user.get_full_name() in backup_home
    assert reverse("casefile:file", args=[seeker.pk]) in backup_home
    assert login(backup.user).get(reverse("casefile:file", args=[seeker.pk])).status_code == 200

    login(advisor.user).post(reverse("advisors:absence"), {"back": "1"})

    advisor.refresh_from_db()
    assert advisor.state == AdvisorState.ACTIVE
    assert login(backup.user).get(reverse("casefile:file", args=[seeker.pk])).status_code == 404


def test_an_absence_cannot_end_in_the_past(advisor):
    yesterday = timezone.localdate() - timedelta(days=1)

    response = login(advisor.user).post(
        reverse("advisors:absence"), {"until": yesterday.isoformat()}, follow=True
    )

    assert "ne peut pas être dans le passé" in response.content.decode()
    advisor.refresh_from_db()
    assert advisor.state == AdvisorState.ACTIVE


def test_absences_end_by_themselves_after_their_last_day(agency):
    over = AdvisorFactory(
        agency=agency, absent=True, absent_until=timezone.localdate() - timedelta(days=1)
    )
    ongoing = AdvisorFactory(agency=agency, absent=True, absent_until=timezone.localdate())

    call_command("end_absences")

    over.refresh_from_db()
    ongoing.refresh_from_db()
    assert over.state == AdvisorState.ACTIVE and over.absent_until is None
    assert ongoing.state == AdvisorState.ABSENT


def test_only_advisors_mark_absences(agency, manager):
    seeker = SeekerFactory(agency=agency)

    assert login(seeker.user).post(reverse("advisors:absence")).status_code == 404
    assert login(manager).post(reverse("advisors:absence")).status_code == 404
