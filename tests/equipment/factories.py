import factory
from django.utils import timezone

from equipment.models import CheckState, EquipmentCheck, Profile, Verdict
from tests.accounts.factories import UserFactory

GOOD_MEASUREMENTS = {
    "connected": True,
    "video": {"track": True, "frames": 75, "fps": 25.0, "width": 640, "height": 480},
    "audio": {"track": True, "frames": 150, "level_dbfs": -14.0},
    "network": {"rtt_ms": 12.0, "upload_kbps": 9000, "download_kbps": 12000, "loss_pct": 0.0},
}


class EquipmentCheckFactory(factory.django.DjangoModelFactory):
    """A completed, passed check by default; traits for the other outcomes."""

    class Meta:
        model = EquipmentCheck

    user = factory.SubFactory(UserFactory)
    seeker = None
    state = CheckState.COMPLETED
    profile = Profile.STANDARD
    verdict = Verdict.PASSED
    reasons = factory.LazyFunction(list)
    measurements = factory.LazyFunction(lambda: dict(GOOD_MEASUREMENTS))
    user_agent = "Mozilla/5.0 (X11; Linux x86_64) Chrome/120"
    started_at = factory.LazyFunction(timezone.now)
    finished_at = factory.LazyFunction(timezone.now)

    class Params:
        running = factory.Trait(state=CheckState.RUNNING, verdict="", finished_at=None)
        aborted = factory.Trait(state=CheckState.ABORTED, verdict="")
        failed = factory.Trait(
            verdict=Verdict.FAILED,
            reasons=factory.LazyFunction(
                lambda: [{"code": "camera_no_image", "severity": "error", "params": {}}]
            ),
        )
