"""The admin lists checks read-only, scoped to the manager's agency."""

import pytest
from django.urls import reverse

from tests.accounts.factories import AgencyFactory, UserFactory
from tests.conftest import login
from tests.equipment.factories import EquipmentCheckFactory
from tests.seekers.factories import SeekerFactory

pytestmark = pytest.mark.django_db


def test_a_manager_sees_only_the_checks_of_their_agency(agency, manager):
    mine = SeekerFactory(agency=agency, awaiting_check=True)
    theirs = SeekerFactory(agency=AgencyFactory(code="roubaix"), awaiting_check=True)
    mine_check = EquipmentCheckFactory(user=mine.user, seeker=mine)
    their_check = EquipmentCheckFactory(user=theirs.user, seeker=theirs)

    response = login(manager).get(reverse("admin:equipment_equipmentcheck_changelist"))

    assert response.status_code == 200
    content = response.content.decode()
    assert reverse("admin:equipment_equipmentcheck_change", args=[mine_check.pk]) in content
    assert reverse("admin:equipment_equipmentcheck_change", args=[their_check.pk]) not in content


def test_checks_cannot_be_added_or_changed(agency):
    superuser = UserFactory(superuser=True)
    check = EquipmentCheckFactory()
    client = login(superuser)

    assert client.get(reverse("admin:equipment_equipmentcheck_add")).status_code == 403
    response = client.post(
        reverse("admin:equipment_equipmentcheck_change", args=[check.pk]), {"verdict": "failed"}
    )
    assert response.status_code == 403
    check.refresh_from_db()
    assert check.verdict == "passed"
