"""A chat participant speaking the websocket protocol as static/js/chat.js does: it reconnects
when its socket closes (with a short backoff), asks for what it missed on every (re)connection,
and sends again what was never acknowledged. The fault tests watch what it ends up holding."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid

import websockets


class Peer:
    def __init__(self, base_url: str, conversation_id: int, session: str, name: str):
        self.name = name
        self.base_url = base_url
        self.conversation_id = conversation_id
        self.session = session
        self.seqs: dict[int, str] = {}  # seq -> client_id, from acks, history and live messages
        self.live: dict[str, float] = {}  # client_id -> when it arrived as message.new
        self.acked: dict[str, float] = {}  # client_id -> when the server acknowledged it
        self.pending: dict[str, str] = {}  # client_id -> body, sent but not acknowledged
        self.errors: list[dict] = []
        self.connections = 0
        self.closes = 0
        self.socket = None
        self.task: asyncio.Task | None = None
        self.connected = asyncio.Event()
        self.retry: asyncio.Future | None = None

    @property
    def last_seq(self) -> int:
        seq = 0
        while seq + 1 in self.seqs:
            seq += 1
        return seq

    def holds(self, client_ids) -> bool:
        return set(client_ids) <= set(self.seqs.values())

    def url(self) -> str:
        return self.base_url.replace("http", "ws", 1) + f"/ws/chat/{self.conversation_id}/"

    def start(self) -> None:
        self.task = asyncio.create_task(self._run(), name=f"peer-{self.name}")

    async def stop(self) -> None:
        if self.retry is not None:
            self.retry.cancel()
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task

    async def _run(self) -> None:
        attempt = 0
        while True:
            try:
                async with websockets.connect(
                    self.url(),
                    origin=self.base_url,
                    additional_headers={"Cookie": f"sessionid={self.session}"},
                    open_timeout=5,
                    ping_interval=None,
                ) as socket:
                    self.socket = socket
                    self.connections += 1
                    attempt = 0
                    self.connected.set()
                    await socket.send(json.dumps({"type": "sync", "after_seq": self.last_seq}))
                    for client_id, body in list(self.pending.items()):
                        await self._send_frame(client_id, body)
                    async for raw in socket:
                        self._on_frame(json.loads(raw))
            except (OSError, websockets.exceptions.WebSocketException, TimeoutError):
                pass
            self.socket = None
            self.connected.clear()
            self.closes += 1
            attempt += 1
            await asyncio.sleep(min(0.2 * 2**attempt, 1.0))

    def _on_frame(self, frame: dict) -> None:
        kind = frame.get("type")
        if kind == "message.ack":
            self.pending.pop(frame["client_id"], None)
            self.acked.setdefault(frame["client_id"], time.monotonic())
            self._hold(frame["message"])
        elif kind == "message.new":
            self.live.setdefault(frame["message"]["client_id"], time.monotonic())
            self._hold(frame["message"])
        elif kind == "message.history":
            for message in frame["messages"]:
                self._hold(message)
            if frame.get("has_more"):
                asyncio.ensure_future(self._sync())
        elif kind == "resync":  # the server's layer may have lost events: sync, as chat.js does
            asyncio.ensure_future(self._sync())
        elif kind == "error":
            self.errors.append(frame)
            # As chat.js does: send again in 3 s (once, however many errors came).
            retrying = self.retry is not None and not self.retry.done()
            if frame.get("code") in ("server_error", "rate_limited") and not retrying:
                self.retry = asyncio.ensure_future(self._retry_after(3))

    def _hold(self, message: dict) -> None:
        previous = self.seqs.setdefault(message["seq"], message["client_id"])
        # One seq is one message, whatever the path it came by.
        assert previous == message["client_id"], (message, previous)

    async def _sync(self) -> None:
        if self.socket is not None:
            with contextlib.suppress(websockets.exceptions.WebSocketException):
                await self.socket.send(json.dumps({"type": "sync", "after_seq": self.last_seq}))

    async def _retry_after(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
        if self.socket is None:
            return
        await self._sync()
        for client_id, body in list(self.pending.items()):
            with contextlib.suppress(websockets.exceptions.WebSocketException):
                await self._send_frame(client_id, body)

    async def _send_frame(self, client_id: str, body: str) -> None:
        frame = {"type": "message.send", "client_id": client_id, "body": body}
        await self.socket.send(json.dumps(frame))

    async def say(self, body: str) -> str:
        """Queues a message (sent now if connected, else on reconnection); returns its id."""
        client_id = str(uuid.uuid4())
        self.pending[client_id] = body
        if self.socket is not None:
            with contextlib.suppress(websockets.exceptions.WebSocketException):
                await self._send_frame(client_id, body)
        return client_id


async def wait_for(predicate, within: float, interval: float = 0.05) -> float:
    """Waits until predicate() is true; returns the seconds it took, or raises TimeoutError."""
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > within:
            raise TimeoutError
        await asyncio.sleep(interval)
    return time.monotonic() - started
