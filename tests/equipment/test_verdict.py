"""The verdict rules, at and around every threshold of both profiles."""

import copy

import pytest
from django.conf import settings
from django.utils import translation

from equipment.models import Verdict
from equipment.verdict import describe, evaluate
from tests.equipment.factories import GOOD_MEASUREMENTS

PROFILES = ["standard", "lsf"]


def limits(profile):
    return settings.EQUIPMENT_CHECK_THRESHOLDS[profile]


def measured(section=None, **values):
    measurements = copy.deepcopy(GOOD_MEASUREMENTS)
    if section:
        measurements[section].update(values)
    return measurements


def outcome_of(measurements, profile):
    outcome = evaluate(measurements, limits(profile), lsf=profile == "lsf")
    return outcome.verdict, [(r["code"], r["severity"]) for r in outcome.reasons]


@pytest.mark.parametrize("profile", PROFILES)
def test_good_measurements_pass_cleanly(profile):
    assert outcome_of(GOOD_MEASUREMENTS, profile) == (Verdict.PASSED, [])


# (section, key, reason code, fail key, warn key, step)
AT_LEAST = [
    ("video", "fps", "video_fps", "fps_fail", "fps_warn", 0.01),
    ("video", "height", "video_resolution", "height_fail", "height_warn", 1),
    ("network", "upload_kbps", "upload", "upload_kbps_fail", "upload_kbps_warn", 1),
    ("network", "download_kbps", "download", "download_kbps_fail", "download_kbps_warn", 1),
]
AT_MOST = [
    ("network", "rtt_ms", "rtt", "rtt_ms_fail", "rtt_ms_warn", 0.1),
    ("network", "loss_pct", "loss", "loss_pct_fail", "loss_pct_warn", 0.01),
]


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize(("section", "key", "code", "fail", "warn", "step"), AT_LEAST)
def test_values_that_must_be_high_enough(profile, section, key, code, fail, warn, step):
    fail, warn = limits(profile)[fail], limits(profile)[warn]
    assert fail < warn
    expected = [
        (fail - step, Verdict.FAILED, [(code, "error")]),
        (fail, Verdict.WARNINGS, [(code, "warning")]),
        (fail + step, Verdict.WARNINGS, [(code, "warning")]),
        (warn - step, Verdict.WARNINGS, [(code, "warning")]),
        (warn, Verdict.PASSED, []),
        (warn + step, Verdict.PASSED, []),
    ]
    for value, verdict, reasons in expected:
        assert outcome_of(measured(section, **{key: value}), profile) == (verdict, reasons), value


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize(("section", "key", "code", "fail", "warn", "step"), AT_MOST)
def test_values_that_must_be_low_enough(profile, section, key, code, fail, warn, step):
    fail, warn = limits(profile)[fail], limits(profile)[warn]
    assert warn < fail
    expected = [
        (fail + step, Verdict.FAILED, [(code, "error")]),
        (fail, Verdict.WARNINGS, [(code, "warning")]),
        (fail - step, Verdict.WARNINGS, [(code, "warning")]),
        (warn + step, Verdict.WARNINGS, [(code, "warning")]),
        (warn, Verdict.PASSED, []),
        (warn - step, Verdict.PASSED, []),
    ]
    for value, verdict, reasons in expected:
        assert outcome_of(measured(section, **{key: value}), profile) == (verdict, reasons), value


@pytest.mark.parametrize("profile", PROFILES)
def test_audio_level_at_and_around_silence(profile):
    silent = limits(profile)["audio_dbfs_silent"]
    assert outcome_of(measured("audio", level_dbfs=silent - 0.1), profile) == (
        Verdict.WARNINGS,
        [("microphone_silent", "warning")],
    )
    assert outcome_of(measured("audio", level_dbfs=silent), profile) == (Verdict.PASSED, [])
    assert outcome_of(measured("audio", level_dbfs=None), profile)[0] == Verdict.WARNINGS


