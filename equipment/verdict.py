"""The verdict of an equipment check, drawn on the server from what was measured.

Pure functions: `evaluate()` turns measurements and thresholds into a verdict and reasons,
`describe()` turns a stored reason into the sentence the person reads, in their language.
A value exactly at a threshold is accepted: only values beyond it fail or warn."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from .models import Verdict

ERROR = "error"
WARNING = "warning"

# Problems the browser reports before any media flows (getUserMedia refused, no device...).
BROWSER_ERRORS = (
    "permission_denied",
    "no_camera",
    "no_microphone",
    "camera_busy",
    "unsupported_browser",
)

MESSAGES = {
    ("permission_denied", ERROR): _(
        "You refused access to the camera or microphone: allow it in your browser's address "
        "bar, then start the test again."
    ),
    ("no_camera", ERROR): _(
        "No camera was found on this device: plug in a webcam or use a device that has one."
    ),
    ("no_microphone", ERROR): _(
        "No microphone was found on this device: plug in a headset or a microphone."
    ),
    ("camera_busy", ERROR): _(
        "Your camera sends no picture: check that no other application is using it."
    ),
    ("unsupported_browser", ERROR): _(
        "Your browser cannot make video calls: use a recent version of Firefox, Chrome, Edge "
        "or Safari."
    ),
    ("connection_failed", ERROR): _(
        "The video connection could not be established: your network may block video calls. "
        "Try another network, or call your agency."
    ),
    ("camera_missing", ERROR): _(
        "We received no video: check that your camera is allowed for this site."
    ),
    ("camera_no_image", ERROR): _(
        "Your camera sends no picture: check that no other application is using it."
    ),
    ("video_fps", ERROR): _(
        "Your camera's picture is too jerky: %(measured)s images per second measured, "
        "%(required)s needed."
    ),
    ("video_fps", WARNING): _(
        "Your camera's picture is a little jerky: %(measured)s images per second measured, "
        "%(required)s recommended."
    ),
    ("video_resolution", ERROR): _(
        "Your camera's picture is too small: %(width)s×%(height)s pixels measured, "
        "%(required)s pixels high needed."
    ),
    ("video_resolution", WARNING): _(
        "Your camera's picture is a little small: %(width)s×%(height)s pixels measured, "
        "%(required)s pixels high recommended."
    ),
    ("microphone_missing", ERROR): _(
        "We received no sound: check that your microphone is allowed for this site."
    ),
    ("microphone_no_sound", ERROR): _(
        "Your microphone sends nothing: check that no other application is using it."
    ),
    # Signing in LSF, the conversation can do without sound: a missing microphone only warns.
    ("no_microphone", WARNING): _(
        "No microphone was found on this device: an interview in LSF can do without one, but "
        "your advisor will not hear you."
    ),
    ("microphone_missing", WARNING): _(
        "We received no sound: an interview in LSF can do without, but check that your "
        "microphone is allowed for this site if you want to be heard."
    ),
    ("microphone_no_sound", WARNING): _(
        "Your microphone sends nothing: an interview in LSF can do without, but check that no "
        "other application is using it if you want to be heard."
    ),
    ("microphone_silent", WARNING): _(
        "We heard only silence: check that your microphone is not muted, and speak during the test."
    ),
    ("upload", ERROR): _(
        "Your connection is too slow for video: %(measured)s kbit/s measured, %(required)s needed."
    ),
    ("upload", WARNING): _(
        "Your connection is just fast enough for video: %(measured)s kbit/s measured, "
        "%(required)s recommended. Avoid downloads during your interviews."
    ),
    ("download", ERROR): _(
        "Your connection receives too slowly for video: %(measured)s kbit/s measured, "
        "%(required)s needed."
    ),
    ("download", WARNING): _(
        "Your connection receives just fast enough for video: %(measured)s kbit/s measured, "
        "%(required)s recommended."
    ),
    ("probe_failed", ERROR): _(
        "The speed of your connection could not be measured: reload the page and start the "
        "test again."
    ),
    ("rtt", ERROR): _(
        "Your connection responds too slowly: %(measured)s ms round trip measured, "
        "%(required)s at most."
    ),
    ("rtt", WARNING): _(
        "Your connection responds a little slowly: %(measured)s ms round trip measured, "
        "%(required)s recommended at most; the conversation may lag."
    ),
    ("loss", ERROR): _(
        "Your connection loses too many packets: %(measured)s %% lost, %(required)s %% at most."
    ),
    ("loss", WARNING): _(
        "Your connection loses some packets: %(measured)s %% lost, %(required)s %% recommended "
        "at most; the picture may freeze."
    ),
}
SIGNING_NOTE = _("Signing in LSF needs a smoother and sharper picture than speech.")
UNKNOWN = _("The test could not be completed.")
HEADLINES = {
    Verdict.PASSED: _("Your equipment is ready for video interviews."),
    Verdict.WARNINGS: _("Your equipment works, with some reservations:"),
    Verdict.FAILED: _("Your equipment is not ready for video interviews yet:"),
}


@dataclass
class Outcome:
    verdict: str
    reasons: list[dict] = field(default_factory=list)


def _reason(code: str, severity: str, **params) -> dict:
    return {"code": code, "severity": severity, "params": params}


def _at_least(code, measured, fail, warn, **params) -> dict | None:
    """A value that must reach `fail` to pass and `warn` to pass without a warning."""
    if measured < fail:
        return _reason(code, ERROR, measured=measured, required=fail, **params)
    if measured < warn:
        return _reason(code, WARNING, measured=measured, required=warn, **params)
    return None


def _at_most(code, measured, fail, warn, **params) -> dict | None:
    if measured > fail:
        return _reason(code, ERROR, measured=measured, required=fail, **params)
    if measured > warn:
        return _reason(code, WARNING, measured=measured, required=warn, **params)
    return None


def _video(video: dict, limits: dict, lsf: bool) -> list[dict | None]:
    if not video.get("track"):
        return [_reason("camera_missing", ERROR)]
    if not video.get("frames"):
        return [_reason("camera_no_image", ERROR)]
    reasons = [
        _at_least("video_fps", video["fps"], limits["fps_fail"], limits["fps_warn"], lsf=lsf)
    ]
    height = video["height"]
    if height < limits["height_fail"]:
        severity, required = ERROR, limits["height_fail"]
    elif height < limits["height_warn"]:
        severity, required = WARNING, limits["height_warn"]
    else:
        return reasons
    reasons.append(
        _reason(
            "video_resolution",
            severity,
            width=video["width"],
            height=height,
            required=required,
            lsf=lsf,
        )
    )
    return reasons


def _audio(audio: dict, limits: dict, lsf: bool) -> list[dict | None]:
    severity = WARNING if lsf else ERROR
    if not audio.get("track"):
        # The browser says whether the device has a microphone at all.
        code = "no_microphone" if audio.get("device") is False else "microphone_missing"
        return [_reason(code, severity)]
    if not audio.get("frames"):
        return [_reason("microphone_no_sound", severity)]
    level = audio.get("level_dbfs")
    if level is None or level < limits["audio_dbfs_silent"]:
        return [_reason("microphone_silent", WARNING, measured=level)]
    return []


def _network(network: dict, limits: dict) -> list[dict | None]:
    upload, download = network.get("upload_kbps"), network.get("download_kbps")
    if upload is None or download is None:
        return [_reason("probe_failed", ERROR)]
    reasons = [
        _at_least("upload", upload, limits["upload_kbps_fail"], limits["upload_kbps_warn"]),
        _at_least("download", download, limits["download_kbps_fail"], limits["download_kbps_warn"]),
    ]
    if network.get("rtt_ms") is not None:
        reasons.append(
            _at_most("rtt", network["rtt_ms"], limits["rtt_ms_fail"], limits["rtt_ms_warn"])
        )
    if network.get("loss_pct") is not None:
        reasons.append(
            _at_most("loss", network["loss_pct"], limits["loss_pct_fail"], limits["loss_pct_warn"])
        )
    return reasons


def evaluate(measurements: dict, limits: dict, *, lsf: bool = False) -> Outcome:
    """The verdict on `measurements` (as built by equipment.measure) against `limits`."""
    browser_error = measurements.get("browser_error")
    if browser_error:
        code = browser_error if browser_error in BROWSER_ERRORS else "unsupported_browser"
        return Outcome(Verdict.FAILED, [_reason(code, ERROR)])
    if not measurements.get("connected"):
        return Outcome(Verdict.FAILED, [_reason("connection_failed", ERROR)])
    found = [
        *_video(measurements.get("video") or {}, limits, lsf),
        *_audio(measurements.get("audio") or {}, limits, lsf),
        *_network(measurements.get("network") or {}, limits),
    ]
    reasons = [reason for reason in found if reason is not None]
    # Errors first: they are what the person must fix.
    reasons.sort(key=lambda reason: reason["severity"] != ERROR)
    if any(reason["severity"] == ERROR for reason in reasons):
        return Outcome(Verdict.FAILED, reasons)
    if reasons:
        return Outcome(Verdict.WARNINGS, reasons)
    return Outcome(Verdict.PASSED, [])


def _shown(code: str, value):
    """Rounds a measured value towards the threshold it missed, so that the sentence never
    reads "15 measured, 15 needed" for a measured 14.6."""
    if value is None:
        return value
    if code in ("rtt",):
        return math.ceil(value)
    if code == "loss":
        return math.ceil(value * 10) / 10
    return math.floor(value)


def describe(reason: dict) -> dict:
    """The sentence for a stored reason, in the active language, with its severity."""
    code, severity = reason.get("code"), reason.get("severity", ERROR)
    template = MESSAGES.get((code, severity), UNKNOWN)
    params = dict(reason.get("params") or {})
    if "measured" in params:
        params["measured"] = _shown(code, params["measured"])
    text = str(template) % params if "%(" in str(template) else str(template)
    if params.get("lsf") and code in ("video_fps", "video_resolution"):
        text = f"{text} {SIGNING_NOTE}"
    return {"code": code, "severity": severity, "text": text}


def headline(verdict: str) -> str:
    return str(HEADLINES.get(verdict, HEADLINES[Verdict.FAILED]))
