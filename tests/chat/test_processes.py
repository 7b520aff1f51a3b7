"""Two daphne processes sharing Redis and PostgreSQL: a seeker on one, their advisor on the
other, talking with the `websockets` client."""

import asyncio
import json
import uuid

import pytest
import websockets
import websockets.exceptions

from chat.models import Message

from .conftest import session_cookie
from .servers import daphne_servers

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


async def receive(socket, wait=10) -> dict:
    return json.loads(await asyncio.wait_for(socket.recv(), wait))


async def nothing(socket, wait=0.5) -> bool:
    try:
        frame = await asyncio.wait_for(socket.recv(), wait)
    except TimeoutError:
        return True
    raise AssertionError(f"unexpected frame {frame}")


def connect(base_url, conversation_id, cookie):
    url = base_url.replace("http", "ws", 1) + f"/ws/chat/{conversation_id}/"
    return websockets.connect(
        url,
        origin=base_url,
        additional_headers={"Cookie": f"sessionid={cookie}"},
        open_timeout=10,
    )


def test_seeker_and_advisor_on_two_daphne_processes(conversation, followed, referent):
    seeker_cookie = session_cookie(followed.user)
    advisor_cookie = session_cookie(referent.user)

    with daphne_servers(2) as (first, second):

        async def scenario():
            async with (
                connect(first, conversation.pk, seeker_cookie) as seeker,
                connect(second, conversation.pk, advisor_cookie) as advisor,
                connect(second, conversation.pk, seeker_cookie) as seeker_phone,
            ):
                # seeker -> advisor, across processes
                client_id = str(uuid.uuid4())
                await seeker.send(
                    json.dumps({"type": "message.send", "client_id": client_id, "body": "Bonjour"})
                )
                ack = await receive(seeker)
                assert ack["type"] == "message.ack" and ack["message"]["seq"] == 1
                assert await receive(advisor) == {"type": "message.new", "message": ack["message"]}
                assert (await receive(seeker_phone))["message"]["seq"] == 1

                # advisor -> seeker, the other way
                await advisor.send(
                    json.dumps(
                        {"type": "message.send", "client_id": str(uuid.uuid4()), "body": "Oui ?"}
                    )
                )
                reply = await receive(advisor)
                assert reply["message"]["seq"] == 2
                assert (await receive(seeker))["message"]["body"] == "Oui ?"
                assert (await receive(seeker_phone))["message"]["body"] == "Oui ?"

                # typing and read receipts cross too, to the other side only
                await seeker.send(json.dumps({"type": "typing"}))
                assert (await receive(advisor))["type"] == "typing"
                await seeker.send(json.dumps({"type": "read", "up_to_seq": 2}))
                receipt = await receive(advisor)
                assert receipt["type"] == "read.receipt" and receipt["up_to_seq"] == 2
                assert await nothing(seeker_phone)

                # a retry reaching the other process is still the same message
                await seeker_phone.send(
                    json.dumps({"type": "message.send", "client_id": client_id, "body": "Bonjour"})
                )
                assert (await receive(seeker_phone))["message"] == ack["message"]
                assert await nothing(advisor)
                assert await nothing(seeker, 0.1)

            # the advisor comes back on the first process and syncs
            async with connect(first, conversation.pk, advisor_cookie) as advisor:
                await advisor.send(json.dumps({"type": "sync", "after_seq": 0}))
                history = await receive(advisor)
                assert [m["seq"] for m in history["messages"]] == [1, 2]

        asyncio.run(scenario())

    assert list(Message.objects.order_by("seq").values_list("seq", flat=True)) == [1, 2]


def test_refusals_hold_on_a_real_server(conversation, followed, stranger_seeker):
    cookie = session_cookie(stranger_seeker.user)
    own = session_cookie(followed.user)

    with daphne_servers(1) as (base,):

        async def scenario():
            for origin, session in (
                (base, cookie),
                ("https://evil.example", own),
                (None, own),
                (base, None),
            ):
                url = base.replace("http", "ws", 1) + f"/ws/chat/{conversation.pk}/"
                headers = {"Cookie": f"sessionid={session}"} if session else {}
                with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
                    async with websockets.connect(
                        url, origin=origin, additional_headers=headers, open_timeout=10
                    ):
                        pass
                assert refused.value.response.status_code == 403

        asyncio.run(scenario())


def test_an_idle_socket_outlives_the_redis_read_timeout(conversation, followed, referent):
    # redis-py 8 reads time out after 5 s, channels_redis blocks 5 s: without the socket_timeout
    # of the chat settings block, both consumers below die while they wait (channels_redis#422).
    seeker_cookie = session_cookie(followed.user)
    advisor_cookie = session_cookie(referent.user)

    with daphne_servers(1) as (base,):

        async def scenario():
            async with (
                connect(base, conversation.pk, seeker_cookie) as seeker,
                connect(base, conversation.pk, advisor_cookie) as advisor,
            ):
                await asyncio.sleep(7)  # the idle time is what this test is about
                await seeker.send(
                    json.dumps(
                        {"type": "message.send", "client_id": str(uuid.uuid4()), "body": "Là ?"}
                    )
                )
                assert (await receive(seeker))["type"] == "message.ack"
                assert (await receive(advisor))["message"]["body"] == "Là ?"

        asyncio.run(scenario())
