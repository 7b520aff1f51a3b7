"""The signalling consumer through the full ASGI application, with real session cookies and an
Origin header: who gets in, what is relayed, and what never is."""

import asyncio
import datetime as dt
import json

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.utils import timezone

from interviews.models import Appointment, EventKind
from portal.asgi import application
from portal.layers import GAP
from tests.accounts.factories import UserFactory
from tests.advisors.factories import AdvisorFactory
from tests.interviews.factories import AppointmentFactory, followed_seeker
from tests.interviews.sdp_samples import ANSWER, HOST_CANDIDATE, OFFER, RELAY_CANDIDATE

ORIGIN = b"http://127.0.0.1:8000"
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fresh_channel_layer"),
]


def cookie_for(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def open_socket(user, appointment_id, origin=ORIGIN):
    headers = []
    if origin is not None:
        headers.append((b"origin", origin))
    if user is not None:
        headers.append((b"cookie", await sync_to_async(cookie_for)(user)))
    communicator = WebsocketCommunicator(
        application, f"/ws/interviews/{appointment_id}/", headers=headers
    )
    connected, _ = await communicator.connect(timeout=5)
    return communicator, connected


async def join(user, appointment_id):
    """Connects and reads the welcome and the presence announcements."""
    communicator, connected = await open_socket(user, appointment_id)
    assert connected
    welcome = await communicator.receive_json_from(timeout=5)
    assert welcome["type"] == "welcome"
    return communicator


async def drain(communicator):
    while not await communicator.receive_nothing(timeout=0.2):
        await communicator.receive_json_from()


@pytest.fixture
def open_appointment(db):
    return AppointmentFactory(now_open=True)


async def pair(appointment):
    advisor = await join(appointment.advisor.user, appointment.pk)
    seeker = await join(appointment.seeker.user, appointment.pk)
    await drain(advisor)
    await drain(seeker)
    return advisor, seeker


async def close(*communicators):
    for communicator in communicators:
        await communicator.disconnect()


async def test_offer_answer_ice_and_hang_up_go_to_the_other_participant_only(open_appointment):
    advisor, seeker = await pair(open_appointment)
    await advisor.send_json_to({"type": "offer", "sdp": OFFER})
    assert await seeker.receive_json_from(timeout=5) == {"type": "offer", "sdp": OFFER}
    assert await advisor.receive_nothing()
    await seeker.send_json_to({"type": "answer", "sdp": ANSWER})
    assert await advisor.receive_json_from(timeout=5) == {"type": "answer", "sdp": ANSWER}
    await seeker.send_json_to({"type": "ice", "candidate": HOST_CANDIDATE})
    assert await advisor.receive_json_from(timeout=5) == {
        "type": "ice",
        "candidate": HOST_CANDIDATE,
    }
    assert await seeker.receive_nothing()
    await advisor.send_json_to({"type": "hangup"})
    assert (await seeker.receive_json_from(timeout=5))["type"] == "hangup"
    await close(advisor, seeker)
    kinds = await sync_to_async(
        lambda: list(open_appointment.events.values_list("kind", flat=True))
    )()
    assert kinds.count(EventKind.JOINED) == 2
    assert EventKind.HANG_UP in kinds


async def test_presence_tells_the_seeker_the_advisor_is_ready(open_appointment):
    seeker = await join(open_appointment.seeker.user, open_appointment.pk)
    assert await seeker.receive_nothing()
    advisor = await join(open_appointment.advisor.user, open_appointment.pk)
    assert await seeker.receive_json_from(timeout=5) == {
        "type": "presence",
        "role": "advisor",
        "state": "here",
    }
    assert await advisor.receive_json_from(timeout=5) == {
        "type": "presence",
        "role": "seeker",
        "state": "here",
    }
    await advisor.send_json_to({"type": "admit"})
    assert await seeker.receive_json_from(timeout=5) == {"type": "admit"}
    await advisor.disconnect()
    assert await seeker.receive_json_from(timeout=5) == {
        "type": "presence",
        "role": "advisor",
        "state": "left",
    }
    await seeker.disconnect()


async def test_the_welcome_carries_ice_servers_with_ephemeral_turn_credentials(
    open_appointment, settings
):
    settings.INTERVIEWS_TURN_URLS = ["turn:127.0.0.1:3478?transport=udp"]
    settings.INTERVIEWS_TURN_SECRET = "s3cret"
    settings.INTERVIEWS_RELAY_ONLY = True
    communicator, connected = await open_socket(open_appointment.seeker.user, open_appointment.pk)
    assert connected
    welcome = await communicator.receive_json_from(timeout=5)
    assert welcome["iceTransportPolicy"] == "relay"
    (server,) = welcome["iceServers"]
    expiry, user = server["username"].split(":")
    assert user == f"interview{open_appointment.pk}-user{open_appointment.seeker.user_id}"
    assert 0 < int(expiry) - timezone.now().timestamp() <= 3600
    await communicator.disconnect()


async def test_the_join_is_written_on_the_appointment(open_appointment):
    seeker = await join(open_appointment.seeker.user, open_appointment.pk)
    appointment = await Appointment.objects.aget(pk=open_appointment.pk)
    assert appointment.seeker_joined_at is not None
    assert appointment.advisor_joined_at is None
    await seeker.disconnect()


@pytest.mark.parametrize("who", ["other_seeker", "other_advisor", "manager", "anonymous"])
async def test_anyone_else_is_refused_at_the_handshake(open_appointment, who):
    make = {
        "other_seeker": lambda: followed_seeker(open_appointment.advisor).user,
        "other_advisor": lambda: AdvisorFactory(agency=open_appointment.advisor.agency).user,
        "manager": lambda: UserFactory(manager=True, agency=open_appointment.advisor.agency),
        "anonymous": lambda: None,
    }
    user = await sync_to_async(make[who])()
    advisor = await join(open_appointment.advisor.user, open_appointment.pk)
    communicator, connected = await open_socket(user, open_appointment.pk)
    assert not connected
    assert await advisor.receive_nothing()
    await advisor.disconnect()


async def test_an_unknown_appointment_is_refused(open_appointment):
    _, connected = await open_socket(open_appointment.seeker.user, open_appointment.pk + 1000)
    assert not connected


@pytest.mark.parametrize(
    ("starts_in", "allowed"),
    [
        (dt.timedelta(minutes=16), False),  # the waiting room is not open yet
        (dt.timedelta(minutes=14), True),
        (-dt.timedelta(minutes=45 + 29), True),  # ended 29 minutes ago
        (-dt.timedelta(minutes=45 + 31), False),  # ended 31 minutes ago
        (dt.timedelta(days=2), False),
    ],
)
async def test_only_inside_the_window(starts_in, allowed):
    starts_at = timezone.now().replace(microsecond=0) + starts_in
    appointment = await sync_to_async(AppointmentFactory)(starts_at=starts_at)
    communicator, connected = await open_socket(appointment.seeker.user, appointment.pk)
    assert connected is allowed
    if connected:
        await communicator.disconnect()


async def test_a_cancelled_or_proposed_interview_opens_no_call():
    for trait in ("cancelled", "proposed"):
        appointment = await sync_to_async(AppointmentFactory)(now_open=True, **{trait: True})
        _, connected = await open_socket(appointment.seeker.user, appointment.pk)
        assert not connected


@pytest.mark.parametrize("origin", [b"http://evil.example", b"null", None])
async def test_a_foreign_or_missing_origin_is_refused(open_appointment, origin):
    _, connected = await open_socket(open_appointment.seeker.user, open_appointment.pk, origin)
    assert not connected


async def test_the_window_closing_mid_call_stops_the_relay():
    # The window closes 1.5 s from now: 30 minutes after an end that is 30 minutes ago, almost.
    ends_at = timezone.now() - dt.timedelta(minutes=30) + dt.timedelta(seconds=1.5)
    appointment = await sync_to_async(AppointmentFactory)(
        starts_at=ends_at - dt.timedelta(minutes=45)
    )
    advisor, seeker = await pair(appointment)
    await asyncio.sleep(1.6)  # the condition is the wall clock itself
    await advisor.send_json_to({"type": "offer", "sdp": OFFER})
    error = await advisor.receive_json_from(timeout=5)
    assert error["type"] == "error"
    assert error["code"] == "window_closed"
    assert (await advisor.receive_output(timeout=5))["type"] == "websocket.close"
    await advisor.disconnect()  # as a browser answers the close
    message = await seeker.receive_json_from(timeout=5)
    assert message == {"type": "presence", "role": "advisor", "state": "left"}
    assert await seeker.receive_nothing()
    await seeker.disconnect()


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ({"type": "offer", "sdp": "v=0\r\n"}, "sdp_malformed"),
        ({"type": "offer", "sdp": "hello"}, "sdp_malformed"),
        ({"type": "offer", "sdp": 42}, "sdp_malformed"),
        ({"type": "offer"}, "sdp_malformed"),
        ({"type": "answer", "sdp": OFFER.replace("m=video 9", "m=video x")}, "sdp_malformed"),
        ({"type": "answer", "sdp": OFFER.replace("a=ice-pwd", "a=ice-xxx")}, "sdp_malformed"),
        ({"type": "offer", "sdp": OFFER + "a=x:" + "y" * 33000 + "\r\n"}, "sdp_too_large"),
        ({"type": "ice", "candidate": {"candidate": "candidate:1 1 udp"}}, "candidate_malformed"),
        ({"type": "ice", "candidate": "nope"}, "candidate_malformed"),
        ({"type": "fallback", "level": "carrier-pigeon"}, "unknown_fallback"),
        ({"type": "report", "report": "all_good"}, "unknown_report"),
        ({"type": "join"}, "forbidden"),  # from the advisor: only the seeker joins
        ({"type": "teleport"}, "unknown_type"),
    ],
)
async def test_bad_messages_get_an_error_and_are_never_relayed(open_appointment, message, code):
    advisor, seeker = await pair(open_appointment)
    await advisor.send_json_to(message)
    reply = await advisor.receive_json_from(timeout=5)
    assert reply["type"] == "error"
    assert reply["code"] == code
    assert reply["detail"]
    assert await seeker.receive_nothing()
    # The socket survives: a ping still gets its pong.
    await advisor.send_json_to({"type": "ping"})
    assert await advisor.receive_json_from(timeout=5) == {"type": "pong"}
    await close(advisor, seeker)


