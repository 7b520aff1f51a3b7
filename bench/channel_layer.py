"""Benchmark 1: the channel layer (send, group send to 1 and 150 members) against a raw Redis
publish/subscribe round trip measured in the same run. Target: p50 within 2x, p99 within 3x.
Both channels_redis layers and the portal's (portal.layers, the pub/sub one with bounded channels)
are measured, which is how the chat's layer class was chosen."""

import asyncio
import os
import time
import uuid

import redis.asyncio as aioredis
from channels_redis.core import RedisChannelLayer
from channels_redis.pubsub import RedisPubSubChannelLayer

from bench.common import Figure, Report, arguments, median, percentile, write_markdown
from portal.layers import RedisPubSubChannelLayer as PortalLayer

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
PAYLOAD = {"type": "chat.message", "message": {"id": 1, "seq": 1, "body": "x" * 200}}


async def raw_pubsub(samples: int) -> list[float]:
    client = aioredis.Redis.from_url(REDIS_URL)
    pubsub = client.pubsub()
    channel = f"bench-raw-{uuid.uuid4().hex}"
    await pubsub.subscribe(channel)
    await pubsub.get_message(timeout=1)  # the subscribe confirmation
    body = b"x" * 260
    latencies = []
    for _ in range(samples):
        started = time.perf_counter()
        await client.publish(channel, body)
        while True:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1)
            if message is not None:
                break
        latencies.append(time.perf_counter() - started)
    await pubsub.aclose()
    await client.aclose()
    return latencies


async def raw_pubsub_fanout(subscribers: int, samples: int) -> list[float]:
    """The fair anchor of a 150-member group: one publish heard by 150 subscriptions."""
    client = aioredis.Redis.from_url(REDIS_URL, max_connections=subscribers + 10)
    channel = f"bench-fan-{uuid.uuid4().hex}"
    listeners = []
    for _ in range(subscribers):
        pubsub = client.pubsub()
        await pubsub.subscribe(channel)
        await pubsub.get_message(timeout=1)
        listeners.append(pubsub)

    async def hear(pubsub):
        while await pubsub.get_message(ignore_subscribe_messages=True, timeout=1) is None:
            pass

    latencies = []
    for _ in range(samples):
        started = time.perf_counter()
        await client.publish(channel, b"x" * 260)
        await asyncio.gather(*(hear(pubsub) for pubsub in listeners))
        latencies.append(time.perf_counter() - started)
    for pubsub in listeners:
        await pubsub.aclose()
    await client.aclose()
    return latencies


WARMUP = 10


async def layer_send(layer, samples: int) -> list[float]:
    channel = await layer.new_channel()
    for _ in range(WARMUP):
        await layer.send(channel, PAYLOAD)
        await layer.receive(channel)
    latencies = []
    for _ in range(samples):
        started = time.perf_counter()
        await layer.send(channel, PAYLOAD)
        await layer.receive(channel)
        latencies.append(time.perf_counter() - started)
    return latencies


async def layer_group(layer, members: int, samples: int) -> list[float]:
    group = f"bench{uuid.uuid4().hex[:12]}"
    channels = [await layer.new_channel() for _ in range(members)]
    for channel in channels:
        await layer.group_add(group, channel)
    await asyncio.sleep(0.1)
    for _ in range(3):
        await layer.group_send(group, PAYLOAD)
        await asyncio.gather(*(layer.receive(channel) for channel in channels))
    latencies = []
    for _ in range(samples):
        started = time.perf_counter()
        await layer.group_send(group, PAYLOAD)
        await asyncio.gather(*(layer.receive(channel) for channel in channels))
        latencies.append(time.perf_counter() - started)
    for channel in channels:
        await layer.group_discard(group, channel)
    return latencies


def ms(values):
    return [v * 1000 for v in values]


async def main(quick: bool) -> Report:
    report = Report("channel_layer", quick)
    report.check("load average before", [round(load, 2) for load in os.getloadavg()])
    samples = 100 if quick else 2000
    group_samples = 20 if quick else 300
    anchor = ms(await raw_pubsub(samples))
    a50, a99 = median(anchor), percentile(anchor, 99)
    report.add(Figure("raw Redis pub/sub round trip p50", a50, "ms"))
    report.add(Figure("raw Redis pub/sub round trip p99", a99, "ms"))
    fan = ms(await raw_pubsub_fanout(150, group_samples))
    f50, f99 = median(fan), percentile(fan, 99)
    report.add(Figure("raw Redis pub/sub to 150 subscribers p50", f50, "ms"))
    report.add(Figure("raw Redis pub/sub to 150 subscribers p99", f99, "ms"))
    layers = {
        "RedisChannelLayer": RedisChannelLayer(hosts=[REDIS_URL], prefix=f"bench{os.getpid()}"),
        "RedisPubSubChannelLayer": RedisPubSubChannelLayer(hosts=[REDIS_URL]),
        # What the portal ships: the pub/sub layer with a bounded queue per channel.
        "portal.layers": PortalLayer(hosts=[REDIS_URL], capacity=100),
    }
    for name, layer in layers.items():
        cases = {
            "send": await layer_send(layer, samples),
            "group_send to 1": await layer_group(layer, 1, samples),
            "group_send to 150": await layer_group(layer, 150, group_samples),
        }
        for case, values in cases.items():
            values = ms(values)
            fanout = case.endswith("150")
            p50_anchor, p99_anchor = (f50, f99) if fanout else (a50, a99)
            label = "raw pub/sub to 150" if fanout else "raw pub/sub"
            report.add(
                Figure(f"{name} {case} p50", median(values), "ms", p50_anchor, f"{label} p50", 2.0)
            )
            report.add(
                Figure(
                    f"{name} {case} p99",
                    percentile(values, 99),
                    "ms",
                    p99_anchor,
                    f"{label} p99",
                    3.0,
                )
            )
        report.check(f"{name} samples", samples)
        if hasattr(layer, "flush"):
            await layer.flush()
    report.check("load average after", [round(load, 2) for load in os.getloadavg()])
    return report


if __name__ == "__main__":
    args = arguments(__doc__)
    result = asyncio.run(main(args.quick))
    print("written:", result.write())
    if not args.quick:
        write_markdown()
