"""Prompt, clean exits on SIGTERM.

daphne's shutdown cancels every application instance and waits for them with
`asyncio.gather(*instances)`, which stops waiting at the first instance that ends cancelled.
A chat socket ends at once; an equipment check or a recording still closes its
RTCPeerConnection in a `finally` block. Once gather has given up, the reactor stops before that
close runs, aiortc's decoder threads (not daemons) live on, and the process never exits.
Instances wrapped here end normally when cancelled, so gather waits for all of them."""

import asyncio


class FinishWhenCancelled:
    """ASGI wrapper: a cancelled application instance returns instead of raising, after its
    own clean-up has run."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        try:
            return await self.app(scope, receive, send)
        except asyncio.CancelledError:
            # The end of the instance's own task: nothing above it is left to cancel.
            return None
