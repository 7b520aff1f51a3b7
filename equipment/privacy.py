"""Personal data held by the equipment check: each measured check and its verdict."""

from datetime import timedelta

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from privacy.registry import Category, register

from .models import EquipmentCheck


def _export(seeker):
    return [
        {
            "started_at": c.started_at.isoformat(),
            "finished_at": c.finished_at and c.finished_at.isoformat(),
            "state": c.state,
            "profile": c.profile,
            "verdict": c.verdict,
            "reasons": c.reasons,
            "measurements": c.measurements,
            "browser": c.user_agent,
        }
        for c in EquipmentCheck.objects.filter(user=seeker.user).order_by("started_at")
    ]


def _erase(seeker):
    return EquipmentCheck.objects.filter(user=seeker.user).delete()[0]


def _purge(now):
    cutoff = now - timedelta(days=settings.PORTAL_RETENTION_EQUIPMENT_DAYS)
    return EquipmentCheck.objects.filter(started_at__lt=cutoff).delete()[0]


register(
    Category("equipment_checks", _("Equipment checks"), export=_export, erase=_erase, purge=_purge)
)