@pytest.mark.parametrize(
    "frame", ["not json", "[1, 2]", '{"no": "type"}', "x" * 100_000, '{"type": 7}']
)
async def test_frames_that_are_not_messages_get_an_error(open_appointment, frame):
    advisor, seeker = await pair(open_appointment)
    await advisor.send_to(text_data=frame)
    reply = await advisor.receive_json_from(timeout=5)
    assert reply["type"] == "error"
    assert reply["code"] in {"malformed", "too_large"}
    assert await seeker.receive_nothing()
    await advisor.send_to(bytes_data=b"\x00\x01")
    assert (await advisor.receive_json_from(timeout=5))["code"] == "binary"
    await close(advisor, seeker)


async def test_relay_only_refuses_host_candidates(open_appointment, settings):
    settings.INTERVIEWS_RELAY_ONLY = True
    advisor, seeker = await pair(open_appointment)
    await advisor.send_json_to({"type": "ice", "candidate": HOST_CANDIDATE})
    assert (await advisor.receive_json_from(timeout=5))["code"] == "candidate_not_relay"
    assert await seeker.receive_nothing()
    await advisor.send_json_to({"type": "ice", "candidate": RELAY_CANDIDATE})
    assert (await seeker.receive_json_from(timeout=5))["candidate"] == RELAY_CANDIDATE
    await close(advisor, seeker)


