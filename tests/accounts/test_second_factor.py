"""Advisors and managers must use a second factor (TOTP, django-allauth's MFA); seekers do not."""

import re

import pytest
from allauth.mfa.models import Authenticator
from django.test import Client
from django.urls import reverse

from tests.accounts.factories import TOTP_SECRET, UserFactory, totp_code
from tests.advisors.factories import AdvisorFactory
from tests.chat.conftest import ORIGIN, communicator, session_cookie
from tests.seekers.factories import SeekerFactory

PASSWORD = "un-mot-de-passe-solide"
pytestmark = pytest.mark.django_db


def _sign_in(client: Client, user):
    return client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})


def _activate(client: Client):
    """Opens the activation page (allauth first asks for the password again), reads the secret
    it shows, and answers with its code."""
    page = client.get(reverse("mfa_activate_totp"))
    if page.status_code == 302 and page["Location"].startswith(reverse("account_reauthenticate")):
        client.post(page["Location"], {"password": PASSWORD})
        page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = re.search(r'id="authenticator_secret"[^>]*value="([A-Z2-7]+)"', page.text)
    if secret is None:  # attribute order differs between allauth versions
        secret = re.search(r'value="([A-Z2-7]{32})"', page.text)
    return client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret.group(1))})


@pytest.mark.parametrize("kind", ["advisor", "manager"])
def test_staff_without_an_authenticator_can_only_activate_one(agency, kind):
    if kind == "advisor":
        user = AdvisorFactory(agency=agency, user__second_factor=False).user
        home = reverse("advisors:home")
    else:
        user = UserFactory(manager=True, agency=agency, second_factor=False)
        home = reverse("admin:index")
    client = Client()
    _sign_in(client, user)

    response = client.get(home)
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
    page = client.get(response["Location"], follow=True)
    assert "second facteur" in page.text
    assert not Authenticator.objects.filter(user=user).exists()

    activated = _activate(client)
    assert activated.status_code == 302
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    assert client.get(home).status_code == 200


def test_a_wrong_code_activates_nothing(advisor):
    user = AdvisorFactory(agency=advisor.agency, user__second_factor=False).user
    client = Client()
    _sign_in(client, user)
    reauth = client.get(reverse("mfa_activate_totp"))
    client.post(reauth["Location"], {"password": PASSWORD})
    assert client.get(reverse("mfa_activate_totp")).status_code == 200
    response = client.post(reverse("mfa_activate_totp"), {"code": "000000"})
    assert response.status_code == 200
    assert not Authenticator.objects.filter(user=user).exists()
    assert client.get(reverse("advisors:home")).status_code == 302


@pytest.mark.parametrize("kind", ["advisor", "manager"])
def test_staff_sign_in_asks_for_the_code(agency, kind):
    if kind == "advisor":
        user = AdvisorFactory(agency=agency).user
        home = reverse("advisors:home")
    else:
        user = UserFactory(manager=True, agency=agency)
        home = reverse("admin:index")
    client = Client()

    response = _sign_in(client, user)
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    # The password alone signs nobody in.
    assert client.get(home).status_code == 302
    assert "_auth_user_id" not in client.session

    wrong = client.post(reverse("mfa_authenticate"), {"code": "123456"})
    assert wrong.status_code == 200
    assert "_auth_user_id" not in client.session

    right = client.post(reverse("mfa_authenticate"), {"code": totp_code(TOTP_SECRET)})
    assert right.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.get(home).status_code == 200


def test_seekers_sign_in_with_their_password_alone(agency):
    seeker = SeekerFactory(agency=agency, followed=True, referent=AdvisorFactory(agency=agency))
    client = Client()
    response = _sign_in(client, seeker.user)
    assert response.status_code == 302
    assert response["Location"] != reverse("mfa_authenticate")
    assert client.session["_auth_user_id"] == str(seeker.user.pk)


def test_the_admin_login_form_sends_to_the_portal_sign_in(client):
    response = client.get(reverse("admin:login") + "?next=/admin/seekers/seeker/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert "next=/admin/seekers/seeker/" in response["Location"]
    # Its form is never served, so a password posted to it signs nobody in.
    manager = UserFactory(manager=True)
    posted = client.post(reverse("admin:login"), {"username": manager.email, "password": PASSWORD})
    assert posted.status_code == 302
    assert "_auth_user_id" not in client.session


def test_staff_cannot_remove_their_authenticator(advisor):
    client = Client()
    _sign_in(client, advisor.user)
    client.post(reverse("mfa_authenticate"), {"code": totp_code()})
    assert client.session["_auth_user_id"] == str(advisor.user.pk)
    reauth = client.get(reverse("mfa_deactivate_totp"))
    client.post(reauth["Location"], {"password": PASSWORD})
    response = client.post(reverse("mfa_deactivate_totp"))
    assert response.status_code == 200
    assert "_auth_user_id" in client.session
    assert Authenticator.objects.filter(user=advisor.user, type=Authenticator.Type.TOTP).exists()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_staff_without_an_authenticator_open_no_websocket(agency):
    from asgiref.sync import sync_to_async

    from chat.services import conversation_for_seeker

    def arrange():
        without = AdvisorFactory(agency=agency, user__second_factor=False)
        seeker = SeekerFactory(agency=agency, followed=True, referent=without)
        conversation = conversation_for_seeker(seeker=seeker)
        return conversation.pk, session_cookie(without.user), session_cookie(seeker.user)

    conversation_id, advisor_cookie, seeker_cookie = await sync_to_async(arrange)()

    refused = communicator(conversation_id, cookie=advisor_cookie, origin=ORIGIN)
    connected, code = await refused.connect()
    assert not connected
    assert code == 4403

    # The seeker of the same conversation is not concerned.
    accepted = communicator(conversation_id, cookie=seeker_cookie, origin=ORIGIN)
    connected, _ = await accepted.connect()
    assert connected
    await accepted.disconnect()
