"""The pages: the check on the enrolment step and on its own, the histories, who sees what."""

import html
import json
import re

import pytest
from django.urls import reverse

from advisors.models import AdvisorState
from tests.accounts.factories import AgencyFactory, UserFactory
from tests.advisors.factories import AdvisorFactory
from tests.conftest import login
from tests.equipment.factories import EquipmentCheckFactory
from tests.seekers.factories import SeekerFactory

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return html.unescape(response.content.decode())


def test_the_enrolment_step_shows_the_real_check(agency):
    seeker = SeekerFactory(agency=agency, awaiting_check=True)

    response = login(seeker.user).get(reverse("seekers:enrol_equipment"))

    assert response.status_code == 200
    content = text(response)
    assert "Tester mon équipement" in content
    assert "js/equipment-check.js" in content
    assert "Awaiting equipment check" not in content
    raw = re.search(r'id="equipment-check-config"[^>]*>(.*?)</script>', content, re.S).group(1)
    config = json.loads(raw)
    assert config["path"] == "/ws/equipement/test/"
    assert config["iceServers"] == []
    assert config["messages"]["permission_denied"].startswith(
        "Vous avez refusé l'accès à la caméra ou au micro"
    )


def test_the_check_page_needs_a_login(client):
    response = client.get(reverse("equipment:check"))

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_seeker_home_shows_the_last_verdict_and_the_link(agency, advisor):
    seeker = SeekerFactory(agency=agency, followed=True, referent=advisor)
    EquipmentCheckFactory(user=seeker.user, seeker=seeker, failed=True)

    response = login(seeker.user).get(reverse("seekers:home"))

    content = text(response)
    assert "Dernier test le" in content
    assert "Échoué" in content
    assert reverse("equipment:check") in content


def test_my_history_lists_only_my_checks_in_a_constant_number_of_queries(
    agency, django_assert_max_num_queries
):
    seeker = SeekerFactory(agency=agency, awaiting_check=True)
    EquipmentCheckFactory(user=UserFactory(), user_agent="someone else's browser")
    client = login(seeker.user)
    EquipmentCheckFactory(user=seeker.user, failed=True)
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("equipment:history"))
    EquipmentCheckFactory.create_batch(10, user=seeker.user)

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("equipment:history"))

    content = text(response)
    assert content.count("<tr>") == 1 + 11
    assert "someone else" not in content
    assert "Votre caméra n'envoie pas d'image" in content


@pytest.fixture
def followed(agency):
    backup = AdvisorFactory(agency=agency)
    referent = AdvisorFactory(agency=agency, backup=backup)
    seeker = SeekerFactory(agency=agency, followed=True, referent=referent)
    EquipmentCheckFactory(user=seeker.user, seeker=seeker, failed=True)
    return seeker


def who(kind, seeker):
    if kind == "seeker":
        return seeker.user
    if kind == "referent":
        return seeker.referent.user
    if kind == "backup":
        # The backup acts for the referent only while the referent is away.
        seeker.referent.state = AdvisorState.ABSENT
        seeker.referent.save(update_fields=["state"])
        return seeker.referent.backup.user
    if kind == "backup_while_referent_present":
        return seeker.referent.backup.user
    if kind == "manager":
        return UserFactory(manager=True, agency=seeker.agency)
    if kind == "other_advisor":
        return AdvisorFactory(agency=seeker.agency).user
    if kind == "other_manager":
        return UserFactory(manager=True, agency=AgencyFactory(code="ailleurs"))
    return SeekerFactory(agency=seeker.agency, followed=True, referent=seeker.referent).user


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        ("seeker", 200),
        ("referent", 200),
        ("backup", 200),
        ("backup_while_referent_present", 404),
        ("manager", 200),
        ("other_advisor", 404),
        ("other_manager", 404),
        ("other_seeker", 404),
    ],
)
def test_who_sees_a_seekers_checks(followed, kind, status):
    response = login(who(kind, followed)).get(
        reverse("equipment:seeker_checks", args=[followed.pk])
    )

    assert response.status_code == status
    if status == 200:
        assert "Votre caméra n'envoie pas d'image" in text(response)


def test_an_enrolling_seeker_without_check_is_invited_to_test(agency):
    seeker = SeekerFactory(agency=agency, declared=True)

    response = login(seeker.user).get(reverse("seekers:home"))

    assert response.status_code == 200
    content = text(response)
    assert "Vous n'avez pas encore testé votre webcam et votre connexion." in content
    assert reverse("equipment:history") in content


def test_the_standalone_page_shows_the_widget_and_my_latest_tests(agency):
    seeker = SeekerFactory(agency=agency, awaiting_check=True)
    EquipmentCheckFactory(user=seeker.user, seeker=seeker)

    response = login(seeker.user).get(reverse("equipment:check"))

    content = text(response)
    assert response.status_code == 200
    assert content.count("<h1") == 1
    assert "Testez votre webcam et votre connexion" in content
    assert "Mes derniers tests" in content
    assert "Réussi" in content


def test_a_seekers_checks_page_keeps_its_query_count(followed, django_assert_max_num_queries):
    client = login(followed.referent.user)
    url = reverse("equipment:seeker_checks", args=[followed.pk])
    with django_assert_max_num_queries(12) as few:
        client.get(url)
    EquipmentCheckFactory.create_batch(10, user=followed.user, seeker=followed)

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)

    assert text(response).count("<tr>") == 1 + 11


def test_the_advisor_partial_links_to_the_check_and_shows_the_last_verdict(advisor, rf):
    from django.template.loader import render_to_string
    from django.utils import translation

    EquipmentCheckFactory(user=advisor.user)
    request = rf.get("/conseiller/")
    request.user = advisor.user

    with translation.override("fr"):
        content = html.unescape(render_to_string("equipment/_advisor_home.html", request=request))

    assert reverse("equipment:check") in content
    assert "Dernier test le" in content
    assert "Réussi" in content
