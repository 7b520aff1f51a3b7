"""TURN REST credentials as coturn's use-auth-secret checks them, and the ICE servers."""

import base64
import hashlib
import hmac

from interviews.turn import ice_servers, turn_credentials


def test_credentials_follow_the_turn_rest_scheme():
    credentials = turn_credentials(
        user_id=7, appointment_id=3, secret="s3cret", ttl=600, now=1_700_000_000
    )
    assert credentials["username"] == "1700000600:interview3-user7"
    expected = base64.b64encode(
        hmac.new(b"s3cret", b"1700000600:interview3-user7", hashlib.sha1).digest()
    ).decode()
    assert credentials["credential"] == expected


def test_credentials_never_last_more_than_an_hour():
    credentials = turn_credentials(
        user_id=1, appointment_id=1, secret="s", ttl=86_400, now=1_700_000_000
    )
    assert credentials["expiry"] == 1_700_000_000 + 3600


def test_each_participant_and_call_gets_its_own_credential():
    a = turn_credentials(user_id=1, appointment_id=1, secret="s", ttl=60, now=0)
    b = turn_credentials(user_id=2, appointment_id=1, secret="s", ttl=60, now=0)
    c = turn_credentials(user_id=1, appointment_id=2, secret="s", ttl=60, now=0)
    assert len({a["credential"], b["credential"], c["credential"]}) == 3


def test_ice_servers_come_from_settings(settings):
    settings.INTERVIEWS_STUN_URLS = ["stun:stun.example:3478"]
    settings.INTERVIEWS_TURN_URLS = ["turn:turn.example:3478", "turns:turn.example:5349"]
    settings.INTERVIEWS_TURN_SECRET = "s3cret"
    settings.INTERVIEWS_RELAY_ONLY = False
    servers = ice_servers(user_id=1, appointment_id=2, now=100)
    assert servers[0] == {"urls": ["stun:stun.example:3478"]}
    assert servers[1]["urls"] == ["turn:turn.example:3478", "turns:turn.example:5349"]
    assert servers[1]["username"].endswith(":interview2-user1")


def test_relay_only_drops_stun_and_no_secret_means_no_turn(settings):
    settings.INTERVIEWS_STUN_URLS = ["stun:stun.example:3478"]
    settings.INTERVIEWS_TURN_URLS = ["turn:turn.example:3478"]
    settings.INTERVIEWS_TURN_SECRET = ""
    settings.INTERVIEWS_RELAY_ONLY = True
    assert ice_servers(user_id=1, appointment_id=2) == []