async def test_reports_and_fallbacks_are_written_then_published(open_appointment):
    advisor, seeker = await pair(open_appointment)
    await seeker.send_json_to({"type": "report", "report": "ice_failed"})
    assert await advisor.receive_json_from(timeout=5) == {
        "type": "peer-report",
        "role": "seeker",
        "report": "ice_failed",
    }
    await seeker.send_json_to({"type": "fallback", "level": "audio"})
    for communicator in (advisor, seeker):  # both pages switch
        assert await communicator.receive_json_from(timeout=5) == {
            "type": "fallback",
            "level": "audio",
            "reached": "audio",
        }
    appointment = await Appointment.objects.aget(pk=open_appointment.pk)
    assert appointment.failure_reported_at is not None
    assert appointment.fallback == "audio"
    await close(advisor, seeker)


async def test_json_is_what_the_client_gets(open_appointment):
    advisor, seeker = await pair(open_appointment)
    await advisor.send_to(text_data=json.dumps({"type": "offer", "sdp": OFFER}))
    raw = await seeker.receive_from(timeout=5)
    assert json.loads(raw)["sdp"] == OFFER
    await close(advisor, seeker)


async def test_a_dropped_connection_is_recorded_with_its_close_code(open_appointment):
    seeker = await join(open_appointment.seeker.user, open_appointment.pk)
    await seeker.disconnect(code=1006)
    left = await sync_to_async(lambda: open_appointment.events.get(kind=EventKind.LEFT).detail)()
    assert left == {"role": "seeker", "code": 1006}


async def test_a_second_page_of_the_same_participant_takes_over(open_appointment):
    advisor, first = await pair(open_appointment)
    second = await join(open_appointment.seeker.user, open_appointment.pk)
    replaced = await first.receive_json_from(timeout=5)
    assert replaced["type"] == "error"
    assert replaced["code"] == "replaced"
    assert (await first.receive_output(timeout=5))["type"] == "websocket.close"
    await first.disconnect(code=4409)
    told = []
    while not await advisor.receive_nothing(timeout=0.3):
        told.append(await advisor.receive_json_from())
    assert {"type": "presence", "role": "seeker", "state": "here"} in told
    assert not [m for m in told if m.get("state") == "left"]
    await drain(second)
    # Offers now reach the new page only, and the advisor is not told the seeker left.
    await advisor.send_json_to({"type": "offer", "sdp": OFFER})
    assert (await second.receive_json_from(timeout=5))["type"] == "offer"
    await close(advisor, second)


async def test_a_gap_in_the_channel_layer_keeps_the_call_signalling(open_appointment):
    advisor, seeker = await pair(open_appointment)

    # What portal.layers gives each channel of a group when events may have been lost: the
    # call page does not reconnect its signalling, so the sockets stay and go on relaying.
    await get_channel_layer().group_send(f"interview.{open_appointment.pk}", {"type": GAP})
    assert await seeker.receive_nothing()
    await advisor.send_json_to({"type": "offer", "sdp": OFFER})
    assert await seeker.receive_json_from(timeout=5) == {"type": "offer", "sdp": OFFER}
    await close(advisor, seeker)
