"""The portal's channel layer: channels_redis's pub/sub layer, told to say when events were lost.

`channels_redis.pubsub.RedisPubSubChannelLayer` is fast (one PUBLISH per send) but silent about
what it drops, in two ways that a chat whose clients re-sync by seq must hear of:
- its subscription connection to Redis comes back on its own after a Redis restart (redis-py
  reconnects and subscribes again), and whatever was published meanwhile is gone, with no sign
  to the consumers: their sockets stayed open, their clients never asked for what they missed;
- each process-local channel queues its events in memory without bound: a socket whose consumer
  falls behind grows the process's memory as long as events come.

This subclass changes only that. Every channel that is in a group gets one `layer.gap` event
after the subscription connection came back, and a channel with `capacity` events waiting drops
them for one `layer.gap` (the memory is bounded; the client repairs from the database). The
consumers decide what a gap means for them (`CloseOnLayerGap`). And a channel given up (its
receive cancelled: its consumer ended) leaves its groups too, since nothing expires here.
"""

from __future__ import annotations

import asyncio
import collections
import logging

from channels_redis import pubsub
from channels_redis.utils import _wrap_close, decode_hosts
from redis.asyncio.client import PubSub

logger = logging.getLogger(__name__)

GAP = "layer.gap"
# 4000 + 1012 (Service Restart: "reconnect"): autobahn takes only 1000 and 3000-4999 from an
# application.
CLOSE_RESYNC = 4012


class CloseOnLayerGap:
    """For consumers whose clients reconnect and re-sync after any close (chat, workshop room):
    events may have been lost, so the socket closes and the client's sync repairs, as it does
    after a server restart."""

    async def layer_gap(self, event):
        await self.close(code=CLOSE_RESYNC)


class _ChannelQueue(asyncio.Queue):
    """A channel's waiting events, at most `capacity`: one more drops them all for the gap."""

    def __init__(self, capacity: int, gap: bytes):
        super().__init__()
        self.capacity = capacity
        self.gap = gap

    def _init(self, maxsize):
        self._queue = collections.deque()

    def put_nowait(self, item):
        if item is not self.gap and len(self._queue) >= self.capacity:
            logger.warning("channel layer: a channel fell %s events behind", self.capacity)
            self._queue.clear()
            super().put_nowait(self.gap)
        super().put_nowait(item)

    def put_gap(self) -> None:
        if not any(item is self.gap for item in self._queue):
            super().put_nowait(self.gap)


class _WatchedPubSub(PubSub):
    def __init__(self, *args, on_reconnect, **kwargs):
        super().__init__(*args, **kwargs)
        self.on_reconnect = on_reconnect

    async def on_connect(self, connection):
        # redis-py calls this on reconnections only (the first connection is made before it
        # registers the callback): it subscribes again, and what came meanwhile is lost.
        await super().on_connect(connection)
        self.on_reconnect()


class _Shard(pubsub.RedisSingleShardConnection):
    def _ensure_redis(self):
        if self._redis is None:
            super()._ensure_redis()
            self._pubsub = _WatchedPubSub(
                self._redis.connection_pool, on_reconnect=self.channel_layer.gap
            )


class _LoopLayer(pubsub.RedisPubSubLoopLayer):
    def __init__(self, hosts=None, *args, capacity: int = 100, **kwargs):
        super().__init__(hosts, *args, **kwargs)
        self.capacity = capacity
        self._gap = self.channel_layer.serialize({"type": GAP})
        self._shards = [_Shard(host, self) for host in decode_hosts(hosts)]
        self._memberships: collections.defaultdict[str, set[str]] = collections.defaultdict(set)

    async def _subscribe_to_channel(self, channel):
        self.channels[channel] = _ChannelQueue(self.capacity, self._gap)
        try:
            await self._get_shard(channel).subscribe(channel)
        except BaseException:
            # channels_redis kept the queue of a channel that could not subscribe (Redis away),
            # whose name nobody got and nobody gives back: one more per handshake and /readyz
            # check for as long as Redis was away.
            del self.channels[channel]
            raise

    # Which groups each channel is in, so that a channel given up leaves its own groups without
    # a walk over every group of the process (2,000 sockets closing at a restart each walked
    # 2,000 groups: 62% of a 12 s stop).
    async def group_add(self, group, channel):
        group_channel = self._get_group_channel_name(group)
        try:
            await super().group_add(group, channel)
        finally:
            # Noted even when the group's subscription failed (Redis away): channels_redis made
            # the channel a member before it subscribed.
            if channel in self.groups.get(group_channel, ()):
                self._memberships[channel].add(group_channel)

    async def group_discard(self, group, channel):
        groups = self._memberships.get(channel)
        if groups is not None:
            groups.discard(self._get_group_channel_name(group))
            if not groups:
                del self._memberships[channel]
        await super().group_discard(group, channel)

    async def flush(self):
        self._memberships.clear()
        await super().flush()

    async def receive(self, channel):
        try:
            return await super().receive(channel)
        except (TimeoutError, asyncio.CancelledError, GeneratorExit):
            if channel not in self.channels:
                # channels_redis gave the channel up (a cancelled receive is how a consumer
                # ends), but not its groups, and it has no expiry: a consumer that ended without
                # group_discard (it failed in connect, Redis was away) stayed a member, and
                # its group subscribed, for the life of the process.
                await self._leave_groups(channel)
            raise

    async def _leave_groups(self, channel):
        for group_channel in self._memberships.pop(channel, ()):
            members = self.groups.get(group_channel)
            if members is None or channel not in members:
                continue
            members.discard(channel)
            if not members:
                del self.groups[group_channel]
                try:
                    await self._get_shard(group_channel).unsubscribe(group_channel)
                except Exception:
                    logger.warning("channel layer: could not unsubscribe", exc_info=True)

    def gap(self) -> None:
        """Tells every channel that listens on a group that it may have missed events."""
        logger.warning("channel layer: the subscription to Redis was lost and is back")
        members = set().union(*self.groups.values())
        for channel in members:
            queue = self.channels.get(channel)
            if queue is not None:
                queue.put_gap()


class RedisPubSubChannelLayer(pubsub.RedisPubSubChannelLayer):
    """Takes the CONFIG of channels_redis's pub/sub layer, and `capacity` (events a channel may
    hold before it drops them for a gap)."""

    def _get_layer(self):
        # As channels_redis's, with the loop layer above.
        loop = asyncio.get_running_loop()
        try:
            layer = self._layers[loop]
        except KeyError:
            layer = _LoopLayer(*self._args, **self._kwargs, channel_layer=self)
            self._layers[loop] = layer
            _wrap_close(self, loop)
        return layer
