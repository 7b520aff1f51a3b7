"""Role separation: nobody reaches what is not theirs, and 'not yours' looks like 'not there'."""

import pytest
from django.urls import reverse

from seekers.models import Seeker
from tests.accounts.factories import UserFactory
from tests.advisors.factories import AdvisorFactory
from tests.conftest import login
from tests.seekers.factories import SeekerFactory

pytestmark = pytest.mark.django_db

SEEKER_PAGES = [
    "seekers:enrol",
    "seekers:enrol_declarations",
    "seekers:enrol_accessibility",
    "seekers:enrol_equipment",
    "seekers:home",
    "seekers:return_to_agency",
]


@pytest.mark.parametrize("name", [*SEEKER_PAGES, "advisors:home", "portal:dispatch"])
def test_anonymous_visitors_are_sent_to_login(client, name):
    response = client.get(reverse(name))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_a_seeker_cannot_reach_the_advisor_pages(agency, advisor):
    seeker = SeekerFactory(agency=agency, followed=True, referent=advisor)

    response = login(seeker.user).get(reverse("advisors:home"))

    assert response.status_code == 404
    assert seeker.user.email not in response.content.decode()


@pytest.mark.parametrize("name", SEEKER_PAGES)
def test_an_advisor_cannot_reach_the_seeker_pages_nor_gets_a_seeker_file(advisor, name):
    response = login(advisor.user).get(reverse(name))

    assert response.status_code == 404
    assert not Seeker.objects.filter(user=advisor.user).exists()


@pytest.mark.parametrize("name", SEEKER_PAGES)
def test_a_manager_cannot_reach_the_seeker_pages(manager, name):
    assert login(manager).get(reverse(name)).status_code == 404


def test_each_seeker_sees_only_their_own_file(agency, advisor):
    alice = SeekerFactory(agency=agency, followed=True, referent=advisor)
    bob = SeekerFactory(agency=agency, followed=True, referent=advisor)

    page = login(alice.user).get(reverse("seekers:home")).content.decode()

    assert alice.user.first_name in page
    assert bob.user.email not in page


@pytest.mark.parametrize("role", ["seeker", "advisor"])
def test_seekers_and_advisors_never_enter_the_admin(agency, role):
    if role == "seeker":
        user = SeekerFactory(agency=agency).user
    else:
        user = AdvisorFactory(agency=agency).user
    user.is_staff = True  # even a wrongly flagged account stays out
    user.save()
    client = login(user)

    for url in (reverse("admin:index"), reverse("admin:seekers_seeker_changelist")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


def test_the_dispatcher_sends_each_role_home(agency, advisor, manager):
    seeker = SeekerFactory(agency=agency)

    assert login(seeker.user).get(reverse("portal:dispatch"))["Location"] == reverse("seekers:home")
    assert login(advisor.user).get(reverse("portal:dispatch"))["Location"] == reverse(
        "advisors:home"
    )
    assert login(manager).get(reverse("portal:dispatch"))["Location"] == reverse("admin:index")


def test_public_sign_up_only_creates_seekers(client, db):
    response = client.post(
        reverse("account_signup"),
        {
            "first_name": "Lina",
            "last_name": "Hadj",
            "email": "lina@example.test",
            "password1": "un-mot-de-passe-solide",
            "password2": "un-mot-de-passe-solide",
            "role": "manager",
            "is_staff": "on",
        },
    )

    assert response.status_code == 302
    from accounts.models import Role, User

    user = User.objects.get(email="lina@example.test")
    assert (user.role, user.is_staff, user.first_name) == (Role.SEEKER, False, "Lina")


def test_sign_up_requires_email_verification_before_login(client, db):
    from django.core import mail

    client.post(
        reverse("account_signup"),
        {
            "first_name": "Lina",
            "last_name": "Hadj",
            "email": "lina@example.test",
            "password1": "un-mot-de-passe-solide",
            "password2": "un-mot-de-passe-solide",
        },
    )
    response = client.get(reverse("seekers:home"))

    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "/accounts/confirm-email/" in mail.outbox[0].body


def test_weak_passwords_are_refused(client, db):
    response = client.post(
        reverse("account_signup"),
        {
            "first_name": "Lina",
            "last_name": "Hadj",
            "email": "lina@example.test",
            "password1": "password",
            "password2": "password",
        },
    )

    assert response.status_code == 200
    assert "trop courant" in response.content.decode()
    from accounts.models import User

    assert not User.objects.filter(email="lina@example.test").exists()


def test_passwords_are_hashed_with_argon2_in_production_settings():
    from django.conf import settings

    from portal.settings import base

    assert base.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert settings.AUTH_USER_MODEL == "accounts.User"


def test_a_superuser_is_created_with_email_login(db):
    from accounts.models import User

    user = User.objects.create_superuser(email="Root@Example.test", password="x" * 14)

    assert user.email == "root@example.test"
    assert user.is_superuser and user.is_staff
    assert UserFactory().role == "seeker"
