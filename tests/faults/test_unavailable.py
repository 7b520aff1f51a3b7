"""The "try again" page: an error from an unreachable database or Redis gives a 503 in French
with Retry-After, wherever it happens (a middleware loading the session, a view); any other
error keeps the 500 page."""

from unittest import mock

import pytest
import redis
from django.contrib.sessions.backends.db import SessionStore
from django.db import InterfaceError, OperationalError
from django.test import Client

pytestmark = pytest.mark.django_db


def _client_for(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "error",
    [
        OperationalError("connection to server at 127.0.0.1 failed: Connection refused"),
        InterfaceError("connection already closed"),
        redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6379."),
        ConnectionResetError(104, "Connection reset by peer"),
    ],
)
def test_a_lost_dependency_while_loading_the_session_gives_a_503_in_french(advisor, error):
    client = _client_for(advisor.user)

    with mock.patch.object(SessionStore, "load", side_effect=error):
        response = client.get("/conseiller/")

    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    html = response.content.decode()
    assert "<h1>Service momentanément indisponible</h1>" in html
    assert "réessayez dans quelques instants" in html
    assert 'lang="fr"' in html
    assert "Traceback" not in html


def test_a_lost_database_inside_a_view_gives_a_503(seeker):
    client = _client_for(seeker.user)
    error = OperationalError("server closed the connection unexpectedly")

    with mock.patch("seekers.views.render", side_effect=error):
        response = client.get("/espace/demandeur/")

    assert response.status_code == 503


def test_a_wrapped_cause_is_recognised(seeker):
    client = _client_for(seeker.user)

    def fail(*args, **kwargs):
        try:
            raise OperationalError("the pool timed out")
        except OperationalError as cause:
            raise RuntimeError("could not render") from cause

    with mock.patch("seekers.views.render", side_effect=fail):
        response = client.get("/espace/demandeur/")

    assert response.status_code == 503


def test_any_other_error_keeps_the_500_page(seeker):
    client = _client_for(seeker.user)

    with mock.patch("seekers.views.render", side_effect=ValueError("a bug")):
        response = client.get("/espace/demandeur/")

    assert response.status_code == 500
    assert "Service momentanément indisponible" not in response.content.decode()


def test_the_page_in_english(seeker):
    client = _client_for(seeker.user)

    with mock.patch.object(SessionStore, "load", side_effect=OperationalError("down")):
        response = client.get("/", headers={"accept-language": "en"})

    assert response.status_code == 503
    assert "Service briefly unavailable" in response.content.decode()
