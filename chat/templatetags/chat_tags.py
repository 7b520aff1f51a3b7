"""The chat's entries on the home pages: a link with the number of unread messages."""

from django import template

from chat import selectors
from seekers.models import FollowUpStatus

register = template.Library()


@register.inclusion_tag("chat/_seeker_link.html")
def chat_seeker_entry(seeker):
    followed = seeker is not None and seeker.status == FollowUpStatus.FOLLOWED_ONLINE
    summary = selectors.seeker_conversation_summary(seeker.user) if followed else None
    return {"followed": followed, "unread": summary["unread"] if summary else 0}


@register.inclusion_tag("chat/_advisor_link.html")
def chat_advisor_entry(advisor):
    return {"advisor": advisor, "unread": selectors.advisor_unread_total(advisor)}


@register.filter
def chat_body(text):
    from chat.payloads import render_body

    return render_body(text or "")
