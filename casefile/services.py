"""Writes on a seeker's file: action plan, notes, offers, and the audit trail."""

from django.db import transaction
from django.utils import timezone

from seekers.models import Seeker

from .models import Action, ActionStatus, AuditAction, AuditEntry, Goal, JobOffer, Note


def audit_record(*, actor, action: str, seeker: Seeker) -> AuditEntry:
    return AuditEntry.objects.create(actor=actor, action=action, seeker=seeker)


def goal_create(*, seeker: Seeker, title: str, by) -> Goal:
    return Goal.objects.create(seeker=seeker, title=title, created_by=by)


def action_create(*, goal: Goal, title: str, due_date=None) -> Action:
    return Action.objects.create(goal=goal, title=title, due_date=due_date)


def action_set_status(*, action: Action, status: str) -> Action:
    if status not in ActionStatus.values:
        raise ValueError(status)
    action.status = status
    action.updated_at = timezone.now()
    action.save(update_fields=["status", "updated_at"])
    return action


@transaction.atomic
def note_write(*, seeker: Seeker, body: str, by) -> Note:
    note = Note.objects.create(seeker=seeker, body=body, author=by)
    audit_record(actor=by, action=AuditAction.WROTE_NOTE, seeker=seeker)
    return note


def offer_share(*, seeker: Seeker, by, **fields) -> JobOffer:
    return JobOffer.objects.create(seeker=seeker, shared_by=by, **fields)
