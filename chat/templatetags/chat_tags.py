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


@register.inclusion_tag("chat/_call_panel_body.html", takes_context=True)
def chat_call_panel(context, seeker):
    """The seeker's conversation beside the video of an interview (reads only: a conversation
    that does not exist yet is reached through its page instead)."""
    from chat.forms import AttachmentForm, MessageForm
    from chat.models import Conversation
    from chat.views import _client_strings

    user = context["request"].user
    conversation = (
        Conversation.objects.for_user(user)
        .select_related("seeker__user", "seeker__referent__user")
        .filter(seeker=seeker)
        .first()
    )
    if conversation is None:
        # The interviews placeholder it falls back to links the conversation by appointment.
        return {
            "conversation": None,
            "role": context.get("role"),
            "seeker": seeker,
            "appointment": context.get("appointment"),
        }
    return selectors.conversation_page(conversation, user) | {
        "user": user,
        "csrf_token": context.get("csrf_token"),
        "form": MessageForm(),
        "file_form": AttachmentForm(),
        "chat_strings": _client_strings(),
    }