def test_lsf_thresholds_are_stricter_for_video():
    standard, lsf = limits("standard"), limits("lsf")
    for key in ("fps_fail", "fps_warn", "height_fail", "height_warn"):
        assert lsf[key] > standard[key], key
    assert outcome_of(measured("video", fps=5), "standard")[0] == Verdict.WARNINGS
    assert outcome_of(measured("video", fps=5), "lsf")[0] == Verdict.FAILED


@pytest.mark.parametrize(
    ("measurements", "code"),
    [
        (measured("video", track=False), "camera_missing"),
        (measured("video", frames=0), "camera_no_image"),
        (measured("audio", track=False), "microphone_missing"),
        (measured("audio", frames=0), "microphone_no_sound"),
        (measured("network", upload_kbps=None), "probe_failed"),
        (measured("network", download_kbps=None), "probe_failed"),
    ],
)
def test_missing_sources_fail(measurements, code):
    assert outcome_of(measurements, "standard") == (Verdict.FAILED, [(code, "error")])


def test_rtt_and_loss_are_optional_in_the_stats():
    measurements = measured("network", rtt_ms=None, loss_pct=None)
    assert outcome_of(measurements, "standard") == (Verdict.PASSED, [])


def test_no_connection_says_only_that():
    assert outcome_of({"connected": False}, "standard") == (
        Verdict.FAILED,
        [("connection_failed", "error")],
    )


@pytest.mark.parametrize("error", ["permission_denied", "no_camera", "no_microphone"])
def test_browser_errors_are_their_own_reason(error):
    assert outcome_of({"browser_error": error}, "lsf") == (Verdict.FAILED, [(error, "error")])


def test_an_unknown_browser_error_reads_as_an_unsupported_browser():
    assert outcome_of({"browser_error": "<script>"}, "standard")[1] == [
        ("unsupported_browser", "error")
    ]


def test_errors_come_before_warnings():
    measurements = measured("network", rtt_ms=500, upload_kbps=100)
    assert outcome_of(measurements, "standard")[1] == [("upload", "error"), ("rtt", "warning")]


def test_the_sentences_of_the_issue_in_french():
    with translation.override("fr"):
        slow = describe(
            {"code": "upload", "severity": "error", "params": {"measured": 300, "required": 800}}
        )
        camera = describe({"code": "camera_no_image", "severity": "error", "params": {}})
    assert slow["text"] == (
        "Votre connexion est trop lente pour la visio : 300 kbit/s mesurés, 800 nécessaires."
    )
    assert camera["text"].startswith(
        "Votre caméra n'envoie pas d'image : vérifiez qu'aucune autre application ne l'utilise"
    )


def test_measured_values_are_rounded_towards_the_missed_threshold():
    with translation.override("fr"):
        fps = describe(
            {
                "code": "video_fps",
                "severity": "error",
                "params": {"measured": 14.96, "required": 15, "lsf": True},
            }
        )
        rtt = describe(
            {"code": "rtt", "severity": "error", "params": {"measured": 600.2, "required": 600}}
        )
    assert "14 images par seconde mesurées, 15 nécessaires" in fps["text"]
    assert fps["text"].endswith(
        "Signer en LSF demande une image plus fluide et plus nette que la parole."
    )
    assert "601 ms d'aller-retour mesurées, 600 au plus" in rtt["text"]


@pytest.mark.parametrize(
    ("audio", "code"),
    [
        ({"track": False}, "microphone_missing"),
        ({"track": False, "device": False}, "no_microphone"),
        ({"track": True, "frames": 0}, "microphone_no_sound"),
    ],
)
def test_without_sound_a_signing_seeker_gets_a_warning_and_others_fail(audio, code):
    measurements = {**copy.deepcopy(GOOD_MEASUREMENTS), "audio": audio}

    assert outcome_of(measurements, "lsf") == (Verdict.WARNINGS, [(code, "warning")])
    assert outcome_of(measurements, "standard") == (Verdict.FAILED, [(code, "error")])
    with translation.override("fr"):
        assert "LSF" in describe({"code": code, "severity": "warning"})["text"]
