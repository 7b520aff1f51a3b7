"""The enrolment path as a seeker lives it, and each refusal."""

import pytest
from django.urls import reverse

from seekers.models import AccessibilityNeed, EnrolmentStep, FollowUpStatus, Seeker, TimelineKind
from tests.accounts.factories import UserFactory
from tests.conftest import login

pytestmark = pytest.mark.django_db

GOOD_DECLARATIONS = {
    "agency": None,
    "device_with_webcam": "on",
    "good_connection": "on",
    "age_band": "25_49",
    "preferred_channel": "chat",
    "phone": "06 12 34 56 78",
    "consent": "on",
}


def declarations(chosen_agency, **overrides):
    data = {**GOOD_DECLARATIONS, "agency": chosen_agency.pk, **overrides}
    return {key: value for key, value in data.items() if value is not None}


def test_first_visit_creates_the_file_and_starts_at_declarations(agency):
    user = UserFactory()
    client = login(user)

    response = client.get(reverse("seekers:enrol"))

    assert response.status_code == 302
    assert response["Location"] == reverse("seekers:enrol_declarations")
    seeker = Seeker.objects.get(user=user)
    assert seeker.status == FollowUpStatus.ENROLLING
    assert seeker.enrolment_step == EnrolmentStep.DECLARATIONS
    assert seeker.timeline.filter(kind=TimelineKind.ENROLMENT_STARTED).count() == 1


def test_whole_path_stops_at_the_equipment_check_without_faking_a_pass(agency, advisor):
    user = UserFactory()
    client = login(user)

    response = client.post(reverse("seekers:enrol_declarations"), declarations(agency))
    assert response.status_code == 302
    assert response["Location"] == reverse("seekers:enrol_accessibility")

    response = client.post(reverse("seekers:enrol_accessibility"), {"need": "none"})
    assert response.status_code == 302
    assert response["Location"] == reverse("seekers:enrol_equipment")

    response = client.get(reverse("seekers:enrol_equipment"))
    assert response.status_code == 200
    seeker = Seeker.objects.get(user=user)
    assert seeker.enrolment_step == EnrolmentStep.EQUIPMENT_CHECK
    assert seeker.status == FollowUpStatus.ENROLLING
    assert seeker.referent is None
    assert seeker.agency == agency
    assert seeker.consent_given_at is not None
    assert seeker.declared_device_with_webcam and seeker.declared_good_connection
    assert list(seeker.timeline.values_list("kind", flat=True).order_by("pk")) == [
        TimelineKind.ENROLMENT_STARTED,
        TimelineKind.DECLARATIONS_SAVED,
        TimelineKind.ACCESSIBILITY_SAVED,
    ]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"consent": None}, "consent", "Votre consentement est nécessaire"),
        ({"device_with_webcam": None}, "device_with_webcam", "webcam"),
        ({"good_connection": None}, "good_connection", "bonne connexion"),
        ({"agency": 999999}, "agency", "Choisissez votre agence"),
        ({"phone": "abc"}, "phone", "numéro de téléphone"),
        ({"age_band": "elderly"}, "age_band", "Sélectionnez un choix valide"),
    ],
)
def test_declarations_refusals_are_explained_in_french_and_write_nothing(
    agency, overrides, field, message
):
    user = UserFactory()
    client = login(user)
    client.get(reverse("seekers:enrol"))

    response = client.post(reverse("seekers:enrol_declarations"), declarations(agency, **overrides))

    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert message in response.content.decode()
    seeker = Seeker.objects.get(user=user)
    assert seeker.enrolment_step == EnrolmentStep.DECLARATIONS
    assert seeker.consent_given_at is None
    assert seeker.agency is None


def test_other_accessibility_need_requires_details(agency):
    user = UserFactory()
    client = login(user)
    client.post(reverse("seekers:enrol_declarations"), declarations(agency))

    response = client.post(reverse("seekers:enrol_accessibility"), {"need": "other"})

    assert response.status_code == 400
    assert "Décrivez votre besoin" in response.content.decode()
    assert Seeker.objects.get(user=user).enrolment_step == EnrolmentStep.ACCESSIBILITY


def test_a_step_out_of_order_sends_back_to_the_step_reached(agency):
    user = UserFactory()
    client = login(user)
    client.get(reverse("seekers:enrol"))

    response = client.post(reverse("seekers:enrol_accessibility"), {"need": "deaf_signing"})

    assert response.status_code == 302
    assert response["Location"] == reverse("seekers:enrol_declarations")
    assert Seeker.objects.get(user=user).accessibility_need == AccessibilityNeed.NONE


def test_a_seeker_resumes_at_the_step_reached(agency):
    user = UserFactory()
    client = login(user)
    client.post(reverse("seekers:enrol_declarations"), declarations(agency))

    # Later, on another device.
    client = login(user)
    response = client.get(reverse("seekers:enrol"))
    home = client.get(reverse("seekers:home"))

    assert response["Location"] == reverse("seekers:enrol_accessibility")
    assert home.status_code == 200
    assert reverse("seekers:enrol_accessibility") in home.content.decode()


def test_going_back_to_an_earlier_step_keeps_the_progress(agency):
    user = UserFactory()
    client = login(user)
    client.post(reverse("seekers:enrol_declarations"), declarations(agency))
    client.post(reverse("seekers:enrol_accessibility"), {"need": "hard_of_hearing"})

    response = client.post(
        reverse("seekers:enrol_declarations"), declarations(agency, preferred_channel="video")
    )

    assert response.status_code == 302
    seeker = Seeker.objects.get(user=user)
    assert seeker.preferred_channel == "video"
    assert seeker.enrolment_step == EnrolmentStep.EQUIPMENT_CHECK


def test_the_public_page_explains_the_offer_in_french(client, db):
    response = client.get(reverse("seekers:landing"))

    content = response.content.decode()
    assert response.status_code == 200
    assert content.count("<h1") == 1
    for words in ("Volontaire", "Réversible", "webcam", "bonne connexion", "adresse e-mail valide"):
        assert words in content
    assert reverse("account_signup") in content


def test_the_public_page_is_available_in_english(client, db):
    response = client.get(reverse("seekers:landing"), HTTP_ACCEPT_LANGUAGE="en")

    content = response.content.decode()
    assert 'lang="en"' in content
    assert "Voluntary" in content and "Reversible" in content
