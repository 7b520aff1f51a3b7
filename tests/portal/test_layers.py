"""The portal's channel layer (portal.layers) on the real Redis: a channel that falls behind
keeps at most `capacity` events, and a lost subscription connection is followed by a gap event
for every channel in a group."""

import asyncio
import uuid

import pytest
from django.conf import settings
from redis import asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError

from portal.layers import RedisPubSubChannelLayer

pytestmark = pytest.mark.services

GAP = {"type": "layer.gap"}


def make_layer(*, capacity: int = 100, client_name: str | None = None):
    host = dict(settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"][0])
    if client_name is not None:
        host["client_name"] = client_name
    return RedisPubSubChannelLayer(
        hosts=[host], prefix=f"testlayers{uuid.uuid4().hex[:8]}", capacity=capacity
    )


async def receive(layer, channel):
    return await asyncio.wait_for(layer.receive(channel), timeout=5)


async def test_a_channel_that_falls_behind_drops_its_backlog_for_one_gap():
    layer = make_layer(capacity=3)
    try:
        behind = await layer.new_channel()
        reader = await layer.new_channel()
        await layer.group_add("room", behind)
        await layer.group_add("room", reader)

        for n in range(1, 6):
            await layer.group_send("room", {"type": "event", "n": n})
            # One subscription delivers to both channels at once: when the reader has event n,
            # the channel behind has been offered it too.
            assert (await receive(layer, reader))["n"] == n

        assert await receive(layer, behind) == GAP
        assert [(await receive(layer, behind))["n"] for _ in range(2)] == [4, 5]
    finally:
        await layer.flush()


async def test_a_lost_subscription_gives_each_grouped_channel_one_gap_then_events_again():
    name = f"testlayers-{uuid.uuid4().hex[:8]}"
    layer = make_layer(client_name=name)
    admin = aioredis.Redis.from_url(settings.REDIS_URL)
    try:
        grouped = await layer.new_channel()
        alone = await layer.new_channel()
        await layer.group_add("room", grouped)
        await layer.group_send("room", {"type": "event", "n": 1})
        assert await receive(layer, grouped) == {"type": "event", "n": 1}

        # Redis drops the layer's subscription connection (as a restart would).
        subscribed = [
            client
            for client in await admin.client_list()
            if client["name"] == name and int(client["sub"]) > 0
        ]
        assert len(subscribed) == 1
        await admin.client_kill_filter(_id=subscribed[0]["id"])

        assert await receive(layer, grouped) == GAP
        # Subscribed again: group and direct events arrive, and the channel in no group (no
        # consumer listens on it for broadcasts) got no gap before them.
        await layer.group_send("room", {"type": "event", "n": 2})
        assert await receive(layer, grouped) == {"type": "event", "n": 2}
        await layer.send(alone, {"type": "event", "n": 3})
        assert await receive(layer, alone) == {"type": "event", "n": 3}
    finally:
        await layer.flush()
        await admin.aclose()


async def test_a_channel_given_up_leaves_its_groups():
    # A consumer ends by cancelling its receive; one that failed before its disconnect (its
    # group_discard) must not stay a member, and its group subscribed, for the process's life.
    layer = make_layer()
    admin = aioredis.Redis.from_url(settings.REDIS_URL)
    try:
        channel = await layer.new_channel()
        await layer.group_add("room", channel)
        group_channel = f"{layer.prefix}__group__room"
        assert await admin.pubsub_channels(group_channel) == [group_channel.encode()]

        receiving = asyncio.ensure_future(layer.receive(channel))
        await asyncio.sleep(0)  # the receive starts waiting
        receiving.cancel()
        with pytest.raises(asyncio.CancelledError):
            await receiving

        assert await admin.pubsub_channels(group_channel) == []
    finally:
        await layer.flush()
        await admin.aclose()


async def test_a_channel_that_cannot_subscribe_is_not_kept():
    # Redis away: every handshake's new channel failed, and channels_redis kept its queue.
    layer = RedisPubSubChannelLayer(hosts=["redis://127.0.0.1:1/0"], prefix="testlayers")
    try:
        for _ in range(3):
            with pytest.raises(RedisConnectionError):
                await layer.new_channel()
        assert layer._get_layer().channels == {}
    finally:
        await layer.flush()
