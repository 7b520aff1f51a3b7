"""Reads of the equipment app."""

from __future__ import annotations

from .models import EquipmentCheck


def last_check_for(user) -> EquipmentCheck | None:
    """The user's latest check that reached a verdict."""
    return EquipmentCheck.objects.of_user(user).completed().order_by("-started_at", "-pk").first()


def history_for_user(user, *, limit: int = 50):
    return EquipmentCheck.objects.of_user(user).order_by("-started_at", "-pk")[:limit]


def history_for_seeker(seeker, *, limit: int = 50):
    return seeker.equipment_checks.select_related("user").order_by("-started_at", "-pk")[:limit]
