"""Demo data of the equipment app, called by `manage.py seed_demo` (idempotent): the first demo
seekers passed their check before enrolling, some after a failed first try."""

from datetime import timedelta

from django.conf import settings

from seekers.models import Seeker, TimelineEvent, TimelineKind

from .models import CheckState, EquipmentCheck, Profile
from .verdict import evaluate

DEMO_SEEKERS = 60
FAILED_FIRST_EVERY = 6
BROWSERS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/45.0.2454.85 Safari/537.36",
    "Mozilla/5.0 (Windows NT 6.1; rv:40.0) Gecko/20100101 Firefox/40.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_10_5) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/45.0.2454.85 Safari/537.36",
]


def _measurements(number: int, *, good: bool) -> dict:
    if not good:
        if number % 2:
            return {
                "connected": True,
                "video": {"track": True, "frames": 0, "fps": None, "width": None, "height": None},
                "audio": {"track": True, "frames": 150, "level_dbfs": -22.0},
                "network": {"rtt_ms": 38.0, "upload_kbps": 2400, "download_kbps": 9000},
            }
        return {
            "connected": True,
            "video": {"track": True, "frames": 40, "fps": 13.0, "width": 640, "height": 480},
            "audio": {"track": True, "frames": 150, "level_dbfs": -18.5},
            "network": {"rtt_ms": 95.0, "upload_kbps": 300, "download_kbps": 1900},
        }
    return {
        "connected": True,
        "video": {
            "track": True,
            "frames": 75,
            "fps": 25.0 - number % 5,
            "width": 640,
            "height": 480,
        },
        "audio": {"track": True, "frames": 150, "level_dbfs": -16.0 - number % 9},
        "network": {
            "rtt_ms": 20.0 + number % 40,
            "upload_kbps": 1200 + 137 * (number % 20),
            "download_kbps": 4000 + 311 * (number % 30),
            "loss_pct": round((number % 4) * 0.4, 1),
        },
    }


def _check(seeker, number, *, good, at):
    profile = Profile.LSF if seeker.signs_lsf else Profile.STANDARD
    measurements = _measurements(number, good=good)
    outcome = evaluate(
        measurements,
        settings.EQUIPMENT_CHECK_THRESHOLDS[profile],
        lsf=profile == Profile.LSF,
    )
    return EquipmentCheck(
        user=seeker.user,
        seeker=seeker,
        state=CheckState.COMPLETED,
        profile=profile,
        verdict=outcome.verdict,
        reasons=outcome.reasons,
        measurements=measurements,
        user_agent=BROWSERS[number % len(BROWSERS)],
        started_at=at,
        finished_at=at + timedelta(seconds=4),
    )


def seed(*, agency, advisors, stdout) -> None:
    seekers = list(
        Seeker.objects.filter(agency=agency, enrolled_at__isnull=False)
        .select_related("user")
        .order_by("user__email")[:DEMO_SEEKERS]
    )
    if EquipmentCheck.objects.filter(seeker__agency=agency).exists():
        # Already seeded: a second run adds nothing.
        seekers = []
    checks = []
    for number, seeker in enumerate(seekers, start=1):
        passed_at = seeker.enrolled_at - timedelta(minutes=5)
        if number % FAILED_FIRST_EVERY == 0:
            checks.append(_check(seeker, number, good=False, at=passed_at - timedelta(minutes=20)))
        checks.append(_check(seeker, number, good=True, at=passed_at))
    created = EquipmentCheck.objects.bulk_create(checks)
    TimelineEvent.objects.bulk_create(
        TimelineEvent(
            seeker=check.seeker,
            kind=TimelineKind.EQUIPMENT_CHECK,
            occurred_at=check.finished_at,
            actor=check.user,
            detail={
                "check": check.pk,
                "verdict": check.verdict,
                "reasons": [reason["code"] for reason in check.reasons],
            },
        )
        for check in created
    )
    stdout.write(f"  equipment checks: {len(created)} new ({len(seekers)} seekers)")
