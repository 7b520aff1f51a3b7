"""The SDP checks before aiortc or the other participant sees an offer: the interviews' relay
check, the equipment check's and the simulation recorder's offer checks. Whatever arrives, each
either accepts it whole or refuses it with one of its codes; what they accept is parseable and
within bounds."""

import pytest
from aiortc.sdp import SessionDescription
from hypothesis import given
from hypothesis import strategies as st

from ateliers import recorder
from equipment.peer import OfferError, validate_offer
from interviews.sdp import SignalError, check_candidate, check_sdp
from tests.interviews.sdp_samples import HOST_CANDIDATE, OFFER, RELAY_CANDIDATE
from tests.properties.strategies import PROPERTY

MAX_BYTES = 32768
DATA_SECTION = "\r\n".join(
    [
        "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
        "c=IN IP4 0.0.0.0",
        "a=ice-ufrag:Xk3b",
        "a=ice-pwd:0123456789abcdefghijklmn",
        "a=fingerprint:sha-256 06:95:A1:C2:7A:53:FD:7F:03:4A:A8:FC:ED:7B:E5:61:"
        "EA:E1:3E:0B:2B:0D:45:C5:2F:1A:1D:F8:EA:E3:05:E9",
        "a=setup:actpass",
        "a=mid:2",
        "a=sctp-port:5000",
        "",
    ]
)
EQUIPMENT_OFFER = OFFER.replace("a=group:BUNDLE 0 1", "a=group:BUNDLE 0 1 2") + DATA_SECTION
LINES = EQUIPMENT_OFFER.split("\r\n")[:-1]


@st.composite
def mutated(draw):
    """The offer with lines dropped, duplicated, cut, garbled or replaced by junk."""
    lines = list(LINES)
    for _ in range(draw(st.integers(0, 5))):
        if not lines:
            break
        index = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["drop", "junk", "cut", "garble", "copy", "nul"]))
        if action == "drop":
            del lines[index]
        elif action == "junk":
            lines.insert(index, draw(st.text(max_size=60)))
        elif action == "cut":
            lines[index] = lines[index][: draw(st.integers(0, len(lines[index])))]
        elif action == "garble":
            at = draw(st.integers(0, len(lines[index])))
            lines[index] = (
                lines[index][:at] + draw(st.text(min_size=1, max_size=4)) + lines[index][at:]
            )
        elif action == "copy":
            lines.insert(index, lines[draw(st.integers(0, len(lines) - 1))])
        else:
            lines[index] += "\x00"
    separator = draw(st.sampled_from(["\r\n", "\n"]))
    return separator.join(lines) + draw(st.sampled_from([separator, ""]))


offers = st.one_of(
    mutated(),
    st.text(max_size=300),
    st.just("v=0\r\n").map(lambda head: head + "a=x\r\n" * 5000),
    st.binary(max_size=50),
    st.integers(),
    st.none(),
    st.lists(st.text(max_size=5), max_size=3),
)


def test_the_samples_pass_every_check():
    assert validate_offer(EQUIPMENT_OFFER, max_bytes=MAX_BYTES) == EQUIPMENT_OFFER
    assert recorder.validate_offer(EQUIPMENT_OFFER) == EQUIPMENT_OFFER
    assert len(check_sdp(EQUIPMENT_OFFER).media) == 3


@PROPERTY
@given(offers)
def test_equipment_offer_check_accepts_whole_or_refuses_with_a_code(sdp):
    try:
        accepted = validate_offer(sdp, max_bytes=MAX_BYTES)
    except OfferError as error:
        assert str(error) in {"invalid_sdp", "sdp_too_large", "no_data_channel"}
    else:
        assert accepted is sdp
        assert len(sdp.encode("utf-8", "surrogatepass")) <= MAX_BYTES and "\x00" not in sdp
        assert any(line.startswith("m=application") for line in sdp.splitlines())
        SessionDescription.parse(sdp)


@PROPERTY
@given(offers)
def test_recorder_offer_check_accepts_whole_or_refuses_with_a_code(sdp):
    try:
        accepted = recorder.validate_offer(sdp)
    except recorder.OfferError as error:
        assert str(error) in {"invalid_sdp", "sdp_too_large", "no_video"}
    else:
        assert accepted is sdp
        assert any(line.startswith("m=video") for line in sdp.splitlines())
        SessionDescription.parse(sdp)


@PROPERTY
@given(offers)
def test_interview_relay_check_returns_a_description_with_credentials_or_refuses(sdp):
    try:
        parsed = check_sdp(sdp)
    except SignalError as error:
        assert error.code in {"sdp_malformed", "sdp_too_large"}
    else:
        assert 1 <= len(parsed.media) <= 16
        for media in parsed.media:
            assert media.ice.usernameFragment and media.ice.password and media.dtls.fingerprints


@PROPERTY
@given(st.integers(1, 4 * MAX_BYTES))
def test_size_limits_hold_at_every_size(padding):
    sdp = EQUIPMENT_OFFER + "a=x-pad:" + "p" * padding + "\r\n"
    too_large = len(sdp.encode()) > MAX_BYTES

    for check, error_type in (
        (lambda value: validate_offer(value, max_bytes=MAX_BYTES), OfferError),
        (lambda value: check_sdp(value, max_bytes=MAX_BYTES), SignalError),
    ):
        if too_large:
            with pytest.raises(error_type):
                check(sdp)
        else:
            check(sdp)


candidates = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "candidate": st.one_of(
                st.sampled_from([HOST_CANDIDATE["candidate"], RELAY_CANDIDATE["candidate"], ""]),
                st.text(max_size=120),
                st.sampled_from(
                    [HOST_CANDIDATE["candidate"], RELAY_CANDIDATE["candidate"]]
                ).flatmap(lambda c: st.integers(0, len(c)).map(lambda at: c[:at])),
                st.integers(),
            ),
            "sdpMid": st.one_of(st.none(), st.text(max_size=40), st.integers()),
            "sdpMLineIndex": st.one_of(st.none(), st.integers(-5, 100), st.booleans(), st.text()),
        },
    ),
    st.none(),
    st.text(),
    st.lists(st.integers()),
)


@PROPERTY
@given(candidates, st.booleans())
def test_candidates_are_relayed_as_sent_or_refused(payload, relay_only):
    try:
        relayed = check_candidate(payload, relay_only=relay_only)
    except SignalError as error:
        assert error.code in {"candidate_malformed", "candidate_not_relay"}
    else:
        assert relayed == {
            "candidate": payload["candidate"],
            "sdpMid": payload.get("sdpMid"),
            "sdpMLineIndex": payload.get("sdpMLineIndex"),
        }
        if relay_only and relayed["candidate"]:
            assert " typ relay" in relayed["candidate"]
