"""Fixtures of the interviews tests."""

import contextlib

import pytest
from channels.layers import channel_layers, get_channel_layer


@pytest.fixture
async def fresh_channel_layer():
    """Each websocket test gets its own channel layer, bound to its own event loop, and leaves
    it flushed and closed: the Redis layer's locks and pools must not cross event loops."""
    channel_layers.backends.clear()
    yield get_channel_layer()
    layer = get_channel_layer()
    with contextlib.suppress(Exception):
        await layer.flush()
    if hasattr(layer, "close_pools"):
        await layer.close_pools()
    channel_layers.backends.clear()
