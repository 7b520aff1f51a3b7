"""The chat's frame parser (ChatConsumer.receive): whatever frame arrives, the consumer answers
with at most one frame of a known type, never dies, and calls the send service only with a
UUID and a body the rules allow. The database and channel layer are replaced by recorders: what
is under test is the parsing, run 1,000 times per property."""

import asyncio
import json
import uuid
from types import SimpleNamespace

import pytest
from django.test import override_settings
from hypothesis import given
from hypothesis import strategies as st

from chat import consumers
from chat.consumers import ChatConsumer
from tests.properties.strategies import PROPERTY

MAX_BODY = 50
FRAME_TYPES = ["message.send", "sync", "typing", "read", "ping"]
ANSWERS = {"error", "message.ack", "message.history", "pong"}
ERROR_CODES = {
    "bad_json",
    "bad_request",
    "unknown_type",
    "bad_client_id",
    "empty_body",
    "body_too_long",
}


class Recorder:
    def __init__(self):
        self.sends, self.syncs, self.reads, self.group_sends = [], [], [], []


class Harness(ChatConsumer):
    """The consumer with its socket, database and layer replaced; its parsing is the real one."""

    def __init__(self, recorder: Recorder):
        self.recorder = recorder
        self.sent = []
        self.user = SimpleNamespace(pk=7, role="seeker", get_full_name=lambda: "Camille")
        self.conversation_id = 3
        self.group = "chat.3"
        self.channel_name = "specific.test!1"
        self.checked_at = float("inf")  # never re-checks participation
        self.touched_at = float("inf")
        self.typed_at = 0.0
        self.channel_layer = SimpleNamespace(group_send=self._group_send)

    async def _group_send(self, group, event):
        self.recorder.group_sends.append(event)

    async def send_json(self, content, close=False):
        json.dumps(content)  # what goes out is JSON
        self.sent.append(content)


@pytest.fixture
def harness(monkeypatch):
    recorder = Recorder()

    async def send(conversation_id, user, client_id, body, channel_name):
        recorder.sends.append((client_id, body))
        return {"client_id": str(client_id), "seq": len(recorder.sends), "body": body}

    async def history(conversation_id, user, after_seq):
        recorder.syncs.append(after_seq)
        return {"type": "message.history", "messages": [], "has_more": False, "read_up_to": 0}

    async def mark_read(conversation_id, user, up_to_seq):
        recorder.reads.append(up_to_seq)
        return up_to_seq

    async def touch(channel_name, conversation_id):
        return 0

    monkeypatch.setattr(consumers, "_send", send)
    monkeypatch.setattr(consumers, "_history", history)
    monkeypatch.setattr(consumers, "_mark_read", mark_read)
    monkeypatch.setattr(consumers, "_socket_touch", touch)
    loop = asyncio.new_event_loop()

    def feed(text_data=None, bytes_data=None):
        recorder.__init__()
        consumer = Harness(recorder)
        loop.run_until_complete(consumer.receive(text_data=text_data, bytes_data=bytes_data))
        return consumer.sent, recorder

    with override_settings(CHAT_MAX_BODY_CHARS=MAX_BODY):
        yield feed
    loop.close()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=60),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=10,
)
field_values = st.one_of(
    json_values,
    st.uuids().map(str),
    st.integers(min_value=-3, max_value=10**12),
    st.text(max_size=MAX_BODY + 10),
)
frames = st.fixed_dictionaries(
    {"type": st.one_of(st.sampled_from(FRAME_TYPES), st.text(max_size=12), json_values)},
    optional={
        "client_id": field_values,
        "body": field_values,
        "after_seq": field_values,
        "up_to_seq": field_values,
    },
)
raw_frames = st.one_of(
    frames.map(json.dumps),
    json_values.map(json.dumps),
    st.text(max_size=200),
    frames.map(lambda frame: json.dumps(frame)[: len(json.dumps(frame)) // 2]),
)


def _assert_well_answered(sent):
    assert len(sent) <= 1
    for frame in sent:
        assert frame["type"] in ANSWERS
        if frame["type"] == "error":
            assert frame["code"] in ERROR_CODES, frame
            assert isinstance(frame["detail"], str) and frame["detail"]


@PROPERTY
@given(raw_frames)
def test_any_text_frame_gets_one_known_answer_and_never_kills_the_consumer(harness, text):
    sent, recorder = harness(text_data=text)

    _assert_well_answered(sent)
    for client_id, body in recorder.sends:
        assert isinstance(client_id, uuid.UUID)
        assert isinstance(body, str) and body.strip() and len(body) <= MAX_BODY
    for value in recorder.syncs + recorder.reads:
        assert type(value) is int and value >= 0


@PROPERTY
@given(st.binary(max_size=100))
def test_binary_frames_are_refused(harness, data):
    sent, recorder = harness(bytes_data=data)

    assert [frame["code"] for frame in sent] == ["bad_json"]
    assert not recorder.sends


@PROPERTY
@given(st.uuids(), st.text(max_size=MAX_BODY * 2))
def test_a_well_formed_send_is_stored_once_exactly_as_written_or_refused(harness, client_id, body):
    frame = json.dumps({"type": "message.send", "client_id": str(client_id), "body": body})

    sent, recorder = harness(text_data=frame)

    if body.strip() and len(body) <= MAX_BODY:
        assert recorder.sends == [(client_id, body)]
        assert sent[0]["type"] == "message.ack"
        assert sent[0]["client_id"] == str(client_id)
    else:
        assert recorder.sends == []
        assert sent[0]["code"] == ("empty_body" if not body.strip() else "body_too_long")


@PROPERTY
@given(st.sampled_from(["sync", "read"]), field_values)
def test_sequence_numbers_are_whole_numbers_or_refused(harness, kind, value):
    field = "after_seq" if kind == "sync" else "up_to_seq"

    sent, recorder = harness(text_data=json.dumps({"type": kind, field: value}))

    valid = type(value) is int and value >= 0
    asked = recorder.syncs if kind == "sync" else recorder.reads
    assert asked == ([value] if valid else [])
    if not valid:
        assert sent == [sent[0]] and sent[0]["code"] == "bad_request"
