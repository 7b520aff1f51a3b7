"""A real aiortc client peer, synthetic media, the real consumer and the real server peer."""

import pytest
from asgiref.sync import sync_to_async

from advisors.models import Skill
from equipment.models import CheckState, EquipmentCheck, Verdict
from seekers.models import EnrolmentStep, FollowUpStatus, Seeker
from tests.advisors.factories import AdvisorFactory
from tests.equipment.client import (
    ClientPeer,
    Silence,
    StalledVideo,
    SyntheticVideo,
    Tone,
    run_check,
)
from tests.equipment.conftest import signalling
from tests.seekers.factories import SeekerFactory

pytestmark = pytest.mark.django_db(transaction=True)


async def check(connect_ws, user, peer, **offer_fields):
    communicator, connected, _code = await connect_ws(user)
    assert connected
    try:
        messages = await run_check(*signalling(communicator), peer, **offer_fields)
    finally:
        await peer.close()
        await communicator.disconnect()
    return messages


async def test_a_good_stream_passes_and_completes_the_enrolment(connect_ws, advisor):
    seeker = await sync_to_async(SeekerFactory)(agency=advisor.agency, awaiting_check=True)
    peer = ClientPeer(video=SyntheticVideo(fps=25), audio=Tone())

    messages = await check(connect_ws, seeker.user, peer)

    verdict = messages[-1]
    assert verdict["type"] == "verdict", messages
    assert verdict["verdict"] == Verdict.PASSED, verdict
    assert [m["type"] for m in messages] == ["answer", "progress", "verdict"]
    assert verdict["enrolment"] == "assigned"
    stored = await EquipmentCheck.objects.aget(user=seeker.user)
    assert stored.state == CheckState.COMPLETED
    assert stored.measurements["video"]["height"] == 480
    assert 20 <= stored.measurements["video"]["fps"] <= 30
    assert stored.user_agent == "pytest aiortc client"
    seeker = await Seeker.objects.select_related("referent").aget(pk=seeker.pk)
    assert seeker.status == FollowUpStatus.FOLLOWED_ONLINE
    assert seeker.enrolment_step == EnrolmentStep.DONE
    assert seeker.referent_id == advisor.pk


def codes(verdict, severity=None):
    return [
        reason["code"]
        for reason in verdict["reasons"]
        if severity is None or reason["severity"] == severity
    ]


async def test_no_video_track_fails_for_the_camera(connect_ws, advisor):
    seeker = await sync_to_async(SeekerFactory)(agency=advisor.agency, awaiting_check=True)

    messages = await check(connect_ws, seeker.user, ClientPeer(audio=Tone()))

    verdict = messages[-1]
    assert verdict["verdict"] == Verdict.FAILED
    assert codes(verdict, "error") == ["camera_missing"]
    assert "Nous n'avons reçu aucune vidéo" in verdict["reasons"][0]["text"]
    seeker = await Seeker.objects.aget(pk=seeker.pk)
    assert seeker.enrolment_step == EnrolmentStep.EQUIPMENT_CHECK
    assert seeker.referent_id is None


async def test_a_camera_sending_no_picture_is_told_so_in_french(connect_ws, advisor, settings):
    settings.EQUIPMENT_CHECK_FIRST_FRAME_SECONDS = 2
    seeker = await sync_to_async(SeekerFactory)(agency=advisor.agency, awaiting_check=True)

    messages = await check(connect_ws, seeker.user, ClientPeer(video=StalledVideo(), audio=Tone()))

    verdict = messages[-1]
    assert verdict["verdict"] == Verdict.FAILED
    assert codes(verdict, "error") == ["camera_no_image"]
    assert verdict["reasons"][0]["text"].startswith(
        "Votre caméra n'envoie pas d'image : vérifiez qu'aucune autre application ne l'utilise"
    )
    stored = await EquipmentCheck.objects.aget(user=seeker.user)
    assert stored.measurements["video"] == {
        "track": True,
        "frames": 0,
        "fps": None,
        "width": None,
        "height": None,
        "sizes_seen": 0,
    }


