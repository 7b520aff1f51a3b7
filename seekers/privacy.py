"""Personal data held by the seekers app: the profile and the follow-up record."""

from django.utils.translation import gettext_lazy as _

from privacy.registry import Category, register


def _profile(seeker):
    user = seeker.user
    return {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "date_joined": user.date_joined.isoformat(),
        "agency": str(seeker.agency) if seeker.agency_id else None,
        "status": seeker.status,
        "enrolment_step": seeker.enrolment_step,
        "accessibility_need": seeker.accessibility_need,
        "accessibility_details": seeker.accessibility_details,
        "preferred_channel": seeker.preferred_channel,
        "age_band": seeker.age_band,
        "phone": seeker.phone,
        "consent_given_at": seeker.consent_given_at and seeker.consent_given_at.isoformat(),
        "consent_version": seeker.consent_version,
        "enrolled_at": seeker.enrolled_at and seeker.enrolled_at.isoformat(),
        "returned_at": seeker.returned_at and seeker.returned_at.isoformat(),
        "return_reason": seeker.return_reason,
        "return_comment": seeker.return_comment,
    }


def _timeline(seeker):
    return {
        "events": [
            {
                "kind": event.kind,
                "occurred_at": event.occurred_at.isoformat(),
                "advisor": str(event.advisor.user) if event.advisor_id else None,
                "detail": event.detail,
            }
            for event in seeker.timeline.select_related("advisor__user").order_by("occurred_at")
        ],
        "referent_periods": [
            {
                "advisor": str(period.advisor.user),
                "from": period.started_at.isoformat(),
                "until": period.ended_at and period.ended_at.isoformat(),
                "reason": period.reason,
            }
            for period in seeker.assignments.select_related("advisor__user").order_by("started_at")
        ],
    }


register(Category("profile", _("Profile"), export=_profile))
register(
    Category(
        "timeline",
        _("Follow-up timeline"),
        export=_timeline,
        kept=_(
            "The follow-up record (who followed the seeker, when, and what happened) is kept "
            "for the agency's legal obligations, attached to a pseudonymised account."
        ),
    )
)
