"""Fuzzing the SDP and candidate checks with hypothesis: they never crash, and junk never passes
— neither alone nor through the consumer, where nothing of it reaches the other participant."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interviews.sdp import SignalError, check_candidate, check_sdp
from tests.interviews.sdp_samples import HOST_CANDIDATE, OFFER, RELAY_CANDIDATE

LINES = OFFER.split("\r\n")[:-1]


@st.composite
def mutated_offers(draw):
    """The valid offer with lines dropped, duplicated, corrupted or replaced by junk."""
    lines = list(LINES)
    for _ in range(draw(st.integers(1, 4))):
        index = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["drop", "junk", "truncate", "garble", "swap"]))
        if action == "drop":
            del lines[index]
        elif action == "junk":
            lines.insert(index, draw(st.text(max_size=80)))
        elif action == "truncate":
            lines[index] = lines[index][: draw(st.integers(0, len(lines[index])))]
        elif action == "garble":
            line = lines[index]
            at = draw(st.integers(0, len(line)))
            lines[index] = line[:at] + draw(st.text(min_size=1, max_size=5)) + line[at:]
        else:
            other = draw(st.integers(0, len(lines) - 1))
            lines[index], lines[other] = lines[other], lines[index]
        if not lines:
            break
    return "\r\n".join(lines) + draw(st.sampled_from(["\r\n", "\n", ""]))


def test_the_sample_offer_passes():
    parsed = check_sdp(OFFER)
    assert [m.kind for m in parsed.media] == ["audio", "video"]


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(max_size=500), st.binary(max_size=200), st.integers(), st.none()))
def test_arbitrary_input_never_crashes_and_never_passes(value):
    with pytest.raises(SignalError) as error:
        check_sdp(value)
    assert error.value.code in {"sdp_malformed", "sdp_too_large"}


@settings(max_examples=1000, deadline=None)
@given(mutated_offers())
def test_mutated_offers_either_pass_whole_or_are_refused_cleanly(sdp):
    try:
        parsed = check_sdp(sdp)
    except SignalError as error:
        assert error.code in {"sdp_malformed", "sdp_too_large"}
    else:
        # What passes is a real description: media with ICE credentials and a fingerprint.
        assert parsed.media
        assert all(m.ice.usernameFragment and m.dtls.fingerprints for m in parsed.media)
        assert sdp.startswith("v=0")


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 4096))
def test_oversized_sdp_is_refused_before_parsing(extra):
    with pytest.raises(SignalError, match="sdp_too_large"):
        check_sdp(OFFER + "a=x:" + "y" * extra + "\r\n", max_bytes=len(OFFER))


candidate_values = st.one_of(
    st.text(max_size=200),
    st.builds(lambda s: "candidate:" + s, st.text(max_size=200)),
    st.builds(
        lambda fields: "candidate:" + " ".join(fields),
        st.lists(
            st.text(alphabet="0123456789abcdefghijklmnopqrstuvwxyz.:", max_size=12), max_size=12
        ),
    ),
)


@settings(max_examples=1000, deadline=None)
@given(
    st.fixed_dictionaries(
        {"candidate": candidate_values},
        optional={
            "sdpMid": st.one_of(st.none(), st.text(max_size=40), st.integers()),
            "sdpMLineIndex": st.one_of(st.none(), st.integers(-5, 100), st.text(max_size=3)),
        },
    )
)
def test_candidates_never_crash_the_check(payload):
    try:
        checked = check_candidate(payload)
    except SignalError as error:
        assert error.code == "candidate_malformed"
    else:
        assert checked["candidate"] == payload["candidate"]


def test_real_candidates_pass_and_relay_only_keeps_relays():
    assert check_candidate(HOST_CANDIDATE)["candidate"] == HOST_CANDIDATE["candidate"]
    assert check_candidate(RELAY_CANDIDATE, relay_only=True)
    with pytest.raises(SignalError, match="candidate_not_relay"):
        check_candidate(HOST_CANDIDATE, relay_only=True)


# --- Through the consumer -------------------------------------------------------------------


def collect_junk(count: int) -> list[str]:
    """Draws junk with hypothesis, keeping only what the check refuses."""
    found: list[str] = []

    @settings(
        max_examples=count,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.one_of(mutated_offers(), st.text(max_size=300)))
    def draw(sdp):
        try:
            check_sdp(sdp)
        except SignalError:
            found.append(sdp)

    draw()
    return found


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("fresh_channel_layer")
async def test_no_junk_is_ever_relayed_by_the_consumer():
    from asgiref.sync import sync_to_async

    from tests.interviews.factories import AppointmentFactory
    from tests.interviews.test_signalling import pair

    # At most 80 frames: the portal's socket guard allows a burst of 100 per connection.
    junk = (await sync_to_async(collect_junk)(150))[:80]
    assert len(junk) > 50
    appointment = await sync_to_async(AppointmentFactory)(now_open=True)
    advisor, seeker = await pair(appointment)
    for sdp in junk:
        await advisor.send_json_to({"type": "offer", "sdp": sdp})
        reply = await advisor.receive_json_from(timeout=5)
        assert reply["type"] == "error"
        assert reply["code"] in {"sdp_malformed", "sdp_too_large"}
    assert await seeker.receive_nothing(timeout=0.5)
    # Still alive, and a good offer still goes through.
    await advisor.send_json_to({"type": "offer", "sdp": OFFER})
    assert (await seeker.receive_json_from(timeout=5))["sdp"] == OFFER
    await advisor.disconnect()
    await seeker.disconnect()