@pytest.mark.parametrize(
    ("signing", "verdict", "errors"),
    [
        (True, Verdict.FAILED, ["video_fps"]),
        (False, Verdict.WARNINGS, []),
    ],
)
async def test_five_fps_fails_a_signing_seeker_only(connect_ws, advisor, signing, verdict, errors):
    seeker = await sync_to_async(SeekerFactory)(
        agency=advisor.agency, awaiting_check=True, signing=signing
    )

    messages = await check(
        connect_ws, seeker.user, ClientPeer(video=SyntheticVideo(fps=5), audio=Tone())
    )

    outcome = messages[-1]
    assert outcome["verdict"] == verdict, outcome
    assert codes(outcome, "error") == errors
    assert "video_fps" in codes(outcome)
    assert 4 <= outcome["measurements"]["video"]["fps"] <= 6
    stored = await EquipmentCheck.objects.aget(user=seeker.user)
    assert stored.profile == ("lsf" if signing else "standard")
    if signing:
        assert "trop saccadée" in outcome["reasons"][0]["text"]
        assert "15 nécessaires" in outcome["reasons"][0]["text"]


async def test_silence_is_reported_for_the_microphone(connect_ws, advisor):
    seeker = await sync_to_async(SeekerFactory)(agency=advisor.agency, awaiting_check=True)

    messages = await check(
        connect_ws, seeker.user, ClientPeer(video=SyntheticVideo(fps=25), audio=Silence())
    )

    verdict = messages[-1]
    assert codes(verdict) == ["microphone_silent"], verdict
    assert verdict["verdict"] == Verdict.WARNINGS
    assert verdict["reasons"][0]["text"].startswith("Nous n'avons entendu que du silence")
    assert verdict["measurements"]["audio"]["level_dbfs"] is None
    # Passed with a warning still completes the enrolment.
    assert verdict["enrolment"] == "assigned"


async def test_no_audio_track_fails_for_the_microphone(connect_ws, advisor):
    seeker = await sync_to_async(SeekerFactory)(agency=advisor.agency, awaiting_check=True)

    messages = await check(connect_ws, seeker.user, ClientPeer(video=SyntheticVideo(fps=25)))

    verdict = messages[-1]
    assert codes(verdict, "error") == ["microphone_missing"]


def signing_advisor_in(agency):
    # Transactional tests flush the skills that a data migration created.
    Skill.objects.get_or_create(code=Skill.LSF, defaults={"name": "LSF"})
    return AdvisorFactory(agency=agency, signs_lsf=True)


async def test_a_signing_seeker_without_microphone_passes_with_a_warning(connect_ws, agency):
    signing_advisor = await sync_to_async(signing_advisor_in)(agency)
    seeker = await sync_to_async(SeekerFactory)(agency=agency, awaiting_check=True, signing=True)

    messages = await check(
        connect_ws, seeker.user, ClientPeer(video=SyntheticVideo(fps=25)), no_microphone=True
    )

    verdict = messages[-1]
    assert verdict["verdict"] == Verdict.WARNINGS, verdict
    assert [(r["code"], r["severity"]) for r in verdict["reasons"]] == [
        ("no_microphone", "warning")
    ]
    assert verdict["reasons"][0]["text"].startswith(
        "Aucun micro n'a été trouvé sur cet appareil : un entretien en LSF peut s'en passer"
    )
    assert verdict["enrolment"] == "assigned"
    assert (await Seeker.objects.aget(pk=seeker.pk)).referent_id == signing_advisor.pk


async def test_a_speaking_seeker_without_microphone_fails(connect_ws, advisor):
    seeker = await sync_to_async(SeekerFactory)(agency=advisor.agency, awaiting_check=True)

    messages = await check(
        connect_ws, seeker.user, ClientPeer(video=SyntheticVideo(fps=25)), no_microphone=True
    )

    verdict = messages[-1]
    assert verdict["verdict"] == Verdict.FAILED
    assert codes(verdict, "error") == ["no_microphone"]
    assert verdict["reasons"][0]["text"].startswith("Aucun micro n'a été trouvé sur cet appareil")
