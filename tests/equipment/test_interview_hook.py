"""The waiting room of an interview measures again: the equipment app fills the interviews
app's hook, and keeps the interviews app's own quick re-check beside it."""

import html

import pytest
from django.urls import reverse

from tests.conftest import login
from tests.interviews.factories import AppointmentFactory

pytestmark = pytest.mark.django_db


def test_the_waiting_room_offers_the_measured_check(advisor):
    appointment = AppointmentFactory(advisor=advisor, now_open=True)

    response = login(appointment.seeker.user).get(reverse("interviews:call", args=[appointment.pk]))

    assert response.status_code == 200
    content = html.unescape(response.content.decode())
    # The interviews app's own re-check stays, with what its script looks for.
    assert 'data-testid="recheck-camera"' in content
    assert 'data-testid="recheck-microphone"' in content
    # The measured check, under the waiting room's heading.
    assert "Mesurer ma webcam et ma connexion sur notre serveur avant l'entretien" in content
    assert '<h3 id="equipment-check-title" class="fr-h6">Tester mon équipement</h3>' in content
    assert 'id="equipment-check-config"' in content
    assert content.count("<h1") == 1


def test_the_enrolment_step_keeps_its_level_two_heading(agency):
    from tests.seekers.factories import SeekerFactory

    seeker = SeekerFactory(agency=agency, awaiting_check=True)

    response = login(seeker.user).get(reverse("seekers:enrol_equipment"))

    assert '<h2 id="equipment-check-title">' in response.content.decode()
