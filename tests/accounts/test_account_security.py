"""Accounts: throttled failed logins, the same answer for known and unknown emails, staff
sessions that expire when idle, password asked again to change the email."""

import pytest
from django.conf import settings
from django.urls import reverse

from tests.accounts.factories import UserFactory
from tests.conftest import login

pytestmark = pytest.mark.django_db


def _try(client, email, password="wrong-password-123", ip="203.0.113.7"):
    return client.post(
        reverse("account_login"), {"login": email, "password": password}, REMOTE_ADDR=ip
    )


def test_known_and_unknown_emails_get_the_same_answer(client):
    UserFactory(email="known@example.test")

    known = _try(client, "known@example.test")
    unknown = _try(client, "nobody@example.test")

    assert known.status_code == unknown.status_code == 200
    errors_known = known.context["form"].non_field_errors()
    errors_unknown = unknown.context["form"].non_field_errors()
    assert errors_known == errors_unknown
    assert "L’adresse e-mail ou le mot de passe sont incorrects." in str(errors_known)


def test_failed_logins_are_throttled_per_account(client):
    UserFactory(email="target@example.test", password="le-bon-mot-de-passe")
    for attempt in range(5):
        _try(client, "target@example.test", ip=f"198.51.100.{attempt}")

    # Even the right password from yet another address waits now.
    response = _try(client, "target@example.test", "le-bon-mot-de-passe", ip="198.51.100.99")

    assert "Trop de tentatives de connexion" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_failed_logins_are_throttled_per_address(client):
    for attempt in range(10):
        _try(client, f"someone{attempt}@example.test", ip="192.0.2.1")

    blocked = _try(client, "someone-else@example.test", ip="192.0.2.1")
    other_address = _try(client, "someone-else@example.test", ip="192.0.2.2")

    assert "Trop de tentatives de connexion" in blocked.content.decode()
    assert "Trop de tentatives de connexion" not in other_address.content.decode()


@pytest.mark.parametrize("role", ["advisor", "manager"])
def test_staff_sessions_expire_after_thirty_idle_minutes(agency, role):
    from tests.advisors.factories import AdvisorFactory

    user = AdvisorFactory(agency=agency).user if role == "advisor" else UserFactory(manager=True)
    client = login(user)

    client.get(reverse("portal:dispatch"))

    assert settings.PORTAL_STAFF_IDLE_SECONDS == 1800
    assert 1795 <= client.session.get_expiry_age() <= 1800


def test_staff_sessions_are_pushed_back_at_most_once_a_minute(advisor):
    """Each push rewrites the session row: not on every page, but once the end came a minute
    nearer."""
    from datetime import timedelta

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    client = login(advisor.user)
    client.get(reverse("portal:dispatch"))
    key = client.session.session_key
    first_end = Session.objects.get(pk=key).expire_date
    client.get(reverse("portal:dispatch"))
    assert Session.objects.get(pk=key).expire_date == first_end

    # Two minutes of idleness later (the stored end moved two minutes nearer):
    session = client.session
    session.set_expiry(timezone.now() + timedelta(seconds=1800 - 120))
    session.save()
    client.get(reverse("portal:dispatch"))
    assert 1795 <= client.session.get_expiry_age() <= 1800
    assert Session.objects.get(pk=key).expire_date > first_end - timedelta(seconds=5)


def test_seekers_keep_the_default_session_length(seeker):
    client = login(seeker.user)

    client.get(reverse("seekers:home"))

    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE


def test_changing_the_email_asks_for_the_password_again(seeker):
    client = login(seeker.user)

    response = client.post(
        reverse("account_email"), {"action_add": "", "email": "nouvelle@example.test"}
    )

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert not seeker.user.emailaddress_set.filter(email="nouvelle@example.test").exists()
