"""Checks on what the signalling server relays: every SDP is parsed with aiortc's parser, and
must look like a WebRTC session description, before it reaches the other participant.

aiortc's parser is lenient (it accepts an empty string) and reports some errors with `assert`,
so the structural checks here come first and every exception of the parser counts as malformed.
"""

from __future__ import annotations

import re

from aiortc.sdp import SessionDescription, candidate_from_sdp

from .conf import app_settings

MAX_LINES = 2000
MAX_MEDIA_SECTIONS = 16
MAX_CANDIDATE_LENGTH = 1024
MEDIA_KINDS = {"audio", "video", "application"}
# One SDP line: a lowercase letter, "=", then printable characters (RFC 8866, section 5).
LINE = re.compile(r"^[a-z]=[\x20-\x7e\x80-\U0010ffff]*$")
MID = re.compile(r"^[\x21-\x7e]{1,32}$")


class SignalError(Exception):
    """Something the server does not relay; `code` goes back to the sender."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(code)
        self.code = code
        self.detail = detail or code


def check_sdp(sdp: object, *, max_bytes: int | None = None) -> SessionDescription:
    """Returns the parsed description, or raises SignalError."""
    if not isinstance(sdp, str):
        raise SignalError("sdp_malformed", "The SDP must be a string.")
    limit = max_bytes if max_bytes is not None else app_settings.INTERVIEWS_SDP_MAX_BYTES
    if len(sdp.encode("utf-8", "surrogatepass")) > limit:
        raise SignalError("sdp_too_large", f"The SDP exceeds {limit} bytes.")
    lines = sdp.replace("\r\n", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines or lines[0] != "v=0":
        raise SignalError("sdp_malformed", "The SDP must start with v=0.")
    if len(lines) > MAX_LINES:
        raise SignalError("sdp_too_large", "The SDP has too many lines.")
    if any(not LINE.match(line) for line in lines):
        raise SignalError("sdp_malformed", "The SDP has a line that is not type=value.")
    session_lines = lines[: next((i for i, li in enumerate(lines) if li.startswith("m=")), None)]
    for required in ("o=", "s=", "t="):
        if not any(line.startswith(required) for line in session_lines):
            raise SignalError("sdp_malformed", f"The SDP has no {required} line.")
    try:
        parsed = SessionDescription.parse(sdp)
    except Exception:  # noqa: BLE001 - aiortc raises anything from assert to KeyError
        raise SignalError("sdp_malformed", "The SDP could not be parsed.") from None
    if not parsed.media or len(parsed.media) > MAX_MEDIA_SECTIONS:
        raise SignalError("sdp_malformed", "The SDP must describe between 1 and 16 media.")
    for media in parsed.media:
        if media.kind not in MEDIA_KINDS:
            raise SignalError("sdp_malformed", "The SDP describes an unknown media kind.")
        ice, dtls = getattr(media, "ice", None), getattr(media, "dtls", None)
        if ice is None or not (ice.usernameFragment and ice.password):
            raise SignalError("sdp_malformed", "A media section has no ICE credentials.")
        if dtls is None or not dtls.fingerprints:
            raise SignalError("sdp_malformed", "A media section has no DTLS fingerprint or setup.")
    return parsed


def check_candidate(payload: object, *, relay_only: bool = False) -> dict:
    """Returns the candidate to relay ({candidate, sdpMid, sdpMLineIndex}) or raises."""
    if not isinstance(payload, dict):
        raise SignalError("candidate_malformed", "The candidate must be an object.")
    candidate = payload.get("candidate")
    mid = payload.get("sdpMid")
    index = payload.get("sdpMLineIndex")
    if not isinstance(candidate, str) or len(candidate) > MAX_CANDIDATE_LENGTH:
        raise SignalError("candidate_malformed", "The candidate must be a short string.")
    if mid is not None and (not isinstance(mid, str) or not MID.match(mid)):
        raise SignalError("candidate_malformed", "sdpMid is invalid.")
    if index is not None and (
        isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < 64
    ):
        raise SignalError("candidate_malformed", "sdpMLineIndex is invalid.")
    if candidate == "":
        # End of candidates.
        return {"candidate": "", "sdpMid": mid, "sdpMLineIndex": index}
    text = candidate.removeprefix("candidate:")
    if not LINE.match("a=" + text):
        raise SignalError("candidate_malformed", "The candidate has control characters.")
    try:
        parsed = candidate_from_sdp(text)
    except Exception:  # noqa: BLE001 - aiortc raises IndexError, ValueError...
        raise SignalError("candidate_malformed", "The candidate could not be parsed.") from None
    if relay_only and parsed.type != "relay":
        raise SignalError("candidate_not_relay", "Only relayed candidates are allowed.")
    return {"candidate": candidate, "sdpMid": mid, "sdpMLineIndex": index}
