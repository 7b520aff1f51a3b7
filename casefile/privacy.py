"""Personal data held in the seeker's file: action plan, offers, advisors' notes, audit trail."""

from datetime import timedelta

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from privacy.registry import Category, register

from .models import AuditEntry, Goal, JobOffer, Note


def _plan(seeker):
    return [
        {
            "goal": goal.title,
            "status": goal.status,
            "actions": [
                {
                    "action": a.title,
                    "due_date": a.due_date and a.due_date.isoformat(),
                    "status": a.status,
                }
                for a in goal.actions.all()
            ],
        }
        for goal in Goal.objects.filter(seeker=seeker).prefetch_related("actions")
    ]


def _erase_plan(seeker):
    return Goal.objects.filter(seeker=seeker).delete()[0]


def _offers(seeker):
    return [
        {
            "title": o.title,
            "employer": o.employer,
            "contract": o.contract,
            "sector": o.sector,
            "url": o.url,
            "comment": o.comment,
            "shared_at": o.shared_at.isoformat(),
        }
        for o in JobOffer.objects.filter(seeker=seeker)
    ]


def _erase_offers(seeker):
    return JobOffer.objects.filter(seeker=seeker).delete()[0]


def _notes(seeker):
    return [
        {"written_at": n.created_at.isoformat(), "author": str(n.author), "note": n.body}
        for n in Note.objects.filter(seeker=seeker).select_related("author")
    ]


def _erase_notes(seeker):
    return Note.objects.filter(seeker=seeker).delete()[0]


def _purge_notes(now):
    cutoff = now - timedelta(days=settings.PORTAL_RETENTION_NOTES_DAYS)
    return Note.objects.filter(created_at__lt=cutoff).delete()[0]


def _audit(seeker):
    return [
        {"at": e.at.isoformat(), "who": str(e.actor), "what": e.action}
        for e in AuditEntry.objects.filter(seeker=seeker).select_related("actor")
    ]


register(Category("action_plan", _("Action plan"), export=_plan, erase=_erase_plan))
register(Category("job_offers", _("Job offers shared"), export=_offers, erase=_erase_offers))
register(
    Category(
        "advisor_notes",
        _("Advisors' notes"),
        export=_notes,
        erase=_erase_notes,
        purge=_purge_notes,
    )
)
register(
    Category(
        "audit_trail",
        _("Who opened the file"),
        export=_audit,
        kept=_("The audit trail is append-only: it is kept to prove who accessed the data."),
    )
)
